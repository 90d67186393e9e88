from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclab.data.negatives import ExcludedItems, NegativeSampler, item_weights, sample_negatives
from reclab.data.sequences import Sequences


def test_item_weights() -> None:
    assert item_weights(3).tolist() == [0, 1, 1, 1]
    counts = np.array([7, 4, 0, 1])
    assert item_weights(3, "popularity", counts).tolist() == [0, 4, 0, 1]
    assert item_weights(3, "popularity", counts, power=0.5).tolist() == [0, 2, 0, 1]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((1,), "at least 2"),
        ((3, "popularity"), "needs item_counts"),
        ((3, "popularity", np.array([1, 2])), "shape \\(4,\\)"),
        ((3, "popularity", np.array([0, 1, -1, 1])), "non-negative"),
        ((3, "zipf"), "distribution='zipf'"),
    ],
)
def test_item_weights_errors(args, words) -> None:
    with pytest.raises(ValueError, match=words):
        item_weights(*args)


@given(st.integers(2, 30), st.integers(0, 2**32 - 1), st.sampled_from(["uniform", "popularity"]))
def test_never_the_positive_never_padding_and_in_range(n, seed, dist) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 50, n + 1)
    weights = item_weights(n, dist, counts)
    positives = rng.integers(0, n + 1, (7, 5))
    neg = sample_negatives(positives, 3, weights, rng)
    assert neg.shape == (7, 5, 3) and neg.dtype == np.int32
    assert (neg != positives[..., None]).all()
    assert neg.min() >= 1 and neg.max() <= n


@pytest.mark.parametrize(
    ("weights", "method"),
    [
        (np.array([0, 10, 5, 1, 4.0]), "table"),  # integer counts
        (np.array([0, 1.0, 0.5, 0.1, 0.4]), "cdf"),  # any weights
        (np.array([0, 2.0, 2.0, 2.0, 2.0]), "uniform"),
    ],
)
def test_each_method_draws_w_j_over_w_minus_w_p(weights, method) -> None:
    sampler = NegativeSampler(weights)
    assert sampler.method == method
    for positive in (0, 2):
        neg = sampler.sample(np.full(50_000, positive), 2, np.random.default_rng(0)).ravel()
        freq = np.bincount(neg, minlength=5) / neg.size
        expected = weights.copy()
        expected[positive] = 0
        np.testing.assert_allclose(freq, expected / expected.sum(), atol=0.01)


def test_zero_weight_items_are_never_drawn_and_seed_reproduces() -> None:
    weights = item_weights(4, "popularity", np.array([0, 3, 0, 2, 0]))
    neg = sample_negatives(np.arange(5), 50, weights, np.random.default_rng(1))
    assert set(np.unique(neg)) <= {1, 3}
    assert (neg[1] == 3).all() and (neg[3] == 1).all()
    again = sample_negatives(np.arange(5), 50, weights, np.random.default_rng(1))
    np.testing.assert_array_equal(neg, again)


def test_non_integer_weights_are_still_exact() -> None:
    weights = np.array([0.0, 0.1, 0.2, 0.30000000000000004])
    neg = sample_negatives(np.full(5000, 3), 2, weights, np.random.default_rng(2))
    assert (neg != 3).all()


