"""Build the executed book: what ``make book`` runs.

``python -m booktools.build [--fresh]``:

1. clears the notebook execution cache when the ``reclab`` sources changed since the cache was
   filled (Jupyter Book keys its cache on notebook content only, so without this a change to the
   package would leave stale outputs in the book), or always with ``--fresh``;
2. runs ``jupyter-book build --all -W -n --keep-going .``, which fails on any cell error, any
   Sphinx warning and any broken cross-reference;
3. prints where the HTML is.

The notebooks run with matplotlib's configuration folder inside the build folder
(``_build/.matplotlib``), so the figures do not depend on a personal ``matplotlibrc`` or on a font
cache written by another matplotlib install: a stale cache in ``~/.cache/matplotlib`` that lacks
matplotlib's own fonts makes every math label warn "findfont: Font family ['STIXGeneral'] not
found" and fall back to another font.

The exit status is Jupyter Book's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def package_fingerprint(root: Path) -> str:
    """A hash of every file of the ``reclab`` package that can change a notebook's outputs."""
    digest = hashlib.sha256()
    for path in sorted((root / "reclab").rglob("*")):
        if path.is_file() and path.suffix in {".py", ".json", ".csv", ".txt"}:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def refresh_cache(root: Path, build_dir: Path, fresh: bool) -> str:
    """Remove the execution cache if asked to, or if the package changed; say what was done."""
    cache = build_dir / ".jupyter_cache"
    stamp = build_dir / ".reclab-fingerprint"
    fingerprint = package_fingerprint(root)
    previous = stamp.read_text().strip() if stamp.exists() else None
    reason = None
    if fresh:
        reason = "--fresh"
    elif cache.exists() and previous != fingerprint:
        reason = "the reclab package changed since the cached outputs were computed"
    if reason and cache.exists():
        shutil.rmtree(cache)
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n")
    return f"cleared the notebook cache ({reason})" if reason else "kept the notebook cache"


def build(root: Path = ROOT, fresh: bool = False, builder: str = "html") -> int:
    """Build the book under ``root``; return the exit status of ``jupyter-book build``."""
    build_dir = root / "_build"
    print(f"[book] {refresh_cache(root, build_dir, fresh)}", flush=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [
        str(jupyter_book),
        "build",
        "--all",
        "-W",
        "-n",
        "--keep-going",
        "--builder",
        builder,
        str(root),
    ]
    print("[book] " + " ".join(command), flush=True)
    env = dict(
        os.environ,
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        MPLCONFIGDIR=str(build_dir / ".matplotlib"),
    )
    start = time.perf_counter()
    status = subprocess.call(command, cwd=root, env=env)
    seconds = time.perf_counter() - start
    index = build_dir / "html" / "index.html"
    if status == 0:
        print(f"[book] built in {seconds:.0f} s: open {index}", flush=True)
    else:
        print(f"[book] FAILED after {seconds:.0f} s (exit status {status})", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.build",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--fresh", action="store_true", help="re-execute every notebook")
    parser.add_argument("--root", type=Path, default=ROOT, help="the book's root folder")
    args = parser.parse_args(argv)
    return build(args.root.resolve(), fresh=args.fresh)


if __name__ == "__main__":
    sys.exit(main())
