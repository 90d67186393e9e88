"""tf.data pipelines: shapes, padding to a fixed batch, (seed, epoch) determinism, exclusion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reclab.data import (
    Sequences,
    causal_dataset,
    cloze_dataset,
    evaluation_dataset,
    item_weights,
    pair_dataset,
    rating_dataset,
)
from reclab.data.negatives import ExcludedItems

SEQS = Sequences.from_lists([[1, 2, 3, 4, 5], [6, 7], [8], [2, 4, 6]])


def batches(dataset) -> list:
    return [(x, y) for x, y in dataset]


def test_causal_dataset_shapes_negatives_and_determinism() -> None:
    weights = item_weights(50, "popularity", np.r_[0, np.arange(1, 51)])
    epoch = [0]

    def make(seed):
        return causal_dataset(
            SEQS,
            max_len=4,
            batch_size=2,
            num_items=50,
            num_negatives=3,
            negative_weights=weights,
            seed=seed,
            epoch=lambda: epoch[0],
        )

    ds = make(7)
    assert int(ds.cardinality()) == 2  # 3 users with a next item, batches of 2
    epoch1 = batches(ds)
    epoch[0] = 1
    epoch2 = batches(ds)
    x, c = epoch1[0]
    assert x["inputs"].shape == (2, 4) and c.shape == (2, 4, 4)  # positive + 3 negatives
    for _, c in epoch1 + epoch2:
        c = c.numpy()
        real = c[..., 0] > 0
        assert (c[..., 1:][real] != c[..., :1][real]).all() and c[..., 1:].min() >= 1
    epoch[0] = 0
    again = batches(make(7))
    for (x1, c1), (x2, c2) in zip(epoch1, again, strict=True):
        np.testing.assert_array_equal(x1["inputs"], x2["inputs"])
        np.testing.assert_array_equal(c1, c2)
    assert any(  # a new epoch shuffles again and draws new negatives
        not np.array_equal(a[1], b[1]) for a, b in zip(epoch1, epoch2, strict=True)
    )


def test_causal_dataset_pads_the_last_batch_with_empty_rows() -> None:
    ds = causal_dataset(SEQS, max_len=3, batch_size=2, num_items=50, shuffle=False)
    (_x1, y1), (_x2, y2) = batches(ds)
    assert y1.numpy().tolist() == [[3, 4, 5], [0, 0, 7]]
    assert y2.numpy().tolist() == [[0, 4, 6], [0, 0, 0]]  # one real row, one empty row
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        causal_dataset(SEQS, max_len=3, batch_size=0, num_items=50)


def test_negatives_can_exclude_the_users_own_items() -> None:
    users = np.repeat(SEQS.users, SEQS.lengths)
    exclude = ExcludedItems.from_pairs(users, SEQS.items, num_rows=5, num_items=8)
    ds = causal_dataset(SEQS, max_len=5, batch_size=4, num_items=8, num_negatives=30,
                        exclude=exclude, seed=0, shuffle=False)  # fmt: skip
    _, c = next(iter(ds))
    c = c.numpy()
    own = [{1, 2, 3, 4, 5}, {6, 7}, {2, 4, 6}]  # rows: users 1, 2 and 4 (3 has no next item)
    for row, items in enumerate(own):
        real = c[row, :, 0] > 0
        drawn = set(c[row, real, 1:].ravel().tolist())
        assert drawn and not drawn & items
        assert drawn == set(range(1, 9)) - items  # 30 draws reach every allowed item


def _shared(sharing: str, **kwargs):
    ds = causal_dataset(SEQS, max_len=4, batch_size=4, num_items=8, num_negatives=5,
                        sharing=sharing, seed=0, shuffle=False, **kwargs)  # fmt: skip
    x, c = next(iter(ds))
    return {k: v.numpy() for k, v in x.items()}, c.numpy()


def test_shared_negatives_are_one_set_for_the_whole_batch() -> None:
    x, c = _shared("shared")
    assert set(x) == {"inputs", "positives", "negatives"} and x["negatives"].shape == (5,)
    assert c.shape == (4, 4, 6)
    np.testing.assert_array_equal(c[..., 0], x["positives"])
    np.testing.assert_array_equal(c[..., 1:], np.broadcast_to(x["negatives"], (4, 4, 5)))
    assert x["negatives"].min() >= 1 and x["negatives"].max() <= 8
    again, _ = _shared("shared")
    np.testing.assert_array_equal(again["negatives"], x["negatives"])  # seeded


def test_shared_negatives_follow_the_proposal() -> None:
    weights = item_weights(8, "popularity", np.r_[0, 1, 1, 1, 1, 1, 1, 1, 93])
    draws = np.concatenate([
        next(iter(causal_dataset(SEQS, max_len=4, batch_size=4, num_items=8, num_negatives=50,
                                 negative_weights=weights, sharing="shared", seed=s)))[0][
            "negatives"].numpy()
        for s in range(20)
    ])  # fmt: skip
    share = (draws == 8).mean()  # item 8 holds 93 % of the weight
    assert 0.88 < share < 0.97


def test_in_batch_negatives_are_the_batchs_own_targets() -> None:
    x, _ = _shared("in-batch")
    targets = set(x["positives"][x["positives"] > 0].tolist())
    assert set(x["negatives"].tolist()) <= targets
    with pytest.raises(ValueError, match="negative_weights does not apply"):
        causal_dataset(SEQS, max_len=4, batch_size=4, num_items=8, num_negatives=2,
                       negative_weights=item_weights(8), sharing="in-batch")  # fmt: skip


def test_shared_negatives_that_are_the_users_items_are_marked_removed() -> None:
    users = np.repeat(SEQS.users, SEQS.lengths)
    exclude = ExcludedItems.from_pairs(users, SEQS.items, num_rows=5, num_items=8)
    ds = causal_dataset(SEQS, max_len=4, batch_size=4, num_items=8, num_negatives=40,
                        exclude=exclude, sharing="shared", seed=0, shuffle=False)  # fmt: skip
    x, c = next(iter(ds))
    negatives, c = x["negatives"].numpy(), c.numpy()
    own = [{1, 2, 3, 4, 5}, {6, 7}, {2, 4, 6}]  # rows: users 1, 2 and 4
    for row, items in enumerate(own):
        expected = np.where(np.isin(negatives, list(items)), 0, negatives)
        np.testing.assert_array_equal(c[row, -1, 1:], expected)
    assert (c[0, -1, 1:] == 0).any()  # 40 draws over 8 items hit user 1's five


def test_an_unknown_sharing_is_refused() -> None:
    with pytest.raises(ValueError, match="negative sharing 'batch' is not known"):
        causal_dataset(SEQS, max_len=4, batch_size=4, num_items=8, num_negatives=2,
                       sharing="batch")  # fmt: skip


def test_pair_dataset_with_and_without_negatives() -> None:
    users, items = np.array([1, 1, 2]), np.array([3, 1, 2])
    x, c = next(iter(pair_dataset(users, items, num_items=5, num_negatives=2, batch_size=4,
                                  shuffle=False)))  # fmt: skip
    assert x["user"].numpy().tolist() == [1, 1, 2, 0]  # padded to the batch size
    assert (c.numpy()[:3, 1:] != c.numpy()[:3, :1]).all()
    x, y = next(iter(pair_dataset(users, items, num_items=5, batch_size=3, shuffle=False)))
    assert set(x) == {"user"} and y.numpy().tolist() == [3, 1, 2]
    with pytest.raises(ValueError, match=r"items must be ids in \[1, 5\]"):
        pair_dataset(users, np.array([3, 1, 6]), num_items=5, batch_size=2)


def test_rating_dataset_keeps_the_last_batch_short() -> None:
    ds = rating_dataset(np.array([1, 2, 3]), np.array([3, 1, 2]), np.array([4.0, 2.5, 1.0]),
                        batch_size=2, shuffle=False)  # fmt: skip
    shapes = [tuple(y.shape) for _, y in ds]
    assert shapes == [(2,), (1,)]


def test_cloze_dataset_hides_items_behind_token_n_plus_one() -> None:
    out = batches(cloze_dataset(SEQS, max_len=4, batch_size=3, num_items=50, seed=1))
    assert [tuple(x.shape) for x, _ in out] == [(3, 4), (3, 4)]  # padded to the batch size
    x = np.concatenate([x.numpy() for x, _ in out])
    y = np.concatenate([y.numpy() for _, y in out])
    hidden = y > 0
    assert (x[hidden] == 51).all() and (x[~hidden] <= 50).all()
    assert hidden[:4].any(axis=1).all() and not hidden[4:].any()  # 4 rows, then padding
    assert not (x[4:] != 0).any()


def test_cloze_dataset_is_a_function_of_seed_and_epoch() -> None:
    epoch = [0]

    def make(seed):
        return cloze_dataset(
            SEQS, max_len=4, batch_size=2, num_items=50, seed=seed, epoch=lambda: epoch[0]
        )

    def arrays(dataset):
        return [np.stack([x.numpy(), y.numpy()]) for x, y in dataset]

    first = arrays(make(0))
    assert all(np.array_equal(a, b) for a, b in zip(first, arrays(make(0)), strict=True))
    epoch[0] = 1
    later = arrays(make(0))
    assert not all(np.array_equal(a, b) for a, b in zip(first, later, strict=True))
    epoch[0] = 0
    assert all(np.array_equal(a, b) for a, b in zip(first, arrays(make(0)), strict=True))


def test_cloze_dataset_can_hide_only_the_latest_item() -> None:
    out = batches(cloze_dataset(SEQS, max_len=4, batch_size=4, num_items=50, mask_prob=0.9,
                                last_item_mask_prob=1.0, shuffle=False))  # fmt: skip
    y = out[0][1].numpy()
    assert (y[:, :-1] == 0).all() and y[:, -1].tolist() == [5, 7, 8, 6]


def test_cloze_dataset_negatives_are_drawn_for_the_hidden_items() -> None:
    x, c = batches(cloze_dataset(SEQS, max_len=4, batch_size=4, num_items=50,
                                 num_negatives=3, seed=2))[0]  # fmt: skip
    inputs, candidates = x["inputs"].numpy(), c.numpy()
    assert candidates.shape == (4, 4, 4)
    hidden = candidates[..., 0] > 0
    assert (inputs[hidden] == 51).all()
    assert (candidates[hidden][:, 1:] != candidates[hidden][:, :1]).all()
    x, c = batches(cloze_dataset(SEQS, max_len=4, batch_size=4, num_items=50,
                                 num_negatives=3, sharing="shared", seed=2))[0]  # fmt: skip
    assert sorted(x) == ["inputs", "negatives", "positives"] and tuple(c.shape) == (4, 4, 4)
    assert np.array_equal(x["positives"].numpy(), c.numpy()[..., 0])
    with pytest.raises(ValueError, match=r"mask_prob=1\.5"):
        cloze_dataset(SEQS, max_len=4, batch_size=2, num_items=50, mask_prob=1.5)


def test_evaluation_dataset_batches_in_order() -> None:
    targets = pd.DataFrame({"user_id": [1, 2, 3, 4], "item_id": [9, 9, 9, 9]})
    out = [{k: v.numpy() for k, v in b.items()} for b in evaluation_dataset(
        SEQS, targets, max_len=2, batch_size=3)]  # fmt: skip
    assert [b["user"].tolist() for b in out] == [[1, 2, 3], [4]]
    assert out[0]["inputs"].tolist() == [[4, 5], [6, 7], [0, 8]]
    assert out[0]["target"].dtype == np.int32
