"""Exported models list exactly what the Keras model lists, in both formats."""

from __future__ import annotations

import json

import keras
import numpy as np
import pandas as pd
import pytest

from reclab.data import IdMapping
from reclab.metrics import list_overlap
from reclab.models import (
    BERT4Rec,
    BERT4RecConfig,
    GRU4Rec,
    GRU4RecConfig,
    Popularity,
    SASRec,
    SASRecConfig,
)
from reclab.recommend import top_k
from reclab.serving import export_model, load_exported, measure_latency, serving_function

MAX_LEN = 6


def _histories(num_items: int, rows: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = rng.integers(1, num_items + 1, size=(rows, MAX_LEN))
    lengths = rng.integers(1, MAX_LEN + 1, size=rows)
    h[np.arange(MAX_LEN)[None, :] < (MAX_LEN - lengths)[:, None]] = 0  # left padding
    return h


def _model(kind: str, num_items: int = 30, dim: int = 8):
    keras.utils.set_random_seed(0)
    if kind == "sasrec":
        model = SASRec(num_items, SASRecConfig(max_len=MAX_LEN, dim=dim, num_blocks=1))
    elif kind == "bert4rec":
        model = BERT4Rec(num_items, BERT4RecConfig(max_len=MAX_LEN, dim=8, num_blocks=1))
    else:
        model = GRU4Rec(num_items, GRU4RecConfig(max_len=MAX_LEN, dim=8))
    model.build()
    return model


@pytest.mark.parametrize("kind", ["sasrec", "bert4rec", "gru4rec"])
@pytest.mark.parametrize("exclude_seen", [True, False])
def test_saved_model_lists_what_the_keras_model_lists(kind, exclude_seen, tmp_path):
    model = _model(kind)
    histories = _histories(model.num_items)
    export_model(model, tmp_path / "m", k=7, exclude_seen=exclude_seen)
    ids, scores = load_exported(tmp_path / "m").top_k(histories)
    want_ids, want_scores = top_k(model, histories, k=7, exclude_seen=exclude_seen)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-5, atol=1e-5)


def test_litert_export_and_load_write_nothing_to_native_stderr(tmp_path, capfd):
    """The converter's and interpreter's C++ log lines are library noise, not the user's news.

    (The first LiteRT test of the process: the XNNPACK line is printed once per process.)
    """
    model = _model("sasrec")
    export_model(model, tmp_path / "m", format="litert", k=5, quantize="int8")
    load_exported(tmp_path / "m").top_k(_histories(model.num_items))
    err = capfd.readouterr().err
    assert "tf_tfl_flatbuffer_helpers" not in err and "XNNPACK" not in err, err


def test_litert_float_lists_what_the_keras_model_lists(tmp_path):
    model = _model("sasrec")
    histories = _histories(model.num_items)
    export_model(model, tmp_path / "m", format="litert", k=5)
    exported = load_exported(tmp_path / "m")
    ids, scores = exported.top_k(histories)  # one batch of 40: the runner resizes its input
    want_ids, want_scores = top_k(model, histories, k=5)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-4, atol=1e-4)
    assert exported.info["format"] == "litert" and exported.info["quantize"] is None


def test_int8_litert_keeps_the_lists_at_under_a_third_of_the_size(tmp_path):
    """One int8 copy of the item table: per-channel scales would store it twice (size ~1/2)."""
    model = _model("sasrec", num_items=2000, dim=32)
    histories = _histories(model.num_items, rows=100)
    export_model(model, tmp_path / "float", format="litert", k=10)
    export_model(model, tmp_path / "int8", format="litert", k=10, quantize="int8")
    small, full = load_exported(tmp_path / "int8"), load_exported(tmp_path / "float")
    assert small.model_bytes() <= full.model_bytes() / 3
    ids, _ = small.top_k(histories)
    want, _ = top_k(model, histories, k=10)
    assert list_overlap(ids, want) >= 0.9
    for row, h in zip(ids, histories, strict=True):  # still never a seen item or padding
        assert not set(row.tolist()) & set(h.tolist())


