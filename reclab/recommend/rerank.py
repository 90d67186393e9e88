r"""Re-ranking the top-K list: give up a little relevance for variety or a calibrated mix.

A model's top-:math:`K` list is its :math:`K` best-scoring items, each chosen alone. A re-ranker
looks at the list as a whole: it takes a larger pool of the model's best candidates (say 100)
and picks :math:`K` of them greedily, one position at a time, with an objective that also scores
what is already listed.

- :func:`mmr`: Maximal Marginal Relevance (Carbonell & Goldstein, SIGIR 1998), a relevant item
  unlike the items listed so far (diversity by item vectors: genres or embeddings);
- :func:`calibrate`: calibrated recommendations (Steck, RecSys 2018), a list whose mix of item
  groups matches the user's history, here popularity groups (head, mid, tail) as in
  Abdollahpouri et al. (UMAP 2021), built by :func:`popularity_groups` and
  :func:`history_group_distribution`;
- :func:`rerank_top_k`: a model's pool from :func:`reclab.recommend.top_k`, then a *reranker*,
  for example :func:`mmr_reranker` or :func:`calibration_reranker`.

Both objectives read the relevance :math:`\mathrm{rel}(i)` of a candidate: the model's scores
min-max normalised per user over the pool, so that one trade-off :math:`\lambda` means the same
for a model whose scores span 0.1 and one whose logits span 30,

.. math::

    \mathrm{rel}(i) = \frac{s_i - \min_{j \in P} s_j}{\max_{j \in P} s_j - \min_{j \in P} s_j}
    \in [0, 1]

(1 for every candidate when all scores are equal). Ties of an objective go to the lower item id,
as in :func:`reclab.recommend.top_k`. Everything is vectorised over users: only the :math:`K`
output positions are a Python loop.

**A reranker** is any callable ``reranker(candidates, scores, histories, k) -> ids``: the
``(B, C)`` pool (ids, 0 = empty slot) and its scores, the ``(B, T)`` histories the pool was
scored for, and the list length; it returns ``(B, k)`` ids taken from the pool, 0-padded. The
list length is an argument, not part of the reranker, because :func:`rerank_top_k` owns it
(once) and a greedy reranker's cost grows with it. The histories are there for rerankers that
need the user, as calibration needs the user's group mix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reclab.checks import fraction, id_matrix, number_at_least, positive_int
from reclab.formulas import implements
from reclab.metrics.beyond_accuracy import _cosine, _vector_table
from reclab.recommend.top_k import top_k

__all__ = [
    "Reranker",
    "calibrate",
    "calibration_reranker",
    "history_group_distribution",
    "mmr",
    "mmr_reranker",
    "popularity_groups",
    "rerank_top_k",
]

#: ``(candidates (B, C), scores (B, C), histories (B, T), k) -> ids (B, k)`` (module docstring).
Reranker = Callable[[np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]

#: Steck's :math:`\alpha`: the share of the target mixed into the list's distribution.
CALIBRATION_SMOOTHING = 0.01

_POOL = "of item ids (0 = empty slot)"


def _pool(candidates: Any, scores: Any, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(candidates, scores, filled)`` checked: same shape, finite scores, no repeated id."""
    ids = id_matrix(candidates, "candidates", where, shape="(B, C)", layout=_POOL)
    values = np.asarray(scores, dtype=np.float64)
    if values.shape != ids.shape:
        raise ValueError(
            f"{where}: scores must have the shape of candidates {ids.shape} (one score per "
            f"candidate), got shape {values.shape}"
        )
    filled = ids > 0
    bad = filled & ~np.isfinite(values)
    if bad.any():
        row, column = (int(x[0]) for x in np.nonzero(bad))
        raise ValueError(
            f"{where}: scores must be finite where candidates hold an item; got "
            f"{values[row, column]} for item {ids[row, column]} (row {row}, column {column})"
        )
    ordered = np.sort(ids, axis=1)
    repeated = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] > 0)
    if repeated.any():
        row, column = (int(x[0]) for x in np.nonzero(repeated))
        raise ValueError(
            f"{where}: candidates must not repeat an item; row {row} lists item "
            f"{ordered[row, column + 1]} twice"
        )
    return ids, values, filled


