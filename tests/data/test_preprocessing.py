from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reclab.data import (
    deduplicate,
    k_core,
    preprocess,
    sort_chronologically,
    to_implicit,
)


def events(users, items, times, ratings=None) -> pd.DataFrame:
    df = pd.DataFrame({"user_id": users, "item_id": items, "timestamp": times})
    if ratings is not None:
        df["rating"] = np.asarray(ratings, dtype=np.float32)
    return df


def test_to_implicit_threshold_keeps_ratings_at_or_above(caplog) -> None:
    df = events([1, 1, 2, 2], [5, 6, 5, 7], [1, 2, 3, 4], [5.0, 3.5, 4.0, 1.0])
    with caplog.at_level(logging.INFO, logger="reclab.data.preprocessing"):
        out, report = to_implicit(df, threshold=4.0)
    assert out.item_id.tolist() == [5, 5] and "rating" not in out.columns
    assert (report.rows_in, report.rows_out) == (4, 2)
    assert "to_implicit: 4 -> 2 rows" in caplog.text


def test_to_implicit_none_keeps_all_and_missing_rating_raises() -> None:
    df = events([1, 1], [5, 6], [1, 2], [1.0, 2.0])
    out, report = to_implicit(df, threshold=None)
    assert len(out) == 2 and report.rows_dropped == 0 and "rating" not in out.columns
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['rating'\]"):
        to_implicit(df.drop(columns="rating"), threshold=3.0)


DUPES = events([1, 1, 1, 1, 2], [5, 5, 6, 5, 5], [10, 10, 20, 30, 10])


@pytest.mark.parametrize(
    ("policy", "kept_rows"),
    [
        ("exact", [0, 2, 3, 4]),  # row 1 repeats row 0 exactly
        ("first", [0, 2, 4]),  # user 1 keeps item 5 at t=10 (first row of the tie)
        ("last", [2, 3, 4]),  # user 1 keeps item 5 at t=30
        ("none", [0, 1, 2, 3, 4]),
    ],
)
def test_deduplicate_policies(policy, kept_rows) -> None:
    out, report = deduplicate(DUPES, policy)
    pd.testing.assert_frame_equal(out, DUPES.iloc[kept_rows].reset_index(drop=True))
    assert report.rows_dropped == 5 - len(kept_rows) and report.details["policy"] == policy


def test_deduplicate_first_uses_time_not_row_order() -> None:
    df = events([1, 1], [5, 5], [30, 10])
    assert deduplicate(df, "first")[0].timestamp.tolist() == [10]
    assert deduplicate(df, "last")[0].timestamp.tolist() == [30]


def test_deduplicate_unknown_policy() -> None:
    with pytest.raises(ValueError, match="policy='all'"):
        deduplicate(DUPES, "all")


def test_k_core_needs_several_iterations() -> None:
    # item 9 has one event; removing it leaves user 3 with one event, which then removes item 8's
    # third event ... the fixed point keeps users 1, 2 with items 7, 8.
    df = events([1, 1, 2, 2, 3, 3], [7, 8, 7, 8, 8, 9], range(6))
    out, report = k_core(df, 2, 2)
    assert out.user_id.tolist() == [1, 1, 2, 2]
    assert report.details == {
        "min_user_events": 2,
        "min_item_events": 2,
        "iterations": 3,
        "users_removed": 1,
        "items_removed": 1,
    }


def test_k_core_can_empty_the_table_and_rejects_bad_k() -> None:
    out, report = k_core(events([1, 2], [3, 4], [0, 1]), 2, 1)
    assert len(out) == 0 and report.rows_dropped == 2
    with pytest.raises(ValueError, match="min_user_events=0"):
        k_core(DUPES, 0, 1)
    with pytest.raises(ValueError, match=r"min_item_events=2\.5"):
        k_core(DUPES, 1, 2.5)


#: Random event logs (user, item pairs over few ids, so cores collapse often) and (k_u, k_i).
K_CORE_CASES = (
    st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), min_size=0, max_size=80),
    st.integers(1, 4),
    st.integers(1, 4),
)


def naive_k_core(df: pd.DataFrame, ku: int, ki: int) -> pd.DataFrame:
    """The obviously correct version: filter until nothing changes."""
    while True:
        u = df.groupby("user_id")["item_id"].transform("size")
        i = df.groupby("item_id")["user_id"].transform("size")
        kept = df[(u >= ku) & (i >= ki)]
        if len(kept) == len(df):
            return kept
        df = kept


@given(*K_CORE_CASES)
def test_k_core_matches_naive_fixed_point(pairs, ku, ki) -> None:
    df = events([p[0] for p in pairs], [p[1] for p in pairs], range(len(pairs)))
    out, _ = k_core(df, ku, ki)
    expected = naive_k_core(df, ku, ki).reset_index(drop=True)
    pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    if len(out):
        assert out.groupby("user_id").size().min() >= ku
        assert out.groupby("item_id").size().min() >= ki


def test_sort_tie_break_input_order_and_item_id() -> None:
    df = events([2, 1, 1, 1], [4, 9, 3, 5], [0, 5, 5, 1])
    assert sort_chronologically(df).item_id.tolist() == [5, 9, 3, 4]
    assert sort_chronologically(df, "item_id").item_id.tolist() == [5, 3, 9, 4]
    with pytest.raises(ValueError, match="tie_break='random'"):
        sort_chronologically(df, "random")