def test_sampler_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match=r"weights\[0\] == 0"):
        NegativeSampler(np.array([1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="finite and non-negative"):
        NegativeSampler(np.array([0.0, 1.0, -1.0]))


def test_errors() -> None:
    weights = item_weights(3)
    with pytest.raises(ValueError, match=r"positive ids must be in 0\.\.3"):
        sample_negatives(np.array([4]), 1, weights, np.random.default_rng(0))
    with pytest.raises(ValueError, match="holds all the weight"):
        sample_negatives(np.array([1]), 1, np.array([0.0, 1.0, 0.0]), np.random.default_rng(0))


# --- excluding each row's own items (the papers' samplers) -------------------------------------


def histories(num_rows: int, num_items: int, max_share: float, rng: np.random.Generator):
    """Random item sets per row, the largest covering about ``max_share`` of the items."""
    sizes = np.maximum(1, (max_share * num_items * rng.random(num_rows) ** 4).astype(int))
    sizes[0] = int(max_share * num_items)
    rows = np.repeat(np.arange(num_rows), sizes)
    items = np.concatenate(
        [rng.choice(np.arange(1, num_items + 1), s, replace=False) for s in sizes]
    )
    return rows, items


def test_excluded_items_from_sequences_and_contains_broadcasts_rows() -> None:
    df = pd.DataFrame({"user_id": [7, 7, 7, 9], "item_id": [3, 1, 3, 2], "timestamp": [1, 2, 3, 1]})
    seqs = Sequences.from_interactions(df)
    excluded = ExcludedItems.from_sequences(seqs, num_items=4)
    assert (excluded.num_rows, excluded.num_items, len(excluded)) == (2, 4, 3)  # repeats once
    assert excluded.items_of(0).tolist() == [1, 3] and excluded.items_of(1).tolist() == [2]
    items = np.array([[[1, 2], [3, 4]], [[1, 2], [0, 9]]])  # (2 rows, 2, 2)
    expected = [[[True, False], [True, False]], [[False, True], [False, False]]]
    assert excluded.contains(np.array([0, 1]), items).tolist() == expected
    assert excluded.contains(np.array([[0, 0], [1, 1]]), items).tolist() == expected
    assert excluded.contains(1, np.array([2, 3])).tolist() == [True, False]
    same = ExcludedItems.from_pairs(np.array([1, 0, 0]), np.array([2, 3, 1]), num_items=4)
    np.testing.assert_array_equal(same.keys, excluded.keys)
    assert excluded.counts().tolist() == [2, 1]
    assert excluded.counts(np.array([0, 1, 1, 0.0])).tolist() == [1, 1]  # item 3 weighs 0 ...
    assert excluded.counts(np.array([0, 1, 0.0])).tolist() == [1, 0]  # ... or is not there


def test_excluded_items_errors() -> None:
    with pytest.raises(ValueError, match="same shape"):
        ExcludedItems.from_pairs(np.array([0, 1]), np.array([1]))
    with pytest.raises(ValueError, match="non-negative"):
        ExcludedItems.from_pairs(np.array([0, -1]), np.array([1, 2]))
    with pytest.raises(ValueError, match="num_items=2"):
        ExcludedItems.from_pairs(np.array([0, 1]), np.array([1, 3]), num_items=2)
    with pytest.raises(ValueError, match="num_rows=1"):
        ExcludedItems.from_pairs(np.array([0, 1]), np.array([1, 2]), num_rows=1)
    excluded = ExcludedItems.from_pairs(np.array([0, 1]), np.array([1, 2]))
    with pytest.raises(ValueError, match=r"rows must be in 0\.\.1"):
        excluded.contains(np.array([2]), np.array([1]))
    with pytest.raises(ValueError, match="leading axes"):
        excluded.contains(np.array([0, 1, 0]), np.array([[1], [2]]))


@given(
    st.integers(2, 30),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["uniform", "popularity", "power"]),
    st.booleans(),
)
def test_excluded_items_and_the_positive_are_never_drawn(n, seed, dist, per_position) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 50, n + 1)
    weights = item_weights(
        n,
        "uniform" if dist == "uniform" else "popularity",
        counts,
        power=0.75 if dist == "power" else 1.0,
    )
    num_rows = 6
    rows, items = histories(num_rows, n, 0.6, rng)
    excluded = ExcludedItems.from_pairs(rows, items, num_rows=num_rows, num_items=n)
    # as in training, each positive is an item of its row's own history (or padding, 0)
    offsets = np.searchsorted(rows, np.arange(num_rows + 1))
    picks = offsets[:-1, None] + (rng.random((num_rows, 5)) * np.diff(offsets)[:, None]).astype(int)
    positives = np.where(rng.random((num_rows, 5)) < 0.2, 0, items[picks])
    user_rows = np.arange(num_rows) if not per_position else np.tile(np.arange(num_rows), (5, 1)).T
    neg = sample_negatives(positives, 4, weights, rng, exclude=excluded, rows=user_rows)
    assert neg.shape == (num_rows, 5, 4) and neg.dtype == np.int32
    assert not excluded.contains(np.arange(num_rows), neg).any()
    assert (neg != positives[..., None]).all()
    assert neg.min() >= 1 and neg.max() <= n


