"""Runtime budgets: each notebook says how long it may take on 2 CPU cores, and is held to it.

A notebook declares its budget twice, in its metadata (``{"reclab": {"budget_seconds": 90}}``,
what the checks read) and in its first markdown cell ("Runtime budget: 90 s on 2 CPU cores.",
what a reader sees). :func:`declaration_problems` checks that the two agree; after a build,
:func:`runtime_problems` compares each measured execution time with the budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from booktools.sources import ROOT, markdown_texts, notebook_json, toc_pages

#: How far a measured run may exceed its budget before the tests fail. Timings on shared 2-core
#: machines vary by about ±15 % from run to run, so a budget is exceeded only when the measured
#: time is above budget × (1 + TOLERANCE).
TOLERANCE = 0.25

_STATED = re.compile(
    r"Runtime budget:\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>s|seconds?|min|minutes?)\b"
)


@dataclass(frozen=True)
class Runtime:
    """One notebook's measured execution against its budget."""

    docname: str
    budget_seconds: float | None
    seconds: float | None  # None when the build did not execute (or cache) the notebook
    method: str | None  # how the build got the outputs: "cache" or "auto"/"force"
    succeeded: bool | None

    @property
    def limit_seconds(self) -> float | None:
        """The time above which the notebook fails its budget."""
        if self.budget_seconds is None:
            return None
        return self.budget_seconds * (1 + TOLERANCE)

    @property
    def within_budget(self) -> bool:
        limit = self.limit_seconds
        return self.seconds is not None and limit is not None and self.seconds <= limit


def declared_budget(path: Path) -> float | None:
    """The budget in a notebook's metadata, in seconds; ``None`` when it declares none."""
    value = notebook_json(path).get("metadata", {}).get("reclab", {}).get("budget_seconds")
    return None if value is None else float(value)


def stated_budget(path: Path) -> float | None:
    """The budget stated in a notebook's prose ("Runtime budget: 2 min ..."), in seconds."""
    for text in markdown_texts(path):
        match = _STATED.search(text)
        if match:
            value = float(match["value"])
            return value * 60 if match["unit"].startswith("min") else value
    return None


def notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks of the book, in reading order."""
    return [root / page.path for page in toc_pages(root) if page.is_notebook]


def declaration_problems(paths: list[Path]) -> list[str]:
    """Notebooks without a budget, or whose prose and metadata disagree."""
    found = []
    for path in paths:
        declared, stated = declared_budget(path), stated_budget(path)
        if declared is None:
            found.append(f'{path.name}: no budget in its metadata ("reclab": {{"budget_seconds"}})')
        elif declared <= 0:
            found.append(f"{path.name}: budget_seconds must be positive, got {declared}")
        if stated is None:
            found.append(f"{path.name}: its prose states no 'Runtime budget: N s on 2 CPU cores.'")
        elif declared is not None and stated != declared:
            found.append(
                f"{path.name}: the prose says {stated:g} s but the metadata says {declared:g} s"
            )
    return found


def runtime_problems(runtimes: list[Runtime]) -> list[str]:
    """Notebooks that were not executed, failed, or took longer than budget plus tolerance."""
    found = []
    for runtime in runtimes:
        if runtime.budget_seconds is None:
            found.append(f"{runtime.docname}: no runtime budget declared")
        elif runtime.seconds is None:
            found.append(f"{runtime.docname}: the build recorded no execution time")
        elif not runtime.within_budget:
            found.append(
                f"{runtime.docname}: took {runtime.seconds:.1f} s, over its budget of "
                f"{runtime.budget_seconds:g} s by more than {TOLERANCE:.0%} "
                f"(limit {runtime.limit_seconds:.1f} s)"
            )
        if runtime.succeeded is False:
            found.append(f"{runtime.docname}: execution failed")
    return found
