"""The chapters' install cell: silent where reclab imports, the exact pip command where it does not.

The cell's code runs in a fresh interpreter each time, with ``subprocess.run`` replaced by a stub
that records the command (and, when asked, "installs" a stand-in ``reclab``), so nothing is
downloaded. The notebooks these tests change are temporary copies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from minibook import write_skeleton

from booktools import install_cell
from booktools.sources import ROOT

CHAPTER = ROOT / "notebooks" / "04_measuring_recommendations.ipynb"


def _config_url(root: Path = ROOT) -> str:
    """``repository.url`` read straight from the YAML, independently of booktools."""
    return yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]


#: Runs the install cell (argv[1]) with ``subprocess.run`` replaced by a recorder. The recorder
#: writes each command to $CALLS; with $INSTALL_TO set it "installs" a stand-in reclab package
#: there and puts the folder on sys.path, as pip would; with $PIP_FAILS it fails as pip would.
_RUNNER = """
import os, pathlib, subprocess, sys

def fake_run(args, **kwargs):
    with open(os.environ["CALLS"], "a") as calls:
        calls.write(repr(list(args)) + "\\n")
    code = 1 if os.environ.get("PIP_FAILS") else 0
    if code and kwargs.get("check"):
        raise subprocess.CalledProcessError(code, args)
    if not code and os.environ.get("INSTALL_TO"):
        package = pathlib.Path(os.environ["INSTALL_TO"]) / "reclab"
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("STAND_IN = True\\n")
        sys.path.append(os.environ["INSTALL_TO"])
    return subprocess.CompletedProcess(args, code)

subprocess.run = fake_run
exec(compile(sys.argv[1], "<install cell>", "exec"), {"__name__": "__main__"})
if os.environ.get("INSTALL_TO"):
    assert sys.modules["reclab"].STAND_IN, "the cell did not import the installed package"
