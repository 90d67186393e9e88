"""Citations: every ``{cite}`` key exists in ``book/references.bib``, and every entry is cited."""

from __future__ import annotations

import re
from pathlib import Path

from pybtex.database import parse_file

from booktools.sources import ROOT, markdown_texts, toc_pages

BIBFILE = ROOT / "book" / "references.bib"

#: The sphinxcontrib-bibtex roles: ``{cite}`a,b```, ``{cite:t}`a```, ``{cite:p}`a``` ...
_CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`(?P<keys>[^`]+)`")


def bib_keys(bibfile: Path = BIBFILE) -> set[str]:
    """The keys of the bibliography (parsed with pybtex, which the Sphinx extension also uses)."""
    return set(parse_file(str(bibfile), bib_format="bibtex").entries.keys())


def cited_keys(root: Path = ROOT) -> dict[str, list[str]]:
    """Each cited key with the docnames of the pages that cite it."""
    cited: dict[str, list[str]] = {}
    for page in toc_pages(root):
        for text in markdown_texts(root / page.path):
            for match in _CITE_ROLE.finditer(text):
                for key in match["keys"].split(","):
                    pages = cited.setdefault(key.strip(), [])
                    if page.docname not in pages:
                        pages.append(page.docname)
    return cited


def problems(cited: dict[str, list[str]], keys: set[str]) -> list[str]:
    """Missing keys and uncited entries, as readable sentences."""
    found = [
        f"{pages} cite {key!r}, which is not in book/references.bib"
        for key, pages in sorted(cited.items())
        if key not in keys
    ]
    found += [
        f"book/references.bib has the entry {key!r}, but no page cites it "
        "(cite it where it is used, or remove it)"
        for key in sorted(keys - set(cited))
    ]
    return found
