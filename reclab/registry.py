"""A registry: entries by name, registered once, looked up with an error that lists the names.

The models (:data:`reclab.models.MODELS`) and the training objectives
(:data:`reclab.training.OBJECTIVES`) are registries; the trainer, the command line and the
book's API page read them, so adding an entry makes it available everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = ["Registry"]

_Entry = TypeVar("_Entry")


class Registry(dict, Generic[_Entry]):
    """A ``dict`` of entries by their ``name``, with :meth:`register` and :meth:`lookup`.

    Args:
        kind: what an entry is, for messages (``"model"``, ``"loss"``).
        check: called with each new entry before it is added (raise to refuse it).

    Example:
        >>> from types import SimpleNamespace
        >>> colours = Registry("colour")
        >>> red = colours.register(SimpleNamespace(name="red"))
        >>> colours.lookup("red") is red
        True
        >>> colours.lookup("blue")
        Traceback (most recent call last):
        ...
        ValueError: unknown colour 'blue'; expected one of ['red']
    """

    def __init__(self, kind: str, check: Callable[[Any], None] | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.check = check

    def register(self, entry: _Entry) -> _Entry:
        """Add ``entry`` under ``entry.name`` (a name can be registered once)."""
        name = entry.name  # type: ignore[attr-defined]
        if name in self:
            raise ValueError(f"a {self.kind} named {name!r} is already registered")
        if self.check is not None:
            self.check(entry)
        self[name] = entry
        return entry

    def lookup(self, name: str) -> _Entry:
        """The entry registered as ``name``, or a ``ValueError`` listing the names."""
        if name not in self:
            raise ValueError(f"unknown {self.kind} {name!r}; expected one of {sorted(self)}")
        return self[name]
