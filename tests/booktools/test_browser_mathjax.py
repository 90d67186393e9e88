"""The browser check tells a page whose MathJax is broken from one whose MathJax was slow or lost.

A CI run once reported two chapters in a row with "MathJax did not load" while every other page,
served from the same folder with the same script, typeset its math. These tests serve a tiny site
whose stand-in MathJax starts late, fails once, or is missing, and check what
:meth:`booktools.site_check.Browser.problems` says about each.

Need Chromium and ChromeDriver; skipped without them unless ``RECLAB_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from booktools import site_check

PAGE = """<!DOCTYPE html><html><head><title>Math</title>
<script defer src="_static/mathjax/tex-mml-chtml.js"></script></head>
<body><p>The rate <span class="math notranslate">\\(\\lambda\\)</span> of a shop.</p>
</body></html>"""

#: A stand-in for MathJax: typesets every math element into an ``mjx-container`` on startup.
TYPESET = """
const typesetAll = () => document.querySelectorAll('span.math').forEach(e => {
  const box = document.createElement('mjx-container');
  box.textContent = 'λ';
  e.replaceChildren(box);
});
"""
READY = TYPESET + "window.MathJax = {startup: {promise: Promise.resolve().then(typesetAll)}};"
LATE = TYPESET + (
    "setTimeout(() => { window.MathJax = "
    "{startup: {promise: Promise.resolve().then(typesetAll)}}; }, 1500);"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[site_check.Browser]:
    found = site_check.find_chromium()
    if found is None:
        message = "needs Chromium and ChromeDriver (`apt-get install chromium chromium-driver`)"
        if os.environ.get("RECLAB_REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail(message)
        pytest.skip(message)
    browser = site_check.Browser(*found)
    try:
        yield browser
    finally:
        browser.close()


def _site(tmp_path: Path, script: str | None) -> Path:
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    if script is not None:
        (tmp_path / "_static" / "mathjax").mkdir(parents=True)
        (tmp_path / "_static" / "mathjax" / "tex-mml-chtml.js").write_text(script, "utf-8")
    return tmp_path


class _FailsOnce(site_check._QuietHandler):
    """Answers 503 to the first request for MathJax's script, then serves it."""

    failed: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        key = f"{self.server.server_address}{self.path}"
        if "mathjax" in self.path and key not in self.failed:
            self.failed.add(key)
            self.send_error(503, "busy")
            return
        super().do_GET()


def test_math_typeset_by_mathjax_has_no_problem(tmp_path, browser) -> None:
    with site_check.serve(_site(tmp_path, READY)) as origin:
        assert browser.problems(f"{origin}/page.html", "page.html", origin) == []


def test_mathjax_that_starts_late_is_waited_for(tmp_path, browser) -> None:
    with site_check.serve(_site(tmp_path, LATE)) as origin:
        state = browser.state(f"{origin}/page.html")
    assert state["mathjaxLoaded"] and state["mathjaxContainers"] == 1


def test_a_script_lost_once_is_loaded_again_with_a_warning(tmp_path, browser) -> None:
    with site_check.serve(_site(tmp_path, READY), _FailsOnce) as origin:
        with pytest.warns(UserWarning, match=r"MathJax did not start on the first load .*503"):
            problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert problems == []


def test_a_missing_mathjax_is_a_problem_that_names_the_script(tmp_path, browser) -> None:
    with site_check.serve(_site(tmp_path, None)) as origin:
        with pytest.warns(UserWarning):
            problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert len(problems) == 1
    assert problems[0].startswith("page.html: the page has math but MathJax did not load (")
    assert "_static/mathjax/tex-mml-chtml.js answered HTTP 404" in problems[0]