def test_exported_histories_are_cut_and_padded_like_score(tmp_path):
    model = _model("sasrec")
    export_model(model, tmp_path / "m", k=4)
    exported = load_exported(tmp_path / "m")
    long = np.arange(1, 11)[None, :]  # 10 items > max_len: the latest 6 count, none is listed
    short = np.array([[3, 4]])
    for h in (long, short):
        want, _ = top_k(model, h, k=4)
        np.testing.assert_array_equal(exported.top_k(h)[0], want)


def test_more_slots_than_items_are_padded_with_id_zero():
    model = _model("sasrec", num_items=4)
    out = serving_function(model, k=8)(np.array([[0, 0, 0, 0, 1, 2]], np.int32))
    ids, scores = out["item_ids"].numpy()[0], out["scores"].numpy()[0]
    want_ids, want_scores = top_k(model, np.array([[1, 2]]), k=8)
    assert want_ids.shape == (1, 4)  # top_k stops at N; the signature keeps its k columns
    np.testing.assert_array_equal(ids[:4], want_ids[0])
    assert 0 not in ids[:2] and (ids[2:] == 0).all()
    assert np.isneginf(scores[2:]).all() and np.isneginf(want_scores[0, 2:]).all()


def test_the_folder_describes_itself_and_maps_ids(tmp_path):
    model = _model("sasrec", num_items=3)
    mapping = IdMapping.fit([30, 10, 20])
    items = pd.DataFrame({"item_id": [10, 20, 30], "title": ["A", "B", "C"]})
    export_model(model, tmp_path / "m", k=2, item_mapping=mapping, items=items)
    info = json.loads((tmp_path / "m" / "serving.json").read_text())
    assert info["inputs"]["histories"]["shape"] == [None, None] and info["max_len"] == MAX_LEN
    assert info["k"] == 2 and info["num_items"] == 3 and info["model"] == "SASRec"
    assert info["catalogue"] == mapping.fingerprint()
    table = load_exported(tmp_path / "m").items
    assert table["item_id"].tolist() == [1, 2, 3]
    decoded = dict(zip(table["raw_item_id"], table["title"], strict=True))
    assert decoded == {10: "A", 20: "B", 30: "C"}


def test_nothing_is_overwritten(tmp_path):
    model = _model("sasrec")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not an empty folder"):
        export_model(model, tmp_path / "m")
    assert (tmp_path / "m" / "mine.txt").read_text() == "keep me"


def test_bad_requests_get_clear_errors(tmp_path):
    model = _model("sasrec")
    with pytest.raises(TypeError, match="Popularity"):
        export_model(Popularity().fit(_histories(5)), tmp_path / "p")
    with pytest.raises(ValueError, match="format='onnx'"):
        export_model(model, tmp_path / "a", format="onnx")
    with pytest.raises(ValueError, match="needs format='litert'"):
        export_model(model, tmp_path / "b", quantize="int8")
    with pytest.raises(FileNotFoundError, match=r"serving\.json"):
        load_exported(tmp_path)
    export_model(model, tmp_path / "c", k=3)
    with pytest.raises(ValueError, match="num_items=30"):
        load_exported(tmp_path / "c").top_k([[31]])


def test_measure_latency_times_every_call():
    calls = []
    out = measure_latency(
        calls.append, np.zeros((3, 2), np.int32), batch_size=2, warmup=1, min_queries=5
    )
    assert len(calls) == 6 and all(c.shape == (2, 2) for c in calls)
    assert out["calls"] == 5 and out["p50_ms"] <= out["p99_ms"]
    assert out["queries_per_second"] > 0


def test_an_export_is_evaluated_like_the_model_at_its_cut_off(tmp_path):
    from reclab.data import EvaluationSet
    from reclab.evaluation import evaluate_model

    model = _model("sasrec")
    histories = _histories(model.num_items, rows=60)
    targets = np.random.default_rng(3).integers(1, model.num_items + 1, size=60)
    users = EvaluationSet(histories, targets, np.arange(60))
    export_model(model, tmp_path / "m", k=10)
    exported = load_exported(tmp_path / "m")
    want = evaluate_model(model, users).set_index("metric")["value"]
    got = evaluate_model(exported, users).set_index("metric")["value"]
    for key in ("HR@10", "NDCG@10"):
        assert got[key] == pytest.approx(want[key])