def restricted(weights: np.ndarray, excluded_items, positive: int) -> np.ndarray:
    """The exact target: w_j over the allowed j (not excluded, not the positive)."""
    allowed = weights.astype(np.float64).copy()
    allowed[list(excluded_items)] = 0
    allowed[positive] = 0
    return allowed / allowed.sum()


def assert_frequencies(draws: np.ndarray, expected: np.ndarray) -> None:
    """Chi-square test at a fixed seed: zero where the target is zero, and a statistic below
    its mean plus 5 standard deviations elsewhere."""
    observed = np.bincount(draws.ravel(), minlength=len(expected))
    assert (observed[expected == 0] == 0).all()
    n, nonzero = draws.size, expected > 0
    chi2 = (((observed - n * expected)[nonzero]) ** 2 / (n * expected[nonzero])).sum()
    df = nonzero.sum() - 1
    assert chi2 <= df + 5 * np.sqrt(2 * df), (chi2, df)


@pytest.mark.parametrize(
    ("weights", "method"),
    [
        (np.array([0, 2.0, 2, 2, 2, 2, 2, 2]), "uniform"),
        (np.array([0, 10, 5, 1, 4, 0, 7, 3.0]), "table"),
        (np.array([0, 1.0, 0.5, 0.1, 0.4, 0.0, 0.7, 0.25]), "cdf"),
    ],
)
def test_each_method_draws_the_exact_restricted_distribution(weights, method) -> None:
    sampler = NegativeSampler(weights)
    assert sampler.method == method
    # row 0 has items 1, 4; row 1 has 2, 3, 6, 7 (only 1 and 4 left); row 2 has nothing
    excluded = ExcludedItems.from_pairs(
        np.array([0, 0, 1, 1, 1, 1]), np.array([1, 4, 2, 3, 6, 7]), num_rows=3, num_items=7
    )
    for row, positive in [(0, 2), (0, 4), (1, 1), (1, 0), (2, 6), (2, 0)]:
        neg = sampler.sample(
            np.full(20_000, positive),
            3,
            np.random.default_rng(row * 8 + positive),
            exclude=excluded,
            rows=np.full(20_000, row),
        )
        assert_frequencies(neg, restricted(weights, excluded.items_of(row), positive))


def test_rows_whose_allowed_items_are_rare_still_get_exact_draws() -> None:
    # 2000 items; row 0 has every item but 7 and 8, which hold 4 of the 999,004 units of weight:
    # rejection alone would take ~250,000 rounds; after MAX_REJECTION_ROUNDS the rest is drawn
    # from the row's allowed items directly.
    n = 2000
    weights = np.full(n + 1, 500.0)
    weights[0], weights[7], weights[8] = 0.0, 1.0, 3.0
    items = np.setdiff1d(np.arange(1, n + 1), [7, 8])
    excluded = ExcludedItems.from_pairs(np.zeros(len(items), dtype=int), items, num_items=n)
    positives = np.full(4000, 5)
    neg = sample_negatives(
        positives,
        2,
        weights,
        np.random.default_rng(0),
        exclude=excluded,
        rows=np.zeros(4000, dtype=int),
    )
    assert set(np.unique(neg)) == {7, 8}
    assert_frequencies(neg, restricted(weights, items, 5))
    only_one = sample_negatives(
        np.array([8]), 5, weights, np.random.default_rng(1), exclude=excluded, rows=np.array([0])
    )
    assert only_one.tolist() == [[7] * 5]


