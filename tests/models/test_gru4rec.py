"""GRU4Rec: the GRU step, padding, causality, saving."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from reclab.models import GRU4Rec, GRU4RecConfig, Scorer, gru_step

CONFIG = GRU4RecConfig(max_len=5, dim=6, hidden=7, dropout=0.0)


def make(num_items: int = 9) -> GRU4Rec:
    keras.utils.set_random_seed(0)
    model = GRU4Rec(num_items, CONFIG)
    model.build()
    return model


@pytest.mark.formula("eq-gru-gates")
@pytest.mark.formula("eq-gru-state")
@pytest.mark.parametrize(("batch", "steps", "d_in", "d_h"), [(1, 1, 1, 1), (2, 4, 3, 5)])
def test_gru_step_matches_keras_gru(batch, steps, d_in, d_h):
    keras.utils.set_random_seed(1)
    gru = keras.layers.GRU(d_h, reset_after=False, return_sequences=True)
    x = np.random.default_rng(0).normal(size=(batch, steps, d_in)).astype("float32")
    expected = np.asarray(gru(x))
    kernel, recurrent, bias = (w.numpy() for w in gru.weights)
    h = np.zeros((batch, d_h), "float32")
    for t in range(steps):
        h = np.asarray(gru_step(x[:, t], h, kernel, recurrent, bias))
        assert np.allclose(h, expected[:, t], atol=1e-5)


def test_gru_step_by_hand():
    # zero weights: z = r = 1/2, candidate tanh(0) = 0, so h_t = h_{t-1} / 2
    out = gru_step(
        np.zeros((1, 2)), np.array([[2.0, -4.0]]), np.zeros((2, 6)), np.zeros((2, 6)), np.zeros(6)
    )
    assert np.allclose(out, [[1.0, -2.0]])


@pytest.mark.formula("eq-gru4rec-score")
def test_scores_are_output_table_dot_products_plus_bias():
    model = make()
    ids = np.array([[0, 3, 4, 1, 7]])
    hidden = np.asarray(model.encode(ids))[:, -1]
    table, bias = (np.asarray(w) for w in model.output_table())
    assert isinstance(model, Scorer)
    assert np.allclose(model.score(ids)[0, 1:], (hidden @ table.T + bias)[0, 1:], atol=1e-5)


def test_padding_and_causality():
    model = make()
    assert np.allclose(model.score(np.array([[2, 3]])), model.score(np.array([[0, 0, 0, 2, 3]])))
    a, b = (
        np.asarray(model(np.array([[1, 2, 3, 4, 5]]))),
        np.asarray(model(np.array([[1, 2, 8, 8, 8]]))),
    )
    assert np.allclose(a[:, :2], b[:, :2]) and not np.allclose(a[:, 2:], b[:, 2:])


def test_save_and_load_reproduce_scores_exactly(tmp_path):
    model = make()
    histories = np.array([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])
    model.save(tmp_path / "gru.keras")
    loaded = keras.saving.load_model(tmp_path / "gru.keras", safe_mode=True)
    assert loaded.config == CONFIG
    assert np.array_equal(model.score(histories), loaded.score(histories))


def test_bad_configuration_names_the_field():
    with pytest.raises(ValueError, match="hidden"):
        GRU4Rec(10, GRU4RecConfig(hidden=0))
