from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclab.data import encode_split, future_leakage, leave_last_out, temporal_split


def events(users, items, times) -> pd.DataFrame:
    return pd.DataFrame({"user_id": users, "item_id": items, "timestamp": times})


def test_leave_last_out_basic_and_short_users() -> None:
    df = events([1, 1, 1, 1, 2, 2, 3, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9],
                [4, 3, 2, 1, 1, 2, 1, 2, 3])  # fmt: skip
    split = leave_last_out(df)
    assert split.train.item_id.tolist() == [4, 3, 5, 6, 7]
    assert split.validation.item_id.tolist() == [2, 8]
    assert split.test.item_id.tolist() == [1, 9]
    assert split.report.details == {"users_train_only": 1, "test_users": 2}
    assert split.report.rows_dropped == 0
    longer = leave_last_out(df, min_train_events=2)
    assert longer.test.user_id.tolist() == [1]
    with pytest.raises(ValueError, match="min_train_events=0"):
        leave_last_out(df, min_train_events=0)


def test_leave_last_out_tie_breaks() -> None:
    df = events([1, 1, 1, 1], [9, 3, 5, 1], [1, 7, 7, 7])  # three events at t=7
    assert leave_last_out(df).test.item_id.tolist() == [1]  # input order: 3, 5, 1
    by_item = leave_last_out(df, tie_break="item_id")
    assert by_item.validation.item_id.tolist() == [3] and by_item.test.item_id.tolist() == [5]


def test_temporal_split_quantiles_and_explicit_cuts() -> None:
    df = events(np.repeat([1, 2], 5), np.arange(10), np.r_[0:5, 2:7] * 10)
    split = temporal_split(df, val_fraction=0.2, test_fraction=0.2)
    # sorted times 0 10 20 20 30 30 40 40 50 60: the 0.6 and 0.8 quantiles ("lower") are 30, 40
    assert split.report.details == {"val_start": 30, "test_start": 40}
    assert split.train.timestamp.max() < 30 <= split.validation.timestamp.min()
    assert split.validation.timestamp.max() < 40 <= split.test.timestamp.min()
    explicit = temporal_split(df, val_start=25, test_start=45)
    assert (len(explicit.train), len(explicit.validation), len(explicit.test)) == (4, 4, 2)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"val_start": 9, "test_start": 5}, "after test_start"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, r"val \+ test < 1"),
        ({"test_fraction": 0.0}, "0 < test"),
    ],
)
def test_temporal_split_bad_arguments(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words):
        temporal_split(events([1], [1], [1]), **kwargs)


def test_temporal_split_empty_frame() -> None:
    with pytest.raises(ValueError, match="empty"):
        temporal_split(events([], [], []))


@pytest.mark.formula("eq-future-leakage")
def test_future_leakage_hand_worked_and_random_split() -> None:
    train = events([1, 1, 2], [0, 0, 0], [1, 9, 1])
    test = events([1, 2, 3], [0, 0, 0], [5, 5, 5])
    # user 1 trains on t=9 > 5 (leak); user 2 only on t=1; user 3 has no training: 1/3
    assert future_leakage(train, test) == pytest.approx(1 / 3)
    assert future_leakage(train, test.iloc[:0]) == 0.0
    # a random 80/20 split of long sequences leaks for most held-out events
    rng = np.random.default_rng(0)
    users, times = np.repeat(np.arange(50), 40), np.tile(np.arange(40), 50)
    df = events(users, rng.integers(0, 100, 2000), times)
    held = rng.random(len(df)) < 0.2
    assert future_leakage(df[~held], df[held]) > 0.7
    lo = leave_last_out(df)
    assert future_leakage(lo.train, lo.test) == 0.0 == future_leakage(lo.train, lo.validation)


event_tables = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 9), st.integers(0, 20)), min_size=1, max_size=60
).map(lambda rows: events(*map(list, zip(*rows, strict=True))))


