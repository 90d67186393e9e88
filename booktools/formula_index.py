"""The formula index: every numbered equation, the function that implements it, the tests.

Three sources, one of them authoritative for each fact:

- the book's pages say which equation labels exist and where (``$$ ... $$ (eq-...)``);
- ``reclab.formulas.registry()`` says which code implements each label;
- ``@pytest.mark.formula("eq-...")`` in ``tests/`` says which tests check it.

:func:`problems` lists every way the three disagree. The Sphinx build turns each problem into a
warning (which ``-W`` makes an error) and ``tests/booktools/test_formula_index.py`` asserts there
are none.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from booktools.sources import ROOT, equation_labels, toc_pages


@dataclass(frozen=True)
class Entry:
    """One row of the index."""

    label: str
    docname: str | None  # the page that holds the equation
    implementations: tuple[str, ...]  # public names, e.g. ``reclab.losses.bpr``
    kinds: tuple[str, ...]  # ``function`` or ``class``, one per implementation
    tests: tuple[str, ...]  # pytest node ids


def book_equations(root: Path = ROOT) -> dict[str, list[str]]:
    """Each equation label in the book's pages with the docnames of the pages that define it."""
    found: dict[str, list[str]] = {}
    for page in toc_pages(root):
        for label in equation_labels(root / page.path):
            found.setdefault(label, []).append(page.docname)
    return found


def _formula_labels(decorators: list[ast.expr]) -> list[str]:
    labels = []
    for decorator in decorators:
        # pytest.mark.formula("eq-x") is a Call of the attribute chain pytest.mark.formula
        if not isinstance(decorator, ast.Call):
            continue
        func = decorator.func
        if isinstance(func, ast.Attribute) and func.attr == "formula":
            labels += [
                arg.value
                for arg in decorator.args
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            ]
    return labels


def formula_tests(tests_dir: Path = ROOT / "tests") -> dict[str, list[str]]:
    """Each label named by ``@pytest.mark.formula(...)`` with the node ids of its tests.

    Reads the test files without importing them. A module-level ``pytestmark =
    pytest.mark.formula(...)`` marks every test of the file.
    """
    found: dict[str, list[str]] = {}
    for path in sorted(tests_dir.rglob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        relative = path.relative_to(tests_dir.parent).as_posix()
        module_labels: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
            ):
                values = node.value.elts if isinstance(node.value, ast.List) else [node.value]
                module_labels += _formula_labels(list(values))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name.startswith(
                ("test", "Test")
            ):
                labels = _formula_labels(node.decorator_list) + module_labels
                if isinstance(node, ast.ClassDef):  # methods of a test class
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                            for label in labels + _formula_labels(item.decorator_list):
                                found.setdefault(label, []).append(
                                    f"{relative}::{node.name}::{item.name}"
                                )
                    continue
                for label in labels:
                    found.setdefault(label, []).append(f"{relative}::{node.name}")
    return found


def entries(
    equations: Mapping[str, list[str]],
    registry: Mapping[str, list],
    tests: Mapping[str, list[str]],
) -> list[Entry]:
    """The index rows, one per label that appears in any of the three sources, sorted by label."""
    labels = sorted(set(equations) | set(registry))
    rows = []
    for label in labels:
        implementations = registry.get(label, [])
        docnames = equations.get(label, [])
        rows.append(
            Entry(
                label=label,
                docname=docnames[0] if docnames else None,
                implementations=tuple(i.public_name or i.qualname for i in implementations),
                kinds=tuple(i.kind for i in implementations),
                tests=tuple(tests.get(label, [])),
            )
        )
    return rows


def problems(
    equations: Mapping[str, list[str]],
    registry: Mapping[str, list],
    tests: Mapping[str, list[str]],
) -> list[str]:
    """Every disagreement between the book, the registry and the tests, as readable sentences."""
    found = []
    for label, docnames in sorted(equations.items()):
        if not label.startswith("eq-"):
            found.append(
                f"equation label {label!r} in {docnames[0]} must start with 'eq-' "
                "so that the formula index can find it"
            )
        if len(docnames) > 1:
            found.append(f"equation label {label!r} is defined more than once: {docnames}")
        if label not in registry:
            found.append(
                f"equation {label!r} in {docnames[0]} has no implementation: decorate the reclab "
                f'function that computes it with @implements("{label}")'
            )
    for label, implementations in sorted(registry.items()):
        if label not in equations:
            names = [i.qualname for i in implementations]
            found.append(
                f"{names} implement {label!r}, but no page of the book has an equation with "
                "that label (renamed or removed?)"
            )
        for implementation in implementations:
            if implementation.public_name is None:
                found.append(
                    f"{implementation.qualname} implements {label!r} but is not listed in the "
                    "__all__ of a public reclab module, so the API reference cannot link to it"
                )
        if not tests.get(label):
            found.append(
                f"no test checks {label!r}: mark the test of its implementation with "
                f'@pytest.mark.formula("{label}")'
            )
    for label in sorted(set(tests) - set(registry)):
        found.append(
            f"tests {tests[label]} are marked formula({label!r}), but no reclab function "
            "implements that label"
        )
    return found
