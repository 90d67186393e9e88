"""Pieces of the book's Sphinx extension that need no build (the builds: test_api_build.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from booktools import sphinx_ext

PACKAGE = '''\
import re

#: A compiled pattern.
PATTERN = re.compile("^x$")


class Model:
    config_class: type = object

    def fit(self) -> None:
        """Fit."""


def score(x: float) -> float:
    return x
'''


def test_attributes_take_the_source_of_their_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What viewcode would follow (``__module__`` of the value) against what the hook returns."""
    (tmp_path / "minipkg_hook").mkdir()
    (tmp_path / "minipkg_hook" / "__init__.py").write_text(PACKAGE)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert sphinx_ext._defining_module("minipkg_hook", "Model.config_class") == "builtins"
        assert sphinx_ext._defining_module("minipkg_hook", "PATTERN") == "re"
        for name in ("Model.config_class", "PATTERN", "Model.fit", "Model", "score"):
            assert sphinx_ext.viewcode_source_module(None, "minipkg_hook", name) == "minipkg_hook"
        assert sphinx_ext.viewcode_source_module(None, "minipkg_hook", "missing") is None
        assert sphinx_ext.viewcode_source_module(None, None, "x") is None
    finally:
        sys.modules.pop("minipkg_hook", None)


def test_reexported_objects_keep_their_defining_module() -> None:
    # reclab.models re-exports SASRec from reclab.models.sasrec: the link goes to sasrec's source.
    assert sphinx_ext.viewcode_source_module(None, "reclab.models", "SASRec") == (
        "reclab.models.sasrec"
    )


@pytest.mark.parametrize(
    ("doc", "character"),
    [
        ("The mean :math:`\frac{1}{n}`.", "\\x0c"),
        ("The weight :math:`\beta`.", "\\x08"),
        ("The temperature :math:`\tau`.", "\\t"),
        ("The rate :math:`\alpha`.", "\\x07"),
    ],
)
def test_a_one_backslash_command_in_a_plain_docstring_is_reported(doc: str, character: str) -> None:
    problem = sphinx_ext.docstring_escape_problem("reclab.x.f", doc)
    assert problem is not None
    assert problem.startswith("reclab.x.f: line 1 of its docstring holds the character")
    assert character in problem and "not raw" in problem


def test_raw_docstrings_and_doubled_backslashes_are_fine() -> None:
    assert sphinx_ext.docstring_escape_problem("f", r"The mean :math:`\frac{1}{n}`.") is None
    assert sphinx_ext.docstring_escape_problem("f", "The mean :math:`\\frac{1}{n}`.") is None
    assert sphinx_ext.docstring_escape_problem("f", None) is None


def test_no_public_docstring_of_reclab_holds_a_tex_escape() -> None:
    """Regression: ``:math:`\\rho``` in a non-raw docstring of ``BERT4RecConfig`` became a
    carriage return, and only the book build (minutes later) noticed."""
    import importlib
    import inspect
    import pkgutil

    import reclab
    from booktools.sphinx_ext import docstring_escape_problem

    problems = []
    for info in pkgutil.walk_packages(reclab.__path__, "reclab."):
        module = importlib.import_module(info.name)
        candidates = [(info.name, module)]
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) == info.name and not name.startswith("_"):
                candidates.append((f"{info.name}.{name}", obj))
                if inspect.isclass(obj):
                    candidates += [(f"{info.name}.{name}.{m}", v) for m, v in vars(obj).items()
                                   if not m.startswith("_") and callable(v)]  # fmt: skip
        problems += [p for n, o in candidates if (p := docstring_escape_problem(n, o.__doc__))]
    assert problems == []