def positions(split) -> tuple[pd.DataFrame, ...]:
    """Each part with the event's position in its user's time order (by the same tie-break)."""
    parts = []
    for name in ("train", "validation", "test"):
        parts.append(getattr(split, name).assign(part=name))
    return tuple(parts)


@given(event_tables, st.sampled_from(["input_order", "item_id"]))
def test_leave_last_out_never_trains_on_the_future(df, tie_break) -> None:
    split = leave_last_out(df, tie_break=tie_break)
    assert len(split.train) + len(split.validation) + len(split.test) == len(df)
    # in time: no training event of a user after the user's validation or test event
    assert future_leakage(split.train, split.validation) == 0.0
    assert future_leakage(split.train, split.test) == 0.0
    assert future_leakage(split.validation, split.test) == 0.0
    # in order, ties included: concatenating the parts gives each user's sorted sequence
    from reclab.data import sort_chronologically

    ordered = sort_chronologically(df, tie_break)
    joined = pd.concat([split.train, split.validation, split.test])
    rebuilt = sort_chronologically(joined, tie_break)  # same multiset of rows
    assert len(rebuilt) == len(ordered)
    for user, seq in ordered.groupby("user_id"):
        tail = seq.item_id.tolist()
        parts = [p[p.user_id == user].item_id.tolist() for p in (split.train, split.validation,
                                                                  split.test)]  # fmt: skip
        assert parts[0] + parts[1] + parts[2] == tail
        assert len(parts[1]) == len(parts[2]) <= 1


@given(event_tables, st.floats(0.05, 0.4), st.floats(0.05, 0.4))
def test_temporal_split_never_trains_on_the_future(df, val_fraction, test_fraction) -> None:
    split = temporal_split(df, val_fraction=val_fraction, test_fraction=test_fraction)
    assert len(split.train) + len(split.validation) + len(split.test) == len(df)
    if len(split.train) and len(split.validation):
        assert split.train.timestamp.max() < split.validation.timestamp.min()
    if len(split.validation) and len(split.test):
        assert split.validation.timestamp.max() < split.test.timestamp.min()
    assert future_leakage(split.train, split.test) == 0.0


@given(event_tables, st.integers(0, 100))
def test_ids_come_from_training_data_only(df, new_item) -> None:
    split = leave_last_out(df)
    encoded, items, users, reports = encode_split(split, encode_users=True)
    # the vocabulary is exactly the training items, whatever the held-out parts contain
    assert items.raw_ids.tolist() == sorted(set(split.train.item_id))
    changed = split.__class__(split.train, split.validation.assign(item_id=new_item + 1000),
                              split.test, split.report)  # fmt: skip
    _, items_again, _, reports_again = encode_split(changed, encode_users=True)
    assert items_again.raw_ids.tolist() == items.raw_ids.tolist()
    assert reports_again[0].rows_out == 0  # unseen items in validation are dropped, reported
    for part in (encoded.train, encoded.validation, encoded.test):
        assert part.item_id.between(1, items.num_items).all()
        assert part.user_id.between(1, users.num_items).all()
    dropped = len(split.test) - len(encoded.test)
    assert reports[1].rows_dropped == dropped


@pytest.mark.formula("eq-future-leakage")
def test_random_split_leakage_approaches_one_as_histories_grow() -> None:
    # with T events per user, each held out with probability q = 0.2, only the held-out events
    # after the user's last training event escape: lambda ~ 1 - (1 - q**T) / ((1 - q) T)
    q, rng, leakage = 0.2, np.random.default_rng(0), []
    for length in (10, 40, 160):
        users, times = np.repeat(np.arange(1000), length), np.tile(np.arange(length), 1000)
        df = events(users, np.zeros_like(users), times)
        held = rng.random(len(df)) < q
        leakage.append(future_leakage(df[~held], df[held]))
        expected = 1 - (1 - q**length) / ((1 - q) * length)
        assert leakage[-1] == pytest.approx(expected, abs=0.03), length
    assert leakage == sorted(leakage) and leakage[-1] > 0.99  # not "about one half"
