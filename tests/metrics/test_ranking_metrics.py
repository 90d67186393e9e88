"""Ranking metrics against the sort-and-walk reference, by hand, on edge cases and as properties."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reclab import metrics
from reclab.reference import metrics as ref

FUNCTIONS = {
    "hr": (metrics.hit_rate_at_k, "eq-hr-at-k"),
    "precision": (metrics.precision_at_k, "eq-precision-at-k"),
    "recall": (metrics.recall_at_k, "eq-recall-at-k"),
    "f1": (metrics.f1_at_k, "eq-f1-at-k"),
    "accuracy": (metrics.accuracy_at_k, "eq-accuracy-at-k"),
    "ndcg": (metrics.ndcg_at_k, "eq-ndcg-at-k"),
    "mrr": (metrics.mrr, "eq-mrr"),
    "map": (metrics.map_at_k, "eq-map-at-k"),
    "auc": (metrics.auc, "eq-auc"),
}
NONLINEAR = ("hr", "mrr", "map")  # exact expected ties only for one held-out item
METRICS = [
    pytest.param(name, marks=pytest.mark.formula(label), id=name)
    for name, (_, label) in FUNCTIONS.items()
]


def call(name, scores, targets, k, **kwargs):
    fn = FUNCTIONS[name][0]
    if name == "auc":
        return fn(scores, targets, **kwargs)
    return fn(scores, targets, k, **kwargs)


def _case(seed, n_ids=6, b=6, r=1):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 3, size=(b, n_ids)).astype(float)  # many ties
    scores[:, 0] = 99.0  # the padding column must never count
    targets = np.zeros((b, r), int)
    for u in range(b):
        n_held = rng.integers(1, r + 1)
        targets[u, :n_held] = rng.choice(np.arange(1, n_ids), n_held, replace=False)
    targets[-1] = 0  # a user without held-out items
    return rng, scores, targets


@pytest.mark.formula("eq-hr-at-k")
@pytest.mark.formula("eq-precision-at-k")
@pytest.mark.formula("eq-recall-at-k")
@pytest.mark.formula("eq-f1-at-k")
@pytest.mark.formula("eq-accuracy-at-k")
@pytest.mark.formula("eq-ndcg-at-k")
@pytest.mark.formula("eq-mrr")
@pytest.mark.formula("eq-map-at-k")
@pytest.mark.formula("eq-auc")
@pytest.mark.formula("eq-rank")
@pytest.mark.parametrize("name", METRICS)
@pytest.mark.parametrize("ties", ["pessimistic", "optimistic", "expected"])
@pytest.mark.parametrize("r", [1, 2])
@pytest.mark.parametrize("restrict", ["all", "exclude", "candidates"])
def test_matches_reference(name, ties, r, restrict):
    rng, scores, targets = _case(seed=zlib.crc32(f"{name}{ties}{r}{restrict}".encode()), r=r)
    kwargs, ref_kwargs = {}, {}
    if restrict == "exclude":
        exclude = rng.integers(0, 6, size=(len(scores), 2))  # padded with 0 sometimes
        kwargs["exclude"], ref_kwargs["exclude"] = exclude, exclude
    if restrict == "candidates":
        mask = rng.random(scores.shape) < 0.6
        kwargs["candidates"] = mask
        ref_kwargs["candidates"] = [np.flatnonzero(row) for row in mask]
    for k in (1, 3, 50):  # 50 > catalogue
        if ties == "expected" and r > 1 and name in NONLINEAR:
            with pytest.raises(ValueError, match="one held-out item per user"):
                call(name, scores, targets, k, ties=ties, **kwargs)
            continue
        got = call(name, scores, targets, k, ties=ties, reduction="none", **kwargs)
        want = ref.metric(name, scores, targets, None if name == "auc" else k, ties, **ref_kwargs)
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
        mean = call(name, scores, targets, k, ties=ties, **kwargs)
        assert mean == pytest.approx(np.nanmean(want))


@pytest.mark.formula("eq-rank")
def test_ranks_by_hand():
    # ids:       0    1    2    3    4    5
    s = np.array([[9.0, 0.5, 0.9, 0.5, 0.5, 0.1]])
    # item 3 scores 0.5: one item (2) higher, two others (1, 4) tied; padding 0 ignored
    # pessimistic 1 + 1 + 2 = 4, optimistic 1 + 1 = 2, expected 1 + 1 + 2/2 = 3
    assert metrics.ranks(s, [3]).tolist() == [[4.0]]
    assert metrics.ranks(s, [3], ties="optimistic").tolist() == [[2.0]]
    assert metrics.ranks(s, [3], ties="expected").tolist() == [[3.0]]
    # excluding the seen items 2 and 4 leaves 1 tied above: pessimistic rank 2
    assert metrics.ranks(s, [3], exclude=[[2, 4]]).tolist() == [[2.0]]
    # two held-out items tied with each other and item 1: pessimistic 1 + 1 + 1 = 3 and
    # 1 + 1 (other held-out first) + 1 + 1 = 4
    assert metrics.ranks(s, [[3, 4]]).tolist() == [[3.0, 4.0]]


@pytest.mark.formula("eq-hr-at-k")
@pytest.mark.formula("eq-precision-at-k")
@pytest.mark.formula("eq-recall-at-k")
@pytest.mark.formula("eq-f1-at-k")
@pytest.mark.formula("eq-accuracy-at-k")
@pytest.mark.formula("eq-ndcg-at-k")
@pytest.mark.formula("eq-mrr")
@pytest.mark.formula("eq-map-at-k")
@pytest.mark.formula("eq-auc")
def test_hand_worked_metrics():
    # ids 0..6, scores: item 5 first, then 1, 3, 6, 2, 4 -> list (5, 1, 3, 6, 2, 4)
    s = np.array([[0.0, 0.8, 0.3, 0.7, 0.1, 0.9, 0.4]])
    held = [[3, 2]]  # positions 3 and 5
    # HR@3 = 1; P@3 = 1/3; R@3 = 1/2; F1@3 = 2 * 1 / (3 + 2) = 0.4
    assert metrics.hit_rate_at_k(s, held, 3) == 1.0
    assert metrics.precision_at_k(s, held, 3) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(s, held, 3) == pytest.approx(0.5)
    assert metrics.f1_at_k(s, held, 3) == pytest.approx(0.4)
    # Acc@3: N = 6, TP = 1, TN = 6 - 3 - 2 + 1 = 2 -> 3/6
    assert metrics.accuracy_at_k(s, held, 3) == pytest.approx(0.5)
    # NDCG@5 = (1/log2 4 + 1/log2 6) / (1/log2 2 + 1/log2 3) = (0.5 + 0.386853) / 1.630930
    #        = 0.886853 / 1.630930 = 0.543771
    assert metrics.ndcg_at_k(s, held, 5) == pytest.approx(0.543771, abs=1e-6)
    # MRR = 1/3; MAP@5 = (1/3 + 2/5) / 2 = 0.366667
    assert metrics.mrr(s, held) == pytest.approx(1 / 3)
    assert metrics.map_at_k(s, held, 5) == pytest.approx(0.366667, abs=1e-6)
    # AUC: the other items are 5, 1, 6, 4; item 3 is above 6 and 4 (2 of 4),
    #      item 2 is above 4 (1 of 4): (2/4 + 1/4) / 2 = 0.375
    assert metrics.auc(s, held) == pytest.approx(0.375)


@pytest.mark.formula("eq-hr-at-k")
@pytest.mark.formula("eq-ndcg-at-k")
def test_constant_model_scores_chance_never_one():
    n_items, b = 50, 7
    s = np.zeros((b, n_items + 1))
    targets = np.arange(1, b + 1)
    # pessimistic: every held-out item has rank N
    assert np.all(metrics.ranks(s, targets) == n_items)
    assert metrics.hit_rate_at_k(s, targets, 10) == 0.0
    assert metrics.ndcg_at_k(s, targets, 10) == 0.0
    # expected: the chance value, HR@K = K / N and MRR = H_N / N
    assert metrics.hit_rate_at_k(s, targets, 10, ties="expected") == pytest.approx(10 / 50)
    harmonic = sum(1 / r for r in range(1, n_items + 1))
    assert metrics.mrr(s, targets, ties="expected") == pytest.approx(harmonic / n_items)
    ndcg_chance = sum(1 / np.log2(r + 1) for r in range(1, 11)) / n_items
    assert metrics.ndcg_at_k(s, targets, 10, ties="expected") == pytest.approx(ndcg_chance)
    assert metrics.auc(s, targets, ties="expected") == pytest.approx(0.5)
    assert metrics.auc(s, targets) == 0.0
    # optimistic is the bug this policy exists to avoid: a constant model "wins"
    assert metrics.hit_rate_at_k(s, targets, 10, ties="optimistic") == 1.0


def test_k_larger_than_catalogue_and_users_without_held_out_items():
    s = np.array([[0.0, 0.3, 0.2, 0.1], [0.0, 0.3, 0.2, 0.1], [0.0, 0.3, 0.2, 0.1]])
    targets = [[3], [0], [1]]  # user 1 has no held-out item: skipped
    # K = 10 > N = 3: every item is listed, HR = 1, precision = 1/3 (list of 3), not 1/10
    assert metrics.hit_rate_at_k(s, targets, 10) == 1.0
    assert metrics.precision_at_k(s, targets, 10) == pytest.approx(1 / 3)
    per_user = metrics.ndcg_at_k(s, targets, 10, reduction="none")
    assert np.isnan(per_user[1])
    assert per_user[0] == pytest.approx(0.5) and per_user[2] == 1.0  # ranks 3 and 1
    with pytest.raises(ValueError, match="no user has a held-out item"):
        metrics.hit_rate_at_k(s, [0, 0, 0], 5)


def test_invalid_inputs_raise_clear_errors():
    s = np.zeros((3, 5))
    s[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN in row 1"):
        metrics.ndcg_at_k(s, [1, 2, 3], 2)
    s = np.zeros((2, 5))
    with pytest.raises(ValueError, match="k must be a positive integer"):
        metrics.ndcg_at_k(s, [1, 2], 0)
    with pytest.raises(ValueError, match="ties='random'"):
        metrics.hit_rate_at_k(s, [1, 2], 1, ties="random")
    with pytest.raises(ValueError, match=r"targets must be item ids in \[1, 4\]"):
        metrics.hit_rate_at_k(s, [1, 5], 1)
    with pytest.raises(ValueError, match="lists a held-out item twice"):
        metrics.hit_rate_at_k(s, [[1, 1], [2, 0]], 1)
    with pytest.raises(ValueError, match=r"targets must have shape \(B,\)"):
        metrics.hit_rate_at_k(s, [1, 2, 3], 1)
    with pytest.raises(ValueError, match=r"scores must have shape \(B, n_ids\)"):
        metrics.hit_rate_at_k(np.zeros(5), [1], 1)
    with pytest.raises(ValueError, match="exclude"):
        metrics.hit_rate_at_k(s, [1, 2], 1, exclude=np.zeros((2, 3), bool))


@pytest.mark.formula("eq-auc")
def test_auc_skips_users_with_nothing_to_compare():
    s = np.array([[0.0, 0.9, 0.5], [0.0, 0.9, 0.5]])
    # user 0 excludes item 1, leaving only its held-out item 2: no pair, NaN, skipped
    per_user = metrics.auc(s, [2, 2], exclude=[[1], [0]], reduction="none")
    assert np.isnan(per_user[0]) and per_user[1] == 0.0
    assert metrics.auc(s, [2, 2], exclude=[[1], [0]]) == 0.0


def test_an_excluded_held_out_item_is_a_miss_not_a_free_hit():
    # Regression: an excluded held-out item used to be exempt from the exclusion, so a model that
    # ranked the history first got rank 1 on every repeat purchase. The candidates must not
    # depend on the target: a held-out item that is excluded is not ranked at all.
    s = np.array([[0.0, 0.9, 0.5, 0.1]])
    # history 1, 2; the held-out item 2 is a repeat: excluded with the rest of the history
    assert metrics.ranks(s, [2], exclude=[[1, 2]]).tolist() == [[np.inf]]
    assert metrics.hit_rate_at_k(s, [2], 3, exclude=[[1, 2]]) == 0.0
    assert metrics.ndcg_at_k(s, [2], 3, exclude=[[1, 2]]) == 0.0
    assert metrics.auc(s, [2], exclude=[[1, 2]]) == 0.0
    # of two held-out items, the excluded one is missed and the other is ranked among the rest
    assert metrics.ranks(s, [[2, 3]], exclude=[[1, 2]]).tolist() == [[np.inf, 1.0]]
    assert metrics.recall_at_k(s, [[2, 3]], 1, exclude=[[1, 2]]) == 0.5


def test_an_unknown_held_out_item_is_a_miss():
    s = np.array([[0.0, 0.9, 0.5, 0.1], [0.0, 0.9, 0.5, 0.1]])
    # user 0's target is outside the catalogue (-1): counted, never hit; user 1 hits item 1
    assert metrics.hit_rate_at_k(s, [-1, 1], 1, reduction="none").tolist() == [0.0, 1.0]
    assert metrics.mrr(s, [-1, 1]) == 0.5
    with pytest.raises(ValueError, match="outside the catalogue"):
        metrics.hit_rate_at_k(s, [-2, 1], 1)


@pytest.mark.parametrize("name", METRICS)
@pytest.mark.parametrize("ties", ["pessimistic", "optimistic"])
def test_unknown_and_excluded_targets_match_the_reference(name, ties):
    rng, scores, targets = _case(seed=zlib.crc32(f"unknown{name}{ties}".encode()), r=2)
    targets[0, 1] = -1  # user 0 also chose an item outside the catalogue
    exclude = np.concatenate([targets.clip(0)[:, :1], rng.integers(0, 6, (len(targets), 1))], 1)
    for k in (1, 3):
        got = call(name, scores, targets, k, ties=ties, exclude=exclude, reduction="none")
        want = ref.metric(
            name, scores, targets, None if name == "auc" else k, ties, exclude=exclude
        )
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


# ---- properties ---------------------------------------------------------------------------

score_matrices = st.integers(0, 2**31 - 1).map(np.random.default_rng)


@settings(max_examples=50, deadline=None)
@given(rng=score_matrices, n_ids=st.integers(3, 12), k=st.integers(1, 14))
@pytest.mark.formula("eq-ndcg-at-k")
@pytest.mark.formula("eq-hr-at-k")
@pytest.mark.formula("eq-mrr")
@pytest.mark.formula("eq-auc")
def test_properties_permutation_invariance_bounds_monotonicity(rng, n_ids, k):
    b = 4
    scores = rng.integers(0, 4, size=(b, n_ids)).astype(float)
    targets = rng.integers(1, n_ids, size=b)
    targets[0] = 0 if rng.random() < 0.3 else targets[0]
    targets[1] = max(1, targets[1])
    exclude = rng.integers(0, n_ids, size=(b, 2))
    perm = np.r_[0, 1 + rng.permutation(n_ids - 1)]  # relabel items, padding stays 0
    inverse = np.argsort(perm)  # new id of old id j is inverse[j]
    permuted_scores = scores[:, perm]
    for name in FUNCTIONS:
        for ties in ("pessimistic", "optimistic", "expected"):
            value = call(name, scores, targets, k, ties=ties, exclude=exclude, reduction="none")
            # in [0, 1]
            assert np.all((value[~np.isnan(value)] >= 0) & (value[~np.isnan(value)] <= 1 + 1e-12))
            # consistent relabelling of items changes nothing
            again = call(
                name,
                permuted_scores,
                inverse[targets],
                k,
                ties=ties,
                exclude=inverse[exclude],
                reduction="none",
            )
            np.testing.assert_allclose(value, again, rtol=1e-12, equal_nan=True)
            # raising the held-out item's score never lowers a metric (accuracy included)
            raised = scores.copy()
            raised[np.arange(b), targets] += 1.0
            better = call(name, raised, targets, k, ties=ties, exclude=exclude, reduction="none")
            ok = ~np.isnan(value)
            assert np.all(better[ok] >= value[ok] - 1e-12)
    # a larger K never lowers HR or recall
    for fn in (metrics.hit_rate_at_k, metrics.recall_at_k):
        assert (
            fn(scores, targets, k + 1, reduction="none")[1]
            >= fn(scores, targets, k, reduction="none")[1]
        )


@pytest.mark.parametrize("name", METRICS)
def test_a_user_with_every_item_excluded_gets_an_empty_list(name):
    s = np.array([[0.0, 0.9, 0.5], [0.0, 0.9, 0.5]])
    # user 0 has seen both items and its target is one of them: nothing left to recommend
    got = call(name, s, [1, 1], 2, exclude=[[1, 2], [0, 0]], reduction="none")
    want = ref.metric(name, s, [1, 1], None if name == "auc" else 2, "pessimistic",
                      exclude=[[1, 2], [0, 0]])  # fmt: skip
    np.testing.assert_allclose(got, want, equal_nan=True)
    if name not in ("accuracy", "auc"):
        assert got[0] == 0.0  # a miss, not NaN


@pytest.mark.formula("eq-rank")
def test_the_reference_rank_is_the_fast_one():
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 4, size=(20, 9)).astype(float)
    for row in scores:
        item, seen = int(rng.integers(1, 9)), tuple(int(j) for j in rng.integers(1, 9, 2))
        for ties in ("pessimistic", "optimistic"):
            fast = metrics.ranks(row[None], [item], ties=ties, exclude=[list(seen)])[0, 0]
            assert fast == ref.rank(row, item, exclude=seen, ties=ties)
