from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from reclab.data import (
    Sequences,
    ShopConfig,
    SyntheticShop,
    encode_split,
    evaluation_arrays,
    leave_last_out,
)

TOY = ShopConfig.toy()


@pytest.fixture(scope="module")
def toy() -> tuple[SyntheticShop, pd.DataFrame]:
    shop = SyntheticShop(TOY)
    return shop, shop.generate()


def test_schema_and_time_order(toy) -> None:
    shop, events = toy
    assert list(events.columns) == ["user_id", "item_id", "timestamp"]
    assert (events.dtypes == np.int64).all()
    assert events.user_id.between(1, TOY.num_users).all()
    assert events.item_id.between(1, TOY.num_items).all()
    same_user = events.user_id.to_numpy()[1:] == events.user_id.to_numpy()[:-1]
    assert (np.diff(events.timestamp.to_numpy())[same_user] > 0).all()  # strictly increasing
    assert (np.diff(events.user_id.to_numpy()) >= 0).all()
    lengths = events.groupby("user_id").size()
    assert lengths.min() >= TOY.min_events_per_user and len(lengths) == TOY.num_users
    assert set(shop.items.columns) >= {"item_id", "title", "category", "genres"}
    assert shop.items.item_id.tolist() == list(range(1, TOY.num_items + 1))
    assert events.timestamp.min() >= TOY.start_time


def test_same_seed_same_shop_other_seed_other_shop(toy) -> None:
    _, events = toy
    pd.testing.assert_frame_equal(SyntheticShop(TOY).generate(), events)
    pd.testing.assert_frame_equal(toy[0].generate(), events)  # generate() is repeatable
    other = SyntheticShop(ShopConfig.toy(seed=1)).generate()
    assert not other.equals(events)


def test_popularity_is_long_tailed(toy) -> None:
    shop, _ = toy
    big = shop.items.groupby("category").popularity.apply(lambda p: p.max() / p.min())
    assert big.max() > 10  # Zipf within a category


def test_next_item_distribution_is_a_distribution(toy) -> None:
    shop, events = toy
    for n in (0, 1, 7, 40):
        p = shop.next_item_distribution(events.item_id.to_numpy()[:n], user=1)
        assert p.shape == (TOY.num_items + 1,) and p[0] == 0.0 and (p >= 0).all()
        assert p.sum() == pytest.approx(1.0)
    assert shop.next_item_distribution([], user=None).sum() == pytest.approx(1.0)


def test_oracle_equals_the_generator_empirically() -> None:
    """Item frequencies at position n match the mean oracle distribution over the histories."""
    config = ShopConfig(num_users=20_000, num_items=20, num_categories=3, mean_events_per_user=5,
                        min_events_per_user=3, max_events_per_user=10, drift_events=2.0,
                        seed=3)  # fmt: skip
    shop = SyntheticShop(config)
    events = shop.generate()
    seqs = Sequences.from_interactions(events)
    for n in (0, 1, 2):
        histories = [seqs[k][:n] for k in range(len(seqs))]
        probs = shop._distributions(histories, seqs.users)
        observed = np.bincount([seqs[k][n] for k in range(len(seqs))], minlength=21) / len(seqs)
        total_variation = 0.5 * np.abs(observed - probs.mean(axis=0)).sum()
        assert total_variation < 0.02, (n, total_variation)


def test_complements_and_repeats_follow_the_configuration() -> None:
    only_complements = replace(TOY, session_end_prob=0.0, complement_prob=1.0, repeat_prob=0.0)
    shop = SyntheticShop(only_complements)
    seqs = Sequences.from_interactions(shop.generate())
    s = seqs[0]
    for prev, nxt in itertools.pairwise(s):
        assert nxt in shop._complements[prev]
    p = shop.next_item_distribution(s[:5], user=1)
    assert set(np.flatnonzero(p)) <= set(shop._complements[s[4]])
    only_repeats = replace(TOY, session_end_prob=0.0, complement_prob=0.0, repeat_prob=1.0,
                           consumable_share=1.0)  # fmt: skip
    shop = SyntheticShop(only_repeats)
    seqs = Sequences.from_interactions(shop.generate())
    assert all(set(seqs[k][1:]) <= {seqs[k][0]} for k in range(len(seqs)))


def test_oracle_scores_line_up_with_evaluation_batches(toy) -> None:
    shop, events = toy
    split = leave_last_out(events)
    encoded, items, _, _ = encode_split(split)
    history = Sequences.from_interactions(pd.concat([encoded.train, encoded.validation]))
    arrays = evaluation_arrays(history, encoded.test, max_len=10)
    scores = shop.oracle_scores(history, encoded.test, item_mapping=items)
    assert scores.shape == (len(arrays["target"]), items.num_ids) and (scores[:, 0] == 0).all()
    raw_history = Sequences.from_interactions(pd.concat([split.train, split.validation]))
    raw_scores = shop.oracle_scores(raw_history, split.test)
    assert raw_scores.shape == (len(split.test), TOY.num_items + 1)
    raw_targets = split.test.item_id.to_numpy()
    known = items.contains(raw_targets)
    target_prob = scores[np.arange(len(scores)), arrays["target"]]
    np.testing.assert_allclose(
        target_prob, raw_scores[np.flatnonzero(known), raw_targets[known]], rtol=1e-12
    )
    # the oracle knows more than popularity: a higher likelihood of the held-out items
    popularity = np.bincount(encoded.train.item_id, minlength=items.num_ids) / len(encoded.train)
    assert np.log(target_prob).mean() > np.log(popularity[arrays["target"]]).mean()


def test_bad_inputs() -> None:
    shop = SyntheticShop(TOY)
    with pytest.raises(ValueError, match=r"raw shop ids in 1\.\.100"):
        shop.next_item_distribution([0, 5], user=1)
    with pytest.raises(ValueError, match=r"user ids must be in 1\.\.200"):
        shop.next_item_distribution([5], user=201)
    with pytest.raises(ValueError, match=r"ShopConfig\.repeat_prob=0\.9"):
        SyntheticShop(replace(TOY, complement_prob=0.5, repeat_prob=0.9))
    with pytest.raises(ValueError, match=r"ShopConfig\.mean_events_per_user=3"):
        SyntheticShop(replace(TOY, mean_events_per_user=3))


def test_presets_and_scaling() -> None:
    ml1m = ShopConfig.movielens_1m_like()
    assert (ml1m.num_users, ml1m.num_items) == (6040, 3706)
    assert ml1m.scaled(10_000_000).num_users == round(10_000_000 / 165.6)
    small = SyntheticShop(ml1m.scaled(100_000)).generate()
    assert 80_000 < len(small) < 120_000
