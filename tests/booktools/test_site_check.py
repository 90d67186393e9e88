"""The site checks catch what they claim to: broken images and links, error and stderr output."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

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


def test_links_of_sphinx_generated_pages_are_checked(tmp_path: Path) -> None:
    """viewcode's module index once linked to a builtins.html it never wrote."""
    _site(tmp_path, "<p>x</p>")
    (tmp_path / "_modules").mkdir()
    (tmp_path / "_modules" / "index.html").write_text(
        PAGE.format(title="Module code", body='<a href="builtins.html">builtins</a>')
    )
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "macros.html").write_text(
        "<a href=\"{{ pathto('x') }}\">a template</a>"
    )
    index = tmp_path / "_modules" / "index.html"
    assert index not in site_check.html_pages(tmp_path)  # the book's pages only
    assert index in site_check.html_files(tmp_path)
    assert tmp_path / "_static" / "macros.html" not in site_check.html_files(tmp_path)
    assert site_check.link_problems(index, tmp_path) == [
        "_modules/index.html: link 'builtins.html' points to a missing file"
    ]


def test_a_query_string_is_not_part_of_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("")
    page = _site(
        tmp_path,
        '<link rel="stylesheet" href="style.css?v=1"><link rel="stylesheet" href="gone.css?v=1">',
    )
    assert site_check.link_problems(page, tmp_path) == [
        "page.html: link 'gone.css?v=1' points to a missing file"
    ]


@pytest.mark.parametrize(
    ("body", "marker"),
    [
        ("<p>The score :math:`x^2` of an item.</p>", ":math:"),
        ("<p>Here \\frac{a}{b} is shown as typed.</p>", "\\frac"),
        ("<dd><p>the vector \\mathbf{x}</p></dd>", "\\mathbf"),
        ("<p>$$ x $$</p>", "$$"),
    ],
)
def test_raw_tex_in_text_is_caught(tmp_path: Path, body: str, marker: str) -> None:
    problems = site_check.raw_tex_problems(_site(tmp_path, body), tmp_path)
    assert len(problems) == 1 and f"raw TeX {marker!r} shown as text" in problems[0]


def test_tex_in_math_code_and_signatures_is_not_raw(tmp_path: Path) -> None:
    page = _site(
        tmp_path,
        '<p>A <span class="math notranslate nohighlight">\\(\\frac{a}{\\mathbf{b}}\\)</span>.</p>'
        '<div class="math notranslate nohighlight">\\[\\sum_k x_k\\]</div>'
        "<pre>$$ \\mathrm{MSE} = \\frac{1}{n} $$ (eq-mse)</pre><p><code>:math:`x`</code></p>"
        "<dl><dt class=\"sig sig-object py\">f(title='$\\\\sqrt{d}$')</dt><dd>x</dd></dl>",
    )
    assert site_check.raw_tex_problems(page, tmp_path) == []


def test_math_mangled_by_a_python_escape_is_caught(tmp_path: Path) -> None:
    # :math:`\beta` in a docstring that is not raw: Python reads "\b" as a backspace.
    page = _site(tmp_path, '<span class="math notranslate nohighlight">\\(\beta\\)</span>')
    problems = site_check.raw_tex_problems(page, tmp_path)
    assert len(problems) == 1 and "control character" in problems[0]


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


def test_browser_sees_an_unparsed_math_role(tmp_path: Path, browser: site_check.Browser) -> None:
    _site(tmp_path, "<p>The score :math:`x` of an item.</p>")
    with site_check.serve(tmp_path) as origin:
        problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert any("raw TeX ':math:'" in p for p in problems)


def test_browser_sees_untypeset_math(tmp_path: Path, browser: site_check.Browser) -> None:
    _site(tmp_path, '<div class="math notranslate nohighlight">$$ \\frac{a}{b} $$</div>')
    with site_check.serve(tmp_path) as origin:
        problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert (
        "page.html: the page has math but MathJax did not load (the page has no MathJax script)"
        in problems
    )
    assert any("raw TeX '$$'" in p for p in problems)


# -- MathJax that is slow, lost once, or missing --------------------------------------------------
# A CI run once reported "MathJax did not load" on two chapters in a row while every other page,
# served from the same folder with the same script, typeset its math. These tests serve a tiny
# site whose stand-in MathJax starts late, fails once, or is missing, and check what
# Browser.problems says about each.

MATH_PAGE = """<!DOCTYPE html><html><head><title>Math</title>
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


def _math_site(tmp_path: Path, script: str | None) -> Path:
    (tmp_path / "page.html").write_text(MATH_PAGE, encoding="utf-8")
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
    with site_check.serve(_math_site(tmp_path, READY)) as origin:
        assert browser.problems(f"{origin}/page.html", "page.html", origin) == []


def test_mathjax_that_starts_late_is_waited_for(tmp_path, browser) -> None:
    with site_check.serve(_math_site(tmp_path, LATE)) as origin:
        state = browser.state(f"{origin}/page.html")
    assert state["mathjaxLoaded"] and state["mathjaxContainers"] == 1


def test_a_script_lost_once_is_loaded_again_with_a_warning(tmp_path, browser) -> None:
    with site_check.serve(_math_site(tmp_path, READY), _FailsOnce) as origin:
        with pytest.warns(UserWarning, match=r"MathJax did not start on the first load .*503"):
            problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert problems == []


def test_a_missing_mathjax_is_a_problem_that_names_the_script(tmp_path, browser) -> None:
    with site_check.serve(_math_site(tmp_path, None)) as origin:
        with pytest.warns(UserWarning):
            problems = browser.problems(f"{origin}/page.html", "page.html", origin)
    assert len(problems) == 1
    assert problems[0].startswith("page.html: the page has math but MathJax did not load (")
    assert "_static/mathjax/tex-mml-chtml.js answered HTTP 404" in problems[0]


class _HangingOnceDriver:
    """A stand-in WebDriver whose first page wait times out, as Chromium once did in CI."""

    def __init__(self, hangs: int) -> None:
        self.hangs, self.loads = hangs, 0

    def get(self, url: str) -> None:
        self.loads += 1

    def execute_async_script(self, script: str) -> dict:
        from selenium.common.exceptions import TimeoutException

        if self.hangs:
            self.hangs -= 1
            raise TimeoutException("script timeout")
        return {"title": "ok"}


def test_a_page_that_hangs_once_is_loaded_again_and_twice_raises() -> None:
    pytest.importorskip("selenium")
    from selenium.common.exceptions import TimeoutException

    browser = object.__new__(site_check.Browser)  # no Chromium: the driver is a stand-in
    browser.driver = _HangingOnceDriver(hangs=1)
    with pytest.warns(UserWarning, match="did not finish loading"):
        assert browser.state("http://127.0.0.1/a.html") == {"title": "ok"}
    assert browser.driver.loads == 2
    browser.driver = _HangingOnceDriver(hangs=2)
    with pytest.warns(UserWarning), pytest.raises(TimeoutException):
        browser.state("http://127.0.0.1/a.html")
