"""Two recommenders built from counts, no training: most-popular and first-order Markov transitions.

They are the cheapest reference points for any sequential recommender and belong in every
results table: a model that does not beat "what most people clicked" and "what usually came
next after this item" has learned nothing worth its cost. Both implement
:class:`reclab.models.Scorer`: histories ``(B, L)`` (left-padded with 0) in, scores
``(B, N + 1)`` out, column 0 (padding) ``-inf``.

Both are fitted on training sequences, given either as a :class:`reclab.data.Sequences` or as a
``(U, L)`` integer array left-padded with 0 (what :func:`reclab.data.left_pad` returns).

Example:
    >>> train = np.array([[1, 2, 3], [0, 1, 2]])      # two users, ids 1..3, 0 = padding
    >>> Popularity(3).fit(train).score(np.array([[0, 1]])).tolist()
    [[-inf, 2.0, 2.0, 1.0]]
    >>> MarkovChain(3).fit(train).score(np.array([[3, 1], [0, 2]])).tolist()
    [[-inf, 0.0, 2.0, 0.0], [-inf, 0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import numpy as np

from reclab.checks import id_matrix, number_at_least, positive_int
from reclab.data.sequences import Sequences
from reclab.formulas import implements

__all__ = ["MarkovChain", "Popularity"]


def _events_and_pairs(
    sequences: Sequences | np.ndarray, num_items: int, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All item ids of the training events, and the (previous, next) pairs within each user.

    Returns ``(items (E,), previous (P,), following (P,))``, padding removed.
    """
    if isinstance(sequences, Sequences):
        items = np.asarray(sequences.items, dtype=np.int64)
        same_user = np.ones(max(len(items) - 1, 0), dtype=bool)
        same_user[sequences.offsets[1:-1] - 1] = False  # no pair across two users
        prev, nxt = items[:-1][same_user], items[1:][same_user]
    else:
        x = id_matrix(sequences, "sequences", where, shape="reclab.data.Sequences or a (U, L)")
        items = x[x > 0].astype(np.int64)
        prev, nxt = x[:, :-1].reshape(-1), x[:, 1:].reshape(-1)
        keep = (prev > 0) & (nxt > 0)
        prev, nxt = prev[keep].astype(np.int64), nxt[keep].astype(np.int64)
    if items.size and (items.min() < 1 or items.max() > num_items):
        raise ValueError(
            f"{where}: sequences hold item ids outside [1, {num_items}] (num_items={num_items}); "
            "ids must come from the same id mapping as the model's num_items"
        )
    return items, prev, nxt


def _check_fitted(counts: np.ndarray | None, where: str) -> np.ndarray:
    if counts is None:
        raise ValueError(f"{where}: the model is not fitted; call .fit(sequences) first")
    return counts


@implements("eq-popularity")
class Popularity:
    r"""Most-popular: every user gets the same scores, the item's number of training events.

    .. math::
        s_{\mathrm{pop}}(i) = c(i) = \sum_{u} \sum_{t=1}^{T_u} [\, s^u_t = i \,]

    Args:
        num_items: :math:`N`; item ids are ``1..N``, 0 is padding.

    Example:
        >>> pop = Popularity(4).fit(np.array([[0, 1, 2], [2, 2, 3]]))
        >>> pop.counts.tolist()                  # c(i) for ids 0..4 (0 = padding)
        [0.0, 1.0, 3.0, 1.0, 0.0]
        >>> pop.score(np.array([[0, 1]])).tolist()
        [[-inf, 1.0, 3.0, 1.0, 0.0]]
    """

    def __init__(self, num_items: int) -> None:
        self.num_items = positive_int(num_items, "num_items", "Popularity")
        self.counts: np.ndarray | None = None  # (N + 1,) float64, counts[0] = 0

    def fit(self, sequences: Sequences | np.ndarray) -> Popularity:
        """Count each item's training events; returns ``self``."""
        items, _, _ = _events_and_pairs(sequences, self.num_items, "Popularity.fit")
        counts = np.bincount(items, minlength=self.num_items + 1).astype(np.float64)
        counts[0] = 0.0
        self.counts = counts
        return self

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """``(B, N + 1)`` scores: :math:`c(i)` in every row, column 0 ``-inf``."""
        counts = _check_fitted(self.counts, "Popularity.score")
        h = id_matrix(histories, "histories", "Popularity.score")
        row = counts.copy()
        row[0] = -np.inf
        return np.tile(row, (len(h), 1))  # (B, N + 1)


