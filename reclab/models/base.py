"""The one interface every recommender in RecLab offers: a history in, catalogue scores out.

Evaluation (``reclab.evaluation``), recommendation (``reclab.recommend``) and the command line
never special-case a model: they call :meth:`Scorer.score`. A baseline built from counts, matrix
factorisation and a Transformer all look the same from outside.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["Scorer", "check_scores", "coerce_config", "score_fn"]


@runtime_checkable
class Scorer(Protocol):
    """What every RecLab model provides.

    Item ids are ``1..num_items``; id 0 is padding. A history is a row of item ids in time
    order, **left-padded** with 0, so its last column is the most recent item.

    Trainable models also say what they learn from, in a class attribute ``reads``:
    ``"histories"`` (sequence models, trained on next-item windows) or ``"users"`` (models with
    a vector per user, trained on (user, item) events). Count models have none: they are
    fitted on the training sequences. :func:`reclab.training.fit` reads it.
    """

    #: :math:`N`, the number of real items (ids ``1..N``).
    num_items: int

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """Scores of every item id as the next item after each history.

        Args:
            histories: ``(B, L)`` integer item ids, left-padded with 0.
            users: ``(B,)`` integer user ids, for models with per-user parameters (matrix
                factorisation); sequence models ignore it. A model that needs it raises a
                ``ValueError`` naming the argument when it is ``None``.

        Returns:
            ``(B, N + 1)`` float scores, one column per item id; column 0 (padding) is
            ``-inf``. Higher is better; the evaluators apply the tie policy.
        """
        ...


def check_scores(scores: Any, batch: int, num_items: int, where: str) -> np.ndarray:
    """Validate what a model's ``score`` returned and give it back as a NumPy array."""
    scores = np.asarray(scores)
    if scores.shape != (batch, num_items + 1):
        raise ValueError(
            f"{where}: expected scores of shape (B, N + 1) = ({batch}, {num_items + 1}), "
            f"got {scores.shape}"
        )
    return scores


def score_fn(model: Scorer, *, with_users: bool = False) -> Callable[[Any], np.ndarray]:
    """Adapt a model to the evaluators' scoring-function form: a batch of inputs -> scores.

    With ``with_users=True`` the evaluators' ``inputs`` must be the tuple
    ``(histories, users)``; otherwise they are the histories alone.
    """
    if with_users:
        return lambda batch: model.score(np.asarray(batch[0]), np.asarray(batch[1]))
    return lambda histories: model.score(np.asarray(histories))


def coerce_config(config_class: type, config: Any, where: str) -> Any:
    """A model's configuration from ``None`` (the defaults), a dict of fields or an instance.

    Every model of RecLab takes its configuration this one way; the configuration validates
    itself when constructed (its ``__post_init__``).

    Raises:
        TypeError: ``config`` is none of these, or a dict holds an unknown field.
        ValueError: a field is invalid (the configuration names it).
    """
    if config is None:
        return config_class()
    if isinstance(config, dict):
        try:
            return config_class(**config)
        except TypeError as error:
            raise TypeError(f"{where}: {error}") from None
    if not isinstance(config, config_class):
        raise TypeError(
            f"{where}: config must be a {config_class.__name__} (or a dict of its fields), "
            f"got {type(config).__name__}"
        )
    return config
