"""Small, slow, obviously correct NumPy versions of the book's formulas.

Each module mirrors a fast module of the package (``reclab.reference.losses`` for
``reclab.losses``, and so on). The tests compare the two; the chapters show these
versions as "the formula, in ten lines" with :func:`show`, and check that the package agrees.
Nothing here is used for training.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["Source", "show"]


class Source:
    """A function's source code, shown as a Python code block in a notebook or the book."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.text = inspect.getsource(function)

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.text.rstrip()}\n```"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def show(function: Callable[..., Any]) -> Source:
    """The source of a reference function, for a chapter to display.

    Example:
        >>> from reclab.reference import attention
        >>> show(attention.causal_mask).text.splitlines()[0]
        'def causal_mask(length: int) -> np.ndarray:'
    """
    return Source(function)
