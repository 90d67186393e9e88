"""Training objectives by name: one registry that the trainer, the command line and the docs read.

An :class:`Objective` says how to build the Keras loss and what it needs from the batches: how
many negatives per position by default (0: the model scores the whole catalogue), drawn from
which proposal, and whether compiling the step with XLA was measured to help. Adding a loss is
one new file in ``reclab/losses/`` and one :func:`register_objective` line below;
``TrainingConfig(loss=NAME)`` and ``python -m reclab train --loss NAME`` then take it.

Example:
    >>> sorted(OBJECTIVES)
    ['bce', 'bpr', 'gbce', 'sampled-softmax', 'softmax']
    >>> objective("gbce").negatives, objective("sampled-softmax").sampling
    (256, 'popularity')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from reclab.losses import (
    BPR,
    GBCE,
    FullSoftmaxCrossEntropy,
    SampledBinaryCrossEntropy,
    SampledSoftmaxCrossEntropy,
)
from reclab.registry import Registry

__all__ = ["OBJECTIVES", "SAMPLINGS", "Objective", "objective", "register_objective"]

#: Proposal distributions of the negatives: uniform over items, or ``count ** 0.75``.
SAMPLINGS = ("uniform", "popularity")


@dataclass(frozen=True)
class Objective:
    """One training objective.

    Attributes:
        name: the registry key (``TrainingConfig(loss=name)``, ``--loss name``).
        build: ``(num_items, proposal, **options) -> keras.losses.Loss``; ``proposal`` is the
            negatives' sampling distribution over ids ``0..N`` (sums to 1, 0 at padding).
        summary: one line for ``--help`` and the docs.
        negatives: default negatives per position; 0 means no sampling (the loss reads the
            logits of every item).
        sampling: default proposal of the negatives (one of :data:`SAMPLINGS`).
        xla: compile the training step with XLA unless the configuration says otherwise
            (measured in ``benchmarks/README.md``: it helps the full softmax on CPU).
        options: the loss's keyword options and their defaults (``TrainingConfig.loss_options``
            may override them).
    """

    name: str
    build: Callable[..., keras.losses.Loss]
    summary: str
    negatives: int = 0
    sampling: str = "uniform"
    xla: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def samples_negatives(self) -> bool:
        """Whether batches carry sampled candidates (else the model scores the catalogue)."""
        return self.negatives > 0

    def loss(self, num_items: int, proposal: np.ndarray, options: Mapping[str, Any]) -> Any:
        """The Keras loss, with ``options`` on top of the defaults."""
        unknown = set(options) - set(self.options)
        if unknown:
            raise ValueError(
                f"loss {self.name!r} has no option {sorted(unknown)}; options: {dict(self.options)}"
            )
        return self.build(num_items, proposal, **{**self.options, **options})


def _check(entry: Objective) -> None:
    if entry.sampling not in SAMPLINGS:
        raise ValueError(
            f"objective {entry.name!r}: sampling={entry.sampling!r}; expected {SAMPLINGS}"
        )


#: The registered objectives, by name.
OBJECTIVES: Registry[Objective] = Registry("loss", check=_check)
#: Add an :class:`Objective` to :data:`OBJECTIVES` (a name can be registered once).
register_objective = OBJECTIVES.register
#: The :class:`Objective` registered as a name, or a ``ValueError`` listing the choices.
objective = OBJECTIVES.lookup


register_objective(
    Objective(
        "softmax",
        lambda n, q: FullSoftmaxCrossEntropy(),
        "cross-entropy over the whole catalogue (SASRec+, Klenitskiy & Vasilev 2023)",
        xla=True,
    )
)
register_objective(
    Objective(
        "bce",
        lambda n, q: SampledBinaryCrossEntropy(),
        "binary cross-entropy with sampled negatives (SASRec's paper: 1 negative)",
        negatives=1,
    )
)
register_objective(
    Objective(
        "sampled-softmax",
        lambda n, q: SampledSoftmaxCrossEntropy(q),
        "softmax over sampled negatives with the log-Q correction",
        negatives=256,
        sampling="popularity",
    )
)
register_objective(
    Objective(
        "gbce",
        lambda n, q, t: GBCE(num_items=n, t=t),
        "generalised BCE with calibration t (gSASRec, Petrov & Macdonald 2023)",
        negatives=256,
        options={"t": 0.75},
    )
)
register_objective(
    Objective(
        "bpr",
        lambda n, q: BPR(),
        "Bayesian personalised ranking, one negative (Rendle et al. 2009)",
        negatives=1,
    )
)
