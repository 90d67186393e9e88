"""Pretrain -> fine-tune: what transfer_weights copies, what it keeps, and that fit starts there."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from reclab.data import IdMapping, Sequences, item_content
from reclab.models import (
    TIGER,
    BERT4Rec,
    BERT4RecConfig,
    GRU4Rec,
    GRU4RecConfig,
    SASRec,
    SASRecConfig,
    TIGERConfig,
    residual_kmeans,
)
from reclab.training import TrainingConfig, fit, transfer_weights
from reclab.training.transfer import _path

CONFIG = SASRecConfig(max_len=6, dim=8, num_blocks=1, num_heads=2, dropout=0.0)
CATALOGUE = pd.DataFrame(
    {
        "item_id": range(1, 9),
        "title": [
            f"{w} (199{k})" for k, w in enumerate("red blue red green blue red green blue".split())
        ],
        "genres": ["A", "B", "A|B", "C", "A", "B", "C", "A|C"],
    }
)


def values(model) -> dict[str, np.ndarray]:
    return {_path(v): keras.ops.convert_to_numpy(v) for v in model.weights}


@pytest.mark.formula("eq-fine-tuning")
def test_fine_tuning_starts_from_the_pretrained_weights_and_then_trains_them(shop_data):
    source = SASRec(shop_data.num_items, CONFIG)
    fit(source, shop_data, TrainingConfig(epochs=1, batch_size=64, seed=0))
    target_items = 40  # another catalogue: other items, so another item table
    target = SASRec(target_items, CONFIG)
    report = transfer_weights(source, target, seed=1)
    assert report.kept == {"item_embedding/embeddings": "catalogue"}
    assert report.values_copied == sum(
        int(np.prod(v.shape)) for v in source.weights if _path(v) != "item_embedding/embeddings"
    )
    pretrained, own_table = (
        values(source),
        keras.ops.convert_to_numpy(target.item_embedding.embeddings),
    )

    seen: dict[str, np.ndarray] = {}

    class AtStart(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.update(values(self.model))

    rng = np.random.default_rng(0)
    sequences = Sequences.from_lists(
        [list(rng.integers(1, target_items + 1, 8)) for _ in range(30)]
    )
    fit(target, sequences, TrainingConfig(epochs=2, batch_size=16, seed=0), callbacks=[AtStart()])
    for path in report.copied:  # what the first step of fine-tuning sees is the source's
        np.testing.assert_array_equal(seen[path], pretrained[path], err_msg=path)
    np.testing.assert_array_equal(seen["item_embedding/embeddings"], own_table)
    after = values(target)
    assert not np.allclose(after["block_0/ffn1/kernel"], pretrained["block_0/ffn1/kernel"])


def test_a_built_target_is_not_rebuilt_and_the_catalogue_init_follows_the_seed():
    source = SASRec(20, CONFIG)
    source.build()
    a, b = SASRec(10, CONFIG), SASRec(10, CONFIG)
    transfer_weights(source, a, seed=5)
    transfer_weights(source, b, seed=5)
    np.testing.assert_array_equal(a.item_embedding.embeddings, b.item_embedding.embeddings)


def content_for(items: list[int], fit_on: pd.DataFrame | None):
    return item_content(CATALOGUE, IdMapping.fit(items), min_titles=1, fit_on=fit_on)


def test_word_vectors_move_only_between_catalogues_that_share_a_vocabulary():
    hybrid = SASRecConfig(**{**CONFIG.__dict__, "items": "hybrid"})
    source_content = content_for([1, 2, 3, 4], CATALOGUE)
    shared = SASRec(4, hybrid, content=content_for([5, 6, 7, 8], CATALOGUE))
    source = SASRec(4, hybrid, content=source_content)
    source.build()
    report = transfer_weights(source, shared)
    for path in ("content_tower/word_vectors", "content_tower/genre_vectors",
                 "content_tower/year_vectors", "content_tower/hidden/kernel"):  # fmt: skip
        assert path in report.copied
    for path in ("content_tower/title_tokens", "content_tower/genres", "trained_items"):
        assert report.kept[path] == "catalogue"
    own = SASRec(4, hybrid, content=content_for([5, 6, 7, 8], None))  # its own vocabulary
    report = transfer_weights(source, own)
    assert report.kept["content_tower/word_vectors"] == "vocabulary differs"
    assert report.kept["content_tower/genre_vectors"] == "vocabulary differs"
    assert "content_tower/hidden/kernel" in report.copied


def test_an_id_target_keeps_only_what_an_id_model_has():
    hybrid = SASRecConfig(**{**CONFIG.__dict__, "items": "hybrid"})
    source = SASRec(4, hybrid, content=content_for([1, 2, 3, 4], CATALOGUE))
    source.build()
    report = transfer_weights(source, SASRec(7, CONFIG))
    assert "block_0/ffn1/kernel" in report.copied
    assert "content_tower/word_vectors" in report.source_only
    assert "source weights unused" in str(report)


def test_a_shape_that_differs_is_named_and_other_classes_are_refused():
    source = SASRec(10, CONFIG)
    source.build()
    wider = SASRec(10, SASRecConfig(**{**CONFIG.__dict__, "dim": 16}))
    with pytest.raises(ValueError, match=r"positions/positions has shape \(6, 8\).*\(6, 16\)"):
        transfer_weights(source, wider)
    with pytest.raises(TypeError, match="the source is a SASRec, the target a GRU4Rec"):
        transfer_weights(source, GRU4Rec(10, GRU4RecConfig(max_len=6)))
    with pytest.raises(ValueError, match="not built"):
        transfer_weights(SASRec(10, CONFIG), SASRec(10, CONFIG))


def tiger(num_items: int) -> TIGER:
    vectors = np.random.default_rng(num_items).normal(size=(num_items + 1, 4))
    ids = residual_kmeans(vectors, levels=2, codebook_size=3)
    return TIGER(num_items, TIGERConfig(max_len=6, dim=8, num_heads=2, levels=2, codebook_size=3),
                 semantic_ids=ids)  # fmt: skip


@pytest.mark.parametrize(
    ("make", "catalogue"),
    [
        (lambda n: BERT4Rec(n, BERT4RecConfig(max_len=6, dim=8, num_blocks=1)),
         {"item_embedding/embeddings", "output_bias"}),
        (lambda n: GRU4Rec(n, GRU4RecConfig(max_len=6, dim=8, hidden=8)),
         {"item_embedding/embeddings", "output_items/embeddings", "output_bias"}),
        (tiger, {"codes", "prefixes", "trie_0", "trie_1", "trie_2", "code_bias_0"}),
    ],
    ids=["bert4rec", "gru4rec", "tiger"],
)  # fmt: skip
def test_every_sequence_model_keeps_its_catalogue_and_shares_the_rest(make, catalogue):
    source, target = make(12), make(30)
    source.build()
    report = transfer_weights(source, target)
    assert catalogue <= {p for p, why in report.kept.items() if why == "catalogue"}
    assert report.copied and not report.source_only
    for path in report.copied:
        np.testing.assert_array_equal(values(target)[path], values(source)[path])
