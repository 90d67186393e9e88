"""Runtime budgets: declared consistently, and an over-budget run is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from booktools import budgets


def _notebook(tmp_path: Path, metadata_budget: float | None, prose: str) -> Path:
    metadata = {} if metadata_budget is None else {"reclab": {"budget_seconds": metadata_budget}}
    path = tmp_path / "01_x.ipynb"
    path.write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "markdown", "metadata": {}, "source": prose}],
                "metadata": metadata,
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return path


def test_the_books_notebooks_declare_consistent_budgets() -> None:
    assert budgets.declaration_problems(budgets.notebooks()) == []


@pytest.mark.parametrize(
    ("prose", "seconds"),
    [
        ("Runtime budget: 90 s on 2 CPU cores.", 90),
        ("Runtime budget: 2 min on 2 CPU cores.", 120),
        ("Runtime budget: 1.5 minutes on 2 CPU cores.", 90),
    ],
)
def test_stated_budget_is_read_in_seconds(tmp_path: Path, prose: str, seconds: float) -> None:
    assert budgets.stated_budget(_notebook(tmp_path, seconds, prose)) == seconds


def test_missing_or_disagreeing_budgets_are_reported(tmp_path: Path) -> None:
    assert any(
        "no budget in its metadata" in p
        for p in budgets.declaration_problems(
            [_notebook(tmp_path, None, "Runtime budget: 60 s on 2 CPU cores.")]
        )
    )
    assert any(
        "prose says 60 s but the metadata says 90 s" in p
        for p in budgets.declaration_problems(
            [_notebook(tmp_path, 90, "Runtime budget: 60 s on 2 CPU cores.")]
        )
    )
    assert any(
        "states no 'Runtime budget" in p
        for p in budgets.declaration_problems([_notebook(tmp_path, 90, "No budget here.")])
    )


def test_over_budget_notebook_fails() -> None:
    limit = 60 * (1 + budgets.TOLERANCE)
    within = budgets.Runtime("notebooks/a", 60, limit - 0.1, "auto", True)
    over = budgets.Runtime("notebooks/b", 60, limit + 0.1, "auto", True)
    assert budgets.runtime_problems([within]) == []
    problems = budgets.runtime_problems([within, over])
    assert len(problems) == 1 and "notebooks/b: took" in problems[0]


def test_unexecuted_or_failed_notebooks_fail() -> None:
    problems = budgets.runtime_problems(
        [
            budgets.Runtime("notebooks/a", 60, None, None, None),
            budgets.Runtime("notebooks/b", 60, 1.0, "auto", False),
            budgets.Runtime("notebooks/c", None, 1.0, "auto", True),
        ]
    )
    assert len(problems) == 3
