"""Descriptive statistics of an interaction table: the numbers and curves of a data chapter.

All functions take the interaction schema and return NumPy arrays, floats or a small DataFrame;
figures are drawn by :mod:`reclab.plotting` from these results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reclab.data.preprocessing import sort_chronologically

__all__ = [
    "dataset_summary",
    "item_popularity",
    "popularity_share",
    "repeat_rate",
    "sequence_lengths",
    "time_gaps",
]


def item_popularity(frame: pd.DataFrame) -> np.ndarray:
    """Events per item, sorted in decreasing order: shape ``(number of items,)`` int64.

    Example:
        >>> item_popularity(pd.DataFrame({"item_id": [3, 1, 3, 3, 2, 1]})).tolist()
        [3, 2, 1]
    """
    counts = frame["item_id"].value_counts().to_numpy(dtype=np.int64)
    return np.sort(counts)[::-1]


def popularity_share(counts: np.ndarray, top_fraction: float) -> float:
    """Share of all events that go to the most popular ``top_fraction`` of items.

    Args:
        counts: events per item (any order).
        top_fraction: in ``(0, 1]``; the number of top items is ``ceil(top_fraction * n)``.

    Example:
        >>> popularity_share(np.array([6, 2, 1, 1]), 0.25)   # the top item has 6 of 10 events
        0.6
    """
    if not 0 < top_fraction <= 1:
        raise ValueError(f"popularity_share: top_fraction={top_fraction}; expected in (0, 1]")
    counts = np.sort(np.asarray(counts))[::-1]
    top = int(np.ceil(top_fraction * len(counts)))
    return float(counts[:top].sum() / counts.sum())


def sequence_lengths(frame: pd.DataFrame) -> np.ndarray:
    """Events per user, :math:`T_u`, in ascending user id order: shape ``(U,)`` int64."""
    return frame.groupby("user_id").size().to_numpy(dtype=np.int64)


def time_gaps(frame: pd.DataFrame, tie_break: str = "input_order") -> np.ndarray:
    """Seconds between consecutive events of the same user: shape ``(E - U,)`` int64.

    Example:
        >>> df = pd.DataFrame({"user_id": [1, 1, 1, 2], "item_id": [1, 2, 3, 4],
        ...                    "timestamp": [0, 60, 3660, 5]})
        >>> time_gaps(df).tolist()
        [60, 3600]
    """
    ordered = sort_chronologically(frame, tie_break)
    t = ordered["timestamp"].to_numpy(dtype=np.int64)
    u = ordered["user_id"].to_numpy()
    same = u[1:] == u[:-1]
    return (t[1:] - t[:-1])[same]


def repeat_rate(frame: pd.DataFrame) -> float:
    """Share of events whose item the same user had already interacted with.

    Example:
        >>> repeat_rate(pd.DataFrame({"user_id": [1, 1, 1, 2], "item_id": [7, 7, 8, 7]}))
        0.25
    """
    if len(frame) == 0:
        return 0.0
    return float(frame.duplicated(["user_id", "item_id"]).mean())


def dataset_summary(frame: pd.DataFrame) -> dict[str, float]:
    """Headline numbers: users, items, events, density, lengths, time span, repeat rate.

    Returns:
        A dict with ``users``, ``items``, ``events``, ``density`` (events / (users * items)),
        ``median_length``, ``mean_length``, ``min_length``, ``max_length``, ``span_days``,
        ``repeat_rate``.
    """
    lengths = sequence_lengths(frame)
    users, items = len(lengths), int(frame["item_id"].nunique())
    span = frame["timestamp"].max() - frame["timestamp"].min() if len(frame) else 0
    return {
        "users": users,
        "items": items,
        "events": len(frame),
        "density": len(frame) / (users * items) if users and items else 0.0,
        "median_length": float(np.median(lengths)) if users else 0.0,
        "mean_length": float(lengths.mean()) if users else 0.0,
        "min_length": int(lengths.min()) if users else 0,
        "max_length": int(lengths.max()) if users else 0,
        "span_days": float(span / 86_400),
        "repeat_rate": repeat_rate(frame),
    }
