from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reclab.data import DataValidationError, validate_interactions

COLS = {"user_id": "u", "item_id": "i", "timestamp": "t"}


def frame(**changes: list) -> pd.DataFrame:
    data = {"u": ["1", "1", "2"], "i": ["10", "11", "10"], "t": ["100", "200", "300"]}
    data.update(changes)
    return pd.DataFrame(data)


def test_valid_frame_gets_schema_dtypes() -> None:
    out = validate_interactions(frame(), columns=COLS)
    assert list(out.columns) == ["user_id", "item_id", "timestamp"]
    assert all(out.dtypes == np.int64)
    assert out.item_id.tolist() == [10, 11, 10]


def test_integer_columns_and_rating_pass_through() -> None:
    df = pd.DataFrame({"user_id": [1], "item_id": [2], "timestamp": [3], "rating": [4.5]})
    out = validate_interactions(df)
    assert out.rating.dtype == np.float32 and out.rating.iloc[0] == 4.5


@pytest.mark.parametrize(
    ("changes", "column", "line", "value", "words"),
    [
        ({"u": ["1", "x", "2"]}, "u", 3, "x", "not a number"),
        ({"i": ["10", "-4", "10"]}, "i", 3, "-4", "negative"),
        ({"i": ["10", "11", "2.5"]}, "i", 4, "2.5", "not an integer"),
        ({"u": ["1", None, "2"]}, "u", 3, None, "missing"),
        ({"t": ["100", "200", "oops"]}, "t", 4, "oops", "not a number"),
        ({"t": ["100", "-1", "300"]}, "t", 3, "-1", "out of range"),
        ({"t": ["100", "5000000000", "300"]}, "t", 3, "5000000000", "out of range"),
    ],
)
def test_bad_values_name_source_line_column_value(changes, column, line, value, words) -> None:
    with pytest.raises(DataValidationError) as caught:
        validate_interactions(
            frame(**changes), source="log.csv", columns=COLS, line_unit="line", first_line=2
        )
    error = caught.value
    assert (error.source, error.line, error.column) == ("log.csv", line, column)
    assert error.value == value or (value is None and pd.isna(error.value))
    assert words in str(error) and f"line {line}" in str(error) and "log.csv" in str(error)


def test_millisecond_timestamps_get_a_hint_and_can_be_read() -> None:
    ms = frame(t=["1600000000000", "1600000001000", "1600000002000"])
    with pytest.raises(DataValidationError, match="timestamp_unit='ms'"):
        validate_interactions(ms, columns=COLS)
    out = validate_interactions(ms, columns=COLS, timestamp_unit="ms")
    assert out.timestamp.tolist() == [1600000000, 1600000001, 1600000002]


def test_iso_dates_are_parsed_and_a_bad_date_is_reported() -> None:
    dates = frame(t=["2020-01-01T00:00:00Z", "2020-01-01 00:01:00", "2020-01-02"])
    assert validate_interactions(dates, columns=COLS).timestamp.tolist() == [
        1577836800,
        1577836860,
        1577923200,
    ]
    bad = frame(t=["2020-01-01", "2020-13-45", "2020-01-02"])
    with pytest.raises(DataValidationError, match="not a date-time") as caught:
        validate_interactions(bad, columns=COLS)
    assert caught.value.line == 2  # rows count from 1 by default


def test_timestamp_range_is_configurable() -> None:
    with pytest.raises(DataValidationError, match="out of range"):
        validate_interactions(frame(), columns=COLS, timestamp_range=(150, 10**9))


def test_missing_column_is_named_with_the_columns_found() -> None:
    with pytest.raises(DataValidationError, match=r"missing column\(s\) \['t'\]") as caught:
        validate_interactions(frame().drop(columns="t"), columns=COLS, source="f.csv")
    assert caught.value.column == "t" and "found ['u', 'i']" in str(caught.value)


def test_bad_rating_and_boolean_ids_and_unknown_options() -> None:
    with pytest.raises(DataValidationError, match="rating"):
        validate_interactions(frame().assign(r=["4", "five", "3"]), columns={**COLS, "rating": "r"})
    with pytest.raises(DataValidationError, match="boolean"):
        validate_interactions(frame(u=[True, False, True]), columns=COLS)
    with pytest.raises(ValueError, match="timestamp_unit"):
        validate_interactions(frame(), columns=COLS, timestamp_unit="h")
    with pytest.raises(ValueError, match="unknown schema names"):
        validate_interactions(frame(), columns={**COLS, "session": "s"})


def test_explicit_line_numbers_are_reported() -> None:
    with pytest.raises(DataValidationError) as caught:
        validate_interactions(frame(u=["1", "1", "z"]), columns=COLS, line_numbers=[5, 8, 13])
    assert caught.value.line == 13
