"""The built site, read as files: every page is there, links resolve, no error output is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from booktools import site_check
from booktools.sources import ROOT, toc_pages

pytestmark = pytest.mark.site


def test_every_page_of_the_toc_is_built(site: Path) -> None:
    missing = [p.docname for p in toc_pages(ROOT) if not (site / f"{p.docname}.html").exists()]
    assert missing == []


def test_no_page_has_a_broken_link_image_error_or_stderr_output(site: Path) -> None:
    pages = site_check.html_pages(site)
    assert len(pages) >= len(toc_pages(ROOT))
    problems = [problem for page in pages for problem in site_check.static_problems(page, site)]
    assert problems == []


def test_no_html_file_links_to_a_missing_file(site: Path) -> None:
    """Sphinx's own pages too: the highlighted sources in _modules/, the indices, the search page.

    ``sphinx.ext.viewcode`` once listed ``builtins`` in ``_modules/index.html`` with a link to a
    ``builtins.html`` it never writes; the check of the book's pages above does not see
    ``_modules/``.
    """
    files = site_check.html_files(site)
    assert site / "_modules" / "index.html" in files, "no highlighted sources were built"
    problems = [problem for page in files for problem in site_check.link_problems(page, site)]
    assert problems == []


def test_no_page_shows_raw_tex(site: Path) -> None:
    problems = [
        p for page in site_check.html_pages(site) for p in site_check.raw_tex_problems(page, site)
    ]
    assert problems == []


def test_setup_chapter_shows_its_outputs_and_figure(site: Path) -> None:
    soup = BeautifulSoup((site / "notebooks" / "00_setup_check.html").read_text(), "html.parser")
    outputs = soup.select("div.cell_output")
    assert len(outputs) >= 3, "the executed notebook's outputs are missing"
    figure = soup.select_one("figure#fig-repeatability img")
    assert figure is not None and figure["src"].endswith(".png")
    assert "identical" in soup.get_text()  # the glued result of the determinism check


def test_launch_and_download_buttons_are_configured(site: Path) -> None:
    html = (site / "notebooks" / "00_setup_check.html").read_text()
    assert "colab.research.google.com" in html
    assert "mybinder.org" in html
    assert "_sources/notebooks/00_setup_check.ipynb" in html  # the download-notebook button
