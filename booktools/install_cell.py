"""The first code cell of every chapter: install the book's package where it is missing.

A chapter opened from the book's launch button runs on Colab, or on a Binder kernel, where
``import reclab`` fails. Every chapter therefore starts (right after its title cell) with one short
cell that does nothing where the package is installed (``make lab``, ``make book``, Binder after
``binder/postBuild``) and otherwise runs ``pip install "reclab-book @ git+<repository URL>"``, then
imports ``reclab``. The URL is written into the cell when it is generated, from the one place it
is kept: ``repository.url`` in ``_config.yml``.

The cell is recognised by its tag ``reclab-install``. It is also tagged ``remove-cell``: on the
book's pages it would only say "this cell did nothing", so the built book leaves it out; the
notebook a reader downloads or opens in Colab has it.

``python -m booktools.install_cell notebooks/*.ipynb`` inserts or updates the cell (idempotent);
``--check`` changes nothing and exits with status 1 when a notebook lacks the current cell.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from booktools.sources import ROOT, notebook_json

#: The tag that identifies the install cell (the cell's id is the same word).
TAG = "reclab-install"
#: The tags of the cell: what identifies it, and what hides it in the built book.
TAGS = ["remove-cell", TAG]
#: The distribution name on the install line (the import name is ``reclab``).
DISTRIBUTION = "reclab-book"

_SOURCE = """\
# Colab and Binder start without the book's package `reclab`: this installs it from GitHub.
# Where it is installed already (make lab, make book), this cell does nothing.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("reclab") is None:
    package = "{requirement}"
    subprocess.run([sys.executable, "-m", "pip", "install", package], check=True)
    importlib.invalidate_caches()
import reclab  # noqa: F401  (fails here if the installation did not work)"""


def repository_url(root: Path = ROOT) -> str:
    """``repository.url`` of the book's ``_config.yml``: where the package is installed from."""
    config_path = root / "_config.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    url = (config.get("repository") or {}).get("url")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise ValueError(
            f"{config_path}: repository.url is {url!r}; expected the https:// address of the "
            "book's repository (the chapters' install cell installs the package from it)"
        )
    return url.rstrip("/")


def requirement(url: str) -> str:
    """The pip requirement that installs the package from the repository at ``url``."""
    return f"{DISTRIBUTION} @ git+{url.rstrip('/')}"


def install_command(url: str) -> str:
    """The command a reader types to install the package from the repository at ``url``."""
    return f'pip install "{requirement(url)}"'


def cell_source(url: str) -> str:
    """The source text of the install cell for the repository at ``url``."""
    return _SOURCE.format(requirement=requirement(url))


def install_cell(url: str, with_id: bool = True) -> dict[str, Any]:
    """The install cell as notebook JSON (an nbformat 4 code cell without outputs)."""
    lines = cell_source(url).splitlines(keepends=True)
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "id": TAG,
        "metadata": {"tags": list(TAGS)},
        "outputs": [],
        "source": lines,
    }
    if not with_id:  # notebooks older than nbformat 4.5 have no cell ids
        del cell["id"]
    return cell


def _is_install_cell(cell: dict[str, Any]) -> bool:
    return TAG in cell.get("metadata", {}).get("tags", [])


def _has_ids(notebook: dict[str, Any]) -> bool:
    return (notebook.get("nbformat", 0), notebook.get("nbformat_minor", 0)) >= (4, 5)


def _check_title(path: Path, cells: list[dict[str, Any]]) -> None:
    if not cells or cells[0].get("cell_type") != "markdown":
        raise ValueError(
            f"{path}: the first cell must be the chapter's markdown title cell; the install cell "
            "goes right after it"
        )


def problem(path: Path, url: str) -> str | None:
    """Why ``path`` lacks the current install cell, or ``None`` when it has it (at index 1)."""
    notebook = notebook_json(path)
    cells = notebook.get("cells", [])
    _check_title(path, cells)
    found = [i for i, cell in enumerate(cells) if _is_install_cell(cell)]
    if not found:
        return f"{path}: no install cell (a code cell tagged {TAG!r} after the title cell)"
    if len(found) > 1:
        return f"{path}: {len(found)} install cells (cells {found}); there must be one"
    if found != [1]:
        return f"{path}: the install cell is cell {found[0]}; it must be cell 1, after the title"
    if cells[1] != install_cell(url, with_id=_has_ids(notebook)):
        return f"{path}: the install cell is out of date (source, tags or outputs differ)"
    return None


def ensure_install_cell(path: Path, url: str | None = None) -> bool:
    """Insert or update the install cell as cell 1 of the notebook ``path``; ``True`` if changed.

    Idempotent: a notebook that already has the current cell at index 1 is not rewritten. Any
    other cell tagged ``reclab-install`` (an old version, or one in the wrong place) is removed.
    The file is written as Jupyter writes it (one-space indent, UTF-8), so the diff shows only
    the cell.
    """
    path = Path(path)
    url = repository_url() if url is None else url
    if problem(path, url) is None:
        return False
    notebook = notebook_json(path)
    cells = [cell for cell in notebook["cells"] if not _is_install_cell(cell)]
    if any(cell.get("id") == TAG for cell in cells):
        raise ValueError(f"{path}: another cell already has the id {TAG!r}; rename it")
    cells.insert(1, install_cell(url, with_id=_has_ids(notebook)))
    notebook["cells"] = cells
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.install_cell",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("notebooks", nargs="+", type=Path, help="the chapters (.ipynb)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit with status 1 if a notebook lacks the current install cell",
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the book's root folder, where _config.yml is"
    )
    args = parser.parse_args(argv)
    url = repository_url(args.root)
    if args.check:
        problems = [p for p in (problem(path, url) for path in args.notebooks) if p]
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print(
                f"{len(problems)} of {len(args.notebooks)} notebooks lack the current install "
                "cell: run python -m booktools.install_cell " + " ".join(map(str, args.notebooks)),
                file=sys.stderr,
            )
            return 1
        print(f"all {len(args.notebooks)} notebooks have the current install cell")
        return 0
    changed = [path for path in args.notebooks if ensure_install_cell(path, url)]
    for path in changed:
        print(f"{path}: install cell written")
    print(f"{len(changed)} of {len(args.notebooks)} notebooks changed (installs from {url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
