from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from reclab.data import (
    DataIntegrityError,
    DatasetNotAvailableError,
    DatasetSpec,
    data_home,
    fetch_dataset,
    file_sha256,
)
from reclab.data.cache import MANIFEST

FIXTURES = Path(__file__).parent / "fixtures"

FILES = ("u.data", "u.item")


def make_archive(folder: Path, name: str = "ml-100k") -> Path:
    """A zip laid out like the official archive: <name>/<file>."""
    archive = folder / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in FILES:
            zf.write(FIXTURES / "ml-100k" / f, f"{name}/{f}")
        zf.writestr(f"{name}/README", "not extracted")
    return archive


def spec_for(archive: Path, pinned: bool = False) -> DatasetSpec:
    files = {f: (file_sha256(FIXTURES / "ml-100k" / f) if pinned else None) for f in FILES}
    return DatasetSpec(
        name="ml-100k",
        url="https://example.invalid/ml-100k.zip",
        archive_sha256=file_sha256(archive),
        files=files,
    )


def test_data_home_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert data_home(tmp_path) == tmp_path
    monkeypatch.setenv("RECLAB_DATA", str(tmp_path / "env"))
    assert data_home() == tmp_path / "env"
    monkeypatch.delenv("RECLAB_DATA")
    assert "reclab" in str(data_home())


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    p = tmp_path / "x"
    p.write_bytes(b"abc")
    assert file_sha256(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_archive_in_cache_is_verified_extracted_and_recorded(tmp_path, cache, network_attempts):
    spec = spec_for(make_archive(cache))
    folder = fetch_dataset(spec, home=cache, download=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FILES, MANIFEST])
    record = json.loads((folder / MANIFEST).read_text())
    assert record["archive_sha256"] == spec.archive_sha256
    assert record["files"]["u.data"] == file_sha256(FIXTURES / "ml-100k" / "u.data")
    # second call: verified from the manifest, the archive is not needed any more
    (cache / "ml-100k.zip").unlink()
    assert fetch_dataset(spec, home=cache, download=False) == folder
    assert network_attempts == []


def test_corrupted_extracted_file_is_never_used(tmp_path, cache, network_attempts):
    archive = make_archive(tmp_path)
    spec = spec_for(archive)
    shutil.copy(archive, cache)
    folder = fetch_dataset(spec, home=cache, download=False)
    (folder / "u.data").write_text("1\t1\t5\t0\n")  # tampered after extraction
    # with the verified archive at hand, the file is replaced by a fresh extraction
    fetch_dataset(spec, home=cache, download=False)
    assert file_sha256(folder / "u.data") == file_sha256(FIXTURES / "ml-100k" / "u.data")
    # without it, the load fails and says why
    (folder / "u.data").write_text("1\t1\t5\t0\n")
    (cache / "ml-100k.zip").unlink()
    with pytest.raises(DatasetNotAvailableError, match=r"u.data has sha256 [0-9a-f]{64}, expected"):
        fetch_dataset(spec, home=cache, download=False)
    assert network_attempts == []


def test_extracted_files_without_a_record_are_not_trusted(cache) -> None:
    spec = spec_for(make_archive(cache))
    (cache / "ml-100k.zip").unlink()
    shutil.copytree(FIXTURES / "ml-100k", cache / "ml-100k")
    with pytest.raises(DatasetNotAvailableError, match=f"no {MANIFEST}"):
        fetch_dataset(spec, home=cache, download=False)


def test_corrupted_archive_is_never_used(tmp_path, cache) -> None:
    spec = spec_for(make_archive(tmp_path))
    (cache / "ml-100k.zip").write_bytes(b"PK not really")
    with pytest.raises(DatasetNotAvailableError, match=r"ml-100k\.zip has sha256"):
        fetch_dataset(spec, home=cache, download=False)


def test_pinned_member_hash_is_checked_on_extraction(tmp_path, cache) -> None:
    archive = make_archive(cache)
    spec = replace(spec_for(archive), files={"u.data": "0" * 64, "u.item": None})
    with pytest.raises(DataIntegrityError, match=r"member ml-100k/u\.data has sha256"):
        fetch_dataset(spec, home=cache, download=False)
    assert not (cache / "ml-100k" / "u.data").exists()


def test_download_goes_through_pooch_with_the_pinned_hash(tmp_path, cache, network_attempts):
    archive = make_archive(tmp_path)
    spec = spec_for(archive, pinned=True)
    calls = []

    def fake_downloader(url: str, output_file: str, pooch: object) -> None:
        calls.append(url)
        shutil.copy(archive, output_file)

    folder = fetch_dataset(spec, home=cache, downloader=fake_downloader)
    assert calls == [spec.url] and (cache / "ml-100k.zip").is_file()
    assert not (folder / MANIFEST).exists()  # all hashes pinned: nothing to record
    assert network_attempts == []


def test_download_with_wrong_hash_is_rejected(tmp_path, cache) -> None:
    archive = make_archive(tmp_path)
    spec = replace(spec_for(archive), archive_sha256="1" * 64)

    def fake_downloader(url: str, output_file: str, pooch: object) -> None:
        shutil.copy(archive, output_file)

    with pytest.raises(DataIntegrityError, match="download from"):
        fetch_dataset(spec, home=cache, downloader=fake_downloader)
    assert not (cache / "ml-100k").exists() or not (cache / "ml-100k" / "u.data").exists()


def test_failed_download_says_what_to_do_offline(cache, network_attempts) -> None:
    spec = spec_for(make_archive(cache))
    (cache / "ml-100k.zip").unlink()
    with pytest.raises(DatasetNotAvailableError, match="the download failed"):
        fetch_dataset(spec, home=cache)
    assert len(network_attempts) == 1  # the refused attempt of the conftest
