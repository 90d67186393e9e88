"""Position embeddings: the sinusoidal table, right alignment, and why positions matter."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from reclab.models import (
    LearnedPositionEmbedding,
    SinusoidalPositionEmbedding,
    TransformerBlock,
    sinusoidal_positions,
)
from reclab.reference import attention as ref


@pytest.mark.formula("eq-sinusoidal-position")
@pytest.mark.parametrize(("length", "dim"), [(1, 1), (5, 4), (9, 7), (50, 16)])
def test_sinusoidal_positions_match_reference(length, dim):
    np.testing.assert_allclose(
        sinusoidal_positions(length, dim).numpy(), ref.sinusoidal_positions(length, dim), atol=2e-6
    )


@pytest.mark.formula("eq-sinusoidal-position")
def test_sinusoidal_positions_by_hand():
    # t = 1, d = 4: angles 1 / 10000^(0/4) = 1 and 1 / 10000^(2/4) = 0.01
    row = sinusoidal_positions(2, 4).numpy()[1]
    np.testing.assert_allclose(row, [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)], rtol=1e-6)


@pytest.mark.formula("eq-position-input")
@pytest.mark.formula("eq-sinusoidal-position")
def test_position_layers_add_right_aligned_rows():
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    learned = LearnedPositionEmbedding(max_length=5)
    out = learned(x).numpy()
    table = learned.positions.numpy()
    np.testing.assert_allclose(out, x + table[2:][None], atol=1e-6)  # rows L-T .. L-1
    sinus = SinusoidalPositionEmbedding(max_length=5)
    np.testing.assert_allclose(
        sinus(x).numpy(), x + ref.sinusoidal_positions(5, 4)[2:][None], atol=1e-6
    )


@pytest.mark.formula("eq-position-input")
def test_without_positions_self_attention_cannot_see_order():
    # A bidirectional block is permutation-equivariant: reversing the history reverses the
    # outputs. Adding positions breaks that symmetry.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 5, 8)).astype("float32")
    block = TransformerBlock(num_heads=2, ff_dim=32)
    np.testing.assert_allclose(block(x[:, ::-1]).numpy(), block(x).numpy()[:, ::-1], atol=1e-5)
    positions = LearnedPositionEmbedding(max_length=5)
    with_pos = block(positions(x)).numpy()
    reversed_with_pos = block(positions(x[:, ::-1])).numpy()
    assert not np.allclose(reversed_with_pos, with_pos[:, ::-1], atol=1e-3)


@pytest.mark.parametrize(
    "layer", [LearnedPositionEmbedding(max_length=6), SinusoidalPositionEmbedding(max_length=6)]
)
def test_position_layers_round_trip_config(layer):
    x = np.ones((1, 4, 3), "float32")
    out = layer(x).numpy()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), out)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer) and restored.max_length == 6


def test_position_layers_reject_bad_input():
    with pytest.raises(ValueError, match="max_length"):
        LearnedPositionEmbedding(max_length=0)
    with pytest.raises(ValueError, match="exceeds max_length=3"):
        SinusoidalPositionEmbedding(max_length=3)(np.ones((1, 4, 2)))
    with pytest.raises(ValueError, match="dim"):
        sinusoidal_positions(3, 0)
