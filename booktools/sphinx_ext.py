"""The book's Sphinx extension.

- ``{formula-index}``: a table of every numbered equation with its chapter, the ``reclab`` object
  that implements it (linked to the API reference) and the tests that check it;
- ``{runtime-report}``: each notebook's measured execution time against its budget;
- consistency checks run once all pages are read: formula links, citations, budget declarations.
  Each problem is a Sphinx warning, so ``jupyter-book build -W`` fails on it;
- offline MathJax: copies MathJax 3 from the ``django-static-mathjax`` package into
  ``_static/mathjax`` (``mathjax_path`` in ``_config.yml`` points there);
- writes ``_static/reclab/runtimes.json`` for the runtime-budget tests.

Both tables are placeholders filled in by a post-transform, after every notebook has been executed
and every page read, like myst-nb's own ``nb-exec-table``.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from docutils import nodes
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from booktools import budgets, citations, formula_index

logger = logging.getLogger(__name__)

RUNTIMES_JSON = Path("_static") / "reclab" / "runtimes.json"


class formula_index_node(nodes.General, nodes.Element):
    """Placeholder for the formula index table."""


class runtime_report_node(nodes.General, nodes.Element):
    """Placeholder for the runtime report table."""


class FormulaIndexDirective(SphinxDirective):
    """``{formula-index}``: where the generated index of equations goes."""

    def run(self) -> list[nodes.Node]:
        return [formula_index_node()]


class RuntimeReportDirective(SphinxDirective):
    """``{runtime-report}``: where the table of notebook runtimes against budgets goes."""

    def run(self) -> list[nodes.Node]:
        return [runtime_report_node()]


# --- helpers that build docutils tables --------------------------------------------------------


def _table(headers: list[str], rows: list[list[nodes.Node | str]]) -> nodes.table:
    table = nodes.table(classes=["colwidths-auto"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += nodes.row("", *[nodes.entry("", nodes.paragraph(text=h)) for h in headers])
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            content = cell if isinstance(cell, nodes.Node) else nodes.Text(cell)
            row += nodes.entry("", nodes.paragraph("", "", content))
        body += row
    return table


def _xref(domain: str, kind: str, target: str, text: str, refdoc: str, literal: bool) -> nodes.Node:
    ref = pending_xref(
        "",
        refdomain=domain,
        reftype=kind,
        reftarget=target,
        refdoc=refdoc,
        refexplicit=kind not in ("eq", "doc"),
        refwarn=True,
    )
    classes = ["xref", domain, f"{domain}-{kind}"]
    ref += nodes.literal(text, text, classes=classes) if literal else nodes.inline(text, text)
    return ref


# --- the formula index --------------------------------------------------------------------------


def _equations_from_env(env: Any) -> dict[str, list[str]]:
    objects = env.get_domain("math").data.get("objects", {})
    return {label: [docname] for label, (docname, _number) in objects.items()}


def _formula_sources(env: Any) -> tuple[dict, dict, dict]:
    from reclab.formulas import registry

    equations = {k: v for k, v in _equations_from_env(env).items() if k.startswith("eq-")}
    tests = formula_index.formula_tests(Path(env.srcdir) / "tests")
    return equations, registry(), tests


class FillFormulaIndex(SphinxPostTransform):
    """Replace the formula-index placeholder by the table (before references are resolved)."""

    default_priority = 8

    def run(self, **kwargs: Any) -> None:
        placeholders = list(self.document.findall(formula_index_node))
        if not placeholders:
            return
        equations, registry, tests = _formula_sources(self.env)
        here = self.env.docname
        rows: list[list[nodes.Node | str]] = []
        for entry in formula_index.entries(equations, registry, tests):
            equation = nodes.inline()
            equation += _xref("math", "eq", entry.label, entry.label, here, literal=False)
            equation += nodes.Text(" ")
            equation += nodes.literal(entry.label, entry.label)
            chapter: nodes.Node | str = (
                _xref("std", "doc", "/" + entry.docname, entry.docname, here, literal=False)
                if entry.docname
                else "—"
            )
            code = nodes.inline()
            for i, (name, kind) in enumerate(zip(entry.implementations, entry.kinds, strict=True)):
                if i:
                    code += nodes.Text(", ")
                role = "class" if kind == "class" else "func"
                code += _xref("py", role, name, name, here, literal=True)
            checks = nodes.inline()
            by_file: dict[str, list[str]] = {}
            for test in entry.tests:
                path, _, name = test.partition("::")
                by_file.setdefault(path, []).append(name)
            for i, (path, names) in enumerate(by_file.items()):
                if i:
                    checks += nodes.Text("; ")
                checks += nodes.literal(path, path)
                checks += nodes.Text(": " + ", ".join(names))
            rows.append([equation, chapter, code, checks])
        table = _table(["Equation", "Chapter", "Implemented by", "Checked by"], rows)
        for placeholder in placeholders:
            placeholder.replace_self(table.deepcopy())


# --- the runtime report -------------------------------------------------------------------------


def collect_runtimes(env: Any) -> list[budgets.Runtime]:
    """One record per notebook of the build, from myst-nb's execution data."""
    runtimes = []
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        if path.suffix != ".ipynb":
            continue
        data = NbMetadataCollector.get_exec_data(env, docname) or {}
        runtimes.append(
            budgets.Runtime(
                docname=docname,
                budget_seconds=budgets.declared_budget(path),
                seconds=data.get("runtime"),
                method=data.get("method"),
                succeeded=data.get("succeeded"),
            )
        )
    return runtimes


