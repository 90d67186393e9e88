"""Multi-head attention: our einsum version, the NumPy reference and Keras agree."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from reclab.models import attention_mask, multi_head_attention
from reclab.reference import attention as ref


@pytest.mark.formula("eq-multi-head")
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")  # Keras, at length 1
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(
    ("batch", "length", "dim", "heads", "key_dim"),
    [(1, 1, 2, 1, 2), (2, 5, 8, 2, 4), (3, 6, 6, 3, 5)],
)
def test_keras_multi_head_attention_equals_reference(batch, length, dim, heads, key_dim, causal):
    rng = np.random.default_rng(length * heads)
    x = rng.normal(size=(batch, length, dim)).astype("float32")
    padding = np.arange(length)[None, :] >= rng.integers(0, length, size=batch)[:, None]
    mask = attention_mask(padding, causal=causal).numpy()
    layer = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=key_dim)
    keras_out, keras_scores = layer(x, x, attention_mask=mask, return_attention_scores=True)
    weights = layer.get_weights()

    ref_out, ref_scores = ref.multi_head_attention(x, x, weights, mask)
    np.testing.assert_allclose(keras_out.numpy(), ref_out, atol=1e-5)
    np.testing.assert_allclose(keras_scores.numpy(), ref_scores, atol=1e-6)

    ours, our_scores = multi_head_attention(x, x, weights, mask)
    np.testing.assert_allclose(ours.numpy(), ref_out, atol=1e-5)
    np.testing.assert_allclose(our_scores.numpy(), ref_scores, atol=1e-6)


@pytest.mark.formula("eq-multi-head")
def test_multi_head_cross_attention_float64_and_causal_flag():
    # Queries of length 2 over a history of length 4; Keras' own causal flag gives the
    # same result as our explicit mask.
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 4, 6))
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, dtype="float64")
    out_causal = layer(x, x, use_causal_mask=True).numpy()
    mask = attention_mask(None, causal=True, length=4).numpy()
    for m in (mask, mask[0]):  # (1, T, S) and (T, S) broadcast over the batch
        ours, _ = multi_head_attention(x, x, layer.get_weights(), m)
        np.testing.assert_allclose(ours.numpy(), out_causal, atol=1e-7)  # Keras' fused kernel
    cross, scores = multi_head_attention(x[:, :2], x, layer.get_weights())
    ref_cross, ref_scores = ref.multi_head_attention(x[:, :2], x, layer.get_weights())
    np.testing.assert_allclose(cross.numpy(), ref_cross, atol=1e-12)
    np.testing.assert_allclose(scores.numpy(), ref_scores, atol=1e-12)
    assert scores.shape == (2, 2, 2, 4)


def test_multi_head_rejects_wrong_weights():
    with pytest.raises(ValueError, match="8 arrays"):
        multi_head_attention(np.ones((1, 2, 2)), np.ones((1, 2, 2)), [np.ones(2)])
