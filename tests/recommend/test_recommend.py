"""Top-K lists and safe saving/loading of trained models."""

from __future__ import annotations

import json
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest

from reclab.data import IdMapping
from reclab.models import Popularity, SASRec, SASRecConfig
from reclab.recommend import (
    IncompatibleModelError,
    catalogue_fingerprint,
    load_model,
    recommend,
    save_model,
    top_k,
)

CONFIG = SASRecConfig(max_len=5, dim=8, num_blocks=1, dropout=0.0)


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    m = SASRec(20, CONFIG)
    m.build()
    return m


def test_top_k_never_lists_seen_items(model):
    rng = np.random.default_rng(0)
    histories = rng.integers(0, 21, size=(50, 8))
    ids, scores = top_k(model, histories, k=12)
    assert ids.shape == scores.shape == (50, 12)
    for row, h in zip(ids, histories, strict=True):
        assert not set(row.tolist()) & set(h[h > 0].tolist())
        assert 0 not in row
    assert (np.diff(scores, axis=1) <= 0).all()  # best first


def test_top_k_with_seen_items_included_matches_the_argsort(model):
    histories = np.array([[1, 2, 3, 4, 5]])
    ids, _ = top_k(model, histories, k=20, exclude_seen=False)
    scores = model.score(histories)[0]
    assert ids[0].tolist() == (np.argsort(-scores[1:], kind="stable") + 1).tolist()


def test_top_k_scores_a_chunk_of_histories_at_a_time(model):
    """Memory holds batch_size x (N + 1) scores, and the lists are those of one big call."""
    rng = np.random.default_rng(1)
    histories = rng.integers(0, 21, size=(23, 5))
    whole = top_k(model, histories, k=4, batch_size=100)
    sizes = []

    class Counting:
        num_items = model.num_items

        def score(self, h, users=None):
            sizes.append(len(h))
            return model.score(h, users)

    chunked = top_k(Counting(), histories, k=4, batch_size=10)
    assert sizes == [10, 10, 3]
    np.testing.assert_array_equal(chunked[0], whole[0])
    np.testing.assert_allclose(chunked[1], whole[1], rtol=1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        top_k(model, histories, batch_size=0)


def test_short_lists_are_padded_with_zero():
    pop = Popularity(3).fit(np.array([[1, 2, 3]]))
    ids, scores = top_k(pop, np.array([[1, 2]]), k=3)
    assert ids.tolist() == [[3, 0, 0]] and np.isneginf(scores[0, 1:]).all()


def test_recommend_adds_raw_ids_and_titles(model):
    mapping = IdMapping.fit(np.arange(101, 121))  # encoded 1..20 -> raw 101..120
    items = pd.DataFrame({"item_id": np.arange(101, 121), "title": [f"m{i}" for i in range(20)]})
    table = recommend(model, [3, 4], k=5, item_mapping=mapping, items=items)
    assert list(table.columns) == ["rank", "item_id", "score", "raw_item_id", "title"]
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert not {3, 4} & set(table["item_id"])
    assert (table["raw_item_id"] == table["item_id"] + 100).all()
    assert table["title"].tolist() == [f"m{i - 1}" for i in table["item_id"]]
    with pytest.raises(ValueError, match="item_mapping"):
        recommend(model, [3], items=items)


def test_save_load_round_trip_is_exact_and_checked(model, tmp_path):
    mapping = IdMapping.fit(np.arange(1, 21))
    path = save_model(model, tmp_path / "m.keras", item_mapping=mapping)
    loaded = load_model(path, item_mapping=mapping, num_items=20)
    histories = np.random.default_rng(1).integers(0, 21, size=(7, 5))
    assert np.array_equal(model.score(histories), loaded.score(histories))
    assert loaded.catalogue == catalogue_fingerprint(mapping)

    with pytest.raises(IncompatibleModelError, match="another catalogue"):
        load_model(path, item_mapping=IdMapping.fit(np.arange(2, 22)))
    with pytest.raises(IncompatibleModelError, match="scores 20 items, but the catalogue has 30"):
        load_model(path, num_items=30)


def test_a_file_from_another_version_is_refused(model, tmp_path):
    path = save_model(model, tmp_path / "m.keras")
    old = tmp_path / "old.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(old, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "reclab.json":
                info = json.loads(data)
                info["reclab_version"] = "0.0.9"
                data = json.dumps(info).encode()
            dst.writestr(name, data)
    with pytest.raises(IncompatibleModelError, match=r"saved by reclab '0\.0\.9'"):
        load_model(old)


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path / "missing.keras")
    junk = tmp_path / "junk.keras"
    junk.write_text("not a zip")
    with pytest.raises(ValueError, match=r"not a \.keras model file"):
        load_model(junk)
    with pytest.raises(ValueError, match=r"must end in '\.keras'"):
        save_model(None, tmp_path / "model.h5")
    with pytest.raises(ValueError, match="has no num_items"):
        save_model(object(), tmp_path / "model.keras")


