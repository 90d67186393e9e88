"""Top-K lists from scores: the items a model would show, best first.

The evaluators' list metrics (coverage, popularity) and :func:`reclab.recommend.top_k` both take
their lists from :func:`top_k_ids`, so what is measured is what is recommended.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reclab.checks import positive_int

__all__ = ["top_k_ids"]


def top_k_ids(scores: Any, k: int, *, exclude: np.ndarray | None = None) -> np.ndarray:
    """The ``k`` best item ids of each row, best first; ties go to the lower id.

    Args:
        scores: ``(B, n_ids)`` scores; column 0 (padding) is never listed, nor is an item
            scoring ``-inf``.
        k: list length (at most ``n_ids - 1``; shorter lists are padded with id 0).
        exclude: ``(B, n_ids)`` boolean mask of items never to list (e.g. seen items).

    Returns:
        ``(B, k)`` item ids, 0 in empty slots.

    Example:
        >>> top_k_ids(np.array([[0.0, 0.2, 0.9, 0.9]]), 2).tolist()   # 2 and 3 tie: 2 first
        [[2, 3]]
        >>> top_k_ids(np.array([[0.0, 0.2, 0.9, 0.9]]), 2, exclude=np.array([[0, 0, 1, 0]],
        ...           bool)).tolist()
        [[3, 1]]
    """
    ids, _ = top_k_with_scores(scores, k, exclude=exclude)
    return ids


def top_k_with_scores(
    scores: Any, k: int, *, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`top_k_ids` and the listed scores ``(B, k)`` (``-inf`` in empty slots)."""
    s = np.array(scores, dtype=np.float64)  # a copy: the caller's scores are not changed
    if s.ndim != 2 or s.shape[1] < 2:
        raise ValueError(f"top_k_ids: scores must have shape (B, n_ids), got {s.shape}")
    positive_int(k, "k", "top_k_ids")
    s[:, 0] = -np.inf
    if exclude is not None:
        s[np.asarray(exclude, bool)] = -np.inf
    k = min(int(k), s.shape[1] - 1)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]  # (B, k); stable: ties -> lower id
    best = np.take_along_axis(s, order, axis=1)
    return np.where(np.isneginf(best), 0, order), best
