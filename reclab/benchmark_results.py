"""The committed results of the benchmark scripts, as the chapters quote them.

The long runs live in ``benchmarks/`` and write JSON to ``benchmarks/results/``; a chapter
re-runs a small slice within its time budget and quotes the full numbers from there.
:func:`load_results` finds that folder from a checkout (the book's notebooks run in
``notebooks/``), and :meth:`Results.value` reads one number by its path, failing with the path
and the keys that do exist instead of quietly returning ``None``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Results", "load_results", "results_folder"]


def results_folder(start: str | os.PathLike[str] | None = None) -> Path:
    """``benchmarks/results`` of the checkout that holds ``start`` (default: the current folder)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "benchmarks" / "results"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"no benchmarks/results folder in {here} or above: the committed benchmark results come "
        "with a clone of the book's repository"
    )


@dataclass(frozen=True)
class Results:
    """One benchmark's results (the parsed JSON) and where they came from."""

    name: str
    data: dict[str, Any]
    path: Path

    def value(self, *keys: str | int) -> Any:
        """The value at ``keys``, e.g. ``value("speed", "softmax_xla", "seconds_per_step")``.

        Raises:
            KeyError: a key that is not there, naming the path so far and the keys that are.
        """
        node: Any = self.data
        for depth, key in enumerate(keys):
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                where = "/".join(map(str, keys[:depth])) or "(top)"
                have = sorted(node) if isinstance(node, dict) else type(node).__name__
                raise KeyError(
                    f"{self.path.name}: no {key!r} under {where}; there is {have}"
                ) from None
        return node


def load_results(name: str, *, folder: str | os.PathLike[str] | None = None) -> Results:
    """The results ``benchmarks/results/<name>.json`` (see :func:`results_folder`).

    Example:
        >>> load_results("sequential").value("machine", "cpus")  # doctest: +SKIP
        2
    """
    path = Path(folder) / f"{name}.json" if folder else results_folder() / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no benchmark results {path}: run benchmarks/{name}.py first")
    return Results(name, json.loads(path.read_text()), path)
