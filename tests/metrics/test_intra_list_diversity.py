"""Intra-list diversity: by hand, against the plain-Python reference, and its invalid input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reclab import metrics
from reclab.reference import rerank as ref

generators = st.integers(0, 2**31 - 1).map(np.random.default_rng)


@pytest.mark.formula("eq-intra-list-diversity")
def test_intra_list_diversity_by_hand():
    genres = np.array([[0, 0], [1, 0], [1, 0], [0, 1], [1, 1], [0, 0]])  # item 5: no genre
    # user 0: pairs (1, 2) 0, (1, 3) 1, (2, 3) 1 -> 2/3; user 1: (1, 4) 1 - 1/sqrt(2) -> 0.2929;
    # user 2 (one item) has no pair and is left out; mean (0.6667 + 0.2929) / 2
    lists = [[1, 2, 3], [4, 0, 1], [0, 3, 0]]
    want = (2 / 3 + 1 - 1 / np.sqrt(2)) / 2
    assert metrics.intra_list_diversity(lists, genres) == pytest.approx(want)
    # a zero vector is unlike everything (similarity 0, distance 1)
    assert metrics.intra_list_diversity([[1, 5]], genres) == pytest.approx(1.0)
    # the same items in any order, padded anywhere: the same diversity
    assert metrics.intra_list_diversity([[3, 0, 2, 1]], genres) == pytest.approx(2 / 3)


@settings(max_examples=40, deadline=None)
@given(rng=generators, n_users=st.integers(1, 6), k=st.integers(2, 8), multi_hot=st.booleans())
@pytest.mark.formula("eq-intra-list-diversity")
def test_intra_list_diversity_equals_the_reference(rng, n_users, k, multi_hot):
    n_items = 12
    if multi_hot:
        vectors = (rng.random((n_items + 1, 5)) < 0.4).astype(float)
    else:
        vectors = rng.normal(size=(n_items + 1, 4))
    lists = np.stack([rng.permutation(np.arange(1, n_items + 1))[:k] for _ in range(n_users)])
    lists[rng.random(lists.shape) < 0.2] = 0
    lists[0, :2] = [1, 2]  # at least one list with a pair
    got = metrics.intra_list_diversity(lists, vectors)
    assert got == pytest.approx(ref.intra_list_diversity(lists, vectors), rel=1e-12, abs=1e-12)
    assert -1e-12 <= got <= (1 + 1e-12 if multi_hot else 2 + 1e-12)


def test_intra_list_diversity_invalid_input():
    genres = np.eye(4)
    with pytest.raises(ValueError, match=r"recommendations must be a \(B, K\) integer array"):
        metrics.intra_list_diversity([1, 2], genres)
    with pytest.raises(
        ValueError, match=r"item_vectors must be an \(n_ids, d\) array .*at least 8"
    ):
        metrics.intra_list_diversity([[1, 7]], genres)
    with pytest.raises(ValueError, match="NaN or infinite"):
        metrics.intra_list_diversity([[1, 2]], np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="no list holds two items"):
        metrics.intra_list_diversity([[1, 0], [0, 0]], genres)
