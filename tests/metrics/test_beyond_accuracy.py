"""Catalogue coverage and popularity bias of top-K lists."""

from __future__ import annotations

import numpy as np
import pytest

from reclab import metrics


@pytest.mark.formula("eq-catalogue-coverage")
def test_coverage_by_hand_and_against_a_set():
    lists = np.array([[1, 2, 3], [3, 2, 0], [7, 1, 2]])
    # union {1, 2, 3, 7} of N = 10 items; the empty slot 0 is not an item
    assert metrics.catalogue_coverage(lists, num_items=10) == pytest.approx(0.4)
    rng = np.random.default_rng(0)
    lists = rng.integers(1, 30, size=(20, 5))
    want = len({int(i) for row in lists for i in row}) / 29
    assert metrics.catalogue_coverage(lists, 29) == pytest.approx(want)


@pytest.mark.formula("eq-popularity-bias")
def test_popularity_bias_by_hand_and_against_a_loop():
    phi = np.array([0.0, 0.6, 0.3, 0.1])
    # user 0: (0.6 + 0.3) / 2 = 0.45, user 1: (0.1) / 1 (slot 0 empty) = 0.1 -> 0.275
    assert metrics.popularity_bias([[1, 2], [3, 0]], phi) == pytest.approx(0.275)
    rng = np.random.default_rng(1)
    phi = rng.random(40)
    lists = rng.integers(1, 40, size=(10, 4))
    want = np.mean([np.mean([phi[i] for i in row]) for row in lists])
    assert metrics.popularity_bias(lists, phi) == pytest.approx(want)


def test_invalid_lists_raise():
    with pytest.raises(ValueError, match=r"\(B, K\) integer array"):
        metrics.catalogue_coverage([1, 2, 3], 5)
    with pytest.raises(ValueError, match="id 9 > num_items=5"):
        metrics.catalogue_coverage([[9]], 5)
    with pytest.raises(ValueError, match="one value per item id"):
        metrics.popularity_bias([[4]], [0.0, 0.5])
    with pytest.raises(ValueError, match="every list is empty"):
        metrics.popularity_bias([[0, 0]], [0.0, 0.5])