def test_a_row_with_nothing_left_to_draw_is_named() -> None:
    weights = item_weights(3)
    excluded = ExcludedItems.from_pairs(np.array([0, 1, 1]), np.array([1, 1, 2]), num_items=3)
    # row 0 has item 1, row 1 has items 1 and 2: item 3 is all that is left to either
    ok = sample_negatives(
        np.array([2, 0]),
        4,
        weights,
        np.random.default_rng(0),
        exclude=excluded,
        rows=np.array([0, 1]),
    )
    assert ok.tolist() == [[3] * 4, [3] * 4]
    with pytest.raises(ValueError, match=r"row 1 .*positive 3"):
        sample_negatives(
            np.array([2, 3]),
            1,
            weights,
            np.random.default_rng(0),
            exclude=excluded,
            rows=np.array([1, 1]),
        )
    # zero-weight items do not count as something left
    popular = item_weights(3, "popularity", np.array([0, 4, 2, 0]))
    with pytest.raises(ValueError, match="row 1"):
        sample_negatives(
            np.array([0]),
            1,
            popular,
            np.random.default_rng(0),
            exclude=excluded,
            rows=np.array([1]),
        )


def test_exclusion_arguments_are_checked() -> None:
    weights = item_weights(5)
    excluded = ExcludedItems.from_pairs(np.array([0, 1]), np.array([1, 2]), num_items=5)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="rows="):
        sample_negatives(np.array([1, 2]), 1, weights, rng, exclude=excluded)
    with pytest.raises(ValueError, match="exclude="):
        sample_negatives(np.array([1, 2]), 1, weights, rng, rows=np.array([0, 1]))
    with pytest.raises(ValueError, match="leading axes"):
        sample_negatives(np.array([1, 2]), 1, weights, rng, exclude=excluded, rows=np.array([0]))
    with pytest.raises(ValueError, match=r"rows must be in 0\.\.1"):
        sample_negatives(np.array([1, 2]), 1, weights, rng, exclude=excluded, rows=np.array([0, 5]))


def test_exclusion_is_deterministic_given_a_seed() -> None:
    rng = np.random.default_rng(3)
    rows, items = histories(20, 50, 0.5, rng)
    excluded = ExcludedItems.from_pairs(rows, items)
    sampler = NegativeSampler(item_weights(50, "popularity", rng.integers(0, 9, 51), power=0.5))
    positives = rng.integers(1, 51, (20, 7))
    first = sampler.sample(
        positives, 6, np.random.default_rng(11), exclude=excluded, rows=np.arange(20)
    )
    again = sampler.sample(
        positives, 6, np.random.default_rng(11), exclude=excluded, rows=np.arange(20)
    )
    np.testing.assert_array_equal(first, again)


def test_default_sampler_draws_are_unchanged_by_the_exclusion_option() -> None:
    # without exclude= the random stream is the same as before: the default is not slowed down
    weights = item_weights(30, "popularity", np.arange(31) % 7, power=0.75)
    positives = np.random.default_rng(0).integers(0, 31, (8, 5))
    sampler = NegativeSampler(weights)
    a = sampler.sample(positives, 4, np.random.default_rng(5))
    b = sampler.sample(positives, 4, np.random.default_rng(5), exclude=None, rows=None)
    np.testing.assert_array_equal(a, b)


def test_realistic_exclusion_is_fast_and_exact() -> None:
    # MovieLens latest-small scale: 600 users, 9,700 items, the heaviest history 58 % of items;
    # a batch of 128 users x 50 positions x 256 negatives. Prints the time (-s); no assertion.
    rng = np.random.default_rng(0)
    num_users, num_items = 600, 9700
    rows, items = histories(num_users, num_items, 0.58, rng)
    excluded = ExcludedItems.from_pairs(rows, items, num_rows=num_users, num_items=num_items)
    sampler = NegativeSampler(item_weights(num_items))
    batch = np.concatenate([[0], rng.choice(np.arange(1, num_users), 127, replace=False)])
    positives = rng.integers(1, num_items + 1, (128, 50))
    start = time.perf_counter()
    neg = sampler.sample(positives, 256, rng, exclude=excluded, rows=batch)
    elapsed = time.perf_counter() - start
    print(f"\n128 x 50 x 256 negatives excluding each user's items: {elapsed:.3f} s")
    assert neg.shape == (128, 50, 256)
    assert not excluded.contains(batch, neg).any() and (neg != positives[..., None]).all()
