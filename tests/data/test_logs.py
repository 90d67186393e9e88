from __future__ import annotations

from pathlib import Path

import numpy as np
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
    # "visitor,sku,ts\n1,2,3\n1," is 23 bytes: the latin-1 byte \xe9 is byte 23, on line 3
    with pytest.raises(DataValidationError, match="line 3: not valid utf-8 text at byte 23") as e:
        load_interactions(p, columns=MAPPING)
    assert e.value.line == 3 and "pass encoding=" in str(e.value)
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


# --- 64-bit hashed ids round-trip exactly ------------------------------------------------------


def hashed_ids(size: int, seed: int = 0) -> np.ndarray:
    ids = np.random.default_rng(seed).integers(2**53, 2**63 - 1, size=size, dtype=np.int64)
    ids[:3] = [2**53, 2**53 + 1, 2**63 - 1]  # float64 merges the first two; the last is the max
    return ids


@pytest.mark.parametrize(("name", "sep"), [("log.csv", ","), ("log.tsv", "\t")])
def test_64_bit_hashed_ids_round_trip_exactly(tmp_path: Path, name, sep) -> None:
    users, items = hashed_ids(25, seed=1), hashed_ids(25, seed=2)
    lines = [sep.join(["visitor", "sku", "ts"])]
    lines += [
        sep.join([str(u), str(i), str(1600000000 + k)])
        for k, (u, i) in enumerate(zip(users, items, strict=True))
    ]
    out = load_interactions(write(tmp_path / name, "\n".join(lines) + "\n"), columns=MAPPING)
    assert out.user_id.dtype == np.int64
    assert out.user_id.tolist() == users.tolist() and out.item_id.tolist() == items.tolist()
    assert out.user_id.nunique() == 25 and out.item_id.nunique() == 25


def test_64_bit_hashed_ids_round_trip_through_user_item_pairs(tmp_path: Path) -> None:
    users, items = hashed_ids(25, seed=3), hashed_ids(25, seed=4)
    text = "".join(f"{u} {i}\n" for u, i in zip(users, items, strict=True))
    out = load_user_item_pairs(write(tmp_path / "seq.txt", text))
    assert out.user_id.tolist() == users.tolist() and out.item_id.tolist() == items.tolist()
    assert out.user_id.nunique() == 25 and out.item_id.nunique() == 25


def test_id_of_2_to_the_63_is_rejected_with_its_line(tmp_path: Path) -> None:
    p = write(tmp_path / "log.csv", f"visitor,sku,ts\n1,{2**63 - 1},5\n2,{2**63},6\n")
    with pytest.raises(DataValidationError) as caught:
        load_interactions(p, columns=MAPPING)
    error = caught.value
    assert (error.line, error.column, error.value) == (3, "sku", str(2**63))
    assert "log.csv, line 3, column 'sku'" in str(error)
    assert "does not fit a 64-bit id" in str(error)
    pairs = write(tmp_path / "seq.txt", f"{2**63 - 1} 1\n{2**64 - 1} 2\n")
    with pytest.raises(DataValidationError, match=r"seq\.txt, line 2, column 'user_id'.*64-bit id"):
        load_user_item_pairs(pairs)


def test_parquet_unsigned_and_nullable_id_columns(tmp_path: Path) -> None:
    p = tmp_path / "log.parquet"
    big = np.array([1, 2**63 - 1, 2**63], dtype=np.uint64)
    pd.DataFrame({"user_id": big, "item_id": [1, 2, 3], "timestamp": [5, 6, 7]}).to_parquet(p)
    with pytest.raises(DataValidationError, match=r"row 3, column 'user_id'.*64-bit id"):
        load_interactions(p)
    ids = pd.array([2**53 + 1, 2**63 - 1, 4], dtype="Int64")
    pd.DataFrame({"user_id": ids, "item_id": [1, 2, 3], "timestamp": [5, 6, 7]}).to_parquet(p)
    assert load_interactions(p).user_id.tolist() == [2**53 + 1, 2**63 - 1, 4]


def test_user_item_pairs_white_space_like_str_split(tmp_path: Path) -> None:
    p = write(tmp_path / "seq.txt", " 1  2 \r\n3\t\t4\r\n5\x0b6\n")
    out = load_user_item_pairs(p)
    assert out.user_id.tolist() == [1, 3, 5] and out.item_id.tolist() == [2, 4, 6]
    with pytest.raises(DataValidationError, match="line 2: value '   ' has 0 fields"):
        load_user_item_pairs(write(tmp_path / "blank.txt", "1 2\n   \n"))


def test_undecodable_bytes_are_located_in_large_files(tmp_path: Path) -> None:
    # far past pandas' first buffer, after a valid 2-byte character cut by the 1 MiB read chunks
    chunk = 1 << 20
    body = "visitor,sku,ts\n" + "1,2,3\n" * 174_000  # lines 1 .. 174001
    body += "1," + "2" * (chunk - 3 - len(body) - 5) + ",3\n"  # line 174002 ends at chunk - 3
    data = body.encode() + "1,\u00e9,4\n".encode() + b"2,\xff,5\n"  # \u00e9: bytes chunk-1, chunk
    assert data[chunk - 1 : chunk + 1] == "\u00e9".encode()
    p = tmp_path / "big.csv"
    p.write_bytes(data)
    with pytest.raises(DataValidationError) as caught:
        load_interactions(p, columns=MAPPING)
    assert caught.value.line == 174_004
    bad = data.index(b"\xff")
    assert f"at byte {bad} of the file" in str(caught.value)
