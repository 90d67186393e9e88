"""A tiny Jupyter Book with the real book's configuration and extension, for build tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from booktools.sources import ROOT

#: One bibliography entry, so ``{cite}`example2024``` resolves.
BIB = (
    "@misc{example2024,\n  author = {Example, Ann},\n  title = {An Example},\n  year = {2024}\n}\n"
)


def write_skeleton(folder: Path, *, root: str, chapters: tuple[str, ...], execute: str) -> Path:
    """``_config.yml`` (the book's, with ``execute_notebooks=execute``), ``_toc.yml`` (``root``
    then ``chapters``) and ``book/references.bib`` in ``folder``; the pages are the caller's."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["sphinx"]["local_extensions"] = {"booktools.sphinx_ext": str(ROOT)}
    config["sphinx"]["config"]["reclab_formula_checks"] = False
    config["execute"]["execute_notebooks"] = execute
    (folder / "_config.yml").write_text(yaml.safe_dump(config))
    toc = f"format: jb-book\nroot: {root}\n"
    if chapters:
        toc += "chapters:\n" + "".join(f"  - file: {page}\n" for page in chapters)
    (folder / "_toc.yml").write_text(toc)
    (folder / "book").mkdir()
    (folder / "book" / "references.bib").write_text(BIB)
    return folder
