"""Paths and modules that the documentation names exist (docs drift once named files that did not).

Checked: the "Where code goes" table of CONTRIBUTING.md, and every ``tests/...``, ``booktools/...``
or ``reclab/...`` path and ``reclab.`` module named in the docstrings and comments of
``booktools/*.py`` and ``reclab/formulas.py``.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from booktools.sources import ROOT

_PATH = re.compile(r"(?<![\w/.])((?:tests|booktools|reclab|book|notebooks|binder)/[\w./*-]*)")
_MODULE = re.compile(r"``(reclab(?:\.\w+)+)``")


def _exists(path: str) -> bool:
    path = path.rstrip(".")
    return any(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()


def _table_paths() -> list[str]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Where code goes", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # after the header
    return [p for row in rows for p in re.findall(r"`([^`]+/[^`]*)`", row)]


def test_the_table_of_where_code_goes_names_existing_paths() -> None:
    paths = _table_paths()
    assert "reclab/plotting/" in paths  # the table was read
    assert [p for p in paths if not _exists(p)] == []


SOURCES = [*sorted(ROOT.glob("booktools/*.py")), ROOT / "reclab" / "formulas.py"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_paths_named_in_the_tools_exist(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    named = {m.group(1) for m in _PATH.finditer(text)}
    missing = sorted(p for p in named if not _exists(p) and not p.endswith("/"))
    assert missing == []


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        try:
            for attribute in parts[i:]:
                value = getattr(value, attribute)
        except AttributeError:
            return False
        return True
    return False


def test_modules_named_in_the_formula_registry_exist() -> None:
    text = (ROOT / "reclab" / "formulas.py").read_text(encoding="utf-8")
    named = sorted(set(_MODULE.findall(text)))
    assert "reclab.losses.mean_squared_error" in named
    assert [name for name in named if not _resolves(name)] == []
