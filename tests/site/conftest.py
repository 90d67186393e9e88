"""Fixtures for the checks of the built site (``_build/html``), run by ``make test`` after a build.

Without a built site these tests are skipped with a message saying how to build it, unless
``RECLAB_REQUIRE_SITE=1`` (set by ``make test`` and CI), where a missing site is a failure.
Likewise the browser checks are skipped where Chromium is absent, unless
``RECLAB_REQUIRE_BROWSER=1`` (set by CI, which installs Chromium).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from booktools import site_check

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"


def _required(variable: str) -> bool:
    return os.environ.get(variable, "") not in ("", "0")


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        message = f"the book is not built ({SITE / 'index.html'} is missing): run `make book` first"
        if _required("RECLAB_REQUIRE_SITE"):
            pytest.fail(message)
        pytest.skip(message)
    return SITE


@pytest.fixture(scope="session")
def browser() -> Iterator[site_check.Browser]:
    found = site_check.find_chromium()
    if found is None:
        message = (
            "browser checks need Chromium and ChromeDriver on the PATH (Debian/Ubuntu: "
            "`sudo apt-get install chromium chromium-driver`); they were not found, so the "
            "rendered-page checks did not run"
        )
        if _required("RECLAB_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    browser = site_check.Browser(*found)
    try:
        yield browser
    finally:
        browser.close()
