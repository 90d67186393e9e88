"""Re-ranking: MMR and calibration equal their plain-Python references, and behave as promised."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reclab.metrics.lists import top_k_ids, top_k_with_scores
from reclab.recommend import (
    calibrate,
    calibration_reranker,
    history_group_distribution,
    mmr,
    mmr_reranker,
    popularity_groups,
    rerank_top_k,
    top_k,
)
from reclab.reference import rerank as ref

generators = st.integers(0, 2**31 - 1).map(np.random.default_rng)


def _pools(rng: np.random.Generator, n_users: int, size: int, n_items: int, ties: bool):
    """``(candidates, scores)``: distinct ids per row, about 20 % empty slots (score -inf)."""
    candidates = np.stack(
        [rng.permutation(np.arange(1, n_items + 1))[:size] for _ in range(n_users)]
    )
    candidates[rng.random(candidates.shape) < 0.2] = 0
    scores = (
        rng.integers(0, 4, candidates.shape).astype(float)
        if ties
        else rng.normal(size=candidates.shape)
    )
    scores[candidates == 0] = -np.inf
    return candidates, scores


def _vectors(rng: np.random.Generator, n_items: int, multi_hot: bool) -> np.ndarray:
    """``(n_items + 1, d)``: multi-hot genres (exact ties) or embeddings, some rows zero."""
    if multi_hot:
        vectors = (rng.random((n_items + 1, 4)) < 0.4).astype(float)
    else:
        vectors = rng.normal(size=(n_items + 1, 3))
        vectors[rng.random(n_items + 1) < 0.1] = 0.0
    vectors[0] = 0.0
    return vectors


class Fixed:
    """A scorer with the same scores for every history: item i scores ``scores[i]``."""

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = np.asarray(scores, dtype=np.float64)
        self.num_items = len(self.scores) - 1

    def score(self, histories, users=None):
        out = np.tile(self.scores, (len(histories), 1))
        out[:, 0] = -np.inf
        return out


# ---- the fast code equals the references ----------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    rng=generators,
    n_users=st.integers(1, 4),
    size=st.integers(1, 10),
    k=st.integers(1, 12),
    trade_off=st.sampled_from([0.0, 0.3, 0.5, 0.9, 1.0]) | st.floats(0, 1),
    ties=st.booleans(),
    multi_hot=st.booleans(),
)
@pytest.mark.formula("eq-mmr")
def test_mmr_equals_the_reference(rng, n_users, size, k, trade_off, ties, multi_hot):
    n_items = size + 5
    candidates, scores = _pools(rng, n_users, size, n_items, ties)
    vectors = _vectors(rng, n_items, multi_hot)
    got = mmr(candidates, scores, vectors, k, trade_off=trade_off)
    np.testing.assert_array_equal(got, ref.mmr(candidates, scores, vectors, k, trade_off))
    _assert_lists_from_the_pool(got, candidates, k)


@settings(max_examples=60, deadline=None)
@given(
    rng=generators,
    n_users=st.integers(1, 4),
    size=st.integers(1, 10),
    k=st.integers(1, 12),
    num_groups=st.integers(1, 4),
    trade_off=st.sampled_from([0.0, 0.3, 0.5, 0.9, 1.0]) | st.floats(0, 1),
    ties=st.booleans(),
)
@pytest.mark.formula("eq-calibration")
def test_calibrate_equals_the_reference(rng, n_users, size, k, num_groups, trade_off, ties):
    n_items = size + 5
    candidates, scores = _pools(rng, n_users, size, n_items, ties)
    groups = rng.integers(0, num_groups, n_items + 1)
    target = rng.dirichlet(np.ones(num_groups), n_users)
    target[rng.random((n_users, num_groups)) < 0.3] = 0.0  # groups the user never saw
    totals = target.sum(axis=1, keepdims=True)
    target = np.divide(target, totals, out=np.zeros_like(target), where=totals > 0)
    got = calibrate(candidates, scores, groups, target, k, trade_off=trade_off)
    want = ref.calibrate(candidates, scores, groups, target, k, trade_off)
    np.testing.assert_array_equal(got, want)
    _assert_lists_from_the_pool(got, candidates, k)


def _assert_lists_from_the_pool(lists: np.ndarray, candidates: np.ndarray, k: int) -> None:
    """(B, k); every id from its row's pool, none twice; as many items as the pool allows."""
    assert lists.shape == (len(candidates), k)
    for row, pool in zip(lists, candidates, strict=True):
        items = [int(i) for i in row if i > 0]
        assert len(items) == len(set(items)) == min(k, int((pool > 0).sum()))
        assert set(items) <= set(pool.tolist())
        assert (row[len(items) :] == 0).all()  # padding only at the end


