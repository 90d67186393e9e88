"""Validation at the boundary: turn a raw table into the interaction schema, or say exactly why not.

The interaction schema every loader and the synthetic shop return is a :class:`pandas.DataFrame`
with one row per event:

=============  =========  ==========================================================
column         dtype      meaning
=============  =========  ==========================================================
``user_id``    int64      non-negative raw user id, at most 2**63 - 1
``item_id``    int64      non-negative raw item id, at most 2**63 - 1
``timestamp``  int64      seconds since 1970-01-01 UTC (or a logical clock)
``rating``     float32    optional: explicit feedback, absent for implicit data
=============  =========  ==========================================================

Ids are parsed as exact integers, never through floating point (float64 holds every integer only
up to 2**53, so hashed 64-bit ids would silently merge): text must be decimal digits, with an
optional sign and an all-zero fraction (``"7"``, ``"+7"``, ``"7.0"``); a value of 2**63 or more
(an unsigned 64-bit hash, say) is an error, not wrapped around. A float column is accepted only
where its values are integers the float type holds exactly (up to 2**53 - 1 for float64).

A value that does not fit raises :class:`DataValidationError` naming the source (file), the line
(or row), the column, the value and what was expected. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DEFAULT_TIMESTAMP_RANGE",
    "INTERACTION_COLUMNS",
    "DataValidationError",
    "validate_interactions",
]

#: The required columns of the interaction schema, in order.
INTERACTION_COLUMNS = ("user_id", "item_id", "timestamp")

#: Accepted timestamps in seconds: 1970-01-01 (inclusive) to 2100-01-01 (exclusive).
DEFAULT_TIMESTAMP_RANGE = (0, 4_102_444_800)

_UNIT_DIVISOR = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


class DataValidationError(ValueError):
    """A value in a data file or table does not fit the interaction schema.

    Attributes:
        source: the file (or a description of the table).
        line: the 1-based line (or row) number, or ``None`` when the whole column is at fault.
        column: the column's name as the source spells it, or ``None``.
        value: the offending value, or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.column = column
        self.value = value


def _where(source: str, unit: str, number: int | None, column: str | None) -> str:
    text = source
    if number is not None:
        text += f", {unit} {number}"
    if column is not None:
        text += f", column {column!r}"
    return text


class _Locator:
    """Maps a row position of the frame to the line (or row) number a reader finds in the source."""

    def __init__(self, source: str, unit: str, first: int, numbers: np.ndarray | None) -> None:
        self.source, self.unit, self.first, self.numbers = source, unit, first, numbers

    def number(self, position: int) -> int:
        if self.numbers is not None:
            return int(self.numbers[position])
        return self.first + position

    def fail(self, position: int, column: str, value: object, problem: str) -> DataValidationError:
        line = self.number(position)
        if isinstance(value, np.generic):
            value = value.item()  # show 3, not np.int64(3)
        return DataValidationError(
            f"{_where(self.source, self.unit, line, column)}: value {value!r} {problem}",
            source=self.source,
            line=line,
            column=column,
            value=value,
        )


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


#: The largest id of the schema (ids are int64): 2**63 - 1.
_MAX_ID = int(np.iinfo(np.int64).max)
_MAX_ID_TEXT = str(_MAX_ID)
_TOO_LARGE = (
    "does not fit a 64-bit id; expected {what} of at most 2**63 - 1 = 9223372036854775807 "
    "(ids are int64: map larger ids, such as unsigned 64-bit hashes, to smaller integers first, "
    "e.g. with pandas.factorize)"
)
_EXPONENT = (
    "is in exponent notation; expected {what} written out in digits (exponent notation, as "
    "spreadsheets write large numbers, cannot hold every 64-bit id exactly)"
)
#: A decimal number as text, with an optional sign, fraction and exponent (ASCII digits only).
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
#: A number with a fraction that is not all zeros (and no exponent).
_FRACTION = r"[+-]?[0-9]*\.[0-9]*[1-9][0-9]*"


def _flags(result: pd.Series | np.ndarray) -> np.ndarray:
    """A boolean mask as a NumPy array; missing (NA/NaN) counts as False."""
    if isinstance(result, pd.Series):
        return result.to_numpy(dtype=bool, na_value=False)
    return np.asarray(result, dtype=bool)


