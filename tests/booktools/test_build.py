"""`make book` fails on a failing cell and on a broken cross-reference.

Each test builds a one-chapter book in a temporary folder with the project's own ``_config.yml``
and build driver (``booktools.build``), first as it is (it must build), then with one defect.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from minibook import write_skeleton

from booktools.sources import ROOT

pytestmark = pytest.mark.slow


def _notebook(source: str) -> dict:
    return {
        "cells": [
            {
                "id": "title",
                "cell_type": "markdown",
                "metadata": {},
                "source": "# A chapter\n\nRuntime budget: 60 s on 2 CPU cores.\n",
            },
            {
                "id": "code",
                "cell_type": "code",
                "metadata": {},
                "execution_count": None,
                "outputs": [],
                "source": source,
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "reclab": {"budget_seconds": 60},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _mini_book(folder: Path, cell: str, intro_extra: str = "") -> Path:
    write_skeleton(folder, root="intro", chapters=("chapter",), execute="force")
    (folder / "intro.md").write_text(
        f"# Intro\n\nAs {{cite}}`example2024` says.\n{intro_extra}\n\n```{{bibliography}}\n```\n"
    )
    (folder / "chapter.ipynb").write_text(json.dumps(_notebook(cell)))
    return folder


def _build(folder: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booktools.build", "--root", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_a_clean_book_builds(tmp_path: Path) -> None:
    result = _build(_mini_book(tmp_path, "print(6 * 7)"))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "chapter.html").read_text()
    assert "42" in html  # the cell was executed and its output rendered


def test_a_failing_cell_fails_the_build(tmp_path: Path) -> None:
    result = _build(_mini_book(tmp_path, "1 / 0"))
    assert result.returncode != 0
    assert "ZeroDivisionError" in result.stdout + result.stderr


def test_a_broken_cross_reference_fails_the_build(tmp_path: Path) -> None:
    result = _build(_mini_book(tmp_path, "print(1)", "See {ref}`a-section-that-does-not-exist`."))
    assert result.returncode != 0
    assert "a-section-that-does-not-exist" in result.stdout + result.stderr


def test_a_stale_matplotlib_font_cache_outside_the_book_does_not_reach_its_pages(
    tmp_path: Path,
) -> None:
    # A font cache whose list lacks matplotlib's own fonts (written while an environment was being
    # removed) once made every page with a math label print "findfont: ... STIXGeneral" on stderr.
    from matplotlib import font_manager

    stale = tmp_path / "stale-matplotlib"
    stale.mkdir()
    fonts = font_manager.FontManager()
    fonts.ttflist = [font for font in fonts.ttflist if "mpl-data" not in font.fname]
    font_manager.json_dump(fonts, stale / f"fontlist-v{font_manager.FontManager.__version__}.json")
    cell = (
        "import io\nimport matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
        "fig, ax = plt.subplots()\nax.set_title(r'$\\alpha_t$')\nfig.savefig(io.BytesIO())\n"
        "print(matplotlib.get_cachedir())"
    )
    (tmp_path / "book").mkdir()
    book = _mini_book(tmp_path / "book", cell)
    result = _build(book, env={**os.environ, "MPLCONFIGDIR": str(stale)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (book / "_build" / "html" / "chapter.html").read_text()
    assert "findfont" not in html
    assert str(book / "_build" / ".matplotlib") in html
