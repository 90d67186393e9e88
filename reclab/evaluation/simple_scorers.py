"""Two models built from counts, no training: popularity and first-order Markov transitions.

They are the cheapest reference points for any sequential recommender, and enough to show
how an evaluation protocol can change which model "wins". Each returns a scoring function in
the form the evaluators take: histories ``(B, L)`` (left-padded with 0) -> scores
``(B, n_ids)``, column 0 (padding) set to ``-inf``. ``reclab.models`` has the trained
baselines; these stay small on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _sequences(sequences: np.ndarray, n_ids: int, where: str) -> np.ndarray:
    x = np.asarray(sequences)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(
            f"{where}: sequences must be a (U, L) integer array left-padded with 0, got shape "
            f"{x.shape} and dtype {x.dtype}"
        )
    if x.size and (x.min() < 0 or x.max() >= n_ids):
        raise ValueError(f"{where}: sequences hold ids outside [0, {n_ids - 1}] (n_ids={n_ids})")
    return x


def popularity_scorer(sequences: np.ndarray, n_ids: int) -> Callable[[np.ndarray], np.ndarray]:
    """Score every item by how often it occurs in the training ``sequences``; same for all users.

    Example:
        >>> score = popularity_scorer(np.array([[0, 1, 2], [2, 2, 3]]), n_ids=5)
        >>> score(np.array([[0, 1]])).tolist()     # counts of ids 1..4: 1, 3, 1, 0
        [[-inf, 1.0, 3.0, 1.0, 0.0]]
    """
    x = _sequences(sequences, n_ids, "popularity_scorer")
    counts = np.bincount(x.reshape(-1), minlength=n_ids).astype(np.float64)
    counts[0] = -np.inf

    def score(histories: np.ndarray) -> np.ndarray:
        return np.tile(counts, (len(histories), 1))

    return score


def transition_scorer(
    sequences: np.ndarray, n_ids: int, *, popularity_weight: float = 0.0
) -> Callable[[np.ndarray], np.ndarray]:
    """Score item ``j`` by how often it followed the user's last item in training.

    ``score(j | i) = count(i -> j) + popularity_weight * count(j) / max count``: with
    ``popularity_weight=0`` most items score 0 after a rarely seen item, so many scores tie
    (the tie policy then decides a lot); a small weight below 1 breaks those ties by
    popularity without overriding any observed transition. Counts are stored sparsely
    (sorted pairs), so memory grows with the number of distinct transitions, not ``n_ids^2``.

    Example:
        >>> score = transition_scorer(np.array([[1, 2, 3], [0, 1, 2]]), n_ids=4)
        >>> score(np.array([[3, 1], [0, 2]])).tolist()    # after 1: 2 (twice); after 2: 3
        [[-inf, 0.0, 2.0, 0.0], [-inf, 0.0, 0.0, 1.0]]
    """
    x = _sequences(sequences, n_ids, "transition_scorer")
    if popularity_weight < 0:
        raise ValueError(
            f"transition_scorer: popularity_weight must be >= 0, got {popularity_weight}"
        )
    prev, nxt = x[:, :-1].reshape(-1), x[:, 1:].reshape(-1)
    keep = (prev > 0) & (nxt > 0)
    codes, counts = np.unique(prev[keep].astype(np.int64) * n_ids + nxt[keep], return_counts=True)
    sources, destinations = codes // n_ids, codes % n_ids  # sorted by source
    indptr = np.searchsorted(sources, np.arange(n_ids + 1))
    popularity = np.bincount(x.reshape(-1), minlength=n_ids).astype(np.float64)
    popularity[0] = 0.0
    prior = popularity_weight * popularity / max(1.0, popularity.max())
    prior[0] = -np.inf

    def score(histories: np.ndarray) -> np.ndarray:
        h = np.asarray(histories)
        last = h[:, -1].astype(np.int64)  # left padding: the last column is the latest item
        out = np.tile(prior, (len(h), 1))
        starts, lengths = indptr[last], indptr[last + 1] - indptr[last]
        rows = np.repeat(np.arange(len(h)), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        entries = np.repeat(starts, lengths) + offsets
        out[rows, destinations[entries]] += counts[entries]
        return out

    return score
