"""Checks of the built site, as a reader's browser would see it.

Two layers:

- :func:`static_problems` reads a page's HTML: internal links and their anchors resolve, images
  exist, no error traceback or stderr output is left in a cell, the page has a title and a
  navigation. It needs nothing but the files. :func:`link_problems` alone runs on every HTML file
  of the site (:func:`html_files`), Sphinx's generated pages included: the highlighted sources
  under ``_modules/``, the index, the search page. :func:`raw_tex_problems` finds TeX that reaches
  the reader as text (a ``:math:`` role that was not parsed, TeX outside any math element) and
  math mangled by Python escapes (a docstring that is not a raw string).
- :class:`Browser` opens pages in headless Chromium (Debian's ``chromium`` and
  ``chromium-driver``, driven by Selenium) from a local HTTP server, and
  :meth:`Browser.problems` asserts what only a browser can tell: MathJax typeset every equation
  (no raw TeX left in the text), every image loaded (``naturalWidth > 0``), and nothing was
  fetched from outside the machine.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

#: Where Debian (and most Linux distributions) install Chromium and its WebDriver.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
CHROMEDRIVER_CANDIDATES = ("chromedriver",)

#: Text that must not be visible once MathJax has run (outside code blocks).
RAW_TEX_MARKERS = ("$$", "\\begin{", "\\frac", "\\mathbf", ":math:")

#: TeX written as text: an unparsed ``:math:`` role, display-math delimiters, or a TeX command
#: (``\frac{``, ``\mathbf{`` ...). Code (``pre``, ``code``), Python signatures, what executed
#: cells printed, and the math elements that MathJax typesets are not prose in this sense.
_RAW_TEX = re.compile(r":math:|\$\$|\\(?:begin|frac|mathbf|mathrm|mathcal|hat|sqrt|sum)\b")
_NOT_TEXT = "pre, code, script, style, .math, mjx-container, dt.sig, .cell_output"
#: What a one-backslash TeX command can leave in a docstring that is not a raw string:
#: ``"\alpha"`` is a bell and "lpha", ``"\beta"`` a backspace and "eta". (Docutils turns the
#: form feed of ``"\frac"`` and the tab of ``"\tau"`` into spaces before they reach the page:
#: ``booktools.sphinx_ext`` catches those in the docstrings themselves.)
_ESCAPED_TEX = re.compile(r"[\x00-\x08\x0e-\x1f]")


def html_pages(site: Path) -> list[Path]:
    """The book's pages in a built site: every HTML file except Sphinx's own utility pages."""
    skip = {"genindex.html", "search.html", "py-modindex.html"}
    pages = []
    for path in sorted(site.rglob("*.html")):
        if path.name in skip or any(p.startswith(("_", ".")) for p in path.relative_to(site).parts):
            continue
        if 'http-equiv="Refresh"' in path.read_text(encoding="utf-8")[:2000]:
            continue  # the root index.html that redirects to the first page
        pages.append(path)
    return pages


#: Folders of a built site that hold copied files, not pages: the theme's Jinja templates in
#: ``_static`` end in ``.html`` too.
_NOT_PAGES = ("_static", "_sources", "_images")


def html_files(site: Path) -> list[Path]:
    """Every page of a built site, Sphinx's own included (``_modules/`` sources, the indices)."""
    return [
        path
        for path in sorted(site.rglob("*.html"))
        if not path.relative_to(site).parts[0].startswith((".", *_NOT_PAGES))
    ]


