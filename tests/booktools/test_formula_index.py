"""The formula index: the book, the registry and the tests agree; each disagreement is caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from booktools import formula_index
from reclab.formulas import Implementation, implements, registry


def _impl(label: str, public: str | None = "reclab.models.f") -> Implementation:
    return Implementation(
        label=label, qualname="reclab.models._f.f", public_name=public, kind="function"
    )


def test_the_book_registry_and_tests_agree() -> None:
    problems = formula_index.problems(
        formula_index.book_equations(), registry(), formula_index.formula_tests()
    )
    assert problems == []


def test_a_consistent_triple_has_no_problem() -> None:
    assert (
        formula_index.problems(
            {"eq-a": ["ch"]}, {"eq-a": [_impl("eq-a")]}, {"eq-a": ["tests/t.py::test"]}
        )
        == []
    )


def test_equation_without_implementation_is_reported() -> None:
    problems = formula_index.problems({"eq-a": ["ch"]}, {}, {})
    assert any("has no implementation" in p for p in problems)


def test_broken_equation_link_is_reported() -> None:
    """The code says it implements eq-b, but the book's equation is labelled eq-a (a rename)."""
    problems = formula_index.problems(
        {"eq-a": ["ch"]}, {"eq-b": [_impl("eq-b")]}, {"eq-b": ["tests/t.py::test"]}
    )
    assert any("no page of the book has an equation" in p and "eq-b" in p for p in problems)
    assert any("eq-a" in p and "has no implementation" in p for p in problems)


def test_missing_test_is_reported() -> None:
    problems = formula_index.problems({"eq-a": ["ch"]}, {"eq-a": [_impl("eq-a")]}, {})
    assert any("no test checks 'eq-a'" in p for p in problems)


def test_implementation_outside_the_public_api_is_reported() -> None:
    problems = formula_index.problems(
        {"eq-a": ["ch"]}, {"eq-a": [_impl("eq-a", public=None)]}, {"eq-a": ["t::t"]}
    )
    assert any("not listed in the __all__" in p for p in problems)


def test_duplicate_and_malformed_labels_are_reported() -> None:
    problems = formula_index.problems({"eq-a": ["ch1", "ch2"], "mse": ["ch"]}, {}, {})
    assert any("more than once" in p for p in problems)
    assert any("must start with 'eq-'" in p for p in problems)


def test_formula_marks_are_found_in_test_files(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        "import pytest\n"
        "pytestmark = [pytest.mark.formula('eq-module')]\n"
        "@pytest.mark.formula('eq-one')\n"
        "def test_one(): pass\n"
        "class TestGroup:\n"
        "    @pytest.mark.formula('eq-two')\n"
        "    def test_two(self): pass\n"
    )
    found = formula_index.formula_tests(tmp_path / "tests")
    assert found["eq-one"] == ["tests/test_x.py::test_one"]
    assert found["eq-two"] == ["tests/test_x.py::TestGroup::test_two"]
    assert sorted(found["eq-module"]) == [
        "tests/test_x.py::TestGroup::test_two",
        "tests/test_x.py::test_one",
    ]


def test_implements_rejects_a_malformed_label() -> None:
    with pytest.raises(ValueError, match="must look like 'eq-some-name'"):
        implements("MSE")