def _first_of(
    loc: _Locator, column: str, values: pd.Series, checks: list[tuple[np.ndarray, str]]
) -> None:
    """Raise for the first row (in row order) that fails any of ``checks`` (mask, problem)."""
    failing = [mask for mask, _ in checks if mask.any()]
    if not failing:
        return
    k = _first(np.logical_or.reduce(failing))
    problem = next(problem for mask, problem in checks if mask[k])
    raise loc.fail(k, column, values.iloc[k], problem)


def _to_integer(values: pd.Series, column: str, loc: _Locator, what: str) -> np.ndarray:
    """Parse a column of non-negative int64 ids exactly (never through floating point).

    Integer columns are checked for range (``uint64`` can hold more than int64); float columns
    are accepted only where every value is an integer that the float holds exactly; anything
    else (text, Python objects) is read as decimal text. Raises on the first bad value, in the
    order: missing or not a number, not an integer, out of range.
    """
    dtype = values.dtype
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    if pd.api.types.is_bool_dtype(dtype):
        raise loc.fail(0, column, values.iloc[0], f"is a boolean; expected {what}")
    if pd.api.types.is_integer_dtype(dtype):
        return _integers_to_ids(values, column, loc, what)
    if pd.api.types.is_float_dtype(dtype):
        return _floats_to_ids(values, column, loc, what)
    return _text_to_ids(_as_text(values, column, loc, what), values, column, loc, what)


def _integers_to_ids(values: pd.Series, column: str, loc: _Locator, what: str) -> np.ndarray:
    missing = values.isna().to_numpy()
    _first_of(loc, column, values, [(missing, f"is missing; expected {what}")])
    if pd.api.types.is_unsigned_integer_dtype(values.dtype):
        raw = values.to_numpy(dtype=np.uint64)
        too_large = raw > np.uint64(_MAX_ID)
        if too_large.any():
            k = _first(too_large)
            raise loc.fail(k, column, raw[k], _TOO_LARGE.format(what=what))
        return raw.astype(np.int64)
    out = values.to_numpy(dtype=np.int64)
    _first_of(loc, column, values, [(out < 0, f"is negative; expected {what}")])
    return out


def _floats_to_ids(values: pd.Series, column: str, loc: _Locator, what: str) -> np.ndarray:
    numpy_dtype = np.dtype(getattr(values.dtype, "numpy_dtype", values.dtype))
    bits = np.finfo(numpy_dtype).nmant + 1  # float64: 53, float32: 24
    as_float = values.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        fractional = np.isfinite(as_float) & (as_float != np.floor(as_float))
    unsafe = np.isfinite(as_float) & (as_float > 2.0**bits - 1)
    rounded = (
        f"is a floating-point value above 2**{bits} - 1 = {2**bits - 1}, which {numpy_dtype} "
        f"cannot hold exactly, so it may already have been rounded; expected {what}: store ids "
        "as integers or text, not floats"
    )
    missing = (np.isnan(as_float), f"is missing; expected {what}")
    _first_of(
        loc,
        column,
        values,
        [missing, (np.isinf(as_float), f"is not a finite number; expected {what}")],
    )
    _first_of(loc, column, values, [(fractional, f"is not an integer; expected {what}")])
    _first_of(
        loc, column, values, [(as_float < 0, f"is negative; expected {what}"), (unsafe, rounded)]
    )
    return as_float.astype(np.int64)