"""


def _run_cell(tmp_path: Path, *, with_reclab: bool, pip_fails: bool = False):
    calls = tmp_path / "calls.txt"
    env = {"PATH": os.environ.get("PATH", ""), "CALLS": str(calls)}
    if with_reclab:
        env["PYTHONPATH"] = str(ROOT)  # the checkout, as with `make lab` / `make book`
        flags: list[str] = []
    else:
        # -I: no PYTHONPATH, no current folder, no user site; -S: no site-packages, so the
        # reclab installed in this virtual environment is out of reach, as on Colab.
        flags = ["-I", "-S"]
        env["INSTALL_TO"] = str(tmp_path / "site-packages")
    if pip_fails:
        env["PIP_FAILS"] = "1"
    source = install_cell.cell_source(install_cell.repository_url())
    result = subprocess.run(
        [sys.executable, *flags, "-c", _RUNNER, source],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    recorded = [eval(line) for line in calls.read_text().splitlines()] if calls.exists() else []
    return result, recorded


def test_the_cell_installs_from_the_url_in_config() -> None:
    url = _config_url()
    source = install_cell.cell_source(install_cell.repository_url())
    assert f'"reclab-book @ git+{url}"' in source
    assert "<" not in source, "a placeholder is left in the cell"


def test_the_cell_is_short_tagged_and_hidden_in_the_book() -> None:
    cell = install_cell.install_cell(install_cell.repository_url())
    assert len("".join(cell["source"]).splitlines()) <= 12
    assert "reclab-install" in cell["metadata"]["tags"]
    assert "remove-cell" in cell["metadata"]["tags"]
    assert cell["outputs"] == [] and cell["execution_count"] is None


def test_where_reclab_imports_the_cell_does_nothing_and_prints_nothing(tmp_path: Path) -> None:
    result, calls = _run_cell(tmp_path, with_reclab=True)
    assert result.returncode == 0, result.stderr
    assert calls == [], "pip was called although reclab imports"
    assert result.stdout == "" and result.stderr == ""


def test_where_reclab_is_missing_the_cell_pip_installs_it_from_the_repository(
    tmp_path: Path,
) -> None:
    result, calls = _run_cell(tmp_path, with_reclab=False)
    assert result.returncode == 0, result.stderr
    assert len(calls) == 1, calls
    assert calls[0][0] == sys.executable  # the kernel's own Python, so the kernel sees it
    assert calls[0][1:] == ["-m", "pip", "install", f"reclab-book @ git+{_config_url()}"]


def test_a_failed_installation_stops_the_cell(tmp_path: Path) -> None:
    result, calls = _run_cell(tmp_path, with_reclab=False, pip_fails=True)
    assert len(calls) == 1
    assert result.returncode != 0
    assert "CalledProcessError" in result.stderr


def test_the_cell_passes_the_projects_lint_and_format() -> None:
    source = install_cell.cell_source(install_cell.repository_url()) + "\n"
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--stdin-filename", "notebooks/cell.py", "-"],
            input=source,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr


# --- inserting the cell into notebooks --------------------------------------------------------


def _chapter_copy(tmp_path: Path) -> Path:
    """A copy of a real chapter as it was before it had an install cell."""
    copy = tmp_path / CHAPTER.name
    notebook = json.loads(CHAPTER.read_text())
    notebook["cells"] = [
        c for c in notebook["cells"] if "reclab-install" not in c["metadata"].get("tags", [])
    ]
    copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    return copy


def _without_install_cell(path: Path) -> list[dict]:
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if "reclab-install" not in c["metadata"].get("tags", [])]


def test_ensure_inserts_the_cell_after_the_title_once(tmp_path: Path) -> None:
    path = _chapter_copy(tmp_path)
    before = json.loads(path.read_text())
    assert install_cell.ensure_install_cell(path) is True
    after = json.loads(path.read_text())
    assert after["cells"][0] == before["cells"][0]
    assert after["cells"][1] == install_cell.install_cell(install_cell.repository_url())
    assert after["cells"][2:] == before["cells"][1:]
    assert after["metadata"] == before["metadata"]
    written = path.read_bytes()
    assert install_cell.ensure_install_cell(path) is False
    assert path.read_bytes() == written, "a second run rewrote the notebook"


def test_ensure_replaces_an_outdated_or_misplaced_cell(tmp_path: Path) -> None:
    path = _chapter_copy(tmp_path)
    notebook = json.loads(path.read_text())
    old = install_cell.install_cell("https://example.org/old/repository")
    old["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["installed\n"]}]
    notebook["cells"].insert(3, old)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    url = install_cell.repository_url()
    assert "the install cell is cell 3" in install_cell.problem(path, url)
    notebook["cells"].insert(1, notebook["cells"].pop(3))
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
    assert "out of date" in install_cell.problem(path, url)
    assert install_cell.ensure_install_cell(path) is True
    cells = json.loads(path.read_text())["cells"]
    tagged = [i for i, c in enumerate(cells) if "reclab-install" in c["metadata"].get("tags", [])]
    assert tagged == [1]
    assert cells[1] == install_cell.install_cell(install_cell.repository_url())
    assert _without_install_cell(path) == _without_install_cell(CHAPTER)


def test_a_notebook_without_a_title_cell_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "untitled.ipynb"
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook))
    with pytest.raises(ValueError, match=r"untitled\.ipynb: the first cell must be"):
        install_cell.ensure_install_cell(path)


def _cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booktools.install_cell", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_fails_without_the_cell_and_passes_after_ensure(tmp_path: Path) -> None:
    path = _chapter_copy(tmp_path)
    unchanged = path.read_bytes()
    result = _cli("--check", path)
    assert result.returncode == 1
    assert "no install cell" in result.stderr
    assert path.read_bytes() == unchanged, "--check changed the notebook"
    assert install_cell.ensure_install_cell(path) is True
    result = _cli("--check", path)
    assert result.returncode == 0, result.stderr


def test_the_command_line_writes_the_cell(tmp_path: Path) -> None:
    path = _chapter_copy(tmp_path)
    assert _cli(path).returncode == 0
    assert _cli("--check", path).returncode == 0


def test_a_new_repository_url_makes_every_cell_out_of_date(tmp_path: Path) -> None:
    """The URL lives in _config.yml only: change it there and --check asks for new cells."""
    path = _chapter_copy(tmp_path)
    install_cell.ensure_install_cell(path)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = "https://github.com/someone-else/reclab"
    root = tmp_path / "book"
    root.mkdir()
    (root / "_config.yml").write_text(yaml.safe_dump(config))
    result = _cli("--check", "--root", root, path)
    assert result.returncode == 1 and "out of date" in result.stderr
    assert _cli("--root", root, path).returncode == 0
    assert "git+https://github.com/someone-else/reclab" in path.read_text()


def test_a_missing_repository_url_is_reported(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text("title: x\nrepository:\n  url: <repository URL>\n")
    with pytest.raises(ValueError, match=r"_config.yml: repository.url is '<repository URL>'"):
        install_cell.repository_url(tmp_path)


def test_every_chapter_has_the_current_install_cell() -> None:
    url = install_cell.repository_url()
    chapters = sorted((ROOT / "notebooks").glob("*.ipynb"))
    problems = [p for p in (install_cell.problem(path, url) for path in chapters) if p]
    assert problems == [], "run: python -m booktools.install_cell notebooks/*.ipynb"


@pytest.mark.slow
def test_the_built_chapter_runs_the_cell_and_hides_it(tmp_path: Path) -> None:
    """In the book build (reclab installed) the cell runs silently and the page leaves it out."""
    write_skeleton(tmp_path, root="chapter", chapters=(), execute="force")
    title = "# A chapter\n\nAs {cite}`example2024` says. Runtime budget: 60 s on 2 CPU cores.\n"
    notebook = {
        "cells": [
            {"cell_type": "markdown", "id": "title", "metadata": {}, "source": title},
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "work",
                "metadata": {},
                "outputs": [],
                "source": "print(6 * 7)",
            },
            {
                "cell_type": "markdown",
                "id": "refs",
                "metadata": {},
                "source": "```{bibliography}\n```",
            },
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "reclab": {"budget_seconds": 60},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "chapter.ipynb"
    path.write_text(json.dumps(notebook))
    assert install_cell.ensure_install_cell(path)
    result = subprocess.run(
        [sys.executable, "-m", "booktools.build", "--root", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = (tmp_path / "_build" / "html" / "chapter.html").read_text()
    assert "42" in html  # the chapter ran
    assert "find_spec" not in html and "git+" not in html  # the install cell is not on the page
