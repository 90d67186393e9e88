"""The book's protocol as one object: leave-last-out splits, training sequences, evaluation sets.

:func:`prepare_next_item_data` turns a clean interaction table into what training and evaluation
need, with ids fitted on the training split only: the training sequences, the validation set
(history = training events, target = each user's second-to-last event) and the test set
(history = training + validation events, target = the last event). Each evaluation set keeps each
user's whole history, so seen items are excluded from the full ranking however short a model's
``max_len`` is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclab.data.batching import evaluation_arrays
from reclab.data.idmap import IdMapping
from reclab.data.sequences import Sequences
from reclab.data.splits import Split, encode_split, leave_last_out

__all__ = ["EvaluationSet", "NextItemData", "prepare_next_item_data"]


@dataclass(frozen=True)
class EvaluationSet:
    """One row per user with a held-out item.

    Attributes:
        histories: ``(U, T)`` item ids, each user's whole history, left-padded with 0 (the
            models read their latest ``max_len`` columns; the evaluators exclude all of them).
        targets: ``(U,)`` the held-out item.
        users: ``(U,)`` user ids (as in the split: raw, or encoded with ``encode_users``).
    """

    histories: np.ndarray
    targets: np.ndarray
    users: np.ndarray

    def __len__(self) -> int:
        return len(self.targets)

    def subset(self, rows: np.ndarray | slice) -> EvaluationSet:
        """The rows ``rows`` (for quick checks on a sample of users)."""
        return EvaluationSet(self.histories[rows], self.targets[rows], self.users[rows])


@dataclass(frozen=True)
class NextItemData:
    """Everything a next-item experiment needs (see :func:`prepare_next_item_data`).

    Attributes:
        split: the encoded :class:`~reclab.data.Split`.
        items: the item id mapping, fitted on training events (ids ``1..N``).
        train: training sequences.
        validation: the validation :class:`EvaluationSet`.
        test: the test :class:`EvaluationSet`.
    """

    split: Split
    items: IdMapping
    train: Sequences
    validation: EvaluationSet
    test: EvaluationSet

    @property
    def num_items(self) -> int:
        """:math:`N`, the number of items known from training."""
        return int(self.items.num_items)

    def item_counts(self) -> np.ndarray:
        """Training events per item id, ``(N + 1,)`` (index 0, padding, is 0)."""
        return np.bincount(self.train.items, minlength=self.num_items + 1).astype(np.int64)


def _evaluation_set(history: Sequences, targets: pd.DataFrame) -> EvaluationSet:
    longest = int(history.lengths.max()) if len(history) else 1
    arrays = evaluation_arrays(history, targets, max(longest, 1))
    return EvaluationSet(arrays["inputs"], arrays["target"], arrays["user"])


def prepare_next_item_data(
    interactions: pd.DataFrame, *, tie_break: str = "input_order"
) -> NextItemData:
    """Leave-last-out split, ids from training only, sequences and evaluation sets.

    Args:
        interactions: a clean interaction table (``user_id``, ``item_id``, ``timestamp``), e.g.
            ``reclab.data.preprocess(...).interactions``.
        tie_break: how events with equal timestamps are ordered
            (:func:`reclab.data.sort_chronologically`).

    Returns:
        A :class:`NextItemData`.
    """
    split, items, _, _ = encode_split(leave_last_out(interactions, tie_break=tie_break))
    train = Sequences.from_interactions(split.train, tie_break)
    both = pd.concat([split.train, split.validation], ignore_index=True)
    history = Sequences.from_interactions(both, tie_break)
    return NextItemData(
        split=split,
        items=items,
        train=train,
        validation=_evaluation_set(train, split.validation),
        test=_evaluation_set(history, split.test),
    )
