"""Scaled dot-product attention and the masked softmax."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.models import attention_mask, masked_softmax, scaled_dot_product_attention
from reclab.reference import attention as ref


def _left_padding(rng, batch, length):
    n_pad = rng.integers(0, length, size=batch)  # at least one real item per row
    return np.arange(length)[None, :] >= n_pad[:, None]


@pytest.mark.formula("eq-scaled-dot-product")
def test_scaled_dot_product_by_hand():
    q = np.array([[1.0, 0.0]])
    k = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[10.0], [20.0]])
    out, w = scaled_dot_product_attention(q, k, v)
    # scores = [1, 0] / sqrt(2) = [0.7071, 0]; softmax = [e^.7071, 1] / (e^.7071 + 1)
    a = np.exp(1 / np.sqrt(2)) / (np.exp(1 / np.sqrt(2)) + 1)  # 0.66976
    np.testing.assert_allclose(w.numpy(), [[a, 1 - a]])
    np.testing.assert_allclose(out.numpy(), [[10 * a + 20 * (1 - a)]])


@pytest.mark.formula("eq-scaled-dot-product")
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(("batch", "t", "d_k", "d_v"), [(1, 1, 1, 1), (2, 5, 3, 4), (3, 6, 8, 2)])
def test_scaled_dot_product_matches_reference(batch, t, d_k, d_v, causal):
    rng = np.random.default_rng(t * d_k)
    q, k = rng.normal(size=(2, batch, t, d_k))
    v = rng.normal(size=(batch, t, d_v))
    mask = attention_mask(_left_padding(rng, batch, t), causal=causal).numpy()
    out, w = scaled_dot_product_attention(q, k, v, mask)
    ref_out, ref_w = ref.scaled_dot_product_attention(q, k, v, mask)
    np.testing.assert_allclose(w.numpy(), ref_w, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), ref_out, atol=1e-12)


@pytest.mark.formula("eq-scaled-dot-product")
def test_masked_weights_are_exactly_zero_and_rows_sum_to_one():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6, 5)).astype("float32") * 10  # large scores
    padding = _left_padding(rng, 4, 6)
    mask = attention_mask(padding, causal=True).numpy()
    _, w = scaled_dot_product_attention(x, x, x, mask)
    w = w.numpy()
    assert np.all(w[~mask] == 0.0)  # exactly zero, not merely small
    has_key = mask.any(axis=-1)
    np.testing.assert_allclose(w.sum(axis=-1)[has_key], 1.0, atol=1e-6)
    assert np.all(w.sum(axis=-1)[~has_key] == 0.0)  # padded queries attend to nothing


def test_fully_masked_row_gives_zeros_and_finite_gradients():
    import tensorflow as tf

    q = tf.constant(np.random.default_rng(1).normal(size=(1, 2, 3)))
    mask = np.array([[[False, False], [True, False]]])
    with tf.GradientTape() as tape:
        tape.watch(q)
        out, w = scaled_dot_product_attention(q, q, q, mask)
        total = tf.reduce_sum(out)
    grad = tape.gradient(total, q).numpy()
    assert np.all(out.numpy()[0, 0] == 0.0) and np.all(w.numpy()[0, 0] == 0.0)
    assert np.all(np.isfinite(grad))


def test_masked_softmax_matches_reference_and_doc_example():
    np.testing.assert_allclose(
        masked_softmax([[0.0, 0.0, 5.0]], [[True, True, False]]).numpy(), [[0.5, 0.5, 0.0]]
    )
    z = np.random.default_rng(2).normal(size=(3, 4))
    np.testing.assert_allclose(masked_softmax(z).numpy(), ref.softmax(z), atol=1e-12)


def test_scaled_dot_product_rejects_mismatched_key_size():
    with pytest.raises(ValueError, match="d_k=3"):
        scaled_dot_product_attention(np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 1)))
