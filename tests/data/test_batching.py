from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclab.data import (
    Sequences,
    causal_arrays,
    causal_dataset,
    cloze_dataset,
    cloze_mask,
    evaluation_arrays,
    evaluation_dataset,
    item_weights,
    left_pad,
)


def seqs_of(lists: list[list[int]]) -> Sequences:
    lengths = [len(s) for s in lists]
    items = np.array([i for s in lists for i in s], dtype=np.int64)
    return Sequences(
        np.arange(1, len(lists) + 1, dtype=np.int64),
        np.r_[0, np.cumsum(lengths)].astype(np.int64),
        items,
        np.arange(len(items), dtype=np.int64),
    )


SEQS = seqs_of([[1, 2, 3, 4, 5], [6, 7], [8], [2, 4, 6]])


def test_left_pad_keeps_the_most_recent_items() -> None:
    padded, mask = left_pad(SEQS, 3)
    assert padded.tolist() == [[3, 4, 5], [0, 6, 7], [0, 0, 8], [2, 4, 6]]
    assert mask.tolist() == [[True] * 3, [False, True, True], [False, False, True], [True] * 3]
    assert padded.dtype == np.int32 and mask.dtype == bool
    dropped, _ = left_pad(SEQS, 3, drop_last=1)
    assert dropped.tolist() == [[2, 3, 4], [0, 0, 6], [0, 0, 0], [0, 2, 4]]
    with pytest.raises(ValueError, match="max_len=0"):
        left_pad(SEQS, 0)


@given(st.lists(st.lists(st.integers(1, 50), min_size=0, max_size=12), min_size=1, max_size=8),
       st.integers(1, 10))  # fmt: skip
def test_left_pad_property(lists, max_len) -> None:
    padded, mask = left_pad(seqs_of(lists), max_len)
    for row, m, s in zip(padded, mask, lists, strict=True):
        k = min(len(s), max_len)
        assert row[m].tolist() == s[len(s) - k :]  # the latest k items, in order
        assert m.tolist() == [False] * (max_len - k) + [True] * k  # padding on the left only
        assert (row[~m] == 0).all()


def test_causal_arrays_next_item_at_every_position(caplog) -> None:
    with caplog.at_level("INFO", logger="reclab.data.batching"):
        a = causal_arrays(SEQS, 3)
    assert a["inputs"].tolist() == [[2, 3, 4], [0, 0, 6], [0, 2, 4]]
    assert a["targets"].tolist() == [[3, 4, 5], [0, 0, 7], [0, 4, 6]]
    assert a["mask"].tolist() == [[True] * 3, [False, False, True], [False, True, True]]
    assert a["user"].tolist() == [1, 2, 4]  # user 3 has a single event
    assert "1 user(s) with one event" in caplog.text


