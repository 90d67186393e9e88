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


# --- 64-bit ids: exact integers, never through floating point ---------------------------------

INT63_MAX = 2**63 - 1


def test_ids_above_2_to_the_53_stay_exact_and_distinct() -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(2**53, INT63_MAX, size=25, dtype=np.int64)
    ids[:2] = [2**53, 2**53 + 1]  # neighbours that float64 merges
    strings = [str(v) for v in ids]
    df = pd.DataFrame({"u": strings, "i": strings[::-1], "t": ["1"] * len(ids)})
    out = validate_interactions(df, columns=COLS)
    assert out.user_id.tolist() == ids.tolist()
    assert out.item_id.tolist() == ids[::-1].tolist()
    assert out.item_id.nunique() == len(np.unique(ids))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9223372036854775807", INT63_MAX),  # 2**63 - 1, the largest int64
        ("0009223372036854775807", INT63_MAX),  # leading zeros do not count
        ("9223372036854775807.000", INT63_MAX),  # an integral decimal, read exactly
        ("9007199254740993", 2**53 + 1),
        ("7.0", 7),
        ("7.", 7),
        (" 7 ", 7),
        ("+7", 7),
        ("-0", 0),
        ("0", 0),
    ],
)
def test_integral_text_is_parsed_exactly(text, expected) -> None:
    out = validate_interactions(frame(i=["10", text, "10"]), columns=COLS)
    assert out.item_id.tolist() == [10, expected, 10]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("9223372036854775808", "does not fit a 64-bit id"),  # 2**63
        ("18446744073709551615", "does not fit a 64-bit id"),  # 2**64 - 1, an unsigned hash
        ("99999999999999999999999", "does not fit a 64-bit id"),
        ("9223372036854775808.0", "does not fit a 64-bit id"),
        ("1e3", "exponent notation"),  # how a float-mangled id looks (1.23457E+18)
        ("1.2345678901234567E+18", "exponent notation"),
        ("inf", "not a number"),  # was read as a huge float and reported as "negative"
        ("nan", "not a number"),
        ("0x10", "not a number"),
        ("٣", "not a number"),  # a non-ASCII digit
        ("  ", "is missing"),
        ("-9223372036854775809", "negative"),
        ("-7.0", "negative"),
        ("7.01", "not an integer"),
    ],
)
def test_text_ids_out_of_range_or_malformed_name_the_line(value, words) -> None:
    with pytest.raises(DataValidationError) as caught:
        validate_interactions(
            frame(u=["1", "2", value]),
            source="log.csv",
            columns=COLS,
            line_unit="line",
            first_line=2,
        )
    error = caught.value
    assert (error.line, error.column, error.value) == (4, "u", value)
    assert words in str(error) and "log.csv, line 4, column 'u'" in str(error)


def test_too_large_id_message_says_what_fits() -> None:
    with pytest.raises(DataValidationError) as caught:
        validate_interactions(frame(u=["1", str(2**63), "2"]), columns=COLS)
    message = str(caught.value)
    assert "row 2" in message and "9223372036854775808" in message
    assert "9223372036854775807" in message and "int64" in message


def test_error_priority_is_missing_then_fraction_then_range() -> None:
    # the first missing/non-numeric value wins over an earlier fraction or range error
    bad = frame(u=["-1", "2.5", "x"])
    with pytest.raises(DataValidationError, match="not a number"):
        validate_interactions(bad, columns=COLS)
    with pytest.raises(DataValidationError, match="not an integer"):
        validate_interactions(frame(u=[str(2**63), "-1", "2.5"]), columns=COLS)
    with pytest.raises(DataValidationError, match="negative") as caught:
        validate_interactions(frame(u=["1", "-1", str(2**63)]), columns=COLS)
    assert caught.value.line == 2


def test_object_columns_of_python_ints_are_exact() -> None:
    ids = [2**53 + 1, INT63_MAX, 3]
    df = pd.DataFrame({"u": pd.Series(ids, dtype=object), "i": ids, "t": [1, 2, 3]})
    out = validate_interactions(df, columns=COLS)
    assert out.user_id.tolist() == ids and out.item_id.tolist() == ids
    big = pd.DataFrame({"u": [1, 2**64, 3], "i": [1, 2, 3], "t": [1, 2, 3]})  # dtype object
    with pytest.raises(DataValidationError, match="does not fit a 64-bit id") as caught:
        validate_interactions(big, columns=COLS)
    assert caught.value.line == 2 and caught.value.value == 2**64
    mixed = pd.DataFrame(
        {"u": pd.Series([1, "2", 3.0, None], dtype=object), "i": [1] * 4, "t": [1] * 4}
    )
    with pytest.raises(DataValidationError, match="is missing") as caught:
        validate_interactions(mixed, columns=COLS)
    assert caught.value.line == 4
    with pytest.raises(DataValidationError, match="boolean"):
        validate_interactions(
            mixed.assign(u=pd.Series([1, True, 3, 4], dtype=object)), columns=COLS
        )


