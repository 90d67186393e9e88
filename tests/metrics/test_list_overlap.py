"""Overlap of two sets of top-K lists: order-free, empty slots not counted."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.metrics import list_overlap


def test_overlap_counts_shared_items_per_reference_list():
    assert list_overlap([[1, 2, 3]], [[3, 2, 1]]) == 1.0  # order does not matter
    assert list_overlap([[1, 2, 0]], [[1, 5, 0]]) == 0.5  # of the two real reference items
    rng = np.random.default_rng(0)
    a, b = rng.integers(1, 50, (30, 10)), rng.integers(1, 50, (30, 10))
    want = np.mean([len(set(x) & set(y)) / len(set(y)) for x, y in zip(a, b, strict=True)])
    assert list_overlap(a, b) == pytest.approx(want)


def test_one_list_per_user_on_both_sides():
    with pytest.raises(ValueError, match="2 lists against 1 reference"):
        list_overlap([[1], [2]], [[1]])
