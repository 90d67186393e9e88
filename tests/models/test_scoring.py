"""Tests of reclab.models.scoring against the NumPy definition s_t(i) = h_t . e_i."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from reclab.models import dot_scores


def reference_dot_scores(hidden: np.ndarray, items: np.ndarray) -> np.ndarray:
    """s(i) = sum_k h[k] e_i[k], by explicit loops over every leading index and item."""
    hidden = np.asarray(hidden, dtype=np.float64)
    out = np.zeros((*hidden.shape[:-1], items.shape[0]))
    for index in np.ndindex(*hidden.shape[:-1]):
        for i in range(items.shape[0]):
            out[(*index, i)] = sum(hidden[index][k] * items[i, k] for k in range(items.shape[1]))
    return out


@pytest.mark.formula("eq-dot-score")
@pytest.mark.parametrize("leading", [(1,), (3,), (2, 5)])
@pytest.mark.parametrize(("n_items", "d"), [(1, 1), (7, 4), (20, 16)])
def test_matches_reference(leading: tuple[int, ...], n_items: int, d: int) -> None:
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(*leading, d))
    items = rng.normal(size=(n_items, d))
    got = dot_scores(hidden, items).numpy()
    assert got.shape == (*leading, n_items)
    np.testing.assert_allclose(got, reference_dot_scores(hidden, items), rtol=1e-12)


@pytest.mark.formula("eq-dot-score")
def test_hand_worked_case() -> None:
    hidden = np.array([[1.0, 2.0]])
    items = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # item 1: 1*1 + 2*0 = 1; item 2: 1*0 + 2*1 = 2; item 3: 1*1 + 2*1 = 3
    np.testing.assert_array_equal(dot_scores(hidden, items).numpy(), [[1.0, 2.0, 3.0]])


@pytest.mark.formula("eq-dot-score")
def test_gradient_is_the_other_factor() -> None:
    hidden = tf.constant([[0.5, -1.0, 2.0]], dtype=tf.float64)
    items = tf.constant(np.random.default_rng(1).normal(size=(4, 3)))
    theoretical, numerical = tf.test.compute_gradient(lambda h: dot_scores(h, items), [hidden])
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=1e-6)
    # d s(i) / d h = e_i: the Jacobian's rows are the item embeddings
    np.testing.assert_allclose(theoretical[0], items.numpy(), atol=1e-12)


def test_mismatched_sizes_raise_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"d=3 but item embeddings have d=4"):
        dot_scores(np.ones((2, 3)), np.ones((5, 4)))


def test_item_table_must_be_two_dimensional() -> None:
    with pytest.raises(ValueError, match=r"must have shape \(N, d\)"):
        dot_scores(np.ones((2, 3)), np.ones((5, 3, 1)))
