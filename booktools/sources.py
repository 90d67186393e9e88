"""Reading the book's sources: the pages in the table of contents and the text of their cells."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

#: A labelled display equation in MyST: ``$$ ... $$ (eq-label)`` or a ``{math}`` directive's
#: ``:label: eq-label``.
_DOLLAR_LABEL = re.compile(r"\$\$\s*\((?P<label>[A-Za-z0-9_.:-]+)\)")
_DIRECTIVE_LABEL = re.compile(r"^\s*:label:\s*(?P<label>eq-[A-Za-z0-9_.:-]+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Page:
    """One page of the book: its path relative to the book root, and its kind."""

    path: Path  # relative to the root, with suffix

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix == ".ipynb"

    @property
    def docname(self) -> str:
        return self.path.with_suffix("").as_posix()


def toc_pages(root: Path = ROOT) -> list[Page]:
    """Every page named in ``_toc.yml``, in reading order, resolved to an existing file."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names: list[str] = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                names.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                if key in entry:
                    walk(entry[key])

    walk(toc.get("parts", []) + toc.get("chapters", []))
    pages = []
    for name in names:
        candidates = [root / f"{name}{suffix}" for suffix in (".ipynb", ".md")]
        found = [path for path in candidates if path.exists()]
        if not found:
            raise FileNotFoundError(
                f"_toc.yml names {name!r}, but neither {name}.ipynb nor "
                f"{name}.md exists under {root}"
            )
        pages.append(Page(found[0].relative_to(root)))
    return pages


def notebook_json(path: Path) -> dict:
    """A notebook file as JSON, with an error that names the file when it is not valid JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: not a valid notebook (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error


def markdown_texts(path: Path) -> Iterator[str]:
    """The markdown text of a page: each markdown cell of a notebook, or a whole ``.md`` file."""
    if path.suffix == ".ipynb":
        for cell in notebook_json(path).get("cells", []):
            if cell.get("cell_type") == "markdown":
                source = cell.get("source", "")
                yield "".join(source) if isinstance(source, list) else source
    else:
        yield path.read_text(encoding="utf-8")


def equation_labels(path: Path) -> list[str]:
    """The labels of the numbered equations on a page, in order of appearance."""
    labels: list[str] = []
    for text in markdown_texts(path):
        labels += [m["label"] for m in _DOLLAR_LABEL.finditer(text)]
        labels += [m["label"] for m in _DIRECTIVE_LABEL.finditer(text)]
    return labels
