"""The download cache: where data sets live; a file that fails its hash is never used.

Folder layout (the same as ``../shared/data`` in the repository's CI)::

    $RECLAB_DATA/                      # or pooch.os_cache("reclab") when RECLAB_DATA is unset
        ml-latest-small/ratings.csv    # extracted files, each checked against its own sha256
        ml-latest-small.zip            # the official archive, when it was downloaded here
        ml-1m/ratings.dat
        ml-1m/reclab-sha256.json       # per-file hashes recorded right after a verified extraction

A data set is described by a :class:`DatasetSpec`: the official archive's URL and pinned sha256,
and the files the loader reads. Where the per-file hashes are published (MovieLens latest-small)
they are pinned in the spec. Where only the archive's hash is known (ml-100k, ml-1m), the files are
taken only from an archive that passed its hash: right after extraction their sha256 are written
to ``reclab-sha256.json`` in the data set's folder and every later load checks them. Extracted
files with no such record cannot be verified and are not used (put the official ``.zip`` in the
cache folder instead).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pooch

__all__ = [
    "DataIntegrityError",
    "DatasetNotAvailableError",
    "DatasetSpec",
    "data_home",
    "fetch_dataset",
    "file_sha256",
]

logger = logging.getLogger(__name__)

#: Name of the per-file hash record written after a verified extraction.
MANIFEST = "reclab-sha256.json"


class DatasetNotAvailableError(FileNotFoundError):
    """A data set is not in the cache and may not (or cannot) be downloaded."""


class DataIntegrityError(ValueError):
    """A file's sha256 differs from the expected one; the file is not used."""


@dataclass(frozen=True)
class DatasetSpec:
    """Where a data set comes from and how its files are verified.

    Attributes:
        name: folder name inside the cache and inside the archive, e.g. ``"ml-1m"``.
        url: the official archive's URL.
        archive_sha256: the archive's pinned sha256 (hex).
        files: file name -> pinned sha256, or ``None`` where only the archive hash is known.
        citation: bibliography keys the data set's licence asks to cite.
        licence: one line on the terms of use.
    """

    name: str
    url: str
    archive_sha256: str
    files: dict[str, str | None]
    citation: tuple[str, ...] = ()
    licence: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def archive_name(self) -> str:
        """File name of the archive in the cache folder, e.g. ``"ml-1m.zip"``."""
        return f"{self.name}.zip"


def data_home(path: str | os.PathLike[str] | None = None) -> Path:
    """The cache folder: ``path``, else ``$RECLAB_DATA``, else ``pooch.os_cache("reclab")``.

    A relative ``RECLAB_DATA`` is relative to the current working directory.

    Example:
        >>> import os
        >>> os.environ["RECLAB_DATA"] = "/tmp/reclab-data"
        >>> str(data_home())
        '/tmp/reclab-data'
        >>> del os.environ["RECLAB_DATA"]
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("RECLAB_DATA")
    if env:
        return Path(env).expanduser()
    return Path(pooch.os_cache("reclab")).expanduser()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file, in hex (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Keep pooch's own INFO messages off stderr; this module logs what happens instead."""
    pooch_logger = pooch.get_logger()
    level = pooch_logger.level
    pooch_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        pooch_logger.setLevel(level)


def _expected_hashes(spec: DatasetSpec, folder: Path) -> tuple[dict[str, str] | None, str]:
    """Per-file hashes to check: pinned ones, completed from the manifest. ``None`` if unknown."""
    pinned = {name: h for name, h in spec.files.items() if h is not None}
    if len(pinned) == len(spec.files):
        return pinned, ""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return None, f"no {MANIFEST} (files not extracted from a verified archive)"
    try:
        record = json.loads(manifest.read_text())
    except (OSError, json.JSONDecodeError) as error:
        return None, f"{manifest} is unreadable ({error})"
    if record.get("archive_sha256") != spec.archive_sha256:
        return None, f"{manifest} records another archive"
    recorded = record.get("files", {})
    if not all(name in recorded for name in spec.files):
        return None, f"{manifest} lacks some files"
    return {name: pinned.get(name, recorded[name]) for name in spec.files}, ""


def _verify_folder(spec: DatasetSpec, folder: Path) -> list[str]:
    """Reasons the extracted files in ``folder`` cannot be used; empty when all are verified."""
    missing = [name for name in spec.files if not (folder / name).is_file()]
    if missing:
        return [f"missing {folder / name}" for name in missing]
    expected, why = _expected_hashes(spec, folder)
    if expected is None:
        return [why]
    problems = []
    for name, want in expected.items():
        got = file_sha256(folder / name)
        if got != want:
            problems.append(f"{folder / name} has sha256 {got}, expected {want}")
    return problems


