"""Top-K lists: the partition-based selection equals a stable descending argsort of every row."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.metrics.lists import top_k_ids, top_k_with_scores


def _by_sorting(scores: np.ndarray, k: int, exclude: np.ndarray | None = None):
    s = np.array(scores, dtype=np.float64)
    s[:, 0] = -np.inf
    if exclude is not None:
        s[exclude] = -np.inf
    k = min(k, s.shape[1] - 1)
    order = np.argsort(-s, axis=1, kind="stable")[:, :k]
    best = np.take_along_axis(s, order, axis=1)
    return np.where(np.isneginf(best), 0, order), best


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 3, 10, 40])
def test_lists_equal_a_stable_sort_of_every_row(seed, k) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, size=(16, 200)).astype(float)  # many ties at every threshold
    scores[rng.random(scores.shape) < 0.1] = -np.inf  # items that can never be listed
    scores[3, 5:] = -np.inf  # a row with fewer than k listable items
    exclude = rng.random(scores.shape) < 0.2
    for mask in (None, exclude):
        ids, best = top_k_with_scores(scores, k, exclude=mask)
        want_ids, want_best = _by_sorting(scores, k, mask)
        np.testing.assert_array_equal(ids, want_ids)
        np.testing.assert_array_equal(best, want_best)


def test_ties_go_to_the_lower_id_on_a_long_row() -> None:
    scores = np.zeros((1, 1_001))
    scores[0, [700, 300, 900]] = 1.0
    assert top_k_ids(scores, 5).tolist() == [[300, 700, 900, 1, 2]]