def test_cloze_mask_hides_items_and_always_leaves_a_target() -> None:
    padded, mask = left_pad(SEQS, 4)
    out = cloze_mask(padded, mask, mask_prob=0.5, mask_token=51, rng=np.random.default_rng(0))
    hidden = out["label_mask"]
    assert (hidden <= mask).all() and hidden.any(axis=1).all()
    assert (out["inputs"][hidden] == 51).all()
    np.testing.assert_array_equal(out["inputs"][~hidden], padded[~hidden])
    np.testing.assert_array_equal(out["labels"][hidden], padded[hidden])
    assert (out["labels"][~hidden] == 0).all()
    none = cloze_mask(padded, mask, mask_prob=0.0, mask_token=51, rng=np.random.default_rng(0))
    assert none["label_mask"].sum(axis=1).tolist() == [1, 1, 1, 1]
    assert none["label_mask"][:, -1].all()  # the latest item
    full = cloze_mask(padded, mask, mask_prob=1.0, mask_token=51, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(full["label_mask"], mask)
    with pytest.raises(ValueError, match=r"mask_prob=1\.5"):
        cloze_mask(padded, mask, mask_prob=1.5, mask_token=51, rng=np.random.default_rng(0))


def test_evaluation_arrays_history_to_held_out_item(caplog) -> None:
    targets = pd.DataFrame({"user_id": [4, 1, 9], "item_id": [8, 6, 1]})
    with caplog.at_level("INFO", logger="reclab.data.batching"):
        a = evaluation_arrays(SEQS, targets, 3)
    assert a["inputs"].tolist() == [[2, 4, 6], [3, 4, 5]]
    assert a["target"].tolist() == [8, 6] and a["user"].tolist() == [4, 1]
    assert "1 held-out event(s) without history" in caplog.text
    b = evaluation_arrays(SEQS, targets, 3, mask_token=51)
    assert b["inputs"].tolist() == [[4, 6, 51], [4, 5, 51]]
    assert b["mask"].all()
    with pytest.raises(ValueError, match="max_len must be >= 2"):
        evaluation_arrays(SEQS, targets, 1, mask_token=51)


def collect(dataset) -> list[dict[str, np.ndarray]]:
    return [{k: v.numpy() for k, v in batch.items()} for batch in dataset]


def test_causal_dataset_shapes_negatives_and_determinism() -> None:
    weights = item_weights(50, "popularity", np.r_[0, np.arange(1, 51)])
    make = lambda seed: causal_dataset(  # noqa: E731
        SEQS, max_len=4, batch_size=2, num_items=50, num_negatives=3,
        negative_weights=weights, seed=seed,
    )  # fmt: skip
    ds = make(7)
    assert int(ds.cardinality()) == 2
    epoch1, epoch2 = collect(ds), collect(ds)
    b = epoch1[0]
    assert b["inputs"].shape == (2, 4) and b["negatives"].shape == (2, 4, 3)
    assert b["inputs"].dtype == np.int32 and b["mask"].dtype == bool
    for batch in epoch1 + epoch2:
        assert (batch["negatives"] != batch["targets"][..., None]).all()
        assert batch["negatives"].min() >= 1
    users = sorted(np.concatenate([x["user"] for x in epoch1]).tolist())
    assert users == [1, 2, 4]
    again = collect(make(7))
    for x, y in zip(epoch1, again, strict=True):
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])
    assert any(  # a new epoch draws new negatives
        not np.array_equal(x["negatives"], y["negatives"])
        for x, y in zip(epoch1, epoch2, strict=True)
    )


def test_causal_dataset_without_negatives_in_order() -> None:
    ds = causal_dataset(SEQS, max_len=3, batch_size=2, num_items=50, shuffle=False,
                        drop_remainder=True)  # fmt: skip
    (batch,) = collect(ds)
    assert set(batch) == {"inputs", "targets", "mask", "user"}
    assert batch["targets"].tolist() == [[3, 4, 5], [0, 0, 7]]
    with pytest.raises(ValueError, match="batch_size=0"):
        causal_dataset(SEQS, max_len=3, batch_size=0, num_items=50)


def test_cloze_dataset_uses_mask_token_n_plus_one() -> None:
    batches = collect(cloze_dataset(SEQS, max_len=4, batch_size=3, num_items=50, seed=1))
    assert [b["inputs"].shape for b in batches] == [(3, 4), (1, 4)]
    for b in batches:
        assert (b["inputs"][b["label_mask"]] == 51).all()
        assert b["label_mask"].any(axis=1).all()


def test_evaluation_dataset_batches_in_order() -> None:
    targets = pd.DataFrame({"user_id": [1, 2, 3, 4], "item_id": [9, 9, 9, 9]})
    batches = collect(evaluation_dataset(SEQS, targets, max_len=2, batch_size=3))
    assert [b["user"].tolist() for b in batches] == [[1, 2, 3], [4]]
    assert batches[0]["inputs"].tolist() == [[4, 5], [6, 7], [0, 8]]
    assert batches[0]["target"].dtype == np.int32