def _install_from_archive(spec: DatasetSpec, archive: Path, folder: Path) -> None:
    """Extract the spec's files from a verified archive into ``folder`` and record their hashes."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=folder.parent))
    try:
        members = [f"{spec.name}/{name}" for name in spec.files]
        with _quiet_pooch():
            pooch.Unzip(members=members, extract_dir=str(scratch))(str(archive), "download", None)
        hashes = {}
        for name, want in spec.files.items():
            extracted = scratch / spec.name / name
            if not extracted.is_file():
                raise DataIntegrityError(f"{archive}: the archive has no member {spec.name}/{name}")
            got = file_sha256(extracted)
            if want is not None and got != want:
                raise DataIntegrityError(
                    f"{archive}: member {spec.name}/{name} has sha256 {got}, expected {want}; "
                    "not used"
                )
            hashes[name] = got
        for name in spec.files:
            os.replace(scratch / spec.name / name, folder / name)
        if any(h is None for h in spec.files.values()):
            record = {"archive": spec.url, "archive_sha256": spec.archive_sha256, "files": hashes}
            (folder / MANIFEST).write_text(json.dumps(record, indent=2) + "\n")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    logger.info("%s: extracted %s from verified %s", spec.name, list(spec.files), archive)


def _not_available(spec: DatasetSpec, home: Path, problems: list[str], cause: str) -> str:
    hashes = "\n".join(
        f"    {name}: {h or '(recorded after extracting the verified archive)'}"
        for name, h in spec.files.items()
    )
    return (
        f"Data set {spec.name!r} is not available: {cause}.\n"
        f"  Problems found: {'; '.join(problems) or 'none'}.\n"
        f"  Download the official archive from {spec.url}\n"
        f"  (sha256 {spec.archive_sha256}) and put it in {home}/ as {spec.archive_name},\n"
        f"  or put its extracted files in {home / spec.name}/ with these sha256:\n{hashes}\n"
        f"  (the cache folder is $RECLAB_DATA, else pooch.os_cache('reclab'))."
    )


def fetch_dataset(
    spec: DatasetSpec,
    *,
    home: str | os.PathLike[str] | None = None,
    download: bool = True,
    downloader: Callable[..., Any] | None = None,
) -> Path:
    """Return the folder holding the spec's verified files, downloading only when needed.

    Order of attempts: (1) extracted files in ``home/<name>/`` that pass their hashes; (2) the
    archive ``home/<name>.zip`` if it passes the pinned archive hash (it is extracted); (3) when
    ``download`` is true, :func:`pooch.retrieve` downloads the archive, checks its hash and it is
    extracted. A file that fails its hash is never read.

    Args:
        spec: the data set.
        home: the cache folder (default :func:`data_home`).
        download: allow network access. With ``False`` a missing data set raises.
        downloader: passed to :func:`pooch.retrieve` (for tests and mirrors).

    Returns:
        The folder ``home/<name>`` with the spec's files, all verified.

    Raises:
        DatasetNotAvailableError: not cached and ``download`` is false; the message names the
            data set, the URL, the folder and the expected hashes.
        DataIntegrityError: a file or archive failed its hash after a fresh download.
    """
    home_path = data_home(home)
    folder = home_path / spec.name
    problems = _verify_folder(spec, folder)
    if not problems:
        logger.info("%s: using verified files in %s", spec.name, folder)
        return folder
    logger.info("%s: cached files not usable: %s", spec.name, "; ".join(problems))
    archive = home_path / spec.archive_name
    if archive.is_file():
        got = file_sha256(archive)
        if got == spec.archive_sha256:
            _install_from_archive(spec, archive, folder)
            return folder
        problems.append(f"{archive} has sha256 {got}, expected {spec.archive_sha256}")
    if not download:
        raise DatasetNotAvailableError(
            _not_available(
                spec, home_path, problems, "no verified copy in the cache and download=False"
            )
        )
    home_path.mkdir(parents=True, exist_ok=True)
    logger.info("%s: downloading %s", spec.name, spec.url)
    try:
        with _quiet_pooch():
            fetched = pooch.retrieve(
                spec.url,
                known_hash=f"sha256:{spec.archive_sha256}",
                fname=spec.archive_name,
                path=home_path,
                downloader=downloader,
                progressbar=False,
            )
    except ValueError as error:  # pooch: hash mismatch of the downloaded file
        message = f"{spec.name}: download from {spec.url} failed: {error}"
        raise DataIntegrityError(message) from error
    except Exception as error:  # network errors: say what to do offline
        raise DatasetNotAvailableError(
            _not_available(spec, home_path, problems, f"the download failed ({error})")
        ) from error
    _install_from_archive(spec, Path(fetched), folder)
    problems = _verify_folder(spec, folder)
    if problems:
        raise DataIntegrityError(f"{spec.name}: " + "; ".join(problems))
    return folder
