"""The test suite's own layout: pytest imports test files by basename.

The test folders have no ``__init__.py`` (pytest's default "prepend" import mode), so two
files called ``test_x.py`` in different folders collide at collection and the whole run stops
before a single test executes.
"""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).parent


def test_test_file_basenames_are_unique():
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    clashes = sorted(name for name, count in names.items() if count > 1)
    where = {name: sorted(str(p.relative_to(TESTS)) for p in TESTS.rglob(name)) for name in clashes}
    assert not clashes, f"test files share a basename (rename one): {where}"
