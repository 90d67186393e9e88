"""A chapter opened in JupyterLab (``make lab``) shows its MyST markup rendered, not as raw text.

Starts a private JupyterLab server on a temporary copy of a chapter, opens the notebook in
headless Chromium and compares its rendered markdown cells with the MyST markup of its source
(``booktools.lab_check``). The second test is the control: with ``jupyterlab-myst`` disabled the
same check must fail, or it would not be checking anything.

Needs Chromium, ChromeDriver, JupyterLab and jupyterlab-myst (the ``test`` extra). Without them
the tests are skipped with a message, unless ``RECLAB_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from booktools import lab_check, site_check
from booktools.sources import ROOT

pytestmark = pytest.mark.slow

#: Chapters that use citations, equation references and admonitions; the first one that still
#: uses all three is opened.
CHAPTERS = ("04_measuring_recommendations.ipynb", "09_transformer_next_item.ipynb")
#: Seconds one test may take: server start, page load and rendering, server stop.
TIME_LIMIT = 120


def _missing() -> list[str]:
    missing = []
    if site_check.find_chromium() is None:
        missing.append(
            "Chromium and ChromeDriver (`sudo apt-get install chromium chromium-driver`)"
        )
    for module, package in (("jupyterlab", "jupyterlab"), ("jupyterlab_myst", "jupyterlab-myst")):
        if importlib.util.find_spec(module) is None:
            missing.append(f"{package} (`pip install -e '.[test]'`)")
    return missing


@pytest.fixture(scope="module")
def browser() -> Iterator[site_check.Browser]:
    missing = _missing()
    if missing:
        message = "the JupyterLab check needs " + " and ".join(missing) + ": it was not run"
        if os.environ.get("RECLAB_REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail(message)
        pytest.skip(message)
    browser = site_check.Browser(*site_check.find_chromium())  # type: ignore[misc]
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def chapter(tmp_path: Path) -> tuple[Path, lab_check.MystMarkup]:
    """A temporary copy of a chapter that uses {cite}, {eq} and :::{admonition}."""
    for name in CHAPTERS:
        markup = lab_check.myst_markup(ROOT / "notebooks" / name)
        if markup.citations and markup.equation_refs and markup.admonitions:
            folder = tmp_path / "notebooks"
            folder.mkdir()
            shutil.copyfile(ROOT / "notebooks" / name, folder / name)
            return folder / name, markup
    pytest.fail(f"none of {CHAPTERS} uses {{cite}}, {{eq}} and :::{{admonition}} any more")


def _render(
    tmp_path: Path, browser: site_check.Browser, chapter: Path, markup, disabled=()
) -> dict:
    start = time.monotonic()
    with lab_check.jupyterlab(chapter.parent, tmp_path / "lab", disabled, timeout=50) as url:
        state = lab_check.rendered_markdown(
            browser.driver, f"{url}/lab/tree/{chapter.name}", markup.markdown_cells, timeout=50
        )
    seconds = time.monotonic() - start
    assert seconds < TIME_LIMIT, f"the JupyterLab check took {seconds:.0f} s"
    return state


def test_jupyterlab_renders_the_chapters_myst(tmp_path, browser, chapter) -> None:
    path, markup = chapter
    state = _render(tmp_path, browser, path, markup)
    assert lab_check.myst_problems(markup, state) == []
    assert state["rendered"] == markup.markdown_cells
    assert "Runtime budget" in state["admonitions"][0]  # every chapter starts with it
    assert markup.citations <= set(state["citations"])


def test_without_jupyterlab_myst_the_check_fails(tmp_path, browser, chapter) -> None:
    path, markup = chapter
    state = _render(tmp_path, browser, path, markup, disabled=("jupyterlab-myst",))
    problems = "\n".join(lab_check.myst_problems(markup, state))
    for raw in ("'{cite}' shown raw", "'{eq}' shown raw", "':::{' shown raw"):
        assert raw in problems
    assert "not rendered as an admonition element" in problems
    assert "not rendered as citation elements" in problems
    assert "not rendered as a numbered link" in problems
