from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reclab.data import (
    MOVIELENS,
    DatasetNotAvailableError,
    fetch_movielens,
    file_sha256,
    load_movielens,
)
from reclab.data import movielens as movielens_module

FIXTURES = Path(__file__).parent / "fixtures"
# The real cache, if any: $RECLAB_DATA as exported by CI (read before the tests unset it), else
# the repository's sibling folder ../shared/data.
REAL_HOME = Path(
    os.environ.get("RECLAB_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data"
)


def copy_fixture(name: str, home: Path) -> Path:
    """Copy fixtures/<name>/ to home/<name>/ and return the folder."""
    return Path(shutil.copytree(FIXTURES / name, home / name))


def pin_fixture(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Point the spec's per-file hashes at the fixture files (computed here, not typed)."""
    spec = MOVIELENS[name]
    files = {f: file_sha256(FIXTURES / name / f) for f in spec.files}
    monkeypatch.setitem(movielens_module.MOVIELENS, name, replace(spec, files=files))


def archive_fixture(monkeypatch: pytest.MonkeyPatch, name: str, where: Path) -> Path:
    """Zip the fixture like the official archive and pin the zip's hash in the spec."""
    archive = where / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in MOVIELENS[name].files:
            zf.write(FIXTURES / name / f, f"{name}/{f}")
    spec = replace(MOVIELENS[name], archive_sha256=file_sha256(archive))
    monkeypatch.setitem(movielens_module.MOVIELENS, name, spec)
    return archive


def test_specs_pin_the_official_urls_and_hashes() -> None:
    small = MOVIELENS["ml-latest-small"]
    assert small.url == "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip"
    assert small.archive_sha256.startswith("696d65a3")
    assert small.files["ratings.csv"].startswith("aa289ca8")
    assert small.files["movies.csv"].startswith("5a5f32dd")
    assert MOVIELENS["ml-100k"].archive_sha256.startswith("50d2a982")
    assert MOVIELENS["ml-1m"].archive_sha256.startswith("a6898adb")
    assert "harper2015movielens" in small.citation and "grouplens2018mlsmall" in small.citation


def test_latest_small_from_verified_files(monkeypatch, cache, network_attempts) -> None:
    pin_fixture(monkeypatch, "ml-latest-small")
    copy_fixture("ml-latest-small", cache)
    monkeypatch.setenv("RECLAB_DATA", str(cache))
    ml = load_movielens(download=False)
    assert ml.name == "ml-latest-small" and ml.path == cache / "ml-latest-small"
    df = ml.interactions
    assert list(df.columns) == ["user_id", "item_id", "timestamp", "rating"]
    assert df.user_id.tolist() == [1, 1, 1, 1, 2, 2, 2, 3, 3]
    assert df.rating.tolist()[:3] == [4.0, 4.0, 2.5] and df.rating.dtype == np.float32
    assert df.timestamp.iloc[0] == 964982703  # no stray '\r' from the CRLF line endings
    titles = dict(zip(ml.items.item_id, ml.items.title, strict=True))
    assert titles[11] == "American President, The (1995)"  # quoted title with a comma
    assert titles[29].startswith("City of Lost Children, The (Cité")  # UTF-8
    cats = dict(zip(ml.items.item_id, ml.items.category, strict=True))
    assert cats[1] == "Adventure" and cats[193609] == "(no genres listed)"
    assert network_attempts == []


def test_latest_small_corrupted_file_is_rejected(monkeypatch, cache, network_attempts) -> None:
    pin_fixture(monkeypatch, "ml-latest-small")
    folder = copy_fixture("ml-latest-small", cache)
    with open(folder / "ratings.csv", "ab") as f:
        f.write(b"9,9,5.0,964982703\r\n")  # one extra line: a different file
    monkeypatch.setattr(movielens_module, "_parse_latest_small", lambda _: pytest.fail("read"))
    with pytest.raises(DatasetNotAvailableError, match=r"ratings\.csv has sha256"):
        load_movielens(data_home=cache, download=False)
    assert network_attempts == []


def test_offline_without_cache_names_dataset_url_folder_and_hash(cache, network_attempts):
    with pytest.raises(DatasetNotAvailableError) as caught:
        fetch_movielens("ml-latest-small", data_home=cache, download=False)
    text = str(caught.value)
    assert "'ml-latest-small'" in text
    assert "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip" in text
    assert str(cache / "ml-latest-small") in text
    assert MOVIELENS["ml-latest-small"].archive_sha256 in text
    assert MOVIELENS["ml-latest-small"].files["ratings.csv"] in text
    assert network_attempts == []


def test_ml100k_from_verified_archive(monkeypatch, cache, network_attempts) -> None:
    archive_fixture(monkeypatch, "ml-100k", cache)
    ml = load_movielens("ml-100k", data_home=cache, download=False)
    df = ml.interactions
    assert df.shape == (5, 4)
    assert df.user_id.tolist() == [196, 186, 22, 196, 186]
    assert df.item_id.tolist() == [242, 302, 377, 377, 242]
    assert df.timestamp.iloc[0] == 881250949 and df.rating.iloc[2] == 1.0
    items = ml.items.set_index("item_id")
    assert items.loc[1366, "title"] == "Jour de fête (1949)"  # latin-1
    assert items.loc[302, "genres"] == "Crime|Film-Noir|Mystery|Thriller"
    assert items.loc[242, "category"] == "Comedy"
    assert network_attempts == []


def test_ml1m_downloaded_through_pooch(monkeypatch, tmp_path, cache, network_attempts) -> None:
    archive = archive_fixture(monkeypatch, "ml-1m", tmp_path)

    def mirror(url: str, output_file: str, pooch: object) -> None:
        assert url == "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
        shutil.copy(archive, output_file)

    ml = load_movielens("ml-1m", data_home=cache, downloader=mirror)
    df = ml.interactions
    assert df.user_id.tolist() == [1, 1, 1, 2, 2, 2]
    assert df.item_id.tolist() == [1193, 661, 914, 1193, 3408, 661]
    assert df.timestamp.iloc[0] == 978300760 and df.rating.iloc[0] == 5.0
    items = ml.items.set_index("item_id")
    assert items.loc[1361, "title"].startswith("Paradise Lost: The Child")  # ':' in a title
    assert items.loc[2192, "title"] == "Love of Her Life, The (Chérie) (1997)"
    assert items.loc[661, "genres"] == "Animation|Children's|Musical"
    assert network_attempts == []


def test_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown MovieLens data set 'ml-25m'"):
        load_movielens("ml-25m", download=False)


def test_real_latest_small_when_cached(network_attempts) -> None:
    home = REAL_HOME
    if not (home / "ml-latest-small" / "ratings.csv").is_file():
        pytest.skip(f"no ml-latest-small in {home}")
    ml = load_movielens(data_home=home, download=False)
    assert ml.interactions.shape == (100836, 4)
    assert ml.interactions.user_id.nunique() == 610 and len(ml.items) == 9742
    assert ml.interactions.groupby("user_id").size().min() == 20
    assert network_attempts == []
