"""The API reference as built: its math is math, its source links lead somewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from booktools import site_check
from booktools.sources import ROOT

pytestmark = pytest.mark.site


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_api_page_shows_no_raw_tex(site: Path) -> None:
    """No ``\\frac``, ``\\mathbf`` or ``:math:`` as text; the docstrings' math is math elements."""
    api = site / "book" / "api.html"
    assert len(_soup(api).select(".math")) >= 50, "the API page has (almost) no math: not built?"
    assert site_check.raw_tex_problems(api, site) == []


def test_source_links_of_the_api_page_resolve(site: Path) -> None:
    api = site / "book" / "api.html"
    sources = _soup(api).select("a.reference.internal[href*='_modules/']")
    assert sources, "the API page has no [source] links"
    assert site_check.link_problems(api, site) == []
    index = site / "_modules" / "index.html"
    listed = [a["href"] for a in _soup(index).select("article a[href], main a[href]")]
    assert listed, "_modules/index.html lists no module"
    assert site_check.link_problems(index, site) == []


def test_how_to_use_gives_the_install_command_of_the_install_cell(site: Path) -> None:
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    page = _soup(site / "book" / "how_to_use.html")
    codes = [code.get_text() for code in page.select("code")]
    assert f'pip install "reclab-book @ git+{url}"' in codes
    assert "<repository URL>" not in page.get_text()
    assert "{{" not in page.get_text()


def test_api_page_tables_list_every_registered_model_and_objective(site: Path) -> None:
    """The ``{registry}`` tables read the registries: every name, as code, not raw backticks."""
    from reclab.models import MODELS
    from reclab.training import OBJECTIVES

    soup = _soup(site / "book" / "api.html")
    tables = soup.select("table")
    first_cells = [
        {row.select("td")[0].get_text(strip=True) for row in table.select("tbody tr")}
        for table in tables
    ]
    assert set(MODELS) in first_cells
    assert set(OBJECTIVES) in first_cells
    assert "``" not in " ".join(table.get_text() for table in tables)
    assert soup.find(id="reclab.models.MODELS") and soup.find(id="reclab.data.UNKNOWN_ITEM")
