"""The link between the book's numbered equations and the code that implements them.

An equation in a chapter carries a MyST label, for example::

    $$ \\mathrm{MSE} = \\frac{1}{n} \\sum_{k=1}^{n} (y_k - \\hat{y}_k)^2 $$ (eq-mse)

and the function that computes it says so with a decorator::

    @implements("eq-mse")
    def mean_squared_error(y_true, y_pred): ...

and a test that checks it carries ``@pytest.mark.formula("eq-mse")``.

This registry is the one source of truth. The book's *formula index* page is generated from it
(by ``booktools.formula_index``, outside the package), and both the book build and
``tests/booktools/test_formula_index.py`` fail when a label has no equation in the book, an
equation has no implementation, the implementation is not reachable from the public API, or no
test names the label.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

_Decorated = TypeVar("_Decorated", bound=Callable[..., Any])

#: The form of an equation label, ``eq-`` then lower-case words joined by ``-``.
LABEL_PATTERN = re.compile(r"^eq-[a-z0-9]+(?:-[a-z0-9]+)*$")

_REGISTRY: dict[str, list[Callable[..., Any]]] = {}


def implements(*labels: str) -> Callable[[_Decorated], _Decorated]:
    """Mark a function or class as the implementation of the book equations ``labels``.

    The decorated object is returned unchanged. One label may be implemented by more
    than one object (a pure function and the ``keras.losses.Loss`` class around it).

    Raises:
        ValueError: a label that does not look like ``eq-some-name``.
    """
    for label in labels:
        if not LABEL_PATTERN.match(label):
            raise ValueError(
                f"implements(): equation label {label!r} must look like 'eq-some-name' "
                "(lower-case words joined by '-'), the form the book's MyST labels use"
            )

    def register(obj: _Decorated) -> _Decorated:
        for label in labels:
            implementations = _REGISTRY.setdefault(label, [])
            if obj not in implementations:
                implementations.append(obj)
        return obj

    return register


@dataclass(frozen=True)
class Implementation:
    """One registered implementation of one equation label."""

    label: str
    qualname: str  # where it is defined, e.g. ``reclab.losses.regression.mean_squared_error``
    public_name: str | None  # where a reader finds it, e.g. ``reclab.losses.mean_squared_error``
    kind: str  # ``function`` or ``class``


def _public_modules() -> list[Any]:
    import reclab

    modules = []
    for name in reclab._SUBMODULES:
        if name == "formulas":
            continue
        try:
            modules.append(importlib.import_module(f"reclab.{name}"))
        except ModuleNotFoundError as error:
            if error.name != f"reclab.{name}":
                raise  # a real import error inside an existing module
    return modules


def _public_name(obj: Any, modules: list[Any]) -> str | None:
    for module in modules:
        for name in getattr(module, "__all__", ()):
            if getattr(module, name, None) is obj:
                return f"{module.__name__}.{name}"
    return None


def registry() -> dict[str, list[Implementation]]:
    """Every registered equation label with its implementations, after importing all of reclab.

    ``public_name`` is ``None`` for an object that no public module lists in ``__all__``: the
    book cannot link to it, and the checks report it.
    """
    modules = _public_modules()
    result: dict[str, list[Implementation]] = {}
    for label in sorted(_REGISTRY):
        result[label] = [
            Implementation(
                label=label,
                qualname=f"{obj.__module__}.{obj.__qualname__}",
                public_name=_public_name(obj, modules),
                kind="class" if isinstance(obj, type) else "function",
            )
            for obj in _REGISTRY[label]
        ]
    return result
