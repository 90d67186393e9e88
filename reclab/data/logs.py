"""Loaders for your own interaction logs: CSV, TSV, Parquet, and the ``user item`` pairs format.

Every loader returns the interaction schema of :mod:`reclab.data.validation` and raises
:class:`~reclab.data.validation.DataValidationError` naming file, line, column and value for
anything that does not fit. No row is dropped: cleaning is a separate, reported step
(:mod:`reclab.data.preprocessing`).
"""

from __future__ import annotations

import codecs
import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reclab.data.validation import (
    DEFAULT_TIMESTAMP_RANGE,
    DataValidationError,
    validate_interactions,
)

__all__ = ["load_interactions", "load_user_item_pairs"]

logger = logging.getLogger(__name__)

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet"}


def _first_undecodable(path: Path, encoding: str) -> tuple[int | None, int | None]:
    """The byte offset and 1-based line of the first bytes of ``path`` not valid in ``encoding``.

    Reads the file in chunks (it may be large); ``(None, None)`` if it all decodes.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset, newlines = 0, 0
    with path.open("rb") as file:
        while True:
            chunk = file.read(1 << 20)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                pending = len(error.object) - len(chunk)  # undecoded bytes of earlier chunks
                at = offset - pending + error.start
                return at, newlines + chunk[: max(0, at - offset)].count(b"\n") + 1
            if not chunk:
                return None, None
            offset += len(chunk)
            newlines += chunk.count(b"\n")


def load_interactions(
    path: str | os.PathLike[str],
    *,
    columns: dict[str, str] | None = None,
    file_format: str | None = None,
    timestamp_unit: str = "s",
    timestamp_range: tuple[int, int] = DEFAULT_TIMESTAMP_RANGE,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Load an interaction log from a CSV, TSV or Parquet file with a header.

    Args:
        path: the file.
        columns: schema name -> column name in the file, e.g.
            ``{"user_id": "visitorid", "item_id": "itemid", "timestamp": "ts"}``; names not given
            map to themselves. ``rating`` is loaded when mapped or present.
        file_format: ``"csv"``, ``"tsv"`` or ``"parquet"``; inferred from the suffix by default.
        timestamp_unit: unit of numeric timestamps (``"s"``, ``"ms"``, ``"us"``, ``"ns"``);
            non-numeric timestamps are parsed as ISO 8601 date-times.
        timestamp_range: accepted seconds ``[low, high)``.
        encoding: text encoding of CSV/TSV files.

    Returns:
        The interaction schema (``user_id``, ``item_id``, ``timestamp`` int64 and an optional
        ``rating`` float32), rows in file order.

    Raises:
        FileNotFoundError: no such file.
        DataValidationError: a missing column, a malformed line, or a bad value; the message
            names the file, the line (text) or row (Parquet), the column and the value. Blank
            lines are reported, not skipped. Line numbers count physical lines and assume no
            quoted field spans several lines.
        ValueError: an unknown ``file_format``.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "log.csv"
        >>> _ = p.write_text("visitor,sku,ts\\n3,10,1600000000\\n3,11,1600000060\\n")
        >>> mapping = {"user_id": "visitor", "item_id": "sku", "timestamp": "ts"}
        >>> load_interactions(p, columns=mapping)
           user_id  item_id   timestamp
        0        3       10  1600000000
        1        3       11  1600000060
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_interactions: no such file {str(path)!r}")
    fmt = file_format or _FORMATS.get(path.suffix.lower())
    if fmt not in ("csv", "tsv", "parquet"):
        raise ValueError(
            f"load_interactions: cannot tell the format of {str(path)!r} "
            f"(file_format={file_format!r}); expected file_format='csv', 'tsv' or 'parquet'"
        )
    if fmt == "parquet":
        frame = pd.read_parquet(path)
        unit, first = "row", 1
    else:
        sep = "," if fmt == "csv" else "\t"
        try:
            # All columns are read (no ``usecols``) so that a line with too many fields is an
            # error rather than silently cut; as strings, so the validator sees the raw text.
            frame = pd.read_csv(
                path,
                sep=sep,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                encoding=encoding,
            )
        except pd.errors.ParserError as error:
            found = re.search(r"line (\d+)", str(error))
            line = int(found.group(1)) if found else None
            raise DataValidationError(
                f"{path}, line {line}: malformed {fmt.upper()} ({str(error).strip()})",
                source=str(path),
                line=line,
            ) from error
        except UnicodeDecodeError as error:
            # pandas' error.start counts from a buffer of its own, not from the file's start
            offset, line = _first_undecodable(path, encoding)
            raise DataValidationError(
                f"{path}, line {line}: not valid {encoding} text at byte {offset} of the file; "
                "pass encoding=... (e.g. encoding='latin-1')",
                source=str(path),
                line=line,
            ) from error
        unit, first = "line", 2
    out = validate_interactions(
        frame,
        source=str(path),
        columns=columns,
        line_unit=unit,
        first_line=first,
        timestamp_unit=timestamp_unit,
        timestamp_range=timestamp_range,
    )
    logger.info("load_interactions: %s: %d events", path, len(out))
    return out


def load_user_item_pairs(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Load the ``user item`` pairs format of the SASRec/BERT4Rec/gSASRec reference data sets.

    Each line holds one event, two integers separated by white space, and the lines of one user
    are in time order (``ml-1m.txt`` in the SASRec repository looks like ``1 1\\n1 2\\n...``).
    The file carries no times, so ``timestamp`` is the 0-based line index: a *logical clock*
    that orders each user's events correctly but says nothing about real time across users
    (a global temporal split of such data is meaningless).

    Args:
        path: the text file.

    Returns:
        The interaction schema without ``rating``; ``timestamp`` = line index (0, 1, 2, ...).

    Raises:
        FileNotFoundError: no such file.
        DataValidationError: a line without exactly two fields, a blank line, a value that is not
            a non-negative integer; the message names file, line and value.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "ml-1m.txt"
        >>> _ = p.write_text("1 5\\n1 3\\n2 5\\n")
        >>> load_user_item_pairs(p)
           user_id  item_id  timestamp
        0        1        5          0
        1        1        3          1
        2        2        5          2
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_user_item_pairs: no such file {str(path)!r}")
    lines = pd.read_csv(
        path,
        header=None,
        names=["line"],
        dtype=str,
        sep="\x01",
        skip_blank_lines=False,
        keep_default_na=False,
        quoting=3,
        engine="c",
    )["line"]
    # Split on white space with Arrow (as str.split() does, without a Python list per line).
    text = pc.utf8_trim_whitespace(pc.fill_null(pa.array(lines.array, type=pa.large_string()), ""))
    fields = pc.utf8_split_whitespace(text)
    n_fields = np.where(
        pc.equal(text, "").to_numpy(zero_copy_only=False),
        0,  # Arrow splits "" into [""]; a blank line has no field
        pc.list_value_length(fields).to_numpy(zero_copy_only=False),
    )
    wrong = n_fields != 2
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        raise DataValidationError(
            f"{path}, line {k + 1}: value {lines.iloc[k]!r} has {n_fields[k]} fields; expected "
            "two integers 'user item' separated by white space",
            source=str(path),
            line=k + 1,
            value=lines.iloc[k],
        )
    frame = pd.DataFrame(
        {
            "user_id": pd.arrays.ArrowStringArray(pc.list_element(fields, 0)),
            "item_id": pd.arrays.ArrowStringArray(pc.list_element(fields, 1)),
            "timestamp": np.arange(len(lines), dtype=np.int64),
        }
    )
    out = validate_interactions(frame, source=str(path), line_unit="line")
    logger.info("load_user_item_pairs: %s: %d events", path, len(out))
    return out
