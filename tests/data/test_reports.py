from __future__ import annotations

import logging

from reclab.data import StepReport


def test_report_counts_and_text() -> None:
    report = StepReport("k_core", 10, 7, "rare users", {"iterations": 2})
    assert report.rows_dropped == 3
    assert str(report) == "k_core: 10 -> 7 rows (3 dropped, 30.0%): rare users [iterations=2]"


def test_report_of_empty_input_has_no_division_by_zero() -> None:
    assert "0.0%" in str(StepReport("x", 0, 0, "nothing"))


def test_log_writes_the_report_at_info(caplog) -> None:
    logger = logging.getLogger("reclab.test")
    with caplog.at_level(logging.INFO, logger="reclab.test"):
        report = StepReport("dedup", 3, 2, "dupes").log(logger)
    assert report.rows_out == 2
    assert "dedup: 3 -> 2 rows" in caplog.text