def test_popularity_groups_by_hand_and_against_the_reference():
    # 100 interactions: item 1 (50) crosses the first 20 % -> head; items 3, 4, 5 (10 + 6 + 4)
    # are the last 20 % -> tail; item 2 is mid.
    assert popularity_groups([0, 50, 30, 10, 6, 4]).tolist() == [-1, 0, 1, 2, 2, 2]
    # 25 interactions, 5 per line: item 1 alone reaches 20 % (head); from the bottom, unseen
    # item 3 and item 6 reach the last 20 % (tail). Equal counts: the lower id is more popular,
    # so items 1, 2, 4, 5, 6 of equal count fall in three groups.
    assert popularity_groups([0, 5, 5, 0, 5, 5, 5]).tolist() == [-1, 0, 1, 2, 1, 1, 2]
    rng = np.random.default_rng(0)
    for _ in range(20):
        counts = rng.integers(0, 6, 30) * rng.integers(0, 2, 30)
        counts[1] += 1
        head, tail = rng.uniform(0, 0.5, 2)
        np.testing.assert_array_equal(
            popularity_groups(counts, head, tail), ref.popularity_groups(counts, head, tail)
        )
    counts = rng.zipf(1.5, 2_000).clip(max=10_000)
    groups = popularity_groups(np.concatenate([[0], counts]))
    share = [counts[groups[1:] == g].sum() / counts.sum() for g in range(3)]
    assert (
        share[0] >= 0.2 and share[2] >= 0.2 and share[0] + share[2] <= 0.4 + 2 * 1e4 / counts.sum()
    )


def test_history_group_distribution_against_the_reference():
    rng = np.random.default_rng(1)
    histories = rng.integers(0, 12, (20, 7))
    histories[3] = 0  # an empty history: no target
    groups = np.concatenate([[-1], rng.integers(0, 3, 11)])
    got = history_group_distribution(histories, groups, 3)
    np.testing.assert_allclose(got, ref.history_group_distribution(histories, groups, 3))
    assert got[3].tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(np.delete(got, 3, axis=0).sum(axis=1), 1.0)


# ---- properties -------------------------------------------------------------------------------


@pytest.mark.formula("eq-mmr")
@pytest.mark.parametrize("seed", range(4))
def test_mmr_with_trade_off_one_is_the_top_k(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 20, (30, 201)).astype(float)  # ties: the lower id first
    candidates, pool_scores = top_k_with_scores(scores, 40)
    vectors = rng.normal(size=(201, 8))
    got = mmr(candidates, pool_scores, vectors, 10, trade_off=1.0)
    np.testing.assert_array_equal(got, top_k_ids(scores, 10))
    # the same through rerank_top_k, seen items excluded
    model = Fixed(scores[0])
    histories = rng.integers(0, 201, (25, 6))
    lists = rerank_top_k(model, histories, 10, pool=50, reranker=mmr_reranker(vectors, trade_off=1))
    np.testing.assert_array_equal(lists, top_k(model, histories, 10)[0])


