"""Negative sampling: items a user did not pick at this step, drawn uniformly or by popularity.

Sampling is exact and vectorised (see :class:`NegativeSampler` for the three methods): a
negative of positive :math:`p` is item :math:`j \\ne p` with probability
:math:`w_j / (W - w_p)`, :math:`W = \\sum_j w_j`. The positive is never returned; other items
of the user's history can be (the common convention of SASRec-style training; excluding a whole
history is a different, costlier sampler).
"""

from __future__ import annotations

import numpy as np

__all__ = ["NegativeSampler", "item_weights", "sample_negatives"]


def item_weights(
    num_items: int,
    distribution: str = "uniform",
    item_counts: np.ndarray | None = None,
    power: float = 1.0,
) -> np.ndarray:
    """Sampling weights over encoded ids ``0..N``: ``w[0] = 0`` (padding is never sampled).

    Args:
        num_items: ``N``, the number of real items (ids ``1..N``).
        distribution: ``"uniform"`` (every item weight 1) or ``"popularity"``
            (weight ``count ** power``).
        item_counts: shape ``(N + 1,)``, events per encoded id (index 0 ignored); required for
            ``"popularity"``, e.g. ``np.bincount(train.item_id, minlength=N + 1)``.
        power: exponent of the popularity weights (word2vec uses 0.75).

    Returns:
        Shape ``(N + 1,)`` float64.

    Example:
        >>> item_weights(3).tolist()
        [0.0, 1.0, 1.0, 1.0]
        >>> item_weights(3, "popularity", np.array([0, 5, 1, 0])).tolist()
        [0.0, 5.0, 1.0, 0.0]
    """
    if num_items < 2:
        raise ValueError(f"item_weights: num_items={num_items}; need at least 2 items")
    if distribution == "uniform":
        weights = np.ones(num_items + 1)
    elif distribution == "popularity":
        if item_counts is None:
            raise ValueError("item_weights: distribution='popularity' needs item_counts")
        counts = np.asarray(item_counts, dtype=np.float64)
        if counts.shape != (num_items + 1,) or (counts < 0).any():
            raise ValueError(
                f"item_weights: item_counts must be non-negative with shape ({num_items + 1},), "
                f"got shape {counts.shape}"
            )
        weights = counts**power
    else:
        raise ValueError(
            f"item_weights: distribution={distribution!r}; expected 'uniform' or 'popularity'"
        )
    weights[0] = 0.0
    return weights