@implements("eq-markov-transition")
class MarkovChain:
    r"""First-order Markov transitions: score item ``j`` by how often it followed the last item.

    .. math::
        s_{\mathrm{MC}}(j \mid s^u_{T}) = c(s^u_{T} \to j)
            + \lambda\, \frac{c(j)}{\max_k c(k)}

    where :math:`c(i \to j)` counts the times ``j`` came right after ``i`` in one user's
    training sequence, :math:`c(j)` is the popularity count and :math:`\lambda \ge 0` is
    ``popularity_weight``. Dividing the first term by :math:`c(i)` would give the maximum
    likelihood estimate of :math:`P(j \mid i)` but does not change the ranking within a row.
    With :math:`\lambda = 0` most items score 0 after a rarely seen item, so many scores tie
    and the tie policy decides a lot; a weight below 1 breaks those ties by popularity without
    overriding any observed transition. Counts are stored sparsely (CSR-style, sorted by the
    previous item), so memory grows with the number of distinct transitions, not :math:`N^2`.

    Args:
        num_items: :math:`N`; item ids are ``1..N``, 0 is padding.
        popularity_weight: :math:`\lambda \ge 0`.

    Example:
        >>> mc = MarkovChain(3).fit(np.array([[1, 2, 3], [0, 1, 2]]))
        >>> mc.score(np.array([[3, 1], [0, 2]])).tolist()   # after 1: 2 (twice); after 2: 3
        [[-inf, 0.0, 2.0, 0.0], [-inf, 0.0, 0.0, 1.0]]
        >>> mc.transition_counts(1).tolist()
        [0.0, 0.0, 2.0, 0.0]
    """

    def __init__(self, num_items: int, *, popularity_weight: float = 0.0) -> None:
        self.num_items = positive_int(num_items, "num_items", "MarkovChain")
        self.popularity_weight = number_at_least(
            popularity_weight, 0.0, "popularity_weight", "MarkovChain"
        )
        self._indptr: np.ndarray | None = None  # (N + 2,) row starts, by previous item
        self._next: np.ndarray | None = None  # (P,) following item of each distinct pair
        self._counts: np.ndarray | None = None  # (P,) c(i -> j) of each distinct pair
        self._prior: np.ndarray | None = None  # (N + 1,) lambda c(j) / max c, [0] = -inf

    def fit(self, sequences: Sequences | np.ndarray) -> MarkovChain:
        """Count transitions and popularity in the training sequences; returns ``self``."""
        n_ids = self.num_items + 1
        items, prev, nxt = _events_and_pairs(sequences, self.num_items, "MarkovChain.fit")
        codes, counts = np.unique(prev * n_ids + nxt, return_counts=True)
        sources = codes // n_ids  # sorted, so each source's pairs are contiguous
        self._next = codes % n_ids
        self._counts = counts.astype(np.float64)
        self._indptr = np.searchsorted(sources, np.arange(n_ids + 1))
        popularity = np.bincount(items, minlength=n_ids).astype(np.float64)
        popularity[0] = 0.0
        prior = self.popularity_weight * popularity / max(1.0, popularity.max())
        prior[0] = -np.inf
        self._prior = prior
        return self

    def transition_counts(self, previous: int) -> np.ndarray:
        """``(N + 1,)``: :math:`c(\\mathrm{previous} \\to j)` for every id ``j``."""
        indptr = _check_fitted(self._indptr, "MarkovChain.transition_counts")
        if not 0 <= int(previous) <= self.num_items:
            raise ValueError(
                f"MarkovChain.transition_counts: previous={previous!r} is not an id in "
                f"[0, {self.num_items}]"
            )
        out = np.zeros(self.num_items + 1)
        lo, hi = indptr[previous], indptr[previous + 1]
        out[self._next[lo:hi]] = self._counts[lo:hi]
        return out

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """``(B, N + 1)`` scores from each history's last column (its latest item)."""
        indptr = _check_fitted(self._indptr, "MarkovChain.score")
        h = id_matrix(histories, "histories", "MarkovChain.score")
        if h.size and (h.min() < 0 or h.max() > self.num_items):
            raise ValueError(f"MarkovChain.score: histories hold ids outside [0, {self.num_items}]")
        last = h[:, -1].astype(np.int64)  # (B,) left padding: the last column is the latest
        out = np.tile(self._prior, (len(h), 1))  # (B, N + 1)
        starts, lengths = indptr[last], indptr[last + 1] - indptr[last]
        rows = np.repeat(np.arange(len(h)), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        entries = np.repeat(starts, lengths) + offsets
        out[rows, self._next[entries]] += self._counts[entries]
        return out
