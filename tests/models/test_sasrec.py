"""SASRec: shapes, causality, padding, the equations, saving, configuration errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from reclab.models import SASRec, SASRecConfig, Scorer
from reclab.models.next_item import IncompatibleModelError

CONFIG = SASRecConfig(max_len=6, dim=8, num_blocks=2, num_heads=2, dropout=0.0)


def make(num_items: int = 12, config: SASRecConfig = CONFIG) -> SASRec:
    keras.utils.set_random_seed(0)
    model = SASRec(num_items, config)
    model.build()
    return model


def test_is_a_scorer_with_padding_column_minus_inf():
    model = make()
    assert isinstance(model, Scorer)
    scores = model.score(np.array([[0, 0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10]]))
    assert scores.shape == (2, 13)
    assert np.isneginf(scores[:, 0]).all() and np.isfinite(scores[:, 1:]).all()


def test_future_items_do_not_change_earlier_outputs():
    model = make()
    a = np.array([[1, 2, 3, 4, 5, 6]])
    b = np.array([[1, 2, 3, 9, 11, 7]])  # same first three items, different future
    out_a, out_b = np.asarray(model(a)), np.asarray(model(b))
    assert np.allclose(out_a[:, :3], out_b[:, :3], atol=1e-5)
    assert not np.allclose(out_a[:, 3:], out_b[:, 3:])


def test_left_padding_and_longer_histories():
    model = make()
    short = model.score(np.array([[3, 4, 5]]))
    padded = model.score(np.array([[0, 0, 0, 3, 4, 5]]))
    assert np.allclose(short, padded, atol=1e-5)
    long = model.score(np.array([[9, 9, 9, 1, 2, 3, 4, 5, 6]]))  # keeps the latest 6
    assert np.allclose(long, model.score(np.array([[1, 2, 3, 4, 5, 6]])), atol=1e-6)


@pytest.mark.formula("eq-sasrec-input")
def test_input_is_scaled_item_embedding_plus_position():
    model = make()
    ids = np.array([[0, 0, 4, 1, 7, 2]])
    x, mask = model.embed(ids, training=False)
    table = model.item_embedding.embeddings.numpy()
    positions = model.positions.positions.numpy()
    expected = np.sqrt(CONFIG.dim) * table[ids[0]] + positions
    expected[ids[0] == 0] = 0.0
    assert np.allclose(np.asarray(x)[0], expected, atol=1e-6)
    assert np.asarray(mask).tolist() == [[False, False, True, True, True, True]]


@pytest.mark.formula("eq-sasrec-score")
def test_scores_are_dot_products_with_the_shared_item_table():
    model = make()
    ids = np.array([[0, 3, 4, 1, 7, 2]])
    hidden = np.asarray(model.encode(ids))[:, -1]  # LN(h_t) of the last position
    table = model.item_embedding.embeddings.numpy()
    assert np.allclose(model.score(ids)[0, 1:], (hidden @ table.T)[0, 1:], atol=1e-4)
    logits = np.asarray(model({"inputs": ids, "candidates": np.full((1, 6, 2), [3, 5])}))
    full = np.asarray(model(ids))
    assert np.allclose(logits, full[..., [3, 5]], atol=1e-4)


def test_attention_weights_are_causal_rows_summing_to_one():
    model = make()
    weights = model.attention(np.array([[0, 0, 1, 2, 3, 4]]))
    assert weights.shape == (1, 2, 2, 6, 6)
    real = weights[0, :, :, 2:, :]
    assert np.allclose(real.sum(-1), 1.0, atol=1e-5)
    assert np.allclose(np.triu(weights[0, 0, 0], k=1), 0.0)
    assert np.allclose(weights[0, 0, 0, 2:, :2], 0.0)  # padding never attended


def test_save_and_load_reproduce_scores_exactly(tmp_path):
    model = make()
    histories = np.array([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    path = tmp_path / "sasrec.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, SASRec) and loaded.config == CONFIG
    assert np.array_equal(model.score(histories), loaded.score(histories))


def test_config_round_trip_and_paper_values():
    model = make()
    clone = SASRec.from_config(model.get_config())
    assert clone.config == model.config and clone.num_items == 12
    paper = SASRecConfig.paper("ml-1m")
    assert (paper.max_len, paper.dim, paper.num_blocks, paper.num_heads) == (200, 50, 2, 1)
    assert SASRecConfig.paper("beauty").dropout == 0.5


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"dim": 0}, "dim"),
        ({"dim": 10, "num_heads": 3}, "divisible"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_bad_configuration_names_the_field(changes, word):
    with pytest.raises(ValueError, match=word):
        SASRec(10, SASRecConfig(**changes))


def test_bad_histories_and_versions_are_refused():
    model = make()
    with pytest.raises(ValueError, match=r"outside 0\.\.12"):
        model.score(np.array([[0, 13]]))
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        model.score(np.array([1, 2]))
    with pytest.raises(IncompatibleModelError, match=r"reclab '0\.0\.1'"):
        SASRec(10, CONFIG, reclab_version="0.0.1")
