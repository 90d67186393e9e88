"""The site checks catch what they claim to: broken images and links, error and stderr output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from booktools import site_check

PAGE = """<!DOCTYPE html><html><head><title>{title}</title></head><body>
<nav class="bd-docs-nav"><a href="index.html">Home</a></nav>
{body}
</body></html>"""

# A 1×1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _site(tmp_path: Path, body: str, title: str = "A page") -> Path:
    (tmp_path / "index.html").write_text(PAGE.format(title="Home", body="<p id='top'>hi</p>"))
    (tmp_path / "good.png").write_bytes(PNG)
    (tmp_path / "page.html").write_text(PAGE.format(title=title, body=body))
    return tmp_path / "page.html"


def test_a_clean_page_has_no_problem(tmp_path: Path) -> None:
    page = _site(tmp_path, '<img src="good.png"><a href="index.html#top">home</a>')
    assert site_check.static_problems(page, tmp_path) == []


def test_broken_image_is_caught(tmp_path: Path) -> None:
    page = _site(tmp_path, '<img src="missing.png">')
    assert site_check.static_problems(page, tmp_path) == [
        "page.html: image 'missing.png' does not exist"
    ]


def test_a_figure_shown_twice_is_caught(tmp_path: Path) -> None:
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "fig.png").write_bytes(PNG)
    page = _site(tmp_path, '<img src="_images/fig.png"><p>text</p><img src="_images/fig.png">')
    problems = site_check.static_problems(page, tmp_path)
    assert len(problems) == 1 and "is shown twice" in problems[0]


def test_broken_links_and_anchors_are_caught(tmp_path: Path) -> None:
    page = _site(tmp_path, '<a href="nowhere.html">x</a><a href="index.html#gone">y</a>')
    problems = site_check.static_problems(page, tmp_path)
    assert "page.html: link 'nowhere.html' points to a missing file" in problems
    assert "page.html: link 'index.html#gone' points to a missing anchor #gone" in problems


def test_error_and_stderr_outputs_are_caught(tmp_path: Path) -> None:
    page = _site(
        tmp_path,
        '<div class="output traceback">ZeroDivisionError</div>'
        '<div class="output stderr">WARNING: something</div>',
    )
    problems = site_check.static_problems(page, tmp_path)
    assert any("error output" in p and "ZeroDivisionError" in p for p in problems)
    assert any("stderr" in p and "WARNING: something" in p for p in problems)


def test_missing_title_and_navigation_are_caught(tmp_path: Path) -> None:
    (tmp_path / "bare.html").write_text("<html><head></head><body>x</body></html>")
    problems = site_check.static_problems(tmp_path / "bare.html", tmp_path)
    assert any("no <title>" in p for p in problems)
    assert any("no table of contents" in p for p in problems)


@pytest.fixture(scope="module")
def browser():
    found = site_check.find_chromium()
    if found is None:
        message = "Chromium and ChromeDriver not found: the browser checks were not run"
        if os.environ.get("RECLAB_REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail(message)
        pytest.skip(message)
    browser = site_check.Browser(*found)
    yield browser
    browser.close()


def test_browser_sees_a_broken_image(tmp_path: Path, browser: site_check.Browser) -> None:
    # An image that exists but is not a valid picture: only a browser can tell.
    (tmp_path / "corrupt.png").write_bytes(b"not a png")
    _site(tmp_path, '<img src="good.png"><img src="corrupt.png">')
    with site_check.serve(tmp_path) as origin:
        problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert problems == ["page.html: image 'corrupt.png' did not load (naturalWidth 0)"]


def test_browser_sees_untypeset_math(tmp_path: Path, browser: site_check.Browser) -> None:
    _site(tmp_path, '<div class="math notranslate nohighlight">$$ \\frac{a}{b} $$</div>')
    with site_check.serve(tmp_path) as origin:
        problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert "page.html: the page has math but MathJax did not load" in problems
    assert any("raw TeX '$$'" in p for p in problems)
