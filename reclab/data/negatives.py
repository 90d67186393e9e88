r"""Negative sampling: items a user did not pick at this step, drawn uniformly or by popularity.

Sampling is exact and vectorised (see :class:`NegativeSampler` for the three methods): a
negative of positive :math:`p` is item :math:`j \ne p` with probability
:math:`w_j / (W - w_p)`, :math:`W = \sum_j w_j`.

By default only the positive itself is excluded: the user's *other* items (earlier or later in
the history) *can* be drawn as negatives. Many implementations do this, and it is cheaper. The
papers' samplers do not: the official SASRec code draws each negative with
``random_neq(1, itemnum + 1, ts)``, which excludes every item of the user's training sequence,
and NCF (He et al., 2017) and BPR (Rendle et al., 2009) sample negatives among the items the user
has not interacted with. Pass ``exclude=`` (an :class:`ExcludedItems`, e.g. built with
:meth:`ExcludedItems.from_sequences` from the training sequences) and ``rows=`` to get the
papers' rule: negative :math:`j` of positive :math:`p` for user :math:`u` then has probability

.. math::

    P(j \mid u, p) = \frac{w_j}{\sum_{k \notin H_u \cup \{p\}} w_k},
    \qquad j \notin H_u \cup \{p\},

with :math:`H_u` the user's excluded items. It matters: on MovieLens latest-small after the
book's 5-core filtering (3,650 items), about 13 % of the uniform draws for the training events
are one of the user's own positives, and 58 % for the heaviest user; such "negatives" teach the
model to rank items the user chose below others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from reclab.data.sequences import Sequences

__all__ = [
    "NEGATIVE_SHARING",
    "ExcludedItems",
    "NegativeSampler",
    "item_weights",
    "sample_negatives",
]

#: How the negatives of a training batch are drawn: ``"per-position"`` (``M`` for every
#: position, never its positive; :meth:`NegativeSampler.sample`), ``"shared"`` (one set of
#: ``M`` for the whole batch from the proposal; :meth:`NegativeSampler.shared`) or
#: ``"in-batch"`` (one set of ``M`` drawn from the batch's own targets, as TensorFlow
#: Recommenders' retrieval task uses the other rows' positives). With a shared set a negative
#: can equal a position's positive or one of the user's items: the loss removes those
#: "accidental hits" (:func:`reclab.losses.remove_accidental_hits`).
NEGATIVE_SHARING = ("per-position", "shared", "in-batch")


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


def _align_rows(rows: np.ndarray, shape: tuple[int, ...], where: str) -> np.ndarray:
    """``rows`` (shape a prefix of ``shape``) with trailing axes of length 1, to broadcast."""
    if rows.ndim > len(shape) or rows.shape != shape[: rows.ndim]:
        raise ValueError(
            f"{where}: rows has shape {rows.shape}; expected the leading axes of shape {shape} "
            f"(one row per example, e.g. {shape[:1]}, or one per position, {shape})"
        )
    return rows.reshape(rows.shape + (1,) * (len(shape) - rows.ndim))


@dataclass(frozen=True, eq=False)
class ExcludedItems:
    r"""For each row (a user, a training example), the set of items never to draw as a negative.

    Stored as one sorted array of keys :math:`r \cdot (N + 1) + i`, one per distinct
    (row, item) pair, so that membership of any number of (row, item) pairs is one
    ``np.searchsorted``. Built once, e.g. from the training sequences, and passed as
    ``exclude=`` to :meth:`NegativeSampler.sample` or :func:`sample_negatives`.

    Attributes:
        keys: shape ``(K,)`` int64, sorted and unique: ``row * (num_items + 1) + item``.
        num_rows: rows are ``0..num_rows - 1``.
        num_items: items are ``0..num_items`` (``N``; item ids above it are never excluded).

    Example:
        >>> excluded = ExcludedItems.from_pairs(np.array([0, 0, 1]), np.array([3, 1, 2]))
        >>> excluded.items_of(0).tolist(), excluded.items_of(1).tolist()
        ([1, 3], [2])
        >>> excluded.contains(np.array([0, 1]), np.array([[1, 2], [1, 2]])).tolist()
        [[True, False], [False, True]]
    """

    keys: np.ndarray
    num_rows: int
    num_items: int

    def __post_init__(self) -> None:
        keys = np.asarray(self.keys, dtype=np.int64)
        if keys.ndim != 1 or (len(keys) > 1 and (np.diff(keys) <= 0).any()):
            raise ValueError("ExcludedItems: keys must be 1-D, sorted and unique")
        stride = self.num_items + 1
        if len(keys) and (keys[0] < 0 or keys[-1] >= self.num_rows * stride):
            raise ValueError("ExcludedItems: keys out of range for num_rows and num_items")
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "num_rows", int(self.num_rows))
        object.__setattr__(self, "num_items", int(self.num_items))

    @classmethod
    def from_pairs(
        cls,
        rows: np.ndarray,
        items: np.ndarray,
        *,
        num_rows: int | None = None,
        num_items: int | None = None,
    ) -> ExcludedItems:
        """Exclude ``items[k]`` for row ``rows[k]``, for every ``k`` (repeats are fine).

        Args:
            rows: shape ``(K,)``, non-negative row indices.
            items: shape ``(K,)``, non-negative (encoded) item ids.
            num_rows: the number of rows (default ``max(rows) + 1``): rows without items
                exclude nothing.
            num_items: ``N``, the largest item id (default ``max(items)``).
        """
        rows = np.asarray(rows, dtype=np.int64).ravel()
        items = np.asarray(items, dtype=np.int64).ravel()
        if rows.shape != items.shape:
            raise ValueError(
                f"ExcludedItems.from_pairs: rows and items must have the same shape, got "
                f"{rows.shape} and {items.shape}"
            )
        if len(rows) and (rows.min() < 0 or items.min() < 0):
            raise ValueError("ExcludedItems.from_pairs: rows and items must be non-negative")
        if num_rows is None:
            num_rows = int(rows.max()) + 1 if len(rows) else 0
        if num_items is None:
            num_items = int(items.max()) if len(items) else 0
        if len(rows) and rows.max() >= num_rows:
            raise ValueError(
                f"ExcludedItems.from_pairs: num_rows={num_rows} but a row is {rows.max()}"
            )
        if len(items) and items.max() > num_items:
            raise ValueError(
                f"ExcludedItems.from_pairs: num_items={num_items} but an item is {items.max()}"
            )
        if num_rows * (num_items + 1) > np.iinfo(np.int64).max:
            raise ValueError("ExcludedItems.from_pairs: num_rows * (num_items + 1) overflows int64")
        return cls(np.unique(rows * (num_items + 1) + items), num_rows, num_items)

    @classmethod
    def from_sequences(cls, sequences: Sequences, *, num_items: int | None = None) -> ExcludedItems:
        """Exclude each user's items: row ``k`` holds the items of ``sequences[k]``.

        So ``rows`` for sampling are positions in ``sequences.users`` (not user ids).

        Args:
            sequences: e.g. the encoded training sequences (ids ``1..N``).
            num_items: ``N`` (default: the largest item id in ``sequences``).
        """
        rows = np.repeat(np.arange(len(sequences), dtype=np.int64), sequences.lengths)
        return cls.from_pairs(rows, sequences.items, num_rows=len(sequences), num_items=num_items)

    def __len__(self) -> int:
        """The number of distinct (row, item) pairs."""
        return len(self.keys)

    def items_of(self, row: int) -> np.ndarray:
        """The excluded items of one row, ascending."""
        stride = self.num_items + 1
        lo, hi = np.searchsorted(self.keys, [row * stride, (row + 1) * stride])
        return self.keys[lo:hi] - row * stride

    def counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """Shape ``(num_rows,)``: excluded items per row (with ``weights``: those of weight > 0).

        ``weights`` has shape ``(M + 1,)``; items above ``M`` are not counted.
        """
        rows, items = np.divmod(self.keys, self.num_items + 1)
        if weights is not None:
            weights = np.asarray(weights)
            inside = items < len(weights)
            rows = rows[inside][weights[items[inside]] > 0]
        return np.bincount(rows, minlength=self.num_rows)

    def contains(self, rows: np.ndarray | int, items: np.ndarray) -> np.ndarray:
        """Whether ``items`` are excluded for their rows.

        Args:
            rows: row indices; a scalar or an array whose shape is the leading axes of
                ``items``' shape (it broadcasts over the trailing axes).
            items: any shape, item ids (ids outside ``0..num_items`` are never excluded).

        Returns:
            A boolean array of ``items``' shape.
        """
        items = np.asarray(items, dtype=np.int64)
        rows = _align_rows(np.asarray(rows, dtype=np.int64), items.shape, "ExcludedItems.contains")
        if rows.size and (rows.min() < 0 or rows.max() >= self.num_rows):
            raise ValueError(
                f"ExcludedItems.contains: rows must be in 0..{self.num_rows - 1}, got "
                f"{rows.min()}..{rows.max()} (rows are positions, e.g. in sequences.users, not "
                "user ids)"
            )
        if len(self.keys) == 0:
            return np.zeros(items.shape, dtype=bool)
        inside = (items >= 0) & (items <= self.num_items)
        keys = rows * (self.num_items + 1) + np.where(inside, items, 0)
        found = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return inside & (self.keys[found] == keys)


class NegativeSampler:
    r"""Draws negatives from fixed weights, never the positive; the tables are built once.

    Three exact methods, chosen from the weights (same distribution, different speed):

    * uniform weights: an integer in ``1..N-1`` shifted past the positive (no rejection);
    * integer weights (event counts, ``power=1``): the item of a uniformly drawn *event* of
      a table that repeats item ``i`` ``w_i`` times, redrawn where it equals the positive
      (rejection leaves exactly :math:`w_j / (W - w_p)`);
    * other weights: inverse CDF with the positive's interval skipped (``searchsorted``).

    With ``exclude=`` (:class:`ExcludedItems`), negatives that fall on their row's excluded items
    are redrawn from ``w`` by rejection until none is left, which leaves exactly
    :math:`w_j / \sum_{k \text{ allowed}} w_k`; draws still rejected after
    :attr:`MAX_REJECTION_ROUNDS` rounds (a row whose allowed items hold little weight) come
    straight from that row's allowed weights (same distribution, bounded time).

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
    #: Rejection rounds before the remaining draws come straight from each row's allowed items.
    MAX_REJECTION_ROUNDS = 16

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
        self.num_positive = int((weights > 0).sum())  # items that can be drawn at all
        self._counts_cache: tuple[ExcludedItems, np.ndarray] | None = None
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
        self,
        positives: np.ndarray,
        num_negatives: int,
        rng: np.random.Generator,
        *,
        exclude: ExcludedItems | None = None,
        rows: np.ndarray | int | None = None,
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
        if (exclude is None) != (rows is None):
            raise ValueError(
                "sample_negatives: exclude= and rows= go together: rows= gives, for each "
                "positive, its row (e.g. its user's position) in exclude="
            )
        if exclude is not None:
            rows = np.asarray(rows, dtype=np.int64)
            _align_rows(rows, positives.shape, "sample_negatives")  # check the shape
            self._check_something_left(positives, exclude, rows)
        negatives = self._draw_except_positive(positives, num_negatives, rng)
        if exclude is not None:
            negatives = self._redraw_excluded(negatives, positives, exclude, rows, rng)
        return negatives.astype(np.int32)

    def _draw_except_positive(
        self, positives: np.ndarray, num_negatives: int, rng: np.random.Generator
    ) -> np.ndarray:
        """Shape ``positives.shape + (num_negatives,)`` int64, from ``w`` without the positive."""
        shape = (*positives.shape, num_negatives)
        pos = positives[..., None]
        if self.method == "uniform":
            real = pos >= 1
            draw = rng.integers(1, self.num_items + 1 - real, size=shape)  # 1..N-1 or 1..N
            return draw + (real & (draw >= pos))
        if self.method == "table":
            negatives = self.table[rng.integers(0, len(self.table), size=shape)].astype(np.int64)
            clash = negatives == pos
            while clash.any():
                idx = np.nonzero(clash)
                negatives[idx] = self.table[rng.integers(0, len(self.table), size=len(idx[0]))]
                clash = negatives == pos
            return negatives
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
        return negatives

    def shared(self, num_negatives: int, rng: np.random.Generator) -> np.ndarray:
        r"""One set of ``num_negatives`` ids for a whole batch, each drawn from :math:`w_j / W`.

        Draws are independent (with replacement), so the expected count of item :math:`j` in the
        set is :math:`M q(j)` with :math:`q(j) = w_j / W`: the term the log-Q correction of the
        sampled softmax subtracts. No positive is excluded here (the set serves every position):
        the loss removes the accidental hits.

        Example:
            >>> sampler = NegativeSampler(item_weights(5))
            >>> sampler.shared(4, np.random.default_rng(0)).tolist()
            [5, 4, 3, 2]
        """
        if int(num_negatives) < 1:
            raise ValueError(
                f"NegativeSampler.shared: num_negatives must be >= 1, got {num_negatives}"
            )
        negatives = self._draw(int(num_negatives), rng)
        bad = self.weights[negatives] == 0  # rounding of the cdf method, rarely
        while bad.any():
            negatives[bad] = self._draw(int(bad.sum()), rng)
            bad = self.weights[negatives] == 0
        return negatives.astype(np.int32)

    def _draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` ids from the whole distribution ``w_j / W`` (the positive not excluded).

        With the ``cdf`` method rounding can rarely give a zero-weight id: callers reject it.
        """
        if self.method == "uniform":
            return rng.integers(1, self.num_items + 1, size=size)
        if self.method == "table":
            return self.table[rng.integers(0, len(self.table), size=size)].astype(np.int64)
        x = rng.random(size) * self.total
        return np.minimum(np.searchsorted(self.cumulative, x, side="right"), self.num_items)

    def _excluded_counts(self, exclude: ExcludedItems) -> np.ndarray:
        """Per row of ``exclude``: its excluded items of weight > 0 (cached for the last one)."""
        if self._counts_cache is None or self._counts_cache[0] is not exclude:
            self._counts_cache = (exclude, exclude.counts(self.weights))
        return self._counts_cache[1]

    def _check_something_left(
        self, positives: np.ndarray, exclude: ExcludedItems, rows: np.ndarray
    ) -> None:
        """Raise if, for some positive, every item of positive weight is excluded or the positive.

        Counts items (exactly) rather than summing weights (rounding could leave a tiny sum).
        """
        if positives.size == 0:
            return
        positive_excluded = exclude.contains(rows, positives)  # checks the rows' range too
        positive_counts = (self.weights[positives] > 0) & ~positive_excluded
        aligned = _align_rows(rows, positives.shape, "sample_negatives")
        excluded_counts = self._excluded_counts(exclude)[aligned]
        left = self.num_positive - excluded_counts - positive_counts
        if (left <= 0).any():
            k = np.unravel_index(int(np.argmax(left <= 0)), positives.shape)
            row = int(np.broadcast_to(aligned, positives.shape)[k])
            raise ValueError(
                f"sample_negatives: row {row} has nothing left to draw: its excluded items and "
                f"its positive {int(positives[k])} hold all the weight "
                f"({self.num_positive} items have weight > 0)"
            )

    def _redraw_excluded(
        self,
        negatives: np.ndarray,
        positives: np.ndarray,
        exclude: ExcludedItems,
        rows: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """``negatives`` with every draw that ``exclude`` holds for its row redrawn.

        Rejection: a redraw from ``w`` is kept when it is allowed (not excluded, not the
        positive, weight > 0), which leaves each kept negative distributed exactly as
        :math:`w_j / \\sum_{k \\text{ allowed}} w_k`. Draws still rejected after
        :attr:`MAX_REJECTION_ROUNDS` rounds (rows whose allowed items hold little weight) are
        drawn directly from their row's allowed weights: the same distribution, in bounded time.
        """
        shape = negatives.shape
        flat = np.ascontiguousarray(negatives).reshape(-1)  # written in place
        aligned = _align_rows(rows, positives.shape, "sample_negatives")
        rows_full = np.broadcast_to(aligned, positives.shape)

        def row_and_positive(todo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            idx = np.unravel_index(todo, shape)[:-1]
            return (
                np.broadcast_to(rows_full[idx], todo.shape),
                np.broadcast_to(positives[idx], todo.shape),
            )

        todo = np.flatnonzero(exclude.contains(rows, negatives))
        for _ in range(self.MAX_REJECTION_ROUNDS):
            if todo.size == 0:
                break
            draw = self._draw(todo.size, rng)
            flat[todo] = draw
            row, positive = row_and_positive(todo)
            bad = (draw == positive) | (self.weights[draw] == 0) | exclude.contains(row, draw)
            todo = todo[bad]
        if todo.size:
            self._draw_from_allowed(flat, todo, *row_and_positive(todo), exclude, rng)
        return flat.reshape(shape)

    def _draw_from_allowed(
        self,
        flat: np.ndarray,
        todo: np.ndarray,
        row: np.ndarray,
        positive: np.ndarray,
        exclude: ExcludedItems,
        rng: np.random.Generator,
    ) -> None:
        """Fill ``flat[todo]`` from each (row, positive)'s allowed weights, by inverse CDF."""
        pairs, group = np.unique(np.stack([row, positive]), axis=1, return_inverse=True)
        group = group.ravel()
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(pairs.shape[1] + 1))
        for g in range(pairs.shape[1]):
            members = todo[order[bounds[g] : bounds[g + 1]]]
            allowed = self.weights.copy()
            excluded = exclude.items_of(int(pairs[0, g]))
            allowed[excluded[excluded <= self.num_items]] = 0.0
            allowed[pairs[1, g]] = 0.0
            cumulative = np.cumsum(allowed)
            draw = np.empty(len(members), dtype=np.int64)
            pending = np.arange(len(members))
            while pending.size:  # rounding can rarely land on a zero-weight id: redraw it
                x = rng.random(pending.size) * cumulative[-1]
                got = np.minimum(np.searchsorted(cumulative, x, side="right"), self.num_items)
                draw[pending] = got
                pending = pending[allowed[got] == 0]
            flat[members] = draw


def sample_negatives(
    positives: np.ndarray,
    num_negatives: int,
    weights: np.ndarray,
    rng: np.random.Generator,
    *,
    exclude: ExcludedItems | None = None,
    rows: np.ndarray | int | None = None,
) -> np.ndarray:
    r"""Draw ``num_negatives`` items per positive from ``weights``, never the positive itself.

    Each negative of positive :math:`p` is item :math:`j \ne p` with probability
    :math:`w_j / (W - w_p)`; with ``exclude``, item :math:`j \notin H_r \cup \{p\}` with
    probability :math:`w_j / \sum_{k \notin H_r \cup \{p\}} w_k`, where :math:`H_r` holds the
    excluded items of the positive's row :math:`r`. For repeated calls with the same weights,
    build a :class:`NegativeSampler` once and call its ``sample``.

    Args:
        positives: any shape ``S``, encoded ids in ``0..N`` (0 = padding: nothing excluded).
        num_negatives: negatives per positive.
        weights: shape ``(N + 1,)`` from :func:`item_weights`.
        rng: the random generator (the only source of randomness).
        exclude: items never to draw, per row (e.g. each user's training items, the rule of
            SASRec's official sampler, NCF and BPR); ``None`` (default) excludes only the
            positive, so the user's other items can be drawn.
        rows: with ``exclude``, the row in ``exclude`` of each positive: shape ``S[:1]`` (one
            row per example, broadcast over its positions) or ``S`` (or any leading axes of
            ``S``).

    Returns:
        Shape ``S + (num_negatives,)``, int32 ids in ``1..N``, each different from its positive
        (and, with ``exclude``, outside its row's excluded items). With replacement: the same
        negative can appear twice for one positive.

    Raises:
        ValueError: a positive outside ``0..N``; a positive that holds all the weight; with
            ``exclude``, a row outside it or a (row, positive) with no item of positive weight
            left (the message names the row); ``exclude`` without ``rows`` or the reverse.

    Example:
        >>> w = item_weights(3)
        >>> neg = sample_negatives(np.array([1, 2, 3]), 4, w, np.random.default_rng(0))
        >>> neg.shape, bool((neg != np.array([1, 2, 3])[:, None]).all())
        ((3, 4), True)

        Row (user) 0 has items 1 and 2, row 1 has item 3: excluding them leaves item 3 for row 0,
        and items 1 and 2 for row 1.

        >>> seen = ExcludedItems.from_pairs(np.array([0, 0, 1]), np.array([1, 2, 3]))
        >>> neg = sample_negatives(np.array([1, 3]), 4, w, np.random.default_rng(0),
        ...                        exclude=seen, rows=np.array([0, 1]))
        >>> neg[0].tolist(), set(neg[1].tolist()) <= {1, 2}
        ([3, 3, 3, 3], True)
    """
    return NegativeSampler(weights).sample(
        positives, num_negatives, rng, exclude=exclude, rows=rows
    )
