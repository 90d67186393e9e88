"""The book's protocol as one object: leave-last-out splits, id mappings, training sequences, and
the validation and test sets every model is evaluated on.

:func:`prepare_next_item_data` turns a clean interaction table into what training and evaluation
need, with user and item ids fitted on the training split only:

- the training sequences (encoded ids ``1..N`` for items, ``1..U`` for users);
- the validation set: history = training events, target = each user's second-to-last event;
- the test set: history = training + validation events, target = the last event.

**Every user with a held-out event is evaluated.** A held-out item that never occurs in training
is kept as :data:`~reclab.data.UNKNOWN_ITEM` (-1): no model can rank it, so it counts as a miss
for every model, and the number of such targets is reported. (Dropping those users would compute
the metric on an easier subset than the data set's users.)

**Seen items are excluded from the ranking unless the data has repeat consumption.** When no user
interacts with an item twice in the training events (MovieLens: one rating per film), a seen item
is never the next one and excluding the history loses nothing. When users do come back to items
(a shop's groceries), excluding the history would make every repeat a miss, so nothing is
excluded and repeat and first-time targets can be reported separately
(:func:`reclab.evaluation.evaluate_model` with ``by_target=True``). The choice is made from the
training events only and stored in :attr:`EvaluationSet.exclude_seen`, which every evaluator of
the package reads.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reclab.data.batching import evaluation_arrays
from reclab.data.idmap import UNKNOWN_ITEM, IdMapping
from reclab.data.reports import StepReport
from reclab.data.sequences import Sequences
from reclab.data.splits import Split, leave_last_out

__all__ = [
    "EvaluationSet",
    "NextItemData",
    "has_repeats",
    "next_item_data_from_split",
    "prepare_next_item_data",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationSet:
    """One row per user with a held-out item.

    Attributes:
        histories: ``(U, T)`` item ids, each user's whole history, left-padded with 0 (the
            models read their latest ``max_len`` columns; the evaluators exclude all of them
            when ``exclude_seen``).
        targets: ``(U,)`` the held-out item; :data:`~reclab.data.UNKNOWN_ITEM` (-1) for an
            item the training data never saw.
        users: ``(U,)`` encoded user ids (``1..U``, as in the training sequences).
        exclude_seen: the protocol for this data: whether seen items are removed from the
            ranking (see the module docstring).
    """

    histories: np.ndarray
    targets: np.ndarray
    users: np.ndarray
    exclude_seen: bool = True

    def __len__(self) -> int:
        return len(self.targets)

    def subset(self, rows: np.ndarray | slice) -> EvaluationSet:
        """The rows ``rows`` (for quick checks on a sample of users)."""
        return EvaluationSet(
            self.histories[rows], self.targets[rows], self.users[rows], self.exclude_seen
        )

    def target_counts(self) -> dict[str, int]:
        """How many targets are first-time items, repeats of a seen item, or unknown items.

        Example:
            >>> s = EvaluationSet(np.array([[0, 1, 2], [3, 4, 5]]), np.array([2, -1]),
            ...                   np.array([1, 2]))
            >>> s.target_counts()
            {'first-time': 0, 'repeat': 1, 'unknown': 1}
        """
        unknown = self.targets == UNKNOWN_ITEM
        repeat = np.any(self.histories == self.targets[:, None], axis=1) & ~unknown
        return {
            "first-time": int(np.sum(~unknown & ~repeat)),
            "repeat": int(repeat.sum()),
            "unknown": int(unknown.sum()),
        }


@dataclass(frozen=True)
class NextItemData:
    """Everything a next-item experiment needs (see :func:`prepare_next_item_data`).

    Attributes:
        split: the encoded :class:`~reclab.data.Split` (user ids ``1..U``, item ids ``1..N``;
            held-out events with an unknown item carry :data:`~reclab.data.UNKNOWN_ITEM`).
        items: the item id mapping, fitted on training events.
        users: the user id mapping, fitted on training events.
        train: training sequences (encoded ids).
        validation: the validation :class:`EvaluationSet`.
        test: the test :class:`EvaluationSet`.
        repeats: whether a user interacts with the same item twice in the training events
            (then seen items are not excluded: :attr:`EvaluationSet.exclude_seen`).
        reports: what the split and the encoding did (targets unknown to training, validation
            events left out of the test histories).
    """

    split: Split
    items: IdMapping
    users: IdMapping
    train: Sequences
    validation: EvaluationSet
    test: EvaluationSet
    repeats: bool
    reports: tuple[StepReport, ...] = ()

    @property
    def num_items(self) -> int:
        """:math:`N`, the number of items known from training."""
        return int(self.items.num_items)

    @property
    def num_users(self) -> int:
        """:math:`U`, the number of users known from training (ids ``1..U``)."""
        return int(self.users.num_items)

    def item_counts(self) -> np.ndarray:
        """Training events per item id, ``(N + 1,)`` (index 0, padding, is 0)."""
        return np.bincount(self.train.items, minlength=self.num_items + 1).astype(np.int64)

    def subsample_training(self, share: float, *, seed: int = 0) -> NextItemData:
        """The same data with the training and validation events of a share of the users only.

        The item and user mappings and the test set are unchanged, so models trained on
        growing shares of the users are measured on the same test users (a sequence model
        reads each test user's history, whether or not it trained on that user). The users
        are drawn with ``seed``; the shares are nested (a smaller share's users are among a
        larger one's).

        Example:
            >>> df = pd.DataFrame({"user_id": [1] * 3 + [2] * 3, "item_id": [1, 2, 3] * 2,
            ...                    "timestamp": range(6)})
            >>> small = prepare_next_item_data(df).subsample_training(0.5)
            >>> len(small.train), len(small.validation), len(small.test)
            (1, 1, 2)
        """
        if not 0 < share <= 1:
            raise ValueError(
                f"NextItemData.subsample_training: share must be in (0, 1], got {share}"
            )
        order = np.random.default_rng(seed).permutation(self.train.users)
        chosen = order[: max(1, round(share * len(order)))]
        train = self.train.subset(np.isin(self.train.users, chosen))
        validation = self.validation.subset(np.isin(self.validation.users, chosen))
        report = StepReport(
            "subsample_training",
            len(self.train.items),
            len(train.items),
            f"training and validation events of {len(chosen)} of {len(order)} users kept "
            f"(share {share}, seed {seed}); the test set is unchanged",
            {"users": len(chosen)},
        )
        return replace(self, train=train, validation=validation, reports=(*self.reports, report))

    def fingerprint(self) -> str:
        """A short hash of the mappings, the training events and the held-out targets.

        Two preparations of the same data give the same fingerprint; any change of users, items
        or events changes it (used to refuse resuming a run on other data).
        """
        digest = hashlib.sha256()
        for part in (
            self.items.raw_ids,
            self.users.raw_ids,
            self.train.offsets,
            self.train.items,
            self.validation.targets,
            self.test.targets,
        ):
            digest.update(np.ascontiguousarray(part, dtype="<i8").tobytes())
        return digest.hexdigest()[:16]


def has_repeats(sequences: Sequences) -> bool:
    """Whether some user has the same item more than once in ``sequences``.

    Example:
        >>> has_repeats(Sequences(np.array([1]), np.array([0, 3]), np.array([5, 6, 5]),
        ...                       np.zeros(3, dtype=np.int64)))
        True
    """
    rows = np.repeat(np.arange(len(sequences)), sequences.lengths)
    keys = rows * (int(sequences.items.max(initial=0)) + 1) + sequences.items
    return bool(len(np.unique(keys)) < len(keys))


def _encode_held_out(
    frame: pd.DataFrame, items: IdMapping, users: IdMapping
) -> tuple[pd.DataFrame, int]:
    out = frame.copy()
    out["item_id"] = items.encode(frame["item_id"], unknown=UNKNOWN_ITEM).astype(np.int64)
    out["user_id"] = users.encode(frame["user_id"]).astype(np.int64)
    return out, int((out["item_id"] == UNKNOWN_ITEM).sum())


def _evaluation_set(history: Sequences, targets: pd.DataFrame, exclude_seen: bool) -> EvaluationSet:
    longest = int(history.lengths.max()) if len(history) else 1
    arrays = evaluation_arrays(history, targets, max(longest, 1))
    if len(arrays["target"]) != len(targets):  # cannot happen: held-out users have training events
        raise RuntimeError("prepare_next_item_data: a held-out event's user has no history")
    return EvaluationSet(
        arrays["inputs"].astype(np.int64),
        arrays["target"].astype(np.int64),
        arrays["user"],
        exclude_seen,
    )


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
        A :class:`NextItemData`; its :attr:`~NextItemData.reports` say how many held-out items
        were unknown to training.

    Example:
        >>> df = pd.DataFrame({"user_id": [7] * 4 + [9] * 4, "item_id": [1, 2, 3, 2, 3, 2, 1, 5],
        ...                    "timestamp": range(8)})
        >>> d = prepare_next_item_data(df)            # item 5 is first seen in the test split
        >>> d.num_users, d.num_items, d.validation.targets.tolist(), d.test.targets.tolist()
        (2, 3, [3, 1], [2, -1])
        >>> d.test.target_counts(), d.test.exclude_seen
        ({'first-time': 0, 'repeat': 1, 'unknown': 1}, True)
    """
    split = leave_last_out(interactions, tie_break=tie_break)
    items = IdMapping.fit(split.train["item_id"])
    users = IdMapping.fit(split.train["user_id"])
    return next_item_data_from_split(split, items, users, tie_break=tie_break)


def next_item_data_from_split(
    split: Split, items: IdMapping, users: IdMapping, *, tie_break: str = "input_order"
) -> NextItemData:
    """:func:`prepare_next_item_data` for a raw split and id mappings chosen by the caller.

    Every user of ``split`` must be in ``users`` and every training item in ``items``;
    ``items`` may hold more items than the training events (a catalogue with items nobody has
    clicked yet: :func:`reclab.evaluation.cold_start_split`).
    """
    train = split.train.copy()
    train["item_id"] = items.encode(train["item_id"]).astype(np.int64)
    train["user_id"] = users.encode(train["user_id"]).astype(np.int64)
    validation, unknown_val = _encode_held_out(split.validation, items, users)
    test, unknown_test = _encode_held_out(split.test, items, users)
    train_sequences = Sequences.from_interactions(train, tie_break)
    repeats = has_repeats(train_sequences)
    known_val = validation[validation["item_id"] != UNKNOWN_ITEM]
    both = pd.concat([train, known_val], ignore_index=True)
    history = Sequences.from_interactions(both, tie_break)
    reports = (
        split.report,
        StepReport(
            "unknown_targets",
            len(validation) + len(test),
            len(validation) + len(test),
            "held-out items never seen in training are kept as misses (UNKNOWN_ITEM); their "
            "validation events are left out of the test histories",
            {
                "validation_unknown": unknown_val,
                "test_unknown": unknown_test,
                "repeats_in_training": repeats,
                "exclude_seen": not repeats,
            },
        ).log(logger),
    )
    encoded = Split(train, validation, test, split.report)
    return NextItemData(
        split=encoded,
        items=items,
        users=users,
        train=train_sequences,
        validation=_evaluation_set(train_sequences, validation, not repeats),
        test=_evaluation_set(history, test, not repeats),
        repeats=repeats,
        reports=reports,
    )
