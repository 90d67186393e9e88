"""The API reference of a small package, built with the book's configuration and extension.

- ``sphinx.ext.viewcode`` must not link to a page it does not write: an attribute whose value is
  a built-in (``config_class: type = object``) once listed ``builtins`` in ``_modules/index.html``
  with a link to the missing ``builtins.html``;
- a docstring with a one-backslash TeX command in a string that is not raw fails the build;
- ``{{ install_command }}`` on a page shows the install line with ``repository.url``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from minibook import write_skeleton

from booktools import site_check
from booktools.sources import ROOT

pytestmark = pytest.mark.slow

PACKAGE = '''\
r"""A package documented by the mini book: :math:`\\frac{a}{b}` in a raw docstring."""

import re

__all__ = ["PATTERN", "Model", "score"]

#: A compiled pattern, whose value has the ``__module__`` ``re``.
PATTERN = re.compile("^x$")


class Model:
    """A model whose attribute's value is a built-in class."""

    #: The configuration class (a built-in here, as in a base class).
    config_class: type = object

    def fit(self) -> None:
        """Fit the model."""


def score(x: float) -> float:
    r"""The score :math:`\\mathbf{x}^\\top \\mathbf{x}`."""
    return x * x
'''


def _mini_book(folder: Path, package: str = PACKAGE) -> Path:
    write_skeleton(folder, root="intro", chapters=("api",), execute="off")
    (folder / "intro.md").write_text(
        "# Intro\n\nInstall with {{ install_command }}, as {cite}`example2024` says.\n\n"
        "```{bibliography}\n```\n"
    )
    (folder / "api.md").write_text("# API\n\n```{eval-rst}\n.. automodule:: minipkg\n```\n")
    (folder / "minipkg").mkdir()
    (folder / "minipkg" / "__init__.py").write_text(package)
    return folder


def _build(folder: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]))
    return subprocess.run(
        [sys.executable, "-m", "booktools.build", "--root", str(folder)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _mini_book(tmp_path_factory.mktemp("api_book"))
    result = _build(folder)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return folder / "_build" / "html"


def test_source_pages_link_only_to_pages_that_exist(site: Path) -> None:
    index = BeautifulSoup((site / "_modules" / "index.html").read_text(), "html.parser")
    listed = [a.get_text() for a in index.select("article a[href], main a[href]")]
    assert "minipkg" in listed
    assert "builtins" not in listed and "re" not in listed
    assert (site / "_modules" / "minipkg.html").exists()
    pages = site_check.html_files(site)
    assert site / "_modules" / "index.html" in pages
    assert [p for page in pages for p in site_check.link_problems(page, site)] == []


def test_api_page_math_is_math(site: Path) -> None:
    api = site / "api.html"
    assert len(BeautifulSoup(api.read_text(), "html.parser").select(".math")) == 2
    assert site_check.raw_tex_problems(api, site) == []


def test_the_install_command_comes_from_config(site: Path) -> None:
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    page = BeautifulSoup((site / "intro.html").read_text(), "html.parser")
    assert f'pip install "reclab-book @ git+{url}"' in [c.get_text() for c in page.select("code")]
    assert "{{" not in page.get_text()


def test_a_docstring_that_is_not_raw_fails_the_build(tmp_path: Path) -> None:
    # Without the r prefix, the "\top" of the docstring becomes a tab and "op".
    broken = PACKAGE.replace('r"""The score', '"""The score')
    assert broken != PACKAGE
    result = _build(_mini_book(tmp_path, broken))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "minipkg.score" in output and "not raw" in output, output[-3000:]