def test_unsigned_64_bit_columns_above_int64_are_rejected_not_wrapped() -> None:
    values = np.array([1, 2**63, 3], dtype=np.uint64)
    df = pd.DataFrame({"u": values, "i": [1, 2, 3], "t": [1, 2, 3]})
    with pytest.raises(DataValidationError, match="does not fit a 64-bit id") as caught:
        validate_interactions(df, columns=COLS)
    assert caught.value.line == 2 and caught.value.value == 2**63
    ok = df.assign(u=np.array([1, INT63_MAX, 3], dtype=np.uint64))
    assert validate_interactions(ok, columns=COLS).user_id.tolist() == [1, INT63_MAX, 3]
    nullable = df.assign(u=pd.array([1, 2**63, 3], dtype="UInt64"))
    with pytest.raises(DataValidationError, match="does not fit a 64-bit id"):
        validate_interactions(nullable, columns=COLS)


def test_nullable_integer_columns() -> None:
    ids = [2**53 + 1, INT63_MAX, 0]
    df = pd.DataFrame({"u": pd.array(ids, dtype="Int64"), "i": [1, 2, 3], "t": [1, 2, 3]})
    out = validate_interactions(df, columns=COLS)
    assert out.user_id.dtype == np.int64 and out.user_id.tolist() == ids
    with pytest.raises(DataValidationError, match="is missing") as caught:
        validate_interactions(df.assign(u=pd.array([1, None, 3], dtype="Int64")), columns=COLS)
    assert caught.value.line == 2
    with pytest.raises(DataValidationError, match="negative"):
        validate_interactions(df.assign(u=pd.array([1, -2, 3], dtype="Int64")), columns=COLS)


@pytest.mark.parametrize(
    ("values", "line", "words"),
    [
        ([1.0, np.nan, 3.0], 2, "is missing"),
        ([1.0, 2.5, 3.0], 2, "not an integer"),
        ([1.0, np.inf, 3.0], 2, "not a finite number"),
        ([1.0, -2.0, 3.0], 2, "negative"),
        ([1.0, 2.0**60, 3.0], 2, "floating-point"),  # may already have been rounded
        ([1.0, 2.0**64, 3.0], 2, "floating-point"),
    ],
)
def test_float_columns(values, line, words) -> None:
    df = pd.DataFrame({"u": values, "i": [1, 2, 3], "t": [1, 2, 3]})
    with pytest.raises(DataValidationError, match=words) as caught:
        validate_interactions(df, columns=COLS)
    assert caught.value.line == line


def test_float_columns_of_safe_integers_are_accepted() -> None:
    df = pd.DataFrame({"u": [1.0, 2.0**53 - 1, 3.0], "i": [1, 2, 3], "t": [1, 2, 3]})
    assert validate_interactions(df, columns=COLS).user_id.tolist() == [1, 2**53 - 1, 3]


def test_every_hint_names_the_keyword_to_pass() -> None:
    """Hints name the argument as ``name=``, so a command line can map it to its flag."""
    with pytest.raises(DataValidationError, match=r"Pass columns=\{"):
        validate_interactions(frame().drop(columns="t"), columns=COLS)
    with pytest.raises(ValueError, match=r"columns= has unknown schema names \['session'\]"):
        validate_interactions(frame(), columns={**COLS, "session": "s"})
    with pytest.raises(ValueError, match="timestamp_unit='h' is not supported"):
        validate_interactions(frame(), columns=COLS, timestamp_unit="h")
    with pytest.raises(DataValidationError, match="pass timestamp_unit='ms'"):
        validate_interactions(frame(t=["1600000000000"] * 3), columns=COLS)
    with pytest.raises(DataValidationError, match=r"timestamp_range=\(low, high\)"):
        validate_interactions(frame(t=["100", "-1", "300"]), columns=COLS)
