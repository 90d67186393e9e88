r"""Pretrain → fine-tune: start a model on a new catalogue from a model trained on another.

A sequence model's weights fall in two kinds. Some belong to the **catalogue**: a row per item
(the item table :math:`\mathbf{E}`, an output bias, the content arrays, TIGER's codes); they
mean nothing for another shop's items. The rest say how a history becomes a preference (the
position vectors and the Transformer blocks) and, for a content model, how a description becomes
an item vector (:class:`reclab.models.ItemContentTower`'s word, genre and year vectors and its
two layers). Fine-tuning copies the second kind from a pretrained **source** model into a
**target** model built for the new catalogue, keeps the target's own initial values for the
first kind, and trains everything on the target data with :func:`reclab.training.fit` as usual:

.. math::

    \theta_{\text{target}}^{(0)} = \bigl(\theta_{\text{source}}^{\text{shared}},\;
    \theta_{\text{target}}^{\text{catalogue, init}}\bigr), \qquad
    \theta_{\text{target}} = \arg\min_\theta \mathcal{L}_{\text{target}}(\theta)
    \text{ from } \theta_{\text{target}}^{(0)} .

A content tower's word and genre vectors are indexed by the vocabulary it was built with, so they
are copied only when both models' content (:class:`reclab.data.ItemContent`) has the same
vocabulary and genre list, i.e. was built with the same ``fit_on`` table
(:func:`reclab.data.item_content`); the year vectors and the two layers are copied whenever both
models have a tower.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reclab.formulas import implements
from reclab.seeding import set_seed

__all__ = ["TransferReport", "transfer_weights"]


@dataclass(frozen=True)
class TransferReport:
    """What :func:`transfer_weights` did, weight by weight.

    Attributes:
        copied: the paths (below the model's name) of the target weights now holding the
            source's values.
        kept: the target weights that keep their own values, each with the reason
            (``"catalogue"``, ``"vocabulary differs"``, ``"not in the source"``...).
        source_only: the source weights the target has no place for (e.g. a content tower
            pretrained for an id-only target).
        values_copied: how many numbers were copied.
    """

    copied: tuple[str, ...]
    kept: dict[str, str] = field(default_factory=dict)
    source_only: tuple[str, ...] = ()
    values_copied: int = 0

    def __str__(self) -> str:
        reasons: dict[str, int] = {}
        for why in self.kept.values():
            reasons[why] = reasons.get(why, 0) + 1
        kept = (
            ", ".join(f"{n} weight{'s' * (n != 1)} ({why})" for why, n in reasons.items()) or "none"
        )
        text = (
            f"transfer: {len(self.copied)} weights copied ({self.values_copied:,} values); "
            f"kept the target's own: {kept}"
        )
        if self.source_only:
            text += f"; {len(self.source_only)} source weights unused"
        return text

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (for a run's ``config.json``)."""
        return {
            "copied": list(self.copied),
            "kept": dict(self.kept),
            "source_only": list(self.source_only),
            "values_copied": self.values_copied,
        }


def _path(variable: Any) -> str:
    """A weight's path without the model's own name (``sasrec/block_0/...`` → ``block_0/...``)."""
    return variable.path.split("/", 1)[1]


def _by_path(model: Any, where: str) -> dict[str, Any]:
    weights = {_path(v): v for v in model.weights}
    if len(weights) != len(model.weights):  # a layer built outside its parent's name scope
        paths = [_path(v) for v in model.weights]
        twice = next(p for p in paths if paths.count(p) > 1)
        raise RuntimeError(f"{where}: two weights of {model.name} have the path {twice!r}")
    return weights


def _same_vocabulary(source: Any, target: Any) -> str | None:
    """``None`` if both models read the same vocabulary, else why their word vectors differ."""
    a, b = getattr(source, "content", None), getattr(target, "content", None)
    if a is None or b is None:
        return "vocabulary unknown"
    if a.vocabulary != b.vocabulary or a.genre_names != b.genre_names:
        return "vocabulary differs"
    return None


@implements("eq-fine-tuning")
def transfer_weights(source: Any, target: Any, *, seed: int = 0) -> TransferReport:
    """Copy every weight of ``source`` that does not belong to its catalogue into ``target``.

    Args:
        source: a trained sequence model (:class:`reclab.models.SASRec`,
            :class:`~reclab.models.BERT4Rec`, :class:`~reclab.models.GRU4Rec`,
            :class:`~reclab.models.TIGER`).
        target: a model of the same class for the target catalogue (any number of items);
            built here with ``seed`` if it is not built yet, so its catalogue weights are
            initialised repeatably.
        seed: the seed of that build.

    Returns:
        A :class:`TransferReport`. Pass ``target`` on to :func:`reclab.training.fit`: a built
        model is trained from its current weights.

    Raises:
        TypeError: the two models are of different classes, or the class does not declare its
            catalogue weights.
        ValueError: a shared weight has another shape in the target (another ``dim``,
            ``num_blocks``, ``max_len`` or number of heads): the error names it.

    Example:
        >>> from reclab.models import SASRec, SASRecConfig
        >>> config = SASRecConfig(max_len=4, dim=8, num_blocks=1)
        >>> source, target = SASRec(50, config), SASRec(20, config)
        >>> source.build()
        >>> report = transfer_weights(source, target)
        >>> report.kept
        {'item_embedding/embeddings': 'catalogue'}
        >>> bool(np.array_equal(source.blocks[0].ffn1.kernel, target.blocks[0].ffn1.kernel))
        True
    """
    where = "transfer_weights"
    if type(source) is not type(target):
        raise TypeError(
            f"{where}: the source is a {type(source).__name__}, the target a "
            f"{type(target).__name__}; weights transfer between models of one class"
        )
    if not source.built:
        raise ValueError(f"{where}: the source model is not built (train or load it first)")
    if not target.built:
        set_seed(seed)
        target.build()
    catalogue = {_path(v) for v in target.catalogue_weights()}
    catalogue |= {_path(v) for v in source.catalogue_weights()}
    vocabulary = set()
    tower = getattr(target, "content_tower", None)
    if tower is not None:
        vocabulary = {_path(v) for v in tower.vocabulary_weights()}
    vocabulary_problem = _same_vocabulary(source, target) if vocabulary else None
    sources = _by_path(source, where)
    _by_path(target, where)
    copied, kept, values = [], {}, 0
    for variable in target.weights:
        path = _path(variable)
        if path in catalogue:
            kept[path] = "catalogue"
        elif path not in sources:
            kept[path] = "not in the source"
        elif path in vocabulary and vocabulary_problem is not None:
            kept[path] = vocabulary_problem
        else:
            value = np.asarray(sources[path])
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{where}: {path} has shape {tuple(value.shape)} in the source and "
                    f"{tuple(variable.shape)} in the target; build the target with the "
                    "source's dim, num_blocks, num_heads and max_len"
                )
            variable.assign(value)
            copied.append(path)
            values += int(value.size)
    targets = {_path(v) for v in target.weights}
    source_only = tuple(p for p in sources if p not in targets and p not in catalogue)
    return TransferReport(tuple(copied), kept, source_only, values)
