"""Each notebook executed within its budget in the build that produced the site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booktools import budgets
from booktools.sources import ROOT, toc_pages

pytestmark = pytest.mark.site


def _runtimes(site: Path) -> list[budgets.Runtime]:
    records = json.loads((site / "_static" / "reclab" / "runtimes.json").read_text())
    return [budgets.Runtime(**record) for record in records]


def test_every_notebook_has_a_measured_runtime(site: Path) -> None:
    measured = {r.docname for r in _runtimes(site)}
    expected = {p.docname for p in toc_pages(ROOT) if p.is_notebook}
    assert measured == expected


def test_no_notebook_exceeds_its_budget(site: Path) -> None:
    """Fails when a notebook took more than budget × (1 + budgets.TOLERANCE)."""
    assert budgets.runtime_problems(_runtimes(site)) == []
