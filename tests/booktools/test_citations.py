"""Citations: every cited key is in references.bib, every entry is cited."""

from __future__ import annotations

from pathlib import Path

from booktools import citations


def test_every_citation_resolves_and_every_entry_is_cited() -> None:
    assert citations.problems(citations.cited_keys(), citations.bib_keys()) == []


def test_missing_key_is_reported() -> None:
    problems = citations.problems({"nobody2099": ["notebooks/03"]}, {"kang2018self"})
    assert any("'nobody2099', which is not in book/references.bib" in p for p in problems)
    assert any("'kang2018self', but no page cites it" in p for p in problems)


def test_cite_roles_are_parsed(tmp_path: Path) -> None:
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (tmp_path / "intro.md").write_text(
        "As {cite}`a2020,b2021` and {cite:t}`c2022` and {cite:p}`d2023` show."
    )
    cited = citations.cited_keys(tmp_path)
    assert sorted(cited) == ["a2020", "b2021", "c2022", "d2023"]