def test_models_without_a_version_in_their_config_round_trip(tmp_path):
    from reclab.models import MatrixFactorization, MatrixFactorizationConfig

    mf = MatrixFactorization(4, 6, MatrixFactorizationConfig(dim=3))
    mf({"user": np.array([1]), "item": np.array([2])})  # build
    path = save_model(mf, tmp_path / "mf.keras", item_mapping=IdMapping.fit(np.arange(1, 7)))
    loaded = load_model(path, item_mapping=IdMapping.fit(np.arange(1, 7)), num_items=6)
    users = np.array([1, 2, 4])
    assert np.array_equal(mf.score(None, users), loaded.score(None, users))
    with pytest.raises(IncompatibleModelError, match="another catalogue"):
        load_model(path, item_mapping=IdMapping.fit(np.arange(2, 8)))


def test_a_model_with_user_vectors_refuses_relabelled_users(tmp_path):
    # Regression: only the item catalogue was fingerprinted, so an MF model evaluated silently
    # on data whose user ids had been assigned differently.
    from reclab.models import MatrixFactorization, MatrixFactorizationConfig

    mf = MatrixFactorization(4, 6, MatrixFactorizationConfig(dim=3))
    items, users = IdMapping.fit(np.arange(1, 7)), IdMapping.fit([10, 20, 30, 40])
    path = save_model(mf, tmp_path / "mf.keras", item_mapping=items, user_mapping=users)
    assert load_model(path, item_mapping=items, user_mapping=users).num_users == 4
    with pytest.raises(IncompatibleModelError, match="other user ids"):
        load_model(path, item_mapping=items, user_mapping=IdMapping.fit([10, 20, 30, 50]))


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_a_damaged_model_file_is_a_clear_value_error(model, tmp_path, damage):
    # Regression: a model file with flipped bytes raised zipfile.BadZipFile (a traceback).
    mapping = IdMapping.fit(np.arange(1, 21))
    path = save_model(model, tmp_path / "model.keras", item_mapping=mapping)
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        middle = len(raw) // 2
        raw[middle : middle + 64] = bytes(b ^ 0xFF for b in raw[middle : middle + 64])
    else:
        raw = raw[: len(raw) // 3]
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"is (damaged|not a \.keras model file)"):
        load_model(path, item_mapping=mapping)


def test_recommend_with_a_reranker_lists_from_the_pool_with_the_models_scores(model):
    from reclab.recommend import mmr_reranker

    vectors = np.random.default_rng(0).normal(size=(21, 4))
    plain = recommend(model, [1, 2, 3], k=5)
    same = recommend(model, [1, 2, 3], k=5, reranker=mmr_reranker(vectors, trade_off=1.0))
    pd.testing.assert_frame_equal(same, plain)
    diverse = recommend(model, [1, 2, 3], k=5, pool=10,
                        reranker=mmr_reranker(vectors, trade_off=0.0))  # fmt: skip
    scores = model.score(np.array([[1, 2, 3]]))[0]
    pool = set(np.argsort(-scores[4:], kind="stable")[:10] + 4)  # the 10 best unseen
    assert (
        set(diverse["item_id"]) <= pool and diverse["item_id"].iloc[0] == plain["item_id"].iloc[0]
    )
    np.testing.assert_allclose(diverse["score"], scores[diverse["item_id"]], rtol=1e-6)
