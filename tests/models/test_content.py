"""Item content: the arrays, the tower against its NumPy reference, and SASRec built on it."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from reclab.data import IdMapping, Sequences, item_content
from reclab.models import ItemContentTower, SASRec, SASRecConfig
from reclab.reference.content import content_item_vector, hybrid_item_vector

CATALOGUE = pd.DataFrame(
    {
        "item_id": [10, 20, 30, 40, 50],
        "title": [
            "Star Wars (1977)",
            "Star Trek (1979)",
            "The Trek Home (2001)",
            "Jumanji (1995)",
            "Heat",
        ],
        "genres": ["Sci-Fi|Action", "Sci-Fi", "Drama", "(no genres listed)", "Crime|Action"],
    }
)
CONFIG = SASRecConfig(max_len=5, dim=8, num_blocks=1, dropout=0.0)


def content(order=(10, 20, 30, 40, 50)):
    return item_content(CATALOGUE, IdMapping.fit(list(order)))


def test_arrays_follow_the_item_mapping_and_drop_one_title_words():
    c = content()
    assert c.title_tokens.shape == (6, 8) and c.genres.shape == (6, 4)
    assert not c.title_tokens[0].any() and not c.genres[0].any() and c.year_bucket[0] == 0
    assert c.describe(1) == "title 'star'; genres Action, Sci-Fi; 1975-1979"
    assert c.describe(3) == "title 'trek'; genres Drama; 2000-2004"  # "the", "home" once only
    assert c.describe(4) == "title ''; genres none; 1995-1999"  # Jumanji: one title only
    assert c.describe(5) == "title ''; genres Action, Crime; no year"
    assert "jumanji" not in c.vocabulary and {"star", "trek"} <= set(c.vocabulary)


def test_a_mapped_item_without_a_catalogue_row_is_named():
    with pytest.raises(ValueError, match="first raw item_id 99"):
        item_content(CATALOGUE, IdMapping.fit([10, 99]))
    with pytest.raises(ValueError, match="no column 'genres'"):
        item_content(CATALOGUE.drop(columns="genres"), IdMapping.fit([10]))


def reference_table(tower: ItemContentTower, c) -> np.ndarray:
    weights = [
        tower.words.numpy(), tower.genre_vectors.numpy(), tower.years.numpy(),
        *(w.numpy() for w in tower.hidden.weights), *(w.numpy() for w in tower.out.weights),
    ]  # fmt: skip
    rows = [
        content_item_vector(c.title_tokens[i], c.genres[i], c.year_bucket[i], *weights)
        for i in range(1, c.num_items + 1)
    ]
    return np.vstack([np.zeros(tower.dim), *rows])


@pytest.mark.formula("eq-content-tower")
def test_tower_agrees_with_the_numpy_reference_in_values_and_gradients():
    keras.utils.set_random_seed(0)
    c = content()
    tower = ItemContentTower(c.shape(), dim=8, content=c)
    assert not tower.words.numpy().any()  # word vectors start at zero (untrained words: silent)
    tower.words.assign(np.random.default_rng(1).normal(size=tower.words.shape))
    assert np.allclose(np.asarray(tower.table()), reference_table(tower, c), atol=1e-5)
    # Gradient of a scalar of the table, against finite differences of the reference.
    probe = np.random.default_rng(0).normal(size=(6, 8)).astype(np.float32)
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(tower.table() * probe)
    grad = tape.gradient(value, tower.genre_vectors).numpy()
    base = tower.genre_vectors.numpy().copy()
    eps, numeric = 1e-3, np.zeros_like(base)
    for g, k in np.ndindex(*base.shape):
        for sign in (1, -1):
            bumped = base.copy()
            bumped[g, k] += sign * eps
            tower.genre_vectors.assign(bumped)
            numeric[g, k] += sign * np.sum(reference_table(tower, c) * probe) / (2 * eps)
    tower.genre_vectors.assign(base)
    assert np.allclose(grad, numeric, atol=2e-2)


def test_tower_refuses_content_of_another_shape():
    tower = ItemContentTower(content().shape(), dim=4)
    smaller = item_content(CATALOGUE, IdMapping.fit([10, 20]))
    with pytest.raises(ValueError, match="does not fit"):
        tower.set_content(smaller)


def make(items: str, trained=(1, 2, 3)) -> SASRec:
    keras.utils.set_random_seed(0)
    model = SASRec(5, SASRecConfig(**{**CONFIG.__dict__, "items": items}), content=content())
    counts = np.zeros(6, np.int64)
    counts[list(trained)] = 1
    model.set_trained_items(counts)
    return model


@pytest.mark.formula("eq-hybrid-items")
def test_hybrid_table_adds_the_id_row_only_for_trained_items():
    model = make("hybrid", trained=(1, 2, 3))
    table = np.asarray(model.item_table())
    ids = model.item_embedding.embeddings.numpy()
    tower = np.asarray(model.content_tower.table())
    for i in range(1, 6):
        expected = hybrid_item_vector(ids[i], tower[i], trained=i in (1, 2, 3))
        assert np.allclose(table[i], expected, atol=1e-6)
    only = make("content")
    assert np.allclose(only.item_table(), only.content_tower.table(), atol=1e-6)


def test_untrained_items_are_left_out_of_the_training_logits_only():
    model = make("content", trained=(1, 2, 3))
    ids = np.array([[0, 0, 1, 2, 3]])
    train, infer = np.asarray(model(ids, training=True)), np.asarray(model(ids, training=False))
    assert (train[..., 4:] < -1e8).all() and np.allclose(train[..., 1:4], infer[..., 1:4])
    assert np.isfinite(infer).all() and (np.abs(infer[..., 4:]) < 1e3).all()
    assert make("id").training_logit_offsets() is None


def test_content_sasrec_ranks_an_item_it_never_saw_from_its_content_and_reloads(tmp_path):
    model = make("content")
    scores = model.score(np.array([[1, 2]]))
    assert np.isfinite(scores[0, 1:]).all()
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.config.items == "content" and loaded.content_shape == model.content_shape
    assert np.array_equal(loaded.score(np.array([[1, 2]])), scores)
    assert np.array_equal(loaded.content_tower.title_tokens.numpy(), content().title_tokens)


def test_content_models_need_content_that_fits():
    with pytest.raises(ValueError, match="pass content="):
        SASRec(5, SASRecConfig(items="content"))
    with pytest.raises(ValueError, match="same item mapping"):
        SASRec(7, SASRecConfig(items="hybrid"), content=content())
    with pytest.raises(ValueError, match="items"):
        SASRecConfig(items="text")


def test_fit_marks_the_trained_items_of_a_hybrid_model():
    from reclab.training import TrainingConfig, fit

    model = SASRec(5, SASRecConfig(**{**CONFIG.__dict__, "items": "hybrid"}), content=content())
    sequences = Sequences(
        np.array([1, 2]), np.array([0, 3, 6]), np.array([1, 2, 3, 2, 1, 3]), np.zeros(6, np.int64)
    )
    fit(model, sequences, TrainingConfig(epochs=1, batch_size=2, jit_compile=False))
    assert model.trained_items.numpy().tolist() == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]
