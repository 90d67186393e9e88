"""The Transformer block: reference equality and the behaviour SASRec and BERT4Rec rely on."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab.models import TransformerBlock
from reclab.reference import attention as ref

DIM = 8


def _params(block: TransformerBlock) -> dict[str, list[np.ndarray]]:
    return {
        name: getattr(block, name).get_weights()
        for name in ("attention", "norm1", "norm2", "ffn1", "ffn2")
    }


def _randomise(block: TransformerBlock, seed: int) -> None:
    """Non-trivial layer-norm weights and biases, so the reference check sees them."""
    rng = np.random.default_rng(seed)
    block.set_weights([w + 0.3 * rng.normal(size=w.shape) for w in block.get_weights()])


def _inputs(seed: int, batch: int = 3, length: int = 6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, length, DIM)).astype("float32")
    n_pad = rng.integers(0, length, size=batch)
    n_pad[0] = 0  # one row without padding
    padding = np.arange(length)[None, :] >= n_pad[:, None]
    return x, padding


@pytest.mark.formula("eq-transformer-block")
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("causal", [True, False])
def test_block_matches_reference(causal, norm_first, activation):
    x, padding = _inputs(0)
    block = TransformerBlock(
        num_heads=2, ff_dim=12, causal=causal, norm_first=norm_first, activation=activation
    )
    block(x, padding_mask=padding)
    _randomise(block, 1)
    got = block(x, padding_mask=padding).numpy()
    expected = ref.transformer_block(
        x,
        padding,
        _params(block),
        causal=causal,
        norm_first=norm_first,
        epsilon=block.epsilon,
        activation=activation,
    )
    np.testing.assert_allclose(got, expected, atol=2e-5)


@pytest.mark.formula("eq-transformer-block")
@pytest.mark.parametrize("norm_first", [True, False])
def test_causal_block_never_lets_the_future_change_the_past(norm_first):
    x, padding = _inputs(2, batch=2, length=7)
    block = TransformerBlock(num_heads=2, ff_dim=32, causal=True, norm_first=norm_first)
    base = block(x, padding_mask=padding).numpy()
    rng = np.random.default_rng(3)
    for t in range(6):
        changed = x.copy()
        changed[:, t + 1 :] = rng.normal(size=changed[:, t + 1 :].shape) * 5  # rewrite the future
        out = block(changed, padding_mask=padding).numpy()
        np.testing.assert_array_equal(out[:, : t + 1], base[:, : t + 1])
    bidirectional = TransformerBlock(num_heads=2, ff_dim=32, causal=False)
    before = bidirectional(x, padding_mask=padding).numpy()
    after = bidirectional(changed, padding_mask=padding).numpy()
    assert not np.allclose(before[:, :1], after[:, :1])  # sanity: without the mask it leaks


@pytest.mark.formula("eq-transformer-block")
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("norm_first", [True, False])
def test_left_padding_never_changes_real_outputs(causal, norm_first):
    rng = np.random.default_rng(4)
    real = rng.normal(size=(1, 4, DIM)).astype("float32")
    block = TransformerBlock(num_heads=2, ff_dim=32, causal=causal, norm_first=norm_first)
    alone = block(real).numpy()
    for n_pad in (1, 3):
        garbage = rng.normal(size=(1, n_pad, DIM)).astype("float32") * 10  # pads hold anything
        padded = np.concatenate([garbage, real], axis=1)
        mask = np.arange(n_pad + 4)[None, :] >= n_pad
        out = block(padded, padding_mask=mask).numpy()
        np.testing.assert_allclose(out[:, n_pad:], alone, atol=1e-5)
        assert np.all(out[:, :n_pad] == 0.0)  # padded positions are zeroed, as in SASRec


@pytest.mark.formula("eq-transformer-block")
def test_block_attention_weights_are_masked_and_normalised():
    x, padding = _inputs(5)
    block = TransformerBlock(num_heads=2, ff_dim=32, causal=True)
    _, scores = block(x, padding_mask=padding, return_attention_scores=True)
    scores = scores.numpy()  # (B, H, L, L)
    expected = ref.multi_head_attention(
        block.norm1(x).numpy(),
        block.norm1(x).numpy(),
        block.attention.get_weights(),
        ref.attention_mask(padding, causal=True),
    )[1]
    np.testing.assert_allclose(scores, expected, atol=1e-6)
    allowed = np.broadcast_to(ref.attention_mask(padding, True)[:, None], scores.shape)
    assert np.all(scores[~allowed] == 0.0)
    real_rows = np.broadcast_to(padding[:, None, :], scores.shape[:-1])
    np.testing.assert_allclose(scores.sum(-1)[real_rows], 1.0, atol=1e-6)


def test_block_all_padding_row_is_zero_with_finite_gradients():
    x = tf.constant(np.random.default_rng(6).normal(size=(2, 4, DIM)).astype("float32"))
    padding = np.array([[False] * 4, [False, False, True, True]])
    block = TransformerBlock(num_heads=2, ff_dim=32, causal=True)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = block(x, padding_mask=padding)
        loss = tf.reduce_sum(out**2)
    grad = tape.gradient(loss, [x, *block.trainable_variables])
    assert np.all(out.numpy()[0] == 0.0)
    assert all(np.all(np.isfinite(g.numpy())) for g in grad if g is not None)


def test_dropout_only_in_training():
    x, padding = _inputs(7)
    block = TransformerBlock(num_heads=2, ff_dim=32, dropout=0.5, causal=True)
    a = block(x, padding_mask=padding, training=False).numpy()
    b = block(x, padding_mask=padding, training=False).numpy()
    c = block(x, padding_mask=padding, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_block_config_round_trip_and_saved_model(tmp_path):
    block = TransformerBlock(
        num_heads=2, ff_dim=16, dropout=0.1, causal=True, norm_first=False, activation="gelu"
    )
    clone = TransformerBlock.from_config(block.get_config())
    assert clone.get_config() == block.get_config()

    inputs = keras.Input(shape=(5, DIM))
    mask = keras.Input(shape=(5,), dtype="bool")
    model = keras.Model([inputs, mask], block(inputs, padding_mask=mask))
    x, padding = _inputs(8, length=5)
    expected = model.predict([x, padding], verbose=0)
    model.save(tmp_path / "block.keras")
    restored = keras.models.load_model(tmp_path / "block.keras")
    np.testing.assert_allclose(restored.predict([x, padding], verbose=0), expected, atol=1e-6)

    # one optimisation step through the symbolic graph (batch size unknown while tracing)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit([x, padding], np.zeros_like(x), epochs=1, batch_size=2, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_block_rejects_bad_arguments():
    with pytest.raises(ValueError, match="num_heads"):
        TransformerBlock(num_heads=0, ff_dim=8)
    with pytest.raises(ValueError, match="dropout"):
        TransformerBlock(num_heads=1, ff_dim=8, dropout=1.0)
    with pytest.raises(ValueError, match="not divisible by num_heads=3"):
        TransformerBlock(num_heads=3, ff_dim=8)(np.ones((1, 2, DIM), "float32"))