class NegativeSampler:
    """Draws negatives from fixed weights, never the positive; the tables are built once.

    Three exact methods, chosen from the weights (same distribution, different speed):

    * uniform weights: an integer in ``1..N-1`` shifted past the positive (no rejection);
    * integer weights (event counts, ``power=1``): the item of a uniformly drawn *event* of
      a table that repeats item ``i`` ``w_i`` times, redrawn where it equals the positive
      (rejection leaves exactly :math:`w_j / (W - w_p)`);
    * other weights: inverse CDF with the positive's interval skipped (``searchsorted``).

    Args:
        weights: shape ``(N + 1,)`` from :func:`item_weights` (``weights[0]`` must be 0).

    Example:
        >>> sampler = NegativeSampler(item_weights(3))
        >>> neg = sampler.sample(np.array([1, 2, 3]), 4, np.random.default_rng(0))
        >>> neg.shape, bool((neg != np.array([1, 2, 3])[:, None]).all())
        ((3, 4), True)
    """

    #: Integer weights summing to at most this many use the event table (int32, 4 bytes each).
    MAX_TABLE = 50_000_000

    def __init__(self, weights: np.ndarray) -> None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1 or len(weights) < 3 or weights[0] != 0:
            raise ValueError(
                "NegativeSampler: weights must be 1-D with at least 2 items and weights[0] == 0 "
                "(padding); build them with item_weights()"
            )
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("NegativeSampler: weights must be finite and non-negative")
        self.weights = weights
        self.num_items = len(weights) - 1
        self.cumulative = np.cumsum(weights)
        self.total = float(self.cumulative[-1])
        real = weights[1:]
        if (real == real[0]).all() and real[0] > 0:
            self.method = "uniform"
        elif (real == np.round(real)).all() and self.total <= self.MAX_TABLE:
            self.method = "table"
            ids = np.arange(len(weights), dtype=np.int32)
            self.table = np.repeat(ids, weights.astype(np.int64))
        else:
            self.method = "cdf"

    def sample(
        self, positives: np.ndarray, num_negatives: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``num_negatives`` items per positive (see :func:`sample_negatives`)."""
        positives = np.asarray(positives, dtype=np.int64)
        if positives.size and (positives.min() < 0 or positives.max() > self.num_items):
            raise ValueError(
                f"sample_negatives: positive ids must be in 0..{self.num_items}, got "
                f"{positives.min()}..{positives.max()}"
            )
        if positives.size and (self.total - self.weights[positives] <= 0).any():
            raise ValueError(
                "sample_negatives: a positive holds all the weight; nothing else to draw"
            )
        shape = (*positives.shape, num_negatives)
        pos = positives[..., None]
        if self.method == "uniform":
            real = pos >= 1
            draw = rng.integers(1, self.num_items + 1 - real, size=shape)  # 1..N-1 or 1..N
            return (draw + (real & (draw >= pos))).astype(np.int32)
        if self.method == "table":
            negatives = self.table[rng.integers(0, len(self.table), size=shape)]
            clash = negatives == pos
            while clash.any():
                idx = np.nonzero(clash)
                negatives[idx] = self.table[rng.integers(0, len(self.table), size=len(idx[0]))]
                clash = negatives == pos
            return negatives.astype(np.int32)
        w_pos = self.weights[pos]
        before = self.cumulative[pos] - w_pos  # weight of the ids below the positive
        x = rng.random(shape) * (self.total - w_pos)
        x = x + w_pos * (x >= before)  # jump over the positive's interval
        negatives = np.minimum(np.searchsorted(self.cumulative, x, side="right"), self.num_items)
        # Floating-point rounding of non-integer weights can land on the positive or on a
        # zero-weight item in rare cases: redraw those by rejection.
        clash = (negatives == pos) | (self.weights[negatives] == 0)
        while clash.any():
            idx = np.nonzero(clash)
            redraw = rng.choice(len(self.weights), size=len(idx[0]), p=self.weights / self.total)
            negatives[idx] = redraw
            clash = (negatives == pos) | (self.weights[negatives] == 0)
        return negatives.astype(np.int32)


def sample_negatives(
    positives: np.ndarray,
    num_negatives: int,
    weights: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw ``num_negatives`` items per positive from ``weights``, never the positive itself.

    Each negative of positive :math:`p` is item :math:`j \\ne p` with probability
    :math:`w_j / (W - w_p)`. For repeated calls with the same weights, build a
    :class:`NegativeSampler` once and call its ``sample``.

    Args:
        positives: any shape ``S``, encoded ids in ``0..N`` (0 = padding: nothing excluded).
        num_negatives: negatives per positive.
        weights: shape ``(N + 1,)`` from :func:`item_weights`.
        rng: the random generator (the only source of randomness).

    Returns:
        Shape ``S + (num_negatives,)``, int32 ids in ``1..N``, each different from its positive.
        With replacement: the same negative can appear twice for one positive.

    Raises:
        ValueError: a positive outside ``0..N``, or a positive that holds all the weight.

    Example:
        >>> w = item_weights(3)
        >>> neg = sample_negatives(np.array([1, 2, 3]), 4, w, np.random.default_rng(0))
        >>> neg.shape, bool((neg != np.array([1, 2, 3])[:, None]).all())
        ((3, 4), True)
    """
    return NegativeSampler(weights).sample(positives, num_negatives, rng)
