"""The book's Sphinx extension.

- ``{formula-index}``: a table of every numbered equation with its chapter, the ``reclab`` object
  that implements it (linked to the API reference) and the tests that check it;
- ``{runtime-report}``: each notebook's measured execution time against its budget;
- consistency checks run once all pages are read: formula links, citations, budget declarations.
  Each problem is a Sphinx warning, so ``jupyter-book build -W`` fails on it;
- offline MathJax: copies MathJax 3 from the ``django-static-mathjax`` package into
  ``_static/mathjax`` (``mathjax_path`` in ``_config.yml`` points there);
- writes ``_static/reclab/runtimes.json`` for the runtime-budget tests;
- defines the MyST substitution ``{{ install_command }}``, the ``pip install`` line of the
  chapters' install cell, from ``repository.url`` of ``_config.yml`` (its one home);
- warns about a docstring that holds a control character (:func:`check_docstring_escapes`): the
  trace of a one-backslash TeX command in a string that is not raw (``"\\frac"`` is a form
  feed and "rac"), which would reach the API reference as broken math;
- points ``sphinx.ext.viewcode``'s ``[source]`` links of attributes at the code that defines them
  (:func:`viewcode_source_module`), so the module index never links to a page of ``builtins``.

Both tables are placeholders filled in by a post-transform, after every notebook has been executed
and every page read, like myst-nb's own ``nb-exec-table``.
"""

from __future__ import annotations

import importlib
import json
import re
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

from booktools import budgets, citations, formula_index, install_cell

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


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    """A docutils table with a header row; cells are literal-free text (inline code in ``)."""
    table = nodes.table()
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for target, cells in ((head, [header]), (body, rows)):
        for cells_of_row in cells:
            row = nodes.row()
            for text in cells_of_row:
                entry = nodes.entry()
                paragraph = nodes.paragraph()
                for k, part in enumerate(str(text).split("``")):
                    paragraph += nodes.literal(part, part) if k % 2 else nodes.Text(part)
                entry += paragraph
                row += entry
            target += row
    return table