class FillRuntimeReport(SphinxPostTransform):
    """Replace the runtime-report placeholder by the table."""

    default_priority = 8

    def run(self, **kwargs: Any) -> None:
        placeholders = list(self.document.findall(runtime_report_node))
        if not placeholders:
            return
        here = self.env.docname
        rows: list[list[nodes.Node | str]] = []
        for r in collect_runtimes(self.env):
            status = "within budget" if r.within_budget else "OVER BUDGET"
            if r.seconds is None:
                status = "not executed"
            rows.append(
                [
                    _xref("std", "doc", "/" + r.docname, r.docname, here, literal=False),
                    "—" if r.budget_seconds is None else f"{r.budget_seconds:g}",
                    "—" if r.limit_seconds is None else f"{r.limit_seconds:.0f}",
                    "—" if r.seconds is None else f"{r.seconds:.1f}",
                    {"cache": "cached"}.get(r.method or "", "executed" if r.method else "—"),
                    status,
                ]
            )
        table = _table(
            ["Notebook", "Budget (s)", "Limit (s)", "Measured (s)", "Outputs", "Status"], rows
        )
        note = nodes.paragraph(
            text=(
                f"Limit = budget × {1 + budgets.TOLERANCE:g}: the tests fail when a notebook "
                f"takes more than {budgets.TOLERANCE:.0%} longer than its budget. "
                "A cached notebook shows the time of the run that filled the cache."
            )
        )
        for placeholder in placeholders:
            placeholder.replace_self([table.deepcopy(), note.deepcopy()])


# --- checks once everything is read -------------------------------------------------------------


def check_consistency(app: Sphinx, env: Any) -> None:
    """Warn about every broken formula link, citation and budget declaration."""
    if app.config.reclab_formula_checks:
        equations, registry, tests = _formula_sources(env)
        for problem in formula_index.problems(equations, registry, tests):
            logger.warning("formula index: %s", problem, type="reclab", subtype="formula")
    root = Path(env.srcdir)
    bibfile = root / "book" / "references.bib"
    for problem in citations.problems(citations.cited_keys(root), citations.bib_keys(bibfile)):
        logger.warning("citations: %s", problem, type="reclab", subtype="citation")
    for problem in budgets.declaration_problems(budgets.notebooks(root)):
        logger.warning("runtime budget: %s", problem, type="reclab", subtype="budget")


# --- after the build ----------------------------------------------------------------------------


def copy_mathjax(outdir: Path) -> None:
    """Copy MathJax 3 (the combined TeX+MathML component and its CHTML fonts) into the site."""
    source = resources.files("mathjax") / "static" / "mathjax" / "es5"
    target = outdir / "_static" / "mathjax"
    fonts = Path("output") / "chtml" / "fonts" / "woff-v2"
    (target / fonts).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(str(source / "tex-mml-chtml.js")), target / "tex-mml-chtml.js")
    for font in Path(str(source / fonts)).glob("*.woff"):
        shutil.copyfile(font, target / fonts / font.name)


def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    copy_mathjax(outdir)
    runtimes = [r.__dict__ for r in collect_runtimes(app.env)]
    (outdir / RUNTIMES_JSON).parent.mkdir(parents=True, exist_ok=True)
    (outdir / RUNTIMES_JSON).write_text(json.dumps(runtimes, indent=2), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    # Off only for the small throw-away books of the tests, which have no reclab equations.
    app.add_config_value("reclab_formula_checks", True, "env")
    app.add_node(formula_index_node)
    app.add_node(runtime_report_node)
    app.add_directive("formula-index", FormulaIndexDirective)
    app.add_directive("runtime-report", RuntimeReportDirective)
    app.add_post_transform(FillFormulaIndex)
    app.add_post_transform(FillRuntimeReport)
    app.connect("env-check-consistency", check_consistency)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
