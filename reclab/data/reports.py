"""Reports of the data steps that drop or keep rows: what a policy did, counted and explained.

A step that removes rows (implicit-feedback threshold, deduplication, k-core filtering, encoding
with unknown ids, splitting) never drops silently: it returns a :class:`StepReport` next to its
result and logs the same text at level ``INFO`` on its module's logger. Rows alone can hide what
matters (a k-core that keeps 90 % of the events may keep only a third of the items), so the steps
also count distinct users and items before and after.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["StepReport"]

_COUNTS = ("rows_in", "rows_out", "users_in", "users_out", "items_in", "items_out")


def _jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars and arrays turned into Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class StepReport:
    """What one data step did.

    Attributes:
        step: the step's name, e.g. ``"k_core"``.
        rows_in: number of rows (events) received.
        rows_out: number of rows returned.
        reason: one sentence saying which rows were dropped and why.
        details: further counts (users or items removed, iterations, cut times ...).
        users_in: distinct users received (keyword only; ``None`` when not counted).
        users_out: distinct users returned.
        items_in: distinct items received.
        items_out: distinct items returned.

    Example:
        >>> r = StepReport("deduplicate", rows_in=10, rows_out=8, reason="exact duplicates")
        >>> r.rows_dropped
        2
        >>> str(r)
        'deduplicate: 10 -> 8 rows (2 dropped, 20.0%): exact duplicates'
        >>> r = StepReport("k_core", 1000, 900, "rare items", users_in=61, users_out=61,
        ...                items_in=97, items_out=36)
        >>> print(r)
        k_core: 1000 -> 900 rows (100 dropped, 10.0%), 61 -> 61 users, 97 -> 36 items: rare items
        >>> r.to_dict()["items_out"], r.items_dropped
        (36, 61)
    """

    step: str
    rows_in: int
    rows_out: int
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    users_in: int | None = field(default=None, kw_only=True)
    users_out: int | None = field(default=None, kw_only=True)
    items_in: int | None = field(default=None, kw_only=True)
    items_out: int | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        for name in _COUNTS:  # store Python ints (np.int64 from len/sum/nunique is common)
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, int(value))

    @property
    def rows_dropped(self) -> int:
        """Rows removed by the step (``rows_in - rows_out``)."""
        return self.rows_in - self.rows_out

    @property
    def users_dropped(self) -> int | None:
        """Users removed by the step, or ``None`` when the users were not counted."""
        if self.users_in is None or self.users_out is None:
            return None
        return self.users_in - self.users_out

    @property
    def items_dropped(self) -> int | None:
        """Items removed by the step, or ``None`` when the items were not counted."""
        if self.items_in is None or self.items_out is None:
            return None
        return self.items_in - self.items_out

    def __str__(self) -> str:
        share = self.rows_dropped / self.rows_in if self.rows_in else 0.0
        text = (
            f"{self.step}: {self.rows_in} -> {self.rows_out} rows "
            f"({self.rows_dropped} dropped, {share:.1%})"
        )
        for what, before, after in (
            ("users", self.users_in, self.users_out),
            ("items", self.items_in, self.items_out),
        ):
            if before is not None or after is not None:
                shown = ["?" if n is None else str(n) for n in (before, after)]
                text += f", {shown[0]} -> {shown[1]} {what}"
        text += f": {self.reason}"
        if self.details:
            text += " [" + ", ".join(f"{k}={v}" for k, v in self.details.items()) + "]"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (Python numbers, ``None`` for counts not taken).

        Keys: ``step``, ``rows_in``, ``rows_out``, ``users_in``, ``users_out``, ``items_in``,
        ``items_out``, ``reason``, ``details`` (NumPy values in it become Python ones).
        """
        return {
            "step": self.step,
            **{name: getattr(self, name) for name in _COUNTS},
            "reason": self.reason,
            "details": _jsonable(dict(self.details)),
        }

    def log(self, logger: logging.Logger) -> StepReport:
        """Log the report at level ``INFO`` on ``logger`` and return it (for chaining)."""
        logger.info("%s", self)
        return self
