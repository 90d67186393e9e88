"""Validation at the boundary: turn a raw table into the interaction schema, or say exactly why not.

The interaction schema every loader and the synthetic shop return is a :class:`pandas.DataFrame`
with one row per event:

=============  =========  ==========================================================
column         dtype      meaning
=============  =========  ==========================================================
``user_id``    int64      non-negative raw user id
``item_id``    int64      non-negative raw item id
``timestamp``  int64      seconds since 1970-01-01 UTC (or a logical clock)
``rating``     float32    optional: explicit feedback, absent for implicit data
=============  =========  ==========================================================

A value that does not fit raises :class:`DataValidationError` naming the source (file), the line
(or row), the column, the value and what was expected. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

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


def _to_integer(values: pd.Series, column: str, loc: _Locator, what: str) -> np.ndarray:
    """Parse a column of non-negative integer ids; raise on the first bad value."""
    if pd.api.types.is_bool_dtype(values):
        raise loc.fail(0, column, values.iloc[0], f"is a boolean; expected {what}")
    if pd.api.types.is_integer_dtype(values) and not values.hasnans:
        out = values.to_numpy(dtype=np.int64)
    else:
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna().to_numpy()
        if bad.any():
            k = _first(bad)
            raw = values.iloc[k]
            if pd.isna(raw) or (isinstance(raw, str) and not raw.strip()):
                raise loc.fail(k, column, raw, f"is missing; expected {what}")
            raise loc.fail(k, column, raw, f"is not a number; expected {what}")
        as_float = numbers.to_numpy(dtype=np.float64)
        fractional = as_float != np.floor(as_float)
        if fractional.any():
            k = _first(fractional)
            raise loc.fail(k, column, values.iloc[k], f"is not an integer; expected {what}")
        out = as_float.astype(np.int64)
    negative = out < 0
    if negative.any():
        k = _first(negative)
        raise loc.fail(k, column, values.iloc[k], f"is negative; expected {what}")
    return out


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
            f"(1970-01-01 to 2100-01-01 by default){hint}",
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
        DataValidationError: a missing column; a missing, unparsable, negative or non-integer id;
            a rating that is not a finite number; a timestamp that cannot be parsed or is out of
            range. The message names source, line, column and value.
        ValueError: an unknown ``timestamp_unit``.

    Example:
        >>> raw = pd.DataFrame({"u": [1, 1], "i": ["7", "9"], "t": [10, 20]})
        >>> validate_interactions(raw, columns={"user_id": "u", "item_id": "i", "timestamp": "t"})
           user_id  item_id  timestamp
        0        1        7         10
        1        1        9         20
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
                f"columns: unknown schema names {sorted(unknown)}; expected keys among "
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
