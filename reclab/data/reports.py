"""Reports of the data steps that drop or keep rows: what a policy did, counted and explained.

A step that removes rows (implicit-feedback threshold, deduplication, k-core filtering, encoding
with unknown ids, splitting) never drops silently: it returns a :class:`StepReport` next to its
result and logs the same text at level ``INFO`` on its module's logger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StepReport"]


@dataclass(frozen=True)
class StepReport:
    """What one data step did.

    Attributes:
        step: the step's name, e.g. ``"k_core"``.
        rows_in: number of rows (events) received.
        rows_out: number of rows returned.
        reason: one sentence saying which rows were dropped and why.
        details: further counts (users or items removed, iterations, cut times ...).

    Example:
        >>> r = StepReport("deduplicate", rows_in=10, rows_out=8, reason="exact duplicates")
        >>> r.rows_dropped
        2
        >>> str(r)
        'deduplicate: 10 -> 8 rows (2 dropped, 20.0%): exact duplicates'
    """

    step: str
    rows_in: int
    rows_out: int
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_dropped(self) -> int:
        """Rows removed by the step (``rows_in - rows_out``)."""
        return self.rows_in - self.rows_out

    def __str__(self) -> str:
        share = self.rows_dropped / self.rows_in if self.rows_in else 0.0
        text = (
            f"{self.step}: {self.rows_in} -> {self.rows_out} rows "
            f"({self.rows_dropped} dropped, {share:.1%}): {self.reason}"
        )
        if self.details:
            text += " [" + ", ".join(f"{k}={v}" for k, v in self.details.items()) + "]"
        return text

    def log(self, logger: logging.Logger) -> StepReport:
        """Log the report at level ``INFO`` on ``logger`` and return it (for chaining)."""
        logger.info("%s", self)
        return self
