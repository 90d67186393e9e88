"""Every built page, opened in headless Chromium: math typeset offline, images loaded, titled.

Screenshots of the key pages are saved in ``_build/screenshots`` for a reviewer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools import site_check

pytestmark = pytest.mark.site

#: Pages a reviewer looks at after each build.
KEY_PAGES = (
    "book/intro.html",
    "book/notation.html",
    "notebooks/00_setup_check.html",
    "notebooks/template_chapter.html",
    "book/formula_index.html",
    "book/runtime_report.html",
)


def test_every_page_renders(site: Path, browser: site_check.Browser) -> None:
    problems = []
    with site_check.serve(site) as origin:
        for page in site_check.html_pages(site):
            name = page.relative_to(site).as_posix()
            problems += browser.problems(f"{origin}/{name}", name, origin)
    assert problems == []


def test_notation_page_equations_are_typeset(site: Path, browser: site_check.Browser) -> None:
    with site_check.serve(site) as origin:
        state = browser.state(f"{origin}/book/notation.html")
    assert state["mathjaxLoaded"]
    assert state["mathElements"] >= 2
    assert state["mathjaxContainers"] >= state["mathElements"]


def test_screenshots_of_key_pages(site: Path, browser: site_check.Browser) -> None:
    folder = site.parent / "screenshots"
    with site_check.serve(site) as origin:
        for name in KEY_PAGES:
            target = folder / (name.replace("/", "__").removesuffix(".html") + ".png")
            browser.screenshot(f"{origin}/{name}", target)
            assert target.stat().st_size > 10_000, f"{target} looks empty"