def _object_text(value: object) -> str | None:
    """One element of an object column as decimal text (``None`` when missing)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int):  # Python ints are exact at any size (bools are handled before)
        return str(value)
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) <= 2**53 - 1:
            return str(int(value))
        return repr(value)  # "3.5", "inf", "1.2e+18": reported as such below
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _as_text(values: pd.Series, column: str, loc: _Locator, what: str) -> pd.Series:
    """The column as Arrow-backed text with a fresh index (missing values stay missing)."""
    text_dtype = pd.StringDtype("pyarrow")
    if isinstance(values.dtype, pd.StringDtype):
        return values.reset_index(drop=True)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "empty",
    ):
        return pd.Series(values.to_numpy(), dtype=text_dtype)
    elements = values.astype(object).tolist()  # numpy scalars become Python scalars
    for k, value in enumerate(elements):
        if isinstance(value, bool):
            raise loc.fail(k, column, values.iloc[k], f"is a boolean; expected {what}")
    return pd.Series([_object_text(v) for v in elements], dtype=text_dtype)


def _text_to_ids(
    text: pd.Series, values: pd.Series, column: str, loc: _Locator, what: str
) -> np.ndarray:
    """Parse decimal text exactly: digits, optionally signed, with an all-zero fraction."""
    plain = _flags(text.str.fullmatch("[0-9]+"))  # the common case: nothing to normalise
    negative = np.zeros(len(text), dtype=bool)
    if plain.all():
        digits = text
    else:
        where = np.flatnonzero(~plain)
        sub = text.iloc[where].str.strip()

        def on_rows(mask: np.ndarray) -> np.ndarray:
            full = np.zeros(len(text), dtype=bool)
            full[where] = mask
            return full

        missing = on_rows(_flags(sub.isna()) | _flags(sub == ""))
        number = on_rows(_flags(sub.str.fullmatch(_NUMBER))) | plain
        fraction = on_rows(_flags(sub.str.fullmatch(_FRACTION)))
        exponent = on_rows(_flags(sub.str.contains("[eE]")))
        _first_of(
            loc,
            column,
            values,
            [
                (missing, f"is missing; expected {what}"),
                (~number, f"is not a number; expected {what}"),
            ],
        )
        _first_of(
            loc,
            column,
            values,
            [
                (fraction, f"is not an integer; expected {what}"),
                (exponent, _EXPONENT.format(what=what)),
            ],
        )
        # Left: [+-]digits[.000]; keep the digits before the point ("" for ".0" means 0).
        sub_digits = sub.str.replace(r"^[+-]|\..*$", "", regex=True)
        sub_digits = sub_digits.where(sub_digits != "", "0")
        negative = on_rows(
            _flags(sub.str.startswith("-")) & _flags(sub_digits.str.contains("[1-9]"))
        )
        merged = text.to_numpy(dtype=object)
        merged[where] = sub_digits.to_numpy(dtype=object)
        digits = pd.Series(merged, dtype=pd.StringDtype("pyarrow"))
    significant = digits.str.lstrip("0")
    length = significant.str.len().to_numpy(dtype=np.int64, na_value=0)
    too_large = (length > len(_MAX_ID_TEXT)) | (
        (length == len(_MAX_ID_TEXT)) & _flags(significant > _MAX_ID_TEXT)
    )  # equal-length digit strings compare like the numbers
    _first_of(
        loc,
        column,
        values,
        [(negative, f"is negative; expected {what}"), (too_large, _TOO_LARGE.format(what=what))],
    )
    parsed = pc.cast(pa.array(digits.array), pa.int64())  # exact; every value now fits
    return parsed.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _to_seconds(
    values: pd.Series,
    column: str,
    loc: _Locator,
    unit: str,
    timestamp_range: tuple[int, int],
) -> np.ndarray:
    """Parse timestamps (epoch numbers in ``unit``, or ISO 8601 date-times) to int64 seconds."""
    numbers = pd.to_numeric(values, errors="coerce")
    numeric_ok = numbers.notna().to_numpy()
    if numeric_ok.all():
        as_float = numbers.to_numpy(dtype=np.float64)
        seconds = np.floor(as_float / _UNIT_DIVISOR[unit]).astype(np.int64)
        shown = values
    else:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        dates_ok = parsed.notna().to_numpy()
        if dates_ok.sum() > numeric_ok.sum():  # mostly date-times: report the first bad date
            if not dates_ok.all():
                k = _first(~dates_ok)
                raw = values.iloc[k]
                problem = "is missing" if pd.isna(raw) else "is not a date-time"
                raise loc.fail(
                    k, column, raw, f"{problem}; expected an ISO 8601 date-time or epoch number"
                )
            seconds = (parsed.astype("datetime64[ns, UTC]").astype("int64") // 10**9).to_numpy()
            shown = values
        else:
            k = _first(~numeric_ok)
            raw = values.iloc[k]
            problem = "is missing" if pd.isna(raw) else "is not a number"
            raise loc.fail(k, column, raw, f"{problem}; expected a timestamp in {unit} since 1970")
    low, high = timestamp_range
    out_of_range = (seconds < low) | (seconds >= high)
    if out_of_range.any():
        k = _first(out_of_range)
        hint = ""
        if unit == "s" and seconds[k] >= 10_000_000_000:
            hint = " (it looks like milliseconds: pass timestamp_unit='ms')"
        raise loc.fail(
            k,
            column,
            shown.iloc[k],
            f"is out of range; expected seconds in [{low}, {high}) "
            f"(1970-01-01 to 2100-01-01 by default; pass timestamp_range=(low, high) to change "
            f"it){hint}",
        )
    return seconds


def validate_interactions(
    frame: pd.DataFrame,
    *,
    source: str = "<DataFrame>",
    columns: dict[str, str] | None = None,
    line_unit: str = "row",
    first_line: int = 1,
    line_numbers: Sequence[int] | np.ndarray | None = None,
    timestamp_unit: str = "s",
    timestamp_range: tuple[int, int] = DEFAULT_TIMESTAMP_RANGE,
) -> pd.DataFrame:
    """Check a raw table and return it in the interaction schema (see the module docstring).

    Args:
        frame: the raw table, one row per event.
        source: the file (or description) named in errors.
        columns: schema name -> column name in ``frame``, e.g.
            ``{"user_id": "visitor", "item_id": "sku", "timestamp": "ts"}``. Schema names not
            given map to themselves. ``rating`` is used when mapped or present.
        line_unit: ``"line"`` for text files, ``"row"`` for tables (Parquet, DataFrames).
        first_line: the line number of the frame's first row (2 for a CSV with a header).
        line_numbers: explicit line number of every row (overrides ``first_line``).
        timestamp_unit: unit of numeric timestamps: ``"s"``, ``"ms"``, ``"us"`` or ``"ns"``.
            Strings that are not numbers are parsed as ISO 8601 date-times (UTC).
        timestamp_range: accepted seconds ``[low, high)``.

    Returns:
        A new frame with columns ``user_id``, ``item_id``, ``timestamp`` (int64) and, when present,
        ``rating`` (float32), in the input's row order, with a fresh ``RangeIndex``.

    Raises:
        DataValidationError: a missing column; a missing, unparsable, negative or non-integer id,
            or one of 2**63 or more (it does not fit int64), or one in exponent notation
            (``"1.2E+18"``: a spreadsheet's rounded number), or a float id above 2**53 - 1
            (it may already have been rounded); a rating that is not a finite number; a
            timestamp that cannot be parsed or is out of range. The message names source, line,
            column and value.
        ValueError: an unknown ``timestamp_unit``.

    Example:
        >>> raw = pd.DataFrame({"u": [1, 1], "i": ["7", "9"], "t": [10, 20]})
        >>> validate_interactions(raw, columns={"user_id": "u", "item_id": "i", "timestamp": "t"})
           user_id  item_id  timestamp
        0        1        7         10
        1        1        9         20

        Ids above 2**53 stay exact (through float64, 2**53 + 1 would become 2**53):

        >>> big = pd.DataFrame({"user_id": ["9007199254740993"], "item_id": ["7.0"],
        ...                     "timestamp": [0]})
        >>> validate_interactions(big).iloc[0].tolist()
        [9007199254740993, 7, 0]
    """
    if timestamp_unit not in _UNIT_DIVISOR:
        raise ValueError(
            f"timestamp_unit={timestamp_unit!r} is not supported; expected one of "
            f"{sorted(_UNIT_DIVISOR)}"
        )
    mapping = {name: name for name in (*INTERACTION_COLUMNS, "rating")}
    if columns:
        unknown = set(columns) - set(mapping)
        if unknown:
            raise ValueError(
                f"columns= has unknown schema names {sorted(unknown)}; expected keys among "
                f"{sorted(mapping)}"
            )
        mapping.update(columns)
    missing = [mapping[name] for name in INTERACTION_COLUMNS if mapping[name] not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{source}: missing column(s) {missing}; found {list(map(str, frame.columns))}. "
            "Pass columns={'user_id': ..., 'item_id': ..., 'timestamp': ...} to map yours.",
            source=source,
            column=missing[0],
        )
    numbers = None if line_numbers is None else np.asarray(line_numbers)
    loc = _Locator(source, line_unit, first_line, numbers)
    out = pd.DataFrame(
        {
            "user_id": _to_integer(
                frame[mapping["user_id"]], mapping["user_id"], loc, "a non-negative integer id"
            ),
            "item_id": _to_integer(
                frame[mapping["item_id"]], mapping["item_id"], loc, "a non-negative integer id"
            ),
            "timestamp": _to_seconds(
                frame[mapping["timestamp"]],
                mapping["timestamp"],
                loc,
                timestamp_unit,
                timestamp_range,
            ),
        }
    )
    rating_column = mapping["rating"]
    if rating_column in frame.columns:
        ratings = pd.to_numeric(frame[rating_column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(ratings)
        if bad.any():
            k = _first(bad)
            raise loc.fail(
                k, rating_column, frame[rating_column].iloc[k], "is not a finite number (rating)"
            )
        out["rating"] = ratings.astype(np.float32)
    return out
