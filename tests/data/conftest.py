"""Fixtures of the data tests: no network, ever; fixture files copied into a temporary cache."""

from __future__ import annotations

import socket
from pathlib import Path

import pooch
import pytest


@pytest.fixture(autouse=True)
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every test here runs with the network cut: attempts are recorded and fail."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted in a test")

    for downloader in (pooch.HTTPDownloader, pooch.FTPDownloader, pooch.SFTPDownloader):
        monkeypatch.setattr(downloader, "__call__", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("RECLAB_DATA", raising=False)
    return attempts


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """An empty cache folder."""
    home = tmp_path / "cache"
    home.mkdir()
    return home