def _relevance(scores: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """``rel`` of the module docstring, ``(B, C)``; 0 in empty slots."""
    s = np.where(filled, scores, 0.0)
    any_item = filled.any(axis=1, keepdims=True)
    low = np.where(any_item, np.where(filled, s, np.inf).min(axis=1, keepdims=True), 0.0)
    high = np.where(any_item, np.where(filled, s, -np.inf).max(axis=1, keepdims=True), 0.0)
    span = high - low  # (B, 1)
    rel = np.where(span > 0, (s - low) / np.where(span > 0, span, 1.0), 1.0)
    return np.where(filled, rel, 0.0)


def _pick(objective: np.ndarray, candidates: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """Column of each row's best open candidate, ties to the lower id; -1 where none is open."""
    value = np.where(open_, objective, -np.inf)
    tied = open_ & (value == value.max(axis=1, keepdims=True))
    column = np.argmin(np.where(tied, candidates, np.iinfo(np.int64).max), axis=1)
    return np.where(open_.any(axis=1), column, -1)


def _take(
    column: np.ndarray, candidates: np.ndarray, chosen: np.ndarray, out: np.ndarray, position: int
) -> np.ndarray:
    """Write the picked ids to ``out[:, position]``, mark them chosen; the rows that picked."""
    rows = np.flatnonzero(column >= 0)
    out[rows, position] = candidates[rows, column[rows]]
    chosen[rows, column[rows]] = True
    return rows


@implements("eq-mmr")
def mmr(candidates: Any, scores: Any, item_vectors: Any, k: int, *, trade_off: float) -> np.ndarray:
    r"""Maximal Marginal Relevance: relevant items that are unlike the ones already listed.

    The list :math:`S` is built greedily; at each position it takes

    .. math::

        i^\star = \operatorname*{arg\,max}_{i \in P \setminus S}
            \Bigl[\lambda\, \mathrm{rel}(i)
            - (1 - \lambda) \max_{j \in S} \cos(\mathbf{v}_i, \mathbf{v}_j)\Bigr]

    (Carbonell & Goldstein, SIGIR 1998), where :math:`P` is the user's pool,
    :math:`\mathrm{rel}` its min-max normalised scores (module docstring),
    :math:`\mathbf{v}_i` item :math:`i`'s row of ``item_vectors`` and :math:`\cos` the cosine
    similarity (0 when either vector is zero). The first item, with :math:`S` empty, is the most
    relevant one (the maximum over an empty :math:`S` counts as 0, and at :math:`\lambda = 0`
    the list starts from the best item too). :math:`\lambda = 1` is the pool's top-:math:`k` in
    score order; :math:`\lambda = 0` keeps only the first item's relevance and then always
    takes the candidate least like the list. Ties go to the lower item id.

    Args:
        candidates: ``(B, C)`` the pool of item ids per user (0 = an empty slot), e.g. the
            ids of :func:`reclab.recommend.top_k` with ``k=C``.
        scores: ``(B, C)`` the model's scores of the candidates (ignored in empty slots).
        item_vectors: ``(N + 1, d)`` one row per item id: multi-hot genres
            (:attr:`reclab.data.ItemContent.genres`), or a model's item embeddings.
        k: list length; lists are padded with 0 when the pool holds fewer items.
        trade_off: :math:`\lambda \in [0, 1]`, the weight of relevance.

    Returns:
        ``(B, k)`` item ids, in the order picked.

    Example:
        >>> vectors = [[0, 0], [1, 0], [1, 0], [0, 1]]   # items 1 and 2 alike, 3 different
        >>> mmr([[1, 2, 3]], [[0.9, 0.8, 0.1]], vectors, 2, trade_off=1.0).tolist()
        [[1, 2]]
        >>> # item 2: 0.5 * 0.875 - 0.5 * 1 < 0 = item 3: 0.5 * 0 - 0.5 * 0
        >>> mmr([[1, 2, 3]], [[0.9, 0.8, 0.1]], vectors, 2, trade_off=0.5).tolist()
        [[1, 3]]
    """
    where = "mmr"
    ids, values, filled = _pool(candidates, scores, where)
    k = positive_int(k, "k", where)
    lam = fraction(trade_off, "trade_off", where, include_one=True)
    table, norms = _vector_table(item_vectors, ids, where)
    rel = _relevance(values, filled)
    vectors, lengths = table[ids], norms[ids]  # (B, C, d), (B, C)
    n_users, size = ids.shape
    out = np.zeros((n_users, k), np.int64)
    chosen = np.zeros(ids.shape, bool)
    closest = np.zeros(ids.shape)  # max_{j in S} cos(v_i, v_j), (B, C)
    for position in range(min(k, size)):
        objective = rel if position == 0 else lam * rel - (1.0 - lam) * closest
        column = _pick(objective, ids, filled & ~chosen)
        rows = _take(column, ids, chosen, out, position)
        picked = vectors[rows, column[rows]]  # (b, d)
        dots = np.einsum("bcd,bd->bc", vectors[rows], picked)
        similarity = _cosine(dots, lengths[rows], lengths[rows, column[rows]][:, None])
        closest[rows] = similarity if position == 0 else np.maximum(closest[rows], similarity)
    return out


def _groups(item_groups: Any, ids: np.ndarray, num_groups: int, where: str) -> np.ndarray:
    """``item_groups`` as an int64 ``(n_ids,)`` array covering ``ids``, groups in ``[0, G)``."""
    groups = np.asarray(item_groups)
    needed = int(ids.max()) + 1 if ids.size else 1
    if groups.ndim != 1 or len(groups) < needed or not np.issubdtype(groups.dtype, np.integer):
        raise ValueError(
            f"{where}: item_groups must be a 1-D integer array with one group per item id "
            f"(at least {needed} entries for the ids given), got shape {groups.shape} and "
            f"dtype {groups.dtype}"
        )
    items = groups[1:]
    if items.size and (items.min() < 0 or items.max() >= num_groups):
        raise ValueError(
            f"{where}: item_groups must give every item (ids >= 1) a group in 0..{num_groups - 1}"
            f" (G = {num_groups}), got groups from {int(items.min())} to {int(items.max())}"
        )
    return groups.astype(np.int64)


def _target(target: Any, n_users: int, where: str) -> np.ndarray:
    p = np.asarray(target, dtype=np.float64)
    if p.ndim != 2 or len(p) != n_users or p.shape[1] < 1:
        raise ValueError(
            f"{where}: target must be a (B, G) array with one row per user (B = {n_users}), "
            f"got shape {p.shape}"
        )
    totals = p.sum(axis=1)
    ok = np.isfinite(p).all(axis=1) & (p >= 0).all(axis=1)
    ok &= np.isclose(totals, 1.0, atol=1e-6) | (totals == 0)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        raise ValueError(
            f"{where}: each row of target must be a distribution over the G groups (values "
            f">= 0 summing to 1, or all 0 for no target); row {row} is {p[row].tolist()}"
        )
    return p


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """:math:`\\sum_g p_g \\log(p_g / q_g)` over the last axis, with :math:`0 \\log 0 = 0`."""
    present = p > 0
    terms = p * np.log(np.where(present, p, 1.0) / np.where(present, q, 1.0))
    return np.where(present, terms, 0.0).sum(axis=-1)


@implements("eq-calibration")
def calibrate(
    candidates: Any,
    scores: Any,
    item_groups: Any,
    target: Any,
    k: int,
    *,
    trade_off: float,
    smoothing: float = CALIBRATION_SMOOTHING,
) -> np.ndarray:
    r"""Calibrated lists: the most relevant items whose group mix matches a target.

    Steck's objective (RecSys 2018, eq. 5 and 6), maximised greedily, one item at a time
    (Steck's algorithm, within :math:`1 - 1/e` of the optimum: the objective is submodular),

    .. math::

        L^\star = \operatorname*{arg\,max}_{L \subseteq P,\ |L| = K}
            (1 - \lambda) \sum_{i \in L} \mathrm{rel}(i)
            - \lambda\, \mathrm{KL}\bigl(p \,\big\|\, \tilde q(L)\bigr), \qquad
        \mathrm{KL}(p \,\|\, \tilde q) = \sum_{g} p(g) \log \frac{p(g)}{\tilde q(g)},

    .. math::

        q(g \mid L) = \frac{|\{i \in L : g(i) = g\}|}{|L|}, \qquad
        \tilde q = (1 - \alpha)\, q + \alpha\, p,

    where :math:`p` is the user's target distribution over the groups :math:`g` (e.g.
    :func:`history_group_distribution`), :math:`g(i)` item :math:`i`'s group (e.g.
    :func:`popularity_groups`: head, mid, tail) and :math:`\alpha` a small smoothing (0.01, as
    Steck) that keeps :math:`\tilde q > 0` where :math:`p > 0`. Differences from the paper: the
    relevance is the min-max normalised score (module docstring) instead of a predicted
    probability, so that :math:`\lambda` means the same for any model; each listed item weighs
    the same in :math:`q` (Steck allows rank weights); an item has one group. :math:`\lambda = 0`
    is the pool's top-:math:`k`; a user with an all-zero target row has no target and gets the
    top-:math:`k` too. Ties go to the lower item id.

    Args:
        candidates: ``(B, C)`` the pool of item ids per user (0 = an empty slot).
        scores: ``(B, C)`` the model's scores of the candidates (ignored in empty slots).
        item_groups: ``(N + 1,)`` the group of each item id, in ``0 .. G-1`` (id 0, padding,
            is not read: :func:`popularity_groups` puts -1 there).
        target: ``(B, G)`` :math:`p`, one distribution over the groups per user.
        k: list length; lists are padded with 0 when the pool holds fewer items.
        trade_off: :math:`\lambda \in [0, 1]`, the weight of calibration.
        smoothing: :math:`\alpha \in (0, 1]`.

    Returns:
        ``(B, k)`` item ids, in the order picked.

    Example:
        >>> groups = [-1, 0, 0, 1]                  # items 1 and 2 in group 0, item 3 in 1
        >>> pool, s = [[1, 2, 3]], [[0.9, 0.8, 0.1]]
        >>> calibrate(pool, s, groups, [[0.5, 0.5]], 2, trade_off=0.0).tolist()   # top-2
        [[1, 2]]
        >>> # second pick: 0.5 (1 + 0.875) - 0.5 KL = 0.94 - 0.98 < 0.5 (1 + 0) - 0.5 * 0
        >>> calibrate(pool, s, groups, [[0.5, 0.5]], 2, trade_off=0.5).tolist()
        [[1, 3]]
    """
    where = "calibrate"
    ids, values, filled = _pool(candidates, scores, where)
    p = _target(target, len(ids), where)
    num_groups = p.shape[1]
    groups = _groups(item_groups, ids, num_groups, where)
    k = positive_int(k, "k", where)
    lam = fraction(trade_off, "trade_off", where, include_one=True)
    alpha = number_at_least(smoothing, 0.0, "smoothing", where, strict=True)
    if alpha > 1:
        raise ValueError(f"{where}: smoothing must be a number in (0, 1], got {smoothing!r}")
    rel = _relevance(values, filled)
    group_of = np.where(filled, groups[ids], 0)  # (B, C)
    n_users, size = ids.shape
    out = np.zeros((n_users, k), np.int64)
    chosen = np.zeros(ids.shape, bool)
    counts = np.zeros((n_users, num_groups))  # items of each group in the list, (B, G)
    total = np.zeros(n_users)  # sum of rel over the list, (B,)
    one_more = np.eye(num_groups)  # row a: the counts added by one item of group a, (G, G)
    for position in range(min(k, size)):
        q = (counts[:, None, :] + one_more) / (position + 1)  # (B, G_added, G)
        q_tilde = (1.0 - alpha) * q + alpha * p[:, None, :]
        kl = np.take_along_axis(_kl(p[:, None, :], q_tilde), group_of, axis=1)  # (B, C)
        objective = (1.0 - lam) * (total[:, None] + rel) - lam * kl
        column = _pick(objective, ids, filled & ~chosen)
        rows = _take(column, ids, chosen, out, position)
        total[rows] = total[rows] + rel[rows, column[rows]]
        counts[rows, group_of[rows, column[rows]]] += 1
    return out


def popularity_groups(train_counts: Any, head: float = 0.2, tail: float = 0.2) -> np.ndarray:
    r"""Head (0), mid (1) and tail (2) items by their share of the training interactions.

    Abdollahpouri et al. (UMAP 2021): head items are the most popular items that together take
    up the first ``head`` (20 %) of the interactions, tail items the least popular ones that
    together take up the last ``tail`` (20 %), and mid items the rest. Precisely, with the items
    sorted by decreasing count :math:`n_{(1)} \ge n_{(2)} \ge \dots \ge n_{(N)}` (equal counts:
    lower id first) and :math:`n = \sum_i n_i`,

    .. math::

        (r) \in H \iff \sum_{m < r} n_{(m)} < h\, n, \qquad
        (r) \in T \iff \sum_{m > r} n_{(m)} < t\, n \ \text{and}\ (r) \notin H,

    so the head is the shortest run of most popular items whose interactions reach
    :math:`h n` (the item that crosses the line is head), the tail the shortest run of least
    popular items whose interactions reach :math:`t n`, and items never interacted with are
    tail. Items with equal counts can fall on both sides of a line.

    Args:
        train_counts: ``(N + 1,)`` training interactions per item id, index 0 being padding
            (e.g. :meth:`reclab.data.NextItemData.item_counts`).
        head: :math:`h`, the share of interactions of the head, in ``[0, 1]``.
        tail: :math:`t`, the share of interactions of the tail, in ``[0, 1]``, with
            ``head + tail <= 1``.

    Returns:
        ``(N + 1,)`` int64 groups: 0 head, 1 mid, 2 tail, and -1 for id 0 (padding).

    Example:
        >>> # 100 interactions; item 1's 50 reach 20 %, items 3, 4, 5 hold the last 20
        >>> popularity_groups([0, 50, 30, 10, 6, 4]).tolist()
        [-1, 0, 1, 2, 2, 2]
    """
    where = "popularity_groups"
    counts = np.asarray(train_counts)
    if counts.ndim != 1 or len(counts) < 2 or not np.issubdtype(counts.dtype, np.number):
        raise ValueError(
            f"{where}: train_counts must be a 1-D array of counts per item id, index 0 being "
            f"padding, got shape {counts.shape} and dtype {counts.dtype}"
        )
    counts = counts.astype(np.float64)
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError(f"{where}: train_counts must be finite and >= 0")
    h = fraction(head, "head", where, include_one=True)
    t = fraction(tail, "tail", where, include_one=True)
    if h + t > 1:
        raise ValueError(f"{where}: head + tail must be <= 1, got {h} + {t}")
    items = counts[1:]
    total = items.sum()
    if total <= 0:
        raise ValueError(f"{where}: train_counts hold no interaction; nothing to rank by")
    order = np.argsort(-items, kind="stable")  # most popular first, ties -> lower id
    sorted_counts = items[order]
    running = np.cumsum(sorted_counts)
    before, after = running - sorted_counts, total - running  # more / less popular items'
    is_head = before < h * total
    is_tail = (after < t * total) & ~is_head
    groups = np.empty(len(counts), np.int64)
    groups[0] = -1
    groups[order + 1] = np.where(is_head, 0, np.where(is_tail, 2, 1))
    return groups


def history_group_distribution(histories: Any, item_groups: Any, num_groups: int) -> np.ndarray:
    r"""Each user's distribution over item groups in their history: a calibration target.

    .. math::

        p(g \mid u) = \frac{|\{i \in H_u : g(i) = g\}|}{|H_u|}

    (Steck's :math:`p(g \mid u)` with every history item weighted the same). A repeated item
    counts each time; padding (id 0) does not count; an empty history gives a row of zeros
    (no target: :func:`calibrate` then returns the top-:math:`k`).

    Args:
        histories: ``(B, T)`` item ids, left-padded with 0.
        item_groups: ``(N + 1,)`` the group of each item id, in ``0 .. G-1`` (id 0 not read).
        num_groups: :math:`G`.

    Returns:
        ``(B, G)`` float64 distributions.

    Example:
        >>> history_group_distribution([[0, 1, 3], [0, 0, 0]], [-1, 0, 1, 2], 3).tolist()
        [[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]]
    """
    where = "history_group_distribution"
    h = id_matrix(histories, "histories", where, shape="(B, T)")
    num_groups = positive_int(num_groups, "num_groups", where)
    groups = _groups(item_groups, h, num_groups, where)
    filled = h > 0
    of_group = (groups[h][:, :, None] == np.arange(num_groups)) & filled[:, :, None]
    counts = of_group.sum(axis=1).astype(np.float64)  # (B, G)
    sizes = filled.sum(axis=1, keepdims=True)
    return np.divide(counts, sizes, out=np.zeros_like(counts), where=sizes > 0)


def mmr_reranker(item_vectors: Any, *, trade_off: float) -> Reranker:
    r""":func:`mmr` with fixed item vectors and :math:`\lambda`, as a reranker.

    .. math::

        R(P, s, H, K) = \mathrm{MMR}_\lambda(P, s; \mathbf{v}, K)

    (the histories are not read).

    Example:
        >>> rerank = mmr_reranker([[0, 0], [1, 0], [1, 0], [0, 1]], trade_off=0.5)
        >>> rerank(np.array([[1, 2, 3]]), np.array([[0.9, 0.8, 0.1]]), np.zeros((1, 1), int),
        ...        2).tolist()
        [[1, 3]]
    """
    fraction(trade_off, "trade_off", "mmr_reranker", include_one=True)
    table, _ = _vector_table(item_vectors, np.zeros(0, np.int64), "mmr_reranker")

    def rerank(candidates: Any, scores: Any, histories: Any, k: int) -> np.ndarray:
        return mmr(candidates, scores, table, k, trade_off=trade_off)

    rerank.__qualname__ = rerank.__name__ = f"mmr_reranker(trade_off={trade_off})"
    return rerank


def calibration_reranker(
    item_groups: Any,
    *,
    trade_off: float,
    num_groups: int | None = None,
    smoothing: float = CALIBRATION_SMOOTHING,
) -> Reranker:
    r""":func:`calibrate` towards each user's own history mix, as a reranker.

    .. math::

        R(P, s, H, K) = \mathrm{Calibrate}_\lambda\bigl(P, s; g, p(\cdot \mid H), K\bigr)

    with :math:`p(\cdot \mid H)` from :func:`history_group_distribution`.

    Args:
        item_groups: ``(N + 1,)`` the group of each item id (e.g. :func:`popularity_groups`).
        trade_off: :math:`\lambda`, as in :func:`calibrate`.
        num_groups: :math:`G` (default: the largest group in ``item_groups`` plus one).
        smoothing: :math:`\alpha`, as in :func:`calibrate`.

    Example:
        >>> rerank = calibration_reranker([-1, 0, 0, 1], trade_off=0.5)
        >>> rerank(np.array([[1, 2, 3]]), np.array([[0.9, 0.8, 0.1]]), np.array([[2, 3]]),
        ...        2).tolist()                   # the history holds one item of each group
        [[1, 3]]
    """
    where = "calibration_reranker"
    fraction(trade_off, "trade_off", where, include_one=True)
    groups = np.asarray(item_groups)
    if groups.ndim != 1 or len(groups) < 2 or not np.issubdtype(groups.dtype, np.integer):
        raise ValueError(
            f"{where}: item_groups must be a 1-D integer array with one group per item id, "
            f"got shape {groups.shape} and dtype {groups.dtype}"
        )
    if num_groups is None:
        num_groups = int(groups[1:].max()) + 1
    num_groups = positive_int(num_groups, "num_groups", where)
    _groups(groups, np.zeros(0, np.int64), num_groups, where)

    def rerank(candidates: Any, scores: Any, histories: Any, k: int) -> np.ndarray:
        target = history_group_distribution(histories, groups, num_groups)
        return calibrate(
            candidates, scores, groups, target, k, trade_off=trade_off, smoothing=smoothing
        )

    rerank.__qualname__ = rerank.__name__ = f"calibration_reranker(trade_off={trade_off})"
    return rerank


def rerank_top_k(
    model: Any,
    histories: np.ndarray,
    k: int = 10,
    *,
    pool: int = 100,
    reranker: Reranker,
    exclude_seen: bool = True,
    users: np.ndarray | None = None,
    batch_size: int = 1024,
) -> np.ndarray:
    r"""Re-ranked top-``k`` lists: the model's best ``pool`` items, then a reranker's ``k``.

    .. math::

        L_u = R\bigl(P_u, s_u, H_u, K\bigr), \qquad P_u = \text{top-}|P|\ \text{of}\ s_u

    where :math:`P_u` is the pool :func:`reclab.recommend.top_k` lists for history
    :math:`H_u` (seen items excluded with ``exclude_seen``, ties to the lower id) and :math:`R`
    the reranker (module docstring). Histories go through in chunks of ``batch_size``, so the
    reranker holds ``batch_size x pool`` candidates at once. The reranker's output is checked:
    ``(B, k)`` ids, each from the user's pool, none repeated.

    Args:
        model: a :class:`~reclab.models.Scorer`.
        histories: ``(B, T)`` item ids, left-padded with 0.
        k: list length.
        pool: candidates per user handed to the reranker (``>= k``); 100 is the common choice.
        reranker: ``(candidates, scores, histories, k) -> ids``, e.g. :func:`mmr_reranker` or
            :func:`calibration_reranker`.
        exclude_seen, users, batch_size: as in :func:`reclab.recommend.top_k`.

    Returns:
        ``(B, k)`` item ids, 0 in empty slots.

    Example:
        >>> class Fixed:                              # scores 1 > 2 > 3 > 4
        ...     num_items = 4
        ...     def score(self, histories, users=None):
        ...         return np.tile([-np.inf, 4.0, 3.0, 2.0, 1.0], (len(histories), 1))
        >>> genres = [[0, 0], [1, 0], [1, 0], [1, 0], [0, 1]]
        >>> rerank_top_k(Fixed(), np.array([[0, 2]]), 2, pool=3,
        ...              reranker=mmr_reranker(genres, trade_off=0.5)).tolist()
        [[1, 4]]
    """
    where = "rerank_top_k"
    h = id_matrix(histories, "histories", where, shape="(B, T)")
    k = positive_int(k, "k", where)
    pool = positive_int(pool, "pool", where)
    if pool < k:
        raise ValueError(
            f"{where}: pool must be >= k (the reranker picks k of pool), got pool={pool} < k={k}"
        )
    if not callable(reranker):
        raise TypeError(
            f"{where}: reranker must be a callable (candidates, scores, histories, k) -> ids, "
            f"got {type(reranker).__name__}"
        )
    batch_size = positive_int(batch_size, "batch_size", where)
    lists = []
    for start in range(0, max(len(h), 1), batch_size):
        rows = slice(start, start + batch_size)
        part = None if users is None else np.asarray(users)[rows]
        candidates, scores = top_k(
            model, h[rows], pool, exclude_seen=exclude_seen, users=part, batch_size=batch_size
        )
        ids = np.asarray(reranker(candidates, scores, h[rows], k))
        _check_lists(ids, candidates, k, where)
        lists.append(ids.astype(np.int64))
    return np.concatenate(lists)


def _check_lists(ids: np.ndarray, candidates: np.ndarray, k: int, where: str) -> None:
    """A reranker's output: ``(B, k)`` integer ids from each row's pool, none repeated."""
    if ids.shape != (len(candidates), k) or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(
            f"{where}: the reranker must return ({len(candidates)}, {k}) integer ids (B, k), "
            f"got shape {ids.shape} and dtype {ids.dtype}"
        )
    listed = ids > 0
    in_pool = (ids[:, :, None] == candidates[:, None, :]).any(axis=2)
    if (listed & ~in_pool).any():
        row, column = (int(x[0]) for x in np.nonzero(listed & ~in_pool))
        raise ValueError(
            f"{where}: the reranker returned item {ids[row, column]} for row {row}, which is "
            "not among that row's candidates"
        )
    ordered = np.sort(ids, axis=1)
    if ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] > 0)).any():
        raise ValueError(f"{where}: the reranker listed an item twice in one list")
