"""A chapter as a reader sees it in JupyterLab (``make lab``), opened in headless Chromium.

JupyterLab renders Markdown, not MyST: without the ``jupyterlab-myst`` extension a chapter shows
``{cite}`kang2018self```, ``{eq}`eq-rank``` and ``:::{admonition}`` as typed. :func:`jupyterlab`
starts a private JupyterLab server (free localhost port, no token, every Jupyter folder in a
temporary directory, optionally with extensions disabled) and :func:`rendered_markdown` opens a
notebook in it and reports what its rendered markdown cells show. :func:`myst_problems` compares
that with the MyST markup of the notebook's source.

What ``jupyterlab-myst`` 2.7 renders, found by inspecting its output:

- an admonition is an ``<aside class="myst-admonition ...">`` with the title in its header;
- ``{cite}`key``` with a key that only a bibliography could resolve (there is none in
  JupyterLab) is a citation element showing the key, ``<span title="Citation Not Found">key``;
- ``{eq}`label``` to an equation of the same notebook is a link ``<a href="#label">(N)</a>``
  with the equation's number.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: MyST markup that must not be visible as text once JupyterLab has rendered a markdown cell.
RAW_MYST = ("{cite}", "{cite:", "{eq}", ":::{", "```{")

_CITE = re.compile(r"\{cite(?::[a-z]+)?\}`(?P<keys>[^`]+)`")
_EQ = re.compile(r"\{eq\}`(?P<label>[^`]+)`")
_ADMONITION = re.compile(r"^:::\{admonition\}\s*(?P<title>.*)$", re.MULTILINE)


class LabError(RuntimeError):
    """The JupyterLab server did not start, or the notebook did not render, in time."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def jupyterlab(
    folder: Path, workdir: Path, disabled: tuple[str, ...] = (), timeout: float = 60
) -> Iterator[str]:
    """Run ``jupyter lab`` on ``folder`` for the duration of the block; yield its URL.

    The server listens on a free port of 127.0.0.1 with an empty token, and keeps its
    configuration, data, runtime files, settings and workspaces in ``workdir``, so neither the
    user's Jupyter set-up nor an earlier run changes what it shows. Notebook windowing is off,
    so every cell is rendered, not only those on screen. ``disabled`` names lab extensions to
    switch off (``jupyter labextension disable``, in the private configuration). The server and
    its kernels are stopped when the block ends, whatever happens in it.
    """
    dirs = {name: workdir / name for name in ("config", "data", "runtime", "settings", "ws")}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    tracker = dirs["settings"] / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    if disabled:
        (dirs["config"] / "labconfig").mkdir(exist_ok=True)
        (dirs["config"] / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": dict.fromkeys(disabled, True)})
        )
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["ws"]),
        IPYTHONDIR=str(workdir / "ipython"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (workdir / "server.log").open("w")
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",  # CI containers run as root
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={folder}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    server = subprocess.Popen(
        command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + timeout
        while not _ready(url):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = (workdir / "server.log").read_text()[-2000:]
                raise LabError(f"JupyterLab did not start within {timeout:.0f} s:\n{tail}")
            time.sleep(0.5)
        yield url
    finally:
        _stop(server)
        log.close()


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and every kernel it started (they share its process group)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)
    try:  # kernels left behind by a server that exited on its own
        os.killpg(server.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_STATE = """
const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-MarkdownCell'));
const shown = cell => cell.querySelector('.jp-MarkdownOutput, .myst, .jp-RenderedMarkdown');
return {
  cells: cells.length,
  rendered: cells.filter(c => shown(c) && shown(c).innerText.trim()).length,
  texts: cells.map(c => shown(c) ? shown(c).innerText : ''),
  admonitions: Array.from(document.querySelectorAll('.jp-MarkdownCell aside.myst-admonition'))
    .map(a => (a.querySelector('.myst-admonition-header') || a).innerText.trim()),
  citations: Array.from(document.querySelectorAll(
      '.jp-MarkdownCell cite, .jp-MarkdownCell [title="Citation Not Found"]'))
    .map(e => e.textContent.trim()),
  equationLinks: Array.from(document.querySelectorAll('.jp-MarkdownCell a[href^="#"]'))
    .filter(a => !a.closest('[id="' + a.getAttribute('href').slice(1) + '"]'))
    .map(a => ({target: a.getAttribute('href').slice(1), text: a.textContent.trim()})),
};
"""


def rendered_markdown(driver: Any, url: str, expected_cells: int, timeout: float = 60) -> dict:
    """Open ``url`` (a notebook in JupyterLab); once its ``expected_cells`` markdown cells are
    rendered, return what they show: their text, admonition titles, citation elements and links
    to equations."""
    driver.get(url)
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = driver.execute_script(_STATE)
        if state["cells"] >= expected_cells and state["rendered"] >= expected_cells:
            time.sleep(1)  # let the last renderers finish
            return driver.execute_script(_STATE)
        time.sleep(0.5)
    raise LabError(
        f"{url}: {state.get('rendered', 0)} of {expected_cells} markdown cells rendered "
        f"after {timeout:.0f} s"
    )


@dataclass(frozen=True)
class MystMarkup:
    """The MyST constructs of a notebook's markdown cells that JupyterLab must render."""

    markdown_cells: int
    citations: frozenset[str]  # cited keys
    equation_refs: frozenset[str]  # labels named by {eq}
    admonitions: tuple[str, ...]  # titles of :::{admonition} blocks


def myst_markup(path: Path) -> MystMarkup:
    """What the markdown cells of the notebook ``path`` ask MyST to render."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    text = "\n".join(texts)
    return MystMarkup(
        markdown_cells=len(texts),
        citations=frozenset(
            key.strip() for m in _CITE.finditer(text) for key in m["keys"].split(",")
        ),
        equation_refs=frozenset(m["label"] for m in _EQ.finditer(text)),
        admonitions=tuple(m["title"].strip() for m in _ADMONITION.finditer(text)),
    )


def myst_problems(markup: MystMarkup, state: dict) -> list[str]:
    """Every way the rendered notebook (``state``) falls short of its MyST ``markup``."""
    found = []
    for i, text in enumerate(state["texts"]):
        for raw in RAW_MYST:
            if raw in text:
                at = text.index(raw)
                context = text[max(0, at - 30) : at + 50].replace("\n", " ")
                found.append(f"markdown cell {i}: MyST markup {raw!r} shown raw: ...{context}...")
    for title in markup.admonitions:
        if not any(shown.startswith(title) for shown in state["admonitions"]):
            found.append(f"the admonition {title!r} is not rendered as an admonition element")
    missing = sorted(markup.citations - set(state["citations"]))
    if missing:
        found.append(f"citations {missing} are not rendered as citation elements")
    numbered = {
        link["target"] for link in state["equationLinks"] if re.fullmatch(r"\(\d+\)", link["text"])
    }
    for label in sorted(markup.equation_refs - numbered):
        found.append(f"{{eq}}`{label}` is not rendered as a numbered link to the equation")
    return found
