"""Per-user sequences in time order, stored flat (CSR): one array of items and per-user offsets.

For users :math:`u_1, \\dots, u_U`, ``items[offsets[k]:offsets[k + 1]]`` is
:math:`S_{u_k} = (s_1, \\dots, s_{T_{u_k}})`, oldest first. Nothing is padded here; padding and
truncation happen in :mod:`reclab.data.batching`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reclab.data.preprocessing import sort_chronologically

__all__ = ["Sequences"]


@dataclass(frozen=True)
class Sequences:
    """Users' item sequences, oldest event first.

    Attributes:
        users: shape ``(U,)`` int64, the user ids, ascending.
        offsets: shape ``(U + 1,)`` int64, ``offsets[0] == 0``, ``offsets[-1] == E``.
        items: shape ``(E,)`` int64, item ids of all events, user by user, in time order.
        timestamps: shape ``(E,)`` int64, the events' times.

    Example:
        >>> df = pd.DataFrame({"user_id": [2, 1, 2], "item_id": [7, 5, 6],
        ...                    "timestamp": [30, 10, 20]})
        >>> seqs = Sequences.from_interactions(df)
        >>> seqs.users.tolist(), seqs.lengths.tolist(), seqs[1].tolist()
        ([1, 2], [1, 2], [6, 7])
    """

    users: np.ndarray
    offsets: np.ndarray
    items: np.ndarray
    timestamps: np.ndarray

    @classmethod
    def from_interactions(cls, frame: pd.DataFrame, tie_break: str = "input_order") -> Sequences:
        """Group events by user in time order (see :func:`sort_chronologically` for ties)."""
        ordered = sort_chronologically(frame, tie_break)
        user_col = ordered["user_id"].to_numpy(dtype=np.int64)
        users, counts = np.unique(user_col, return_counts=True)
        offsets = np.zeros(len(users) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(
            users,
            offsets,
            ordered["item_id"].to_numpy(dtype=np.int64),
            ordered["timestamp"].to_numpy(dtype=np.int64),
        )

    @classmethod
    def from_lists(cls, lists: list[list[int]]) -> Sequences:
        """Sequences from one list of item ids per user (users ``1..U``, timestamps ``0..E-1``).

        The inverse of :meth:`to_list`, for small examples and tests.

        Example:
            >>> Sequences.from_lists([[4, 5, 6], [7]]).offsets.tolist()
            [0, 3, 4]
        """
        lengths = np.array([len(s) for s in lists], dtype=np.int64)
        items = np.array([i for s in lists for i in s], dtype=np.int64)
        offsets = np.zeros(len(lists) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        users = np.arange(1, len(lists) + 1, dtype=np.int64)
        return cls(users, offsets, items, np.arange(len(items), dtype=np.int64))

    @property
    def lengths(self) -> np.ndarray:
        """Shape ``(U,)``: :math:`T_u` for every user."""
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.users)

    def __getitem__(self, k: int) -> np.ndarray:
        """The ``k``-th user's items (by position in :attr:`users`, not by user id)."""
        return self.items[self.offsets[k] : self.offsets[k + 1]]

    def subset(self, rows: np.ndarray) -> Sequences:
        """The users at positions ``rows`` (a boolean mask or sorted indices), in order.

        Example:
            >>> Sequences.from_lists([[4, 5], [6], [7, 8, 9]]).subset(np.array([0, 2])).to_list()
            [array([4, 5]), array([7, 8, 9])]
        """
        keep = np.zeros(len(self), bool)
        keep[rows] = True
        events = np.repeat(keep, self.lengths)
        offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(self.lengths[keep], out=offsets[1:])
        return Sequences(self.users[keep], offsets, self.items[events], self.timestamps[events])

    def to_list(self) -> list[np.ndarray]:
        """One array per user (a Python list: for small data and tests)."""
        return np.split(self.items, self.offsets[1:-1])
