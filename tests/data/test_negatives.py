from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclab.data import NegativeSampler, item_weights, sample_negatives


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
