"""The chapter notebooks: named in reading order, stored without outputs, built on one skeleton."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from booktools.sources import ROOT, markdown_texts, toc_pages

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAME = re.compile(r"^(\d\d_[a-z0-9_]+|template_chapter)\.ipynb$")


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/ is empty"


def test_every_notebook_is_in_the_table_of_contents_and_back() -> None:
    in_toc = {p.path.name for p in toc_pages(ROOT) if p.is_notebook}
    assert in_toc == {p.name for p in NOTEBOOKS}


def test_toc_lists_chapters_in_reading_order() -> None:
    numbered = [p.path.name for p in toc_pages(ROOT) if p.is_notebook and p.path.name[:2].isdigit()]
    assert numbered == sorted(numbered)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_name_says_its_place_in_reading_order(path: Path) -> None:
    assert NAME.match(path.name), f"{path.name}: name chapters NN_short_name.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_stored_without_outputs(path: Path) -> None:
    dirty = [
        i
        for i, cell in enumerate(_cells(path))
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert dirty == [], f"{path.name}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_every_cell_has_its_own_id(path: Path) -> None:
    # nbformat 4.5 requires cell ids; without them the book build warns and invents new ones
    ids = [cell.get("id") for cell in _cells(path)]
    missing = [i for i, cell_id in enumerate(ids) if not cell_id]
    assert missing == [], f"{path.name}: cells {missing} have no id"
    assert len(set(ids)) == len(ids), f"{path.name}: cell ids repeat"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_runs_on_the_standard_python3_kernel(path: Path) -> None:
    metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    assert metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_follows_the_chapter_skeleton(path: Path) -> None:
    cells = _cells(path)
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), "starts with # Title"
    for part in ("**Learning goals**", "**Prerequisites**", "Runtime budget:"):
        assert part in first, f"{path.name}: the first cell has no {part}"
    text = "\n".join(markdown_texts(path))
    assert "## Summary" in text, f"{path.name}: no ## Summary section"
    assert "## Exercises" in text, f"{path.name}: no ## Exercises section"
    exercises = re.findall(r"\{exercise\}\s*\n:label: (\S+)", text)
    solutions = re.findall(r"\{solution\} (\S+)\s*\n:class: dropdown", text)
    assert exercises, f"{path.name}: no exercise"
    assert sorted(exercises) == sorted(solutions), (
        f"{path.name}: each exercise needs a folded solution"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_setup_cell_hides_only_the_import_banner(path: Path) -> None:
    code = [
        c
        for c in _cells(path)
        if c["cell_type"] == "code" and "reclab-install" not in c["metadata"].get("tags", [])
    ]
    first = code[0]
    assert "remove-stderr" in first.get("metadata", {}).get("tags", []), (
        f"{path.name}: tag the first (import) cell remove-stderr"
    )
    tagged = [
        i for i, c in enumerate(code[1:], 1) if "remove-stderr" in c["metadata"].get("tags", [])
    ]
    assert tagged == [], f"{path.name}: code cells {tagged} hide stderr; fix the warning instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_code_cells_are_short_and_define_no_classes(path: Path) -> None:
    """A reader sees a few lines that call ``reclab``; longer code and classes are package code
    (chapter 6 once had a 76-line cell, chapter 9 an ``Oracle`` class)."""
    for number, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code" or "reclab-install" in cell["metadata"].get("tags", []):
            continue
        lines = "".join(cell["source"]).rstrip("\n").splitlines()
        assert len(lines) <= 30, f"{path.name}: cell {number} has {len(lines)} lines (at most 30)"
        classes = [line for line in lines if re.match(r"\s*class\s+\w+", line)]
        assert not classes, f"{path.name}: cell {number} defines {classes[0].strip()!r}"
