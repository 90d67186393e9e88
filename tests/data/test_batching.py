from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclab.data import (
    Sequences,
    causal_arrays,
    cloze_mask,
    evaluation_arrays,
    left_pad,
    training_windows,
)

SEQS = Sequences.from_lists([[1, 2, 3, 4, 5], [6, 7], [8], [2, 4, 6]])


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
    padded, mask = left_pad(Sequences.from_lists(lists), max_len)
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


def test_cloze_mask_can_hide_only_the_latest_item_of_a_fraction_of_rows() -> None:
    padded, mask = left_pad(SEQS, 4)
    last = cloze_mask(padded, mask, mask_prob=0.9, mask_token=51, rng=np.random.default_rng(0),
                      last_item_prob=1.0)  # fmt: skip
    assert last["label_mask"].sum(axis=1).tolist() == [1, 1, 1, 1]
    assert last["label_mask"][:, -1].all()
    rows, length = 4000, 6
    inputs = np.tile(np.arange(1, length + 1), (rows, 1))
    some = cloze_mask(inputs, inputs > 0, mask_prob=0.9, mask_token=51,
                      rng=np.random.default_rng(1), last_item_prob=0.25)  # fmt: skip
    only_last = some["label_mask"][:, -1] & (some["label_mask"].sum(axis=1) == 1)
    # P(only the last) = q + (1 - q) * 0.9 * 0.1 ** 5
    assert only_last.mean() == pytest.approx(0.25, abs=0.03)
    none = cloze_mask(padded, mask, mask_prob=0.5, mask_token=51, rng=np.random.default_rng(0))
    zero = cloze_mask(padded, mask, mask_prob=0.5, mask_token=51, rng=np.random.default_rng(0),
                      last_item_prob=0.0)  # fmt: skip
    np.testing.assert_array_equal(none["inputs"], zero["inputs"])  # q = 0: the old draws
    with pytest.raises(ValueError, match="last_item_prob=2"):
        cloze_mask(padded, mask, mask_prob=0.5, mask_token=51, rng=np.random.default_rng(0),
                   last_item_prob=2)  # fmt: skip


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


def test_windows_cover_every_event_once_as_target() -> None:
    seqs = Sequences(
        np.array([1, 2]), np.array([0, 7, 9]), np.arange(1, 10), np.zeros(9, dtype=np.int64)
    )
    windows = training_windows(seqs, 3)
    assert [w.tolist() for w in windows.to_list()] == [[1, 2, 3, 4], [4, 5, 6, 7], [8, 9]]
    assert windows.users.tolist() == [1, 1, 2]  # each window keeps its user's id
    targets = np.concatenate([w[1:] for w in windows.to_list()])
    firsts = np.concatenate([s[1:] for s in seqs.to_list()])
    assert sorted(targets.tolist()) == sorted(firsts.tolist())  # every event a target once