class RegistryDirective(SphinxDirective):
    """``{registry} models`` or ``{registry} objectives``: the table of a reclab registry.

    The command line's ``--model`` and ``--loss`` choices, the trainer and this page all read the
    same registry (``reclab.models.MODELS``, ``reclab.training.OBJECTIVES``).
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        which = self.arguments[0]
        if which == "models":
            from reclab.models import MODELS

            header = ["name", "class", "what it is", "configuration", "command-line flags"]
            rows = [
                [
                    _code(name),
                    _code(spec.model_class.__name__),
                    spec.summary,
                    _code(spec.config_class.__name__) if spec.config_class else "(counts)",
                    _code(*(f"--{f.replace('_', '-')}" for f in spec.flags)) if spec.flags else "-",
                ]
                for name, spec in MODELS.items()
            ]
        elif which == "objectives":
            from reclab.training import OBJECTIVES

            header = ["name", "what it is", "negatives", "proposal", "XLA", "options"]
            rows = [
                [
                    _code(name),
                    entry.summary,
                    str(entry.negatives) if entry.negatives else "none (all items)",
                    entry.sampling if entry.negatives else "-",
                    "yes" if entry.xla else "no",
                    _code(*(f"{k}={v}" for k, v in entry.options.items()) or ["-"]),
                ]
                for name, entry in OBJECTIVES.items()
            ]
        else:
            raise self.error(f"registry: expected 'models' or 'objectives', got {which!r}")
        return [_table(header, rows)]


class PerformanceDirective(SphinxDirective):
    """``{performance} VIEW``: a table (and figure) of committed benchmark results.

    The views are in :mod:`booktools.performance`; the JSON they read becomes a dependency of
    the page. Missing or incomplete results are an error on the page's line (fails ``-W``).
    """

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        from booktools import performance

        try:
            shown = performance.view(self.arguments[0])
        except (ValueError, KeyError, FileNotFoundError) as error:
            raise self.error(f"performance: {error}") from None
        for source in shown.sources:
            self.env.note_dependency(str(source))
        out: list[nodes.Node] = []
        if shown.figure is not None:
            figure = nodes.container(classes=["reclab-performance-figure"])
            figure += nodes.raw("", shown.figure, format="html")
            out.append(figure)
        out.append(nodes.paragraph(text=shown.caption))
        out.append(_table(shown.header, shown.rows))
        out.append(nodes.paragraph("", "", nodes.emphasis(text=shown.measured)))
        return out


class RuntimeReportDirective(SphinxDirective):
    """``{runtime-report}``: where the table of notebook runtimes against budgets goes."""

    def run(self) -> list[nodes.Node]:
        return [runtime_report_node()]


# --- helpers that build docutils tables --------------------------------------------------------


def _code(*texts: str) -> nodes.inline:
    """Inline code for each of ``texts``, separated by commas (a table cell)."""
    cell = nodes.inline()
    for i, text in enumerate(texts):
        if i:
            cell += nodes.Text(", ")
        cell += nodes.literal(text=text)
    return cell


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


# --- docstrings ---------------------------------------------------------------------------------

#: What Python makes of a one-backslash TeX command in a string that is not raw: "\alpha" holds
#: a bell, "\beta" a backspace, "\tau" a tab, "\vec" a vertical tab, "\frac" a form feed and
#: "\rho" a carriage return ("\nabla" holds a newline, which cannot be told from a line break).
_ESCAPED_COMMAND = re.compile(r"[\x00-\x08\t\x0b\x0c\r\x0e-\x1f]")


def docstring_escape_problem(name: str, doc: str | None) -> str | None:
    """A sentence when ``doc`` holds a control character, else ``None``."""
    match = _ESCAPED_COMMAND.search(doc or "")
    if doc is None or match is None:
        return None
    line = doc[: match.start()].count("\n") + 1
    after = doc[match.end() : match.end() + 12].split("\n")[0]
    return (
        f"{name}: line {line} of its docstring holds the character {match.group()!r} before "
        f"{after!r}, the trace of a one-backslash TeX command in a string that is not raw "
        '("\\frac" is a form feed and "rac"): write the docstring as r"""...""" '
        "or double the backslash"
    )


def check_docstring_escapes(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """``autodoc-process-docstring``: warn about escapes in docstrings of the documented package.

    Only objects defined in the package that is documented are read (``name``'s top-level
    package): the value of an attribute such as ``config_class = object`` brings a docstring
    that autodoc does not show.
    """
    defined_in = obj.__name__ if what == "module" else getattr(obj, "__module__", None)
    if not isinstance(defined_in, str) or defined_in.partition(".")[0] != name.partition(".")[0]:
        return
    doc = getattr(obj, "__doc__", None)
    problem = docstring_escape_problem(name, doc if isinstance(doc, str) else None)
    if problem:
        logger.warning("docstring: %s", problem, type="reclab", subtype="docstring")


# --- source links -------------------------------------------------------------------------------


def _defining_module(modname: str, fullname: str) -> str | None:
    """``__module__`` of the object ``fullname`` of module ``modname``, as viewcode reads it."""
    try:
        value: Any = importlib.import_module(modname)
        for attribute in fullname.split("."):
            value = getattr(value, attribute)
    except Exception:  # an instance attribute, or a module that does not import: no source link
        return None
    module = getattr(value, "__module__", None)
    return module if isinstance(module, str) else None


def viewcode_source_module(app: Sphinx | None, modname: str | None, fullname: str) -> str | None:
    """The module whose source a documented object's ``[source]`` link should open.

    ``sphinx.ext.viewcode`` follows the object's ``__module__``. For an attribute whose *value*
    comes from elsewhere that is the wrong module: ``config_class: type = object`` on a model
    resolves to ``builtins``, which has no Python source, and viewcode then lists ``builtins`` in
    ``_modules/index.html`` with a link to a page it never writes. Here such an attribute (any
    object that resolves outside the documented package) takes the module of the class or module
    that holds it instead. Connected to viewcode's ``viewcode-follow-imported`` event.
    """
    if not modname:
        return None
    package = modname.partition(".")[0]
    resolved = _defining_module(modname, fullname)
    if resolved is None or resolved.partition(".")[0] == package:
        return resolved
    owner = fullname.rpartition(".")[0]
    return viewcode_source_module(app, modname, owner) if owner else modname


def add_install_command(app: Sphinx, config: Any) -> None:
    """``config-inited``: the substitution ``{{ install_command }}`` for the book's pages.

    Jupyter Book passes ``repository.url`` of ``_config.yml`` on as the theme option
    ``repository_url``: the address ``booktools.install_cell`` writes into the chapters.
    """
    url = (getattr(config, "html_theme_options", None) or {}).get("repository_url")
    if not url or not hasattr(config, "myst_substitutions"):
        return
    command = install_cell.install_command(url)
    config.myst_substitutions = {**config.myst_substitutions, "install_command": f"`{command}`"}


def _connect_autodoc(app: Sphinx) -> None:
    # Once every extension is set up, whatever the order of ``extensions``.
    if "sphinx.ext.autodoc" in app.extensions:
        app.connect("autodoc-process-docstring", check_docstring_escapes)
    if "sphinx.ext.viewcode" in app.extensions:
        app.connect("viewcode-follow-imported", viewcode_source_module)


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
    app.add_directive("registry", RegistryDirective)
    app.add_directive("performance", PerformanceDirective)
    app.add_post_transform(FillFormulaIndex)
    app.add_post_transform(FillRuntimeReport)
    app.connect("env-check-consistency", check_consistency)
    app.connect("config-inited", add_install_command)
    app.connect("builder-inited", _connect_autodoc)
    app.connect("build-finished", on_build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