@pytest.mark.formula("eq-mmr")
def test_mmr_with_trade_off_zero_takes_the_best_then_the_least_similar():
    vectors = np.array([[0, 0, 0], [1, 0, 0], [1, 0.1, 0], [0.1, 1, 0], [0, 0, 1.0]])
    candidates, scores = np.array([[1, 2, 3, 4]]), np.array([[4.0, 3.0, 2.0, 1.0]])
    # 1 is the most relevant; then 4 (cos 0 with 1) before 3 (cos 0.0995) before 2 (cos 0.995)
    assert mmr(candidates, scores, vectors, 4, trade_off=0.0).tolist() == [[1, 4, 3, 2]]
    # the pool's order does not matter, only the scores
    shuffled = mmr(candidates[:, ::-1], scores[:, ::-1], vectors, 4, trade_off=0.0)
    assert shuffled.tolist() == [[1, 4, 3, 2]]
    # a zero vector is like nothing: similarity 0
    vectors[2] = 0.0
    assert mmr(candidates, scores, vectors, 2, trade_off=0.0).tolist() == [[1, 2]]


@pytest.mark.formula("eq-calibration")
def test_calibration_with_trade_off_zero_is_the_top_k():
    rng = np.random.default_rng(3)
    scores = rng.normal(size=(15, 101))
    candidates, pool_scores = top_k_with_scores(scores, 30)
    groups = popularity_groups(rng.integers(0, 50, 101))
    target = rng.dirichlet(np.ones(3), 15)
    got = calibrate(candidates, pool_scores, groups, target, 10, trade_off=0.0)
    np.testing.assert_array_equal(got, top_k_ids(scores, 10))


@pytest.mark.formula("eq-calibration")
def test_calibration_moves_the_list_towards_the_target_as_trade_off_grows():
    # 30 candidates: the 10 best are head items, then 10 mid, then 10 tail; the user's history
    # is 40 % head, 30 % mid, 30 % tail. The top-10 is all head: KL is large.
    candidates = np.arange(1, 31)[None]
    scores = np.linspace(1.0, 0.0, 30)[None]
    groups = np.concatenate([[-1], np.repeat([0, 1, 2], 10)])
    target = np.array([[0.4, 0.3, 0.3]])

    def kl(lists):
        return ref.kl_divergence(
            target[0], ref.list_distribution(lists[0], groups, target[0], 0.01)
        )

    trade_offs = [0.0, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0]
    values = [
        kl(calibrate(candidates, scores, groups, target, 10, trade_off=t)) for t in trade_offs
    ]
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(values))
    assert values[0] > 2.0 and values[-1] == pytest.approx(0.0, abs=1e-12)  # 4 / 3 / 3: exact
    head_share = (
        groups[calibrate(candidates, scores, groups, target, 10, trade_off=1.0)] == 0
    ).mean()
    assert head_share == pytest.approx(0.4)


def test_calibration_reranker_reads_each_users_history():
    scores = np.concatenate([[-np.inf], np.linspace(1.0, 0.0, 30)])
    groups = np.concatenate([[-1], np.repeat([0, 1, 2], 10)])
    histories = np.array([[0, 1, 2], [11, 21, 0], [0, 0, 0]])  # all head; mid + tail; none
    lists = rerank_top_k(
        Fixed(scores), histories, 4, pool=30, reranker=calibration_reranker(groups, trade_off=0.9)
    )
    assert set(groups[lists[0]]) == {0}  # a head-only user keeps the top-k (of unseen items)
    assert lists[0].tolist() == [3, 4, 5, 6]
    assert sorted(groups[lists[1]].tolist()) == [1, 1, 2, 2]
    assert lists[2].tolist() == [1, 2, 3, 4]  # no history, no target: the top-k


