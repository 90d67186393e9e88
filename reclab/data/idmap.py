"""Contiguous ids: raw user/item ids -> 1..N, with 0 reserved for padding, and back again.

The mapping is fitted on *training* data (:meth:`IdMapping.fit`), so nothing about validation or
test events leaks into the vocabulary; events whose item the training data never saw are dropped
by :func:`encode_interactions` with a report (a model cannot score an item it has no embedding
for). Encoded ids are assigned in ascending order of raw id, so the mapping is deterministic.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclab.data.reports import StepReport

__all__ = ["PADDING_ID", "UNKNOWN_ITEM", "IdMapping", "encode_interactions"]

logger = logging.getLogger(__name__)

#: The id of padding positions in every encoded sequence.
PADDING_ID = 0

#: The encoded id of a held-out item that the training data never saw (no model can rank it;
#: the evaluators count it as a miss). Only held-out targets ever carry it.
UNKNOWN_ITEM = -1


@dataclass(frozen=True)
class IdMapping:
    """A bijection between raw ids and ``1..N`` (0 is padding).

    Attributes:
        raw_ids: shape ``(N,)``, sorted ascending: ``raw_ids[k - 1]`` is the raw id of encoded
            id ``k``.

    Example:
        >>> m = IdMapping.fit([30, 10, 30, 20])
        >>> m.num_ids, m.encode([20, 30]).tolist(), m.decode([1, 3]).tolist()
        (4, [2, 3], [10, 30])
    """

    raw_ids: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray | pd.Series | list[int]) -> IdMapping:
        """Build the mapping from the distinct raw ids in ``values`` (e.g. training item ids)."""
        return cls(np.unique(np.asarray(values, dtype=np.int64)))

    @property
    def num_items(self) -> int:
        """``N``, the number of real ids."""
        return len(self.raw_ids)

    @property
    def num_ids(self) -> int:
        """``N + 1``: the size of an embedding table with the padding row 0."""
        return len(self.raw_ids) + 1

    def contains(self, values: np.ndarray | pd.Series | list[int]) -> np.ndarray:
        """Boolean mask, same shape as ``values``: True where the raw id is in the mapping."""
        values = np.asarray(values, dtype=np.int64)
        if len(self.raw_ids) == 0:
            return np.zeros(values.shape, dtype=bool)
        pos = np.minimum(np.searchsorted(self.raw_ids, values), len(self.raw_ids) - 1)
        return self.raw_ids[pos] == values

    def encode(
        self, values: np.ndarray | pd.Series | list[int], *, unknown: int | None = None
    ) -> np.ndarray:
        """Raw ids -> encoded ids ``1..N`` (int32, same shape).

        Args:
            values: raw ids.
            unknown: the id to give raw ids that are not in the mapping (e.g.
                :data:`UNKNOWN_ITEM` for held-out targets); ``None`` raises instead.

        Raises:
            KeyError: a raw id that is not in the mapping (named in the message), when
                ``unknown`` is ``None``.

        Example:
            >>> IdMapping.fit([10, 30]).encode([30, 99], unknown=UNKNOWN_ITEM).tolist()
            [2, -1]
        """
        values = np.asarray(values, dtype=np.int64)
        known = self.contains(values)
        if not known.all() and unknown is None:
            bad = values[~known]
            raise KeyError(
                f"IdMapping.encode: {bad.size} raw id(s) not in the mapping, e.g. {int(bad[0])}; "
                "the mapping was fitted on other data (drop or map them with encode_interactions)"
            )
        encoded = np.searchsorted(self.raw_ids, values) + 1
        return np.where(known, encoded, unknown if unknown is not None else 0).astype(np.int32)

    def fingerprint(self) -> str:
        """A short hash of the raw ids behind ``1..N``: equal for equal mappings.

        Example:
            >>> IdMapping.fit([10, 20]).fingerprint() == IdMapping.fit([20, 10]).fingerprint()
            True
        """
        digest = hashlib.sha256(np.ascontiguousarray(self.raw_ids, dtype="<i8").tobytes())
        return f"{len(self.raw_ids)}-{digest.hexdigest()[:16]}"

    def decode(self, ids: np.ndarray | list[int]) -> np.ndarray:
        """Encoded ids ``1..N`` -> raw ids (int64, same shape).

        Raises:
            ValueError: an id outside ``1..N`` (0 is padding and has no raw id).
        """
        ids = np.asarray(ids, dtype=np.int64)
        bad = (ids < 1) | (ids > len(self.raw_ids))
        if bad.any():
            raise ValueError(
                f"IdMapping.decode: id {int(ids[bad][0])} is outside 1..{len(self.raw_ids)} "
                "(0 is padding)"
            )
        return self.raw_ids[ids - 1]


def encode_interactions(
    frame: pd.DataFrame,
    items: IdMapping,
    users: IdMapping | None = None,
    *,
    unknown: str = "drop",
) -> tuple[pd.DataFrame, StepReport]:
    """Replace raw ``item_id`` (and ``user_id``) by encoded ids.

    Args:
        frame: the interaction schema.
        items: the item mapping (fitted on training data).
        users: the user mapping, or ``None`` to keep raw user ids.
        unknown: ``"drop"`` removes events whose item (or user) is not in the mapping and
            reports how many; ``"raise"`` raises ``KeyError`` instead.

    Returns:
        ``(encoded, report)``, with the same columns, ``item_id`` (and ``user_id``) as int64 encoded
        ids in ``1..N``, rows in input order.

    Example:
        >>> train = pd.DataFrame({"user_id": [1, 1], "item_id": [10, 30], "timestamp": [0, 1]})
        >>> test = pd.DataFrame({"user_id": [1, 1], "item_id": [30, 99], "timestamp": [2, 3]})
        >>> encoded, report = encode_interactions(test, IdMapping.fit(train.item_id))
        >>> encoded.item_id.tolist(), report.rows_dropped
        ([2], 1)
    """
    if unknown not in ("drop", "raise"):
        raise ValueError(f"encode_interactions: unknown={unknown!r}; expected 'drop' or 'raise'")
    keep = items.contains(frame["item_id"].to_numpy())
    unknown_items = int((~keep).sum())
    unknown_users = 0
    if users is not None:
        known_user = users.contains(frame["user_id"].to_numpy())
        unknown_users = int((keep & ~known_user).sum())
        keep &= known_user
    if unknown == "raise" and not keep.all():
        raise KeyError(
            f"encode_interactions: {unknown_items} event(s) with unknown items and "
            f"{unknown_users} with unknown users; pass unknown='drop' to drop them"
        )
    out = frame.loc[keep].copy()
    out["item_id"] = items.encode(out["item_id"].to_numpy()).astype(np.int64)
    if users is not None:
        out["user_id"] = users.encode(out["user_id"].to_numpy()).astype(np.int64)
    out = out.reset_index(drop=True)
    report = StepReport(
        "encode_interactions",
        len(frame),
        len(out),
        "events whose item or user is not in the mapping fitted on training data",
        {"unknown_items": unknown_items, "unknown_users": unknown_users},
    )
    return out, report.log(logger)
