"""Additive attention pooling: the source's sigmoid form and Bahdanau's tanh form."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab.models import AdditiveAttentionPooling, additive_attention
from reclab.reference import attention as ref


@pytest.mark.formula("eq-additive-attention")
def test_additive_attention_by_hand():
    h = np.array([[1.0]])
    history = np.array([[[1.0], [-1.0]]])
    kernel = np.array([[0.0], [2.0]])  # w_a = (0, 2): a_i = sigmoid(2 h_i)
    context, weights = additive_attention(h, history, kernel)
    a = 1 / (1 + np.exp(-np.array([2.0, -2.0])))  # [0.8808, 0.1192]
    alpha = np.exp(a) / np.exp(a).sum()  # [0.6824, 0.3176]
    np.testing.assert_allclose(weights.numpy(), [alpha])
    np.testing.assert_allclose(context.numpy(), [[alpha[0] - alpha[1]]])


@pytest.mark.formula("eq-additive-attention")
@pytest.mark.formula("eq-bahdanau-attention")
@pytest.mark.parametrize("units", [None, 3])
@pytest.mark.parametrize(("batch", "t", "d_q", "d"), [(1, 1, 1, 1), (2, 5, 3, 4), (3, 7, 4, 4)])
def test_additive_attention_matches_reference(batch, t, d_q, d, units):
    rng = np.random.default_rng(batch * t + d)
    query = rng.normal(size=(batch, d_q))
    history = rng.normal(size=(batch, t, d))
    kernel = rng.normal(size=(d_q + d, 1 if units is None else units))
    bias = rng.normal(size=kernel.shape[-1])
    v = None if units is None else rng.normal(size=units)
    mask = np.arange(t)[None, :] >= rng.integers(0, t, size=batch)[:, None]
    context, weights = additive_attention(query, history, kernel, bias, v=v, mask=mask)
    ref_context, ref_weights = ref.additive_attention(query, history, kernel, bias, v, mask)
    np.testing.assert_allclose(weights.numpy(), ref_weights, atol=1e-12)
    np.testing.assert_allclose(context.numpy(), ref_context, atol=1e-12)
    assert np.all(weights.numpy()[~mask] == 0.0)
    np.testing.assert_allclose(weights.numpy().sum(axis=-1), 1.0)


@pytest.mark.formula("eq-additive-attention")
@pytest.mark.formula("eq-bahdanau-attention")
@pytest.mark.parametrize("units", [None, 2])
def test_additive_attention_gradient_float64(units):
    rng = np.random.default_rng(3)
    query = tf.constant(rng.normal(size=(2, 3)))
    history = tf.constant(rng.normal(size=(2, 4, 3)))
    kernel = tf.constant(rng.normal(size=(6, 1 if units is None else units)))
    v = None if units is None else tf.constant(rng.normal(size=units))
    mask = np.array([[False, True, True, True], [True, True, True, True]])
    probe = tf.constant(rng.normal(size=(2, 3)))  # a random linear read-out of the context

    def f(q, hist, w):
        context, _ = additive_attention(q, hist, w, 0.1, v=v, mask=mask)
        return tf.reduce_sum(context * probe)

    theoretical, numerical = tf.test.compute_gradient(f, [query, history, kernel], delta=1e-5)
    for th, nu in zip(theoretical, numerical, strict=True):
        np.testing.assert_allclose(th, nu, atol=1e-7, rtol=1e-6)


def test_sigmoid_form_bounds_the_weight_ratio_by_e():
    rng = np.random.default_rng(4)
    history = rng.normal(size=(1, 6, 2)) * 100.0
    kernel = np.array([[0.0], [0.0], [50.0], [-50.0]])
    _, w = additive_attention(np.zeros((1, 2)), history, kernel)
    w = w.numpy()
    assert w.max() / w.min() <= np.e + 1e-9


@pytest.mark.formula("eq-additive-attention")
@pytest.mark.parametrize("units", [None, 4])
def test_layer_uses_its_weights_and_round_trips_config(units):
    layer = AdditiveAttentionPooling(units=units, name="pool")
    rng = np.random.default_rng(5)
    query = rng.normal(size=(2, 3)).astype("float32")
    history = rng.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[False, False, True, True, True], [True] * 5])
    context, weights = layer(query, history, padding_mask=mask, return_attention_scores=True)
    v = None if units is None else layer.v.numpy()
    ref_context, ref_weights = ref.additive_attention(
        query, history, layer.kernel.numpy(), layer.bias.numpy(), v, mask
    )
    np.testing.assert_allclose(context.numpy(), ref_context, atol=1e-5)
    np.testing.assert_allclose(weights.numpy(), ref_weights, atol=1e-6)
    clone = AdditiveAttentionPooling.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(query, history)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(query, history, padding_mask=mask).numpy(), context.numpy())
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, AdditiveAttentionPooling) and restored.units == units


def test_additive_attention_rejects_bad_shapes():
    with pytest.raises(ValueError, match="kernel must have d_q \\+ d"):
        additive_attention(np.ones((1, 2)), np.ones((1, 3, 2)), np.ones((5, 1)))
    with pytest.raises(ValueError, match="one column"):
        additive_attention(np.ones((1, 2)), np.ones((1, 3, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="units"):
        AdditiveAttentionPooling(units=0)