def test_rerank_top_k_pads_short_pools_and_checks_the_reranker():
    model = Fixed(np.array([0.0, 3.0, 2.0, 1.0]))
    vectors = np.eye(4)
    lists = rerank_top_k(
        model, np.array([[0, 1]]), 3, pool=5, reranker=mmr_reranker(vectors, trade_off=0.5)
    )
    assert lists.tolist() == [[2, 3, 0]]  # two unseen items
    assert rerank_top_k(
        model, np.zeros((0, 2), int), 2, reranker=mmr_reranker(vectors, trade_off=0.5)
    ).shape == (0, 2)

    def outside(candidates, scores, histories, k):
        return np.full((len(candidates), k), 1)

    with pytest.raises(ValueError, match="item 1 for row 0, which is not among"):
        rerank_top_k(model, np.array([[0, 1]]), 2, reranker=outside)
    with pytest.raises(ValueError, match=r"must return \(1, 2\) integer ids"):
        rerank_top_k(model, np.array([[0, 1]]), 2, reranker=lambda c, s, h, k: c)
    with pytest.raises(ValueError, match="listed an item twice"):
        rerank_top_k(model, np.array([[0]]), 2, reranker=lambda c, s, h, k: np.array([[1, 1]]))
    with pytest.raises(ValueError, match="pool must be >= k"):
        rerank_top_k(model, np.array([[0]]), 5, pool=3, reranker=outside)
    with pytest.raises(TypeError, match="reranker must be a callable"):
        rerank_top_k(model, np.array([[0]]), 2, reranker="mmr")


# ---- invalid input ----------------------------------------------------------------------------

POOL, SCORES = np.array([[1, 2, 3]]), np.array([[0.9, 0.8, 0.1]])
VECTORS, GROUPS, TARGET = np.eye(4), np.array([-1, 0, 1, 1]), np.array([[0.5, 0.5]])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: mmr([1, 2, 3], SCORES, VECTORS, 2, trade_off=0.5),
            r"mmr: candidates must be a \(B, C\)",
        ),
        (
            lambda: mmr(POOL, SCORES[:, :2], VECTORS, 2, trade_off=0.5),
            r"scores must have the shape of candidates \(1, 3\)",
        ),
        (
            lambda: mmr(POOL, [[0.9, np.nan, 0.1]], VECTORS, 2, trade_off=0.5),
            "scores must be finite .* item 2",
        ),
        (lambda: mmr([[1, 2, 1]], SCORES, VECTORS, 2, trade_off=0.5), "row 0 lists item 1 twice"),
        (
            lambda: mmr(POOL, SCORES, VECTORS[:3], 2, trade_off=0.5),
            r"item_vectors must be an \(n_ids, d\) array .*at least 4 rows",
        ),
        (lambda: mmr(POOL, SCORES, VECTORS, 0, trade_off=0.5), "k must be a positive integer"),
        (
            lambda: mmr(POOL, SCORES, VECTORS, 2, trade_off=1.5),
            r"trade_off must be a number in \[0, 1\]",
        ),
        (
            lambda: calibrate(POOL, SCORES, GROUPS, [[0.5, 0.5], [1, 0]], 2, trade_off=0.5),
            r"target must be a \(B, G\) array .*B = 1",
        ),
        (lambda: calibrate(POOL, SCORES, GROUPS, [[0.5, 0.6]], 2, trade_off=0.5), "row 0 is"),
        (
            lambda: calibrate(POOL, SCORES, GROUPS[:3], TARGET, 2, trade_off=0.5),
            "item_groups must be a 1-D integer array .*at least 4",
        ),
        (
            lambda: calibrate(POOL, SCORES, [-1, 0, 1, 2], TARGET, 2, trade_off=0.5),
            r"item_groups must give every item .* 0\.\.1",
        ),
        (
            lambda: calibrate(POOL, SCORES, GROUPS, TARGET, 2, trade_off=0.5, smoothing=0),
            "smoothing",
        ),
        (lambda: popularity_groups([[0, 1]]), "train_counts must be a 1-D array"),
        (lambda: popularity_groups([0, 0, 0]), "no interaction"),
        (lambda: popularity_groups([0, 1, 2], head=0.7, tail=0.5), "head . tail must be <= 1"),
        (lambda: history_group_distribution([1, 2], GROUPS, 2), r"histories must be a \(B, T\)"),
        (lambda: history_group_distribution([[7]], GROUPS, 2), "at least 8 entries"),
        (lambda: mmr_reranker(np.ones(4), trade_off=0.5), r"item_vectors must be an \(n_ids, d\)"),
        (lambda: calibration_reranker(GROUPS, trade_off=-0.1), "trade_off"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
