from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from reclab.data.reports import StepReport


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


def test_report_shows_users_and_items_before_and_after() -> None:
    report = StepReport(
        "k_core",
        100836,
        90274,
        "rare items",
        users_in=610,
        users_out=610,
        items_in=9724,
        items_out=3650,
    )
    assert str(report) == (
        "k_core: 100836 -> 90274 rows (10562 dropped, 10.5%), 610 -> 610 users, "
        "9724 -> 3650 items: rare items"
    )
    assert (report.users_dropped, report.items_dropped) == (0, 6074)


def test_report_without_user_and_item_counts_keeps_its_text() -> None:
    report = StepReport("x", 4, 3, "why")
    assert (report.users_in, report.users_out, report.items_in, report.items_out) == (None,) * 4
    assert report.users_dropped is None and report.items_dropped is None
    assert str(report) == "x: 4 -> 3 rows (1 dropped, 25.0%): why"
    # only one side known: shown as "?"
    assert "? -> 2 users" in str(StepReport("x", 4, 3, "why", users_out=2))


def test_user_and_item_counts_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        StepReport("x", 4, 3, "why", {}, 2)  # type: ignore[misc]


def test_to_dict_is_json_ready() -> None:
    report = StepReport(
        "k_core",
        np.int64(10),
        7,
        "rare",
        {"iterations": np.int64(2), "threshold": np.float32(4)},
        users_in=np.int64(3),
        users_out=2,
        items_in=5,
        items_out=np.int32(4),
    )
    data = report.to_dict()
    assert data == {
        "step": "k_core",
        "rows_in": 10,
        "rows_out": 7,
        "users_in": 3,
        "users_out": 2,
        "items_in": 5,
        "items_out": 4,
        "reason": "rare",
        "details": {"iterations": 2, "threshold": 4.0},
    }
    assert json.loads(json.dumps(data)) == data
    assert type(data["rows_in"]) is int and type(data["details"]["iterations"]) is int
    assert StepReport("x", 1, 1, "y").to_dict()["users_in"] is None