@functools.lru_cache(maxsize=256)
def _ids(page: Path) -> frozenset[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return frozenset(tag["id"] for tag in soup.find_all(id=True))


def static_problems(page: Path, site: Path) -> list[str]:
    """Everything wrong with one built page that can be seen in its HTML, as sentences."""
    name = page.relative_to(site).as_posix()
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    found = []
    if not (soup.title and soup.title.get_text(strip=True)):
        found.append(f"{name}: the page has no <title>")
    if not soup.select("nav.bd-docs-nav a, nav#bd-docs-nav a, .bd-sidebar-primary nav a"):
        found.append(f"{name}: the page has no table of contents (sidebar navigation)")
    found += link_problems(page, site, soup)
    shown: set[str] = set()
    for image in soup.find_all("img"):
        src = image.get("src", "")
        if src in shown and "_images/" in src:
            found.append(
                f"{name}: image {src!r} is shown twice (a glued figure that was not closed "
                "appears again as its cell's output: call plt.close(fig) after glue)"
            )
        shown.add(src)
        if src.startswith("data:") or urlsplit(src).scheme:
            continue
        if not src or not (page.parent / unquote(src)).exists():
            found.append(f"{name}: image {src!r} does not exist")
    for output in soup.select("div.output.traceback, div.output.error, .cell_output .traceback"):
        text = output.get_text(" ", strip=True)[:120]
        found.append(f"{name}: a cell shows an error output: {text!r}")
    for output in soup.select("div.output.stderr"):
        text = output.get_text(" ", strip=True)[:120]
        found.append(f"{name}: a cell shows output on stderr: {text!r}")
    return found


def link_problems(page: Path, site: Path, soup: BeautifulSoup | None = None) -> list[str]:
    """Every internal ``href`` of an HTML file (links and stylesheets) whose file or anchor is
    missing, as sentences. External addresses are not checked (there is no network here)."""
    name = page.relative_to(site).as_posix()
    if soup is None:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    found = []
    for tag in soup.find_all(["a", "link"], href=True):
        href = tag["href"]
        parts = urlsplit(href)
        if parts.scheme or href.startswith(("//", "mailto:", "javascript:")):
            continue  # external: not checked offline
        path, fragment = parts.path, parts.fragment  # a ?query (cache buster) names no file
        target = (page.parent / unquote(path)).resolve() if path else page
        if not target.exists():
            found.append(f"{name}: link {href!r} points to a missing file")
        elif fragment and target.suffix == ".html" and unquote(fragment) not in _ids(target):
            found.append(f"{name}: link {href!r} points to a missing anchor #{fragment}")
    return found


def raw_tex_problems(page: Path, site: Path) -> list[str]:
    """TeX that a reader of the page sees as text, and math mangled by Python string escapes.

    Text here is what is left once code, Python signatures and math elements are set aside:
    ``:math:`x``` or ``\\frac{a}{b}`` there means math that was never parsed as math (a role
    inside a literal, a docstring section that is not reST, display math written as ``$$``).
    Inside a math element, a control character means a one-backslash command in a docstring
    that is not a raw string (``"\\beta"`` holds a backspace and "eta").
    """
    name = page.relative_to(site).as_posix()
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    found = []
    for element in soup.select(".math"):
        text = element.get_text()
        if _ESCAPED_TEX.search(text):
            shown = text.strip()[:60].encode("unicode_escape").decode()
            found.append(
                f"{name}: math {shown!r} holds a control character: a one-backslash TeX command "
                'in a docstring that is not a raw string (write r"""...""")'
            )
    for element in soup.select(_NOT_TEXT):
        element.decompose()
    body = soup.body or soup
    text = " ".join(body.get_text(" ").split())
    first: dict[str, re.Match[str]] = {}
    count: dict[str, int] = {}
    for match in _RAW_TEX.finditer(text):
        first.setdefault(match.group(), match)
        count[match.group()] = count.get(match.group(), 0) + 1
    for marker, match in first.items():
        context = text[max(0, match.start() - 50) : match.end() + 30]
        times = f" ({count[marker]} times)" if count[marker] > 1 else ""
        found.append(f"{name}: raw TeX {marker!r} shown as text{times}: ...{context}...")
    return found


def find_chromium() -> tuple[str, str] | None:
    """Paths of a Chromium browser and its ChromeDriver, or ``None`` when either is missing."""
    browser = next(filter(None, map(shutil.which, CHROMIUM_CANDIDATES)), None)
    driver = next(filter(None, map(shutil.which, CHROMEDRIVER_CANDIDATES)), None)
    return (browser, driver) if browser and driver else None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    # socketserver's default backlog is 5 connections; a page with a dozen figures, its styles
    # and MathJax opens more than that at once.
    request_queue_size = 128
    daemon_threads = True


@contextmanager
def serve(
    folder: Path, handler_class: type[http.server.SimpleHTTPRequestHandler] = _QuietHandler
) -> Iterator[str]:
    """Serve ``folder`` on a free port of 127.0.0.1 for the duration of the block; yield its URL.

    ``handler_class`` answers the requests (tests pass one that fails on purpose).
    """
    handler = functools.partial(handler_class, directory=str(folder))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


_PAGE_STATE = """
const done = arguments[arguments.length - 1];
const finish = () => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .MathJax')
    .forEach(e => e.remove());
  done({
    title: document.title,
    mathElements: document.querySelectorAll('div.math, span.math').length,
    mathjaxContainers: document.querySelectorAll('mjx-container').length,
    mathjaxLoaded: typeof window.MathJax !== 'undefined' && !!window.MathJax.startup,
    mathjaxScripts: Array.from(document.querySelectorAll('script[src*="mathjax"]')).map(s => s.src),
    text: clone.innerText,
    images: Array.from(document.images).map(
      i => ({src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth})),
    resources: performance.getEntriesByType('resource').map(r => r.name),
    statuses: Object.fromEntries(performance.getEntriesByType('resource').map(
      r => [r.name, r.responseStatus || 0])),
  });
};
const started = () => window.MathJax && MathJax.startup && MathJax.startup.promise;
// No MathJax script on the page, or the server refused every one: nothing to wait for.
const hopeless = () => Array.from(document.querySelectorAll('script[src*="mathjax"]')).every(
  s => performance.getEntriesByName(s.src).some(r => r.responseStatus >= 400));
// MathJax's script is deferred; on a busy machine give it up to 20 s to start before typesetting.
const startup = new Promise(resolve => {
  const deadline = Date.now() + 20000;
  const poll = () => (started() || hopeless() || Date.now() > deadline)
    ? resolve() : setTimeout(poll, 100);
  poll();
});
const typeset = () => startup.then(() => started() ? MathJax.startup.promise : null);
const images = Promise.all(Array.from(document.images).map(
  i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
Promise.all([typeset(), images]).then(finish, finish);
"""


def _mathjax_fetch(state: dict) -> str:
    """What the browser did with a page's MathJax script, in words, for an error message."""
    scripts = state.get("mathjaxScripts", [])
    if not scripts:
        return "the page has no MathJax script"
    statuses = state.get("statuses", {})
    said = []
    for src in scripts:
        if src not in statuses:
            said.append(f"{src} was never fetched")
        else:
            said.append(f"{src} answered HTTP {statuses[src] or 'status unknown'}")
    return "; ".join(said)


class Browser:
    """Headless Chromium, driven by Selenium, with every network fetch outside 127.0.0.1 visible."""

    def __init__(self, browser: str, driver: str, width: int = 1280, height: int = 900) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            f"--window-size={width},{height}",
        ):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        # generous: MathJax on a long page, on two cores shared with other jobs, took over 30 s;
        # below the driver connection's 120 s read timeout, so a hang raises TimeoutException
        self.driver.set_script_timeout(90)
        self.driver.set_page_load_timeout(60)

    def close(self) -> None:
        self.driver.quit()

    def state(self, url: str) -> dict:
        """Load ``url``, wait for MathJax and images, and return what the page shows.

        A page whose wait does not finish within the script timeout is loaded once more, with a
        warning: a CI run once saw the browser hang for 120 s on one page of a build whose every
        page then rendered in under 5 s. A second hang raises.
        """
        from selenium.common.exceptions import TimeoutException

        self.driver.get(url)
        try:
            return self.driver.execute_async_script(_PAGE_STATE)
        except TimeoutException as error:
            warnings.warn(
                f"{url}: the page did not finish loading in the script timeout "
                f"({str(error).strip() or type(error).__name__}); loading it again",
                stacklevel=2,
            )
        self.driver.get(url)
        return self.driver.execute_async_script(_PAGE_STATE)

    def problems(self, url: str, name: str, origin: str) -> list[str]:
        """Everything wrong with one page as the browser renders it, as sentences.

        A page whose MathJax did not start is loaded once more, as a reader would reload it, with
        a warning that says so: a CI run once saw two pages in a row lose their (local) MathJax
        script on a busy machine while every other page loaded it. A page that fails twice is a
        problem, reported with the script's address and the HTTP status the browser saw.
        """
        state = self.state(url)
        if state["mathElements"] and state["mathjaxScripts"] and not state["mathjaxLoaded"]:
            warnings.warn(
                f"{name}: MathJax did not start on the first load ({_mathjax_fetch(state)}); "
                "loading the page again",
                stacklevel=2,
            )
            state = self.state(url)
        found = []
        if not state["title"].strip():
            found.append(f"{name}: the rendered page has no title")
        if state["mathElements"]:
            if not state["mathjaxLoaded"]:
                found.append(
                    f"{name}: the page has math but MathJax did not load ({_mathjax_fetch(state)})"
                )
            elif state["mathjaxContainers"] < state["mathElements"]:
                found.append(
                    f"{name}: {state['mathElements']} math elements but only "
                    f"{state['mathjaxContainers']} typeset by MathJax"
                )
        for marker in RAW_TEX_MARKERS:
            if marker in state["text"]:
                at = state["text"].index(marker)
                context = state["text"][max(0, at - 40) : at + 40].replace("\n", " ")
                found.append(f"{name}: raw TeX {marker!r} left in the text: ...{context}...")
        for image in state["images"]:
            if not image["complete"] or image["width"] == 0:
                found.append(f"{name}: image {image['src']!r} did not load (naturalWidth 0)")
        for resource in state["resources"]:
            if not resource.startswith(origin):
                found.append(f"{name}: fetched {resource} from outside the machine")
        return found

    def screenshot(self, url: str, path: Path) -> None:
        """Save a PNG of the page as a reader sees it on a 1280×900 screen."""
        self.state(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