def test_sort_item_id_tie_break_falls_back_to_input_order() -> None:
    df = events([1, 1, 1], [7, 7, 2], [5, 5, 5]).assign(tag=["a", "b", "c"])
    assert sort_chronologically(df, "item_id").tag.tolist() == ["c", "a", "b"]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 5), st.integers(0, 3)), max_size=40))
def test_sort_is_deterministic_and_ordered(rows) -> None:
    df = events([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    out = sort_chronologically(df)
    again = sort_chronologically(df.sample(frac=1.0, random_state=0)) if len(df) else out
    assert len(again) == len(out)
    keys = list(zip(out.user_id, out.timestamp, strict=True))
    assert keys == sorted(keys)


def test_preprocess_runs_each_step_and_reports() -> None:
    df = events([1, 1, 1, 2, 2, 2, 3], [5, 6, 6, 5, 6, 7, 5], [3, 1, 1, 1, 2, 3, 1],
                [5, 4, 4, 5, 5, 5, 1])  # fmt: skip
    result = preprocess(df, implicit_threshold=4.0, dedup="exact", min_user_events=2,
                        min_item_events=2)  # fmt: skip
    assert [r.step for r in result.reports] == ["to_implicit", "deduplicate", "k_core"]
    out = result.interactions
    assert out.user_id.tolist() == [1, 1, 2, 2] and out.item_id.tolist() == [6, 5, 5, 6]


def counts(report) -> tuple:
    return (report.users_in, report.users_out, report.items_in, report.items_out)


def test_reports_count_users_and_items_before_and_after() -> None:
    # users 1, 2, 3; items 5, 6, 7; user 3 and item 7 only have low ratings
    df = events([1, 1, 2, 2, 3], [5, 6, 5, 7, 6], [1, 2, 3, 4, 5], [5, 4, 5, 1, 2])
    _, report = to_implicit(df, threshold=4.0)
    assert counts(report) == (3, 2, 3, 2)
    assert "3 -> 2 users, 3 -> 2 items" in str(report)
    _, report = to_implicit(df, threshold=None)
    assert counts(report) == (3, 3, 3, 3)
    _, report = deduplicate(DUPES, "first")  # users 1, 2; items 5, 6: none lost
    assert counts(report) == (2, 2, 2, 2)
    _, report = deduplicate(events([1, 1, 2], [5, 5, 5], [1, 1, 2]), "exact")
    assert counts(report) == (2, 2, 1, 1) and report.rows_dropped == 1


def test_k_core_report_counts_match_its_details() -> None:
    df = events([1, 1, 2, 2, 3, 3], [7, 8, 7, 8, 8, 9], range(6))
    out, report = k_core(df, 2, 2)
    assert counts(report) == (3, 2, 3, 2)
    assert report.users_dropped == report.details["users_removed"] == 1
    assert report.items_dropped == report.details["items_removed"] == 1
    assert (report.users_out, report.items_out) == (out.user_id.nunique(), out.item_id.nunique())
    assert str(report).startswith(
        "k_core: 6 -> 4 rows (2 dropped, 33.3%), 3 -> 2 users, 3 -> 2 items"
    )
    empty, report = k_core(events([1, 2], [3, 4], [0, 1]), 2, 1)
    assert len(empty) == 0 and counts(report) == (2, 0, 2, 0)


@given(*K_CORE_CASES)
def test_k_core_report_counts_are_distinct_ids(pairs, ku, ki) -> None:
    df = events([p[0] for p in pairs], [p[1] for p in pairs], range(len(pairs)))
    out, report = k_core(df, ku, ki)
    assert counts(report) == (
        df.user_id.nunique(),
        out.user_id.nunique(),
        df.item_id.nunique(),
        out.item_id.nunique(),
    )


def test_preprocess_reports_all_count_users_and_items() -> None:
    df = events(
        [1, 1, 1, 2, 2, 2, 3], [5, 6, 6, 5, 6, 7, 5], [3, 1, 1, 1, 2, 3, 1], [5, 4, 4, 5, 5, 5, 1]
    )
    result = preprocess(df, implicit_threshold=4.0, min_user_events=2, min_item_events=2)
    assert [counts(r) for r in result.reports] == [(3, 2, 3, 3), (2, 2, 3, 3), (2, 2, 3, 2)]
    assert all(r.to_dict()["users_in"] is not None for r in result.reports)


@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6), st.integers(0, 2)), max_size=30),
    st.randoms(use_true_random=False),
)
def test_item_id_tie_break_does_not_depend_on_row_order(rows, random) -> None:
    df = events([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    order = list(range(len(df)))
    random.shuffle(order)
    by_item = sort_chronologically(df, "item_id")
    again = sort_chronologically(df.iloc[order], "item_id")
    pd.testing.assert_frame_equal(by_item, again)


def test_input_order_tie_break_follows_the_file_as_in_ml_1m() -> None:
    # ML-1M's ratings.dat lists user 1's movies as 1193, 661, 914, ...: with equal timestamps,
    # "input_order" keeps that order and "item_id" does not (ml-latest-small is sorted by movieId)
    df = events([1, 1, 1], [1193, 661, 914], [978300760] * 3)
    assert sort_chronologically(df).item_id.tolist() == [1193, 661, 914]
    assert sort_chronologically(df, "item_id").item_id.tolist() == [661, 914, 1193]
