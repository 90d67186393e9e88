from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reclab.data import DataValidationError, load_interactions, load_user_item_pairs

MAPPING = {"user_id": "visitor", "item_id": "sku", "timestamp": "ts"}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_with_column_mapping_and_extra_columns(tmp_path: Path) -> None:
    text = "visitor,sku,ts,page\n3,10,1600000000,home\n3,11,1600000060,x\n"
    p = write(tmp_path / "log.csv", text)
    out = load_interactions(p, columns=MAPPING)
    assert out.to_dict("list") == {
        "user_id": [3, 3],
        "item_id": [10, 11],
        "timestamp": [1600000000, 1600000060],
    }


def test_tsv_with_ratings_and_crlf(tmp_path: Path) -> None:
    p = write(tmp_path / "log.tsv", "user_id\titem_id\ttimestamp\trating\r\n1\t2\t3\t4.5\r\n")
    out = load_interactions(p)
    assert out.rating.tolist() == [4.5] and out.timestamp.tolist() == [3]


def test_parquet_errors_count_rows(tmp_path: Path) -> None:
    p = tmp_path / "log.parquet"
    bad = pd.DataFrame({"user_id": [1, 2, -3], "item_id": [1, 2, 3], "timestamp": [5, 6, 7]})
    bad.to_parquet(p)
    with pytest.raises(DataValidationError, match=r"row 3, column 'user_id': value -3 is negative"):
        load_interactions(p)
    good = tmp_path / "good.pq"
    pd.DataFrame({"user_id": [1], "item_id": [1], "timestamp": [5]}).to_parquet(good)
    assert len(load_interactions(good)) == 1


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("visitor,sku,ts\n1,2,3\n1,abc,4\n", 3, "'abc' is not a number"),
        ("visitor,sku,ts\n1,2,3\n\n1,3,4\n", 3, "is missing"),  # a blank line is reported
        ("visitor,sku,ts\n1,2,3\n1,3\n", 3, "is missing"),  # too few fields
        ("visitor,sku,ts\n1,2,3\n1,3,4,5\n", 3, "malformed CSV"),  # too many fields
        ("visitor,sku,ts\n1,2,3\n1,3.5,4\n", 3, "not an integer"),
        ("visitor,sku,ts\n1,2,1600000000000\n", 2, "timestamp_unit='ms'"),
    ],
)
def test_bad_lines_are_named_by_file_and_line(tmp_path: Path, text, line, words) -> None:
    p = write(tmp_path / "bad.csv", text)
    with pytest.raises(DataValidationError, match=f"bad.csv, line {line}") as caught:
        load_interactions(p, columns=MAPPING)
    assert words in str(caught.value) and caught.value.line == line


def test_missing_column_names_the_file(tmp_path: Path) -> None:
    p = write(tmp_path / "log.csv", "visitor,sku\n1,2\n")
    with pytest.raises(DataValidationError, match=r"log.csv: missing column\(s\) \['ts'\]"):
        load_interactions(p, columns=MAPPING)


def test_bad_encoding_missing_file_and_unknown_format(tmp_path: Path) -> None:
    p = write(tmp_path / "log.csv", "visitor,sku,ts\n1,2,3\n1,\xe9,4\n", encoding="latin-1")
    with pytest.raises(DataValidationError, match="not valid utf-8"):
        load_interactions(p, columns=MAPPING)
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        load_interactions(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="cannot tell the format"):
        load_interactions(write(tmp_path / "log.json", "{}"))
    assert (
        len(
            load_interactions(
                write(tmp_path / "x.dat", "a,b,c\n1,2,3\n"),
                file_format="csv",
                columns={"user_id": "a", "item_id": "b", "timestamp": "c"},
            )
        )
        == 1
    )


def test_user_item_pairs_keep_line_order_as_time(tmp_path: Path) -> None:
    p = write(tmp_path / "ml-1m.txt", "1 1\n1 2\n2 2\n1 3\n2\t7\n")
    out = load_user_item_pairs(p)
    assert out.user_id.tolist() == [1, 1, 2, 1, 2]
    assert out.item_id.tolist() == [1, 2, 2, 3, 7]
    assert out.timestamp.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("1 1\n1 2 3\n", 2, "has 3 fields"),
        ("1 1\n\n2 2\n", 2, "has 0 fields"),
        ("1 1\n2 x\n", 2, "'x' is not a number"),
        ("1 1\n-2 5\n", 2, "negative"),
    ],
)
def test_user_item_pairs_bad_lines(tmp_path: Path, text, line, words) -> None:
    p = write(tmp_path / "seq.txt", text)
    with pytest.raises(DataValidationError, match=f"seq.txt, line {line}") as caught:
        load_user_item_pairs(p)
    assert words in str(caught.value)


def test_user_item_pairs_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_user_item_pairs(tmp_path / "none.txt")
