"""The Performance page's views: tables and figures from benchmark JSON, clear errors when not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from booktools import performance

MACHINE = {"date": "2026-12-02", "cpus": 2, "platform": "Linux-test"}


def _run(seconds: float) -> dict:
    return {"seconds_per_step": seconds, "training_rss_mb": 100.0 * seconds, "table_state_mb": 4.0}


def _scaling(tmp_path: Path) -> Path:
    steps = {
        "4000": {
            "softmax": _run(0.2),
            "sampled-softmax per-position": _run(0.8),
            "sampled-softmax shared": _run(0.1),
            "speedup_shared_vs_per_position": 8.0,
            "speedup_shared_vs_softmax": 2.0,
        },
        "256000": {
            "softmax": {"refused": "training would need about 21.3 GiB of memory (...)"},
            "sampled-softmax per-position": _run(0.9),
            "sampled-softmax shared": _run(0.2),
            "speedup_shared_vs_per_position": 4.5,
            "speedup_shared_vs_softmax": None,
        },
    }
    runs = {
        "softmax": {"epochs": 3, "seconds_per_epoch": 50.0, "best_val_NDCG@10": 0.05,
                    "curve": [[50, 0.03], [100, 0.05]], "seconds_to_softmax_best": 100,
                    "fraction_of_softmax_time": 1.0},
        "sampled-softmax shared": {"epochs": 30, "seconds_per_epoch": 5.0,
                                   "best_val_NDCG@10": 0.06, "curve": [[5, 0.04], [25, 0.055]],
                                   "seconds_to_softmax_best": 25,
                                   "fraction_of_softmax_time": 0.25},
    }  # fmt: skip
    quality = {
        "num_items": 64000,
        "train_events": 300000,
        "budget_seconds": 180,
        "runs": runs,
        "softmax_best": {"val_NDCG@10": 0.05, "reached_at_seconds": 100},
    }
    evaluation = {"4000": {"ranking_users_per_s": 3000.0, "top10_users_per_s": 1800.0}}
    document = {"machine": MACHINE, "steps": steps, "quality": quality, "eval": evaluation}
    (tmp_path / "scaling.json").write_text(json.dumps(document))
    return tmp_path


def test_steps_table_shows_refusals_and_ratios_and_a_figure(tmp_path) -> None:
    shown = performance.view("scaling-steps", _scaling(tmp_path))
    assert shown.header[:2] == ["N", "softmax"]
    assert [row[0] for row in shown.rows] == ["4,000", "256,000"]  # by size, not text
    assert shown.rows[1][1] == "refused (needs about 21.3 GiB)"
    assert shown.rows[0][-2:] == ["8.0x", "2.0x"] and shown.rows[1][-1] == "-"
    assert shown.figure.startswith("<svg") and "sampled-softmax shared" in shown.figure
    assert "2026-12-02" in shown.measured and "benchmarks/scaling.py" in shown.measured


def test_quality_table_gives_the_share_of_the_softmax_time(tmp_path) -> None:
    shown = performance.view("scaling-quality", _scaling(tmp_path))
    shared = next(row for row in shown.rows if row[0] == "sampled-softmax shared")
    assert shared[3:] == ["0.0600", "25 s", "0.25"]
    assert "64,000 items" in shown.caption


def test_memory_and_eval_views(tmp_path) -> None:
    folder = _scaling(tmp_path)
    memory = performance.view("scaling-memory", folder)
    assert memory.rows[1][1] == "-" and memory.rows[0][1] == "20 MB"
    assert performance.view("scaling-eval", folder).rows == [["4,000", "3,000", "1,800"]]


def test_incomplete_results_name_the_missing_key(tmp_path) -> None:
    (tmp_path / "scaling.json").write_text(json.dumps({"machine": MACHINE}))
    with pytest.raises(KeyError, match=r"no 'steps' under \(top\)"):
        performance.view("scaling-steps", tmp_path)
    with pytest.raises(ValueError, match="no view 'speed'"):
        performance.view("speed", tmp_path)


@pytest.mark.parametrize("name", sorted(performance.VIEWS))
def test_every_view_renders_from_the_committed_results(name) -> None:
    shown = performance.view(name)
    assert shown.rows and all(len(row) == len(shown.header) for row in shown.rows)


def test_two_figures_on_one_page_share_no_id_and_resolve_their_own_references(tmp_path) -> None:
    """matplotlib numbers elements patch_1, line2d_1... in every SVG: inline, they collided."""
    folder = _scaling(tmp_path)
    figures = [
        performance.view(name, folder).figure for name in ("scaling-steps", "scaling-quality")
    ]
    ids = [set(re.findall(r'id="([^"]+)"', svg)) for svg in figures]
    assert ids[0] and ids[1] and not ids[0] & ids[1]
    for svg, own in zip(figures, ids, strict=True):
        references = re.findall(r'(?:url\(#|href="#)([^")]+)', svg)
        assert references and set(references) <= own


def _peer_entry(key: str, name: str, budget: float, ndcg: float, **extra) -> dict:
    metrics = {"NDCG@10": ndcg, "NDCG@10_ci": [ndcg - 0.01, ndcg + 0.01],
               "HR@10": 2 * ndcg, "HR@10_ci": [2 * ndcg - 0.02, 2 * ndcg + 0.02]}  # fmt: skip
    return {
        "implementation": name, "key": key, "version": "1.0", "budget_seconds": budget,
        "train_seconds": budget - 1, "test": metrics, "validation": metrics,
        "curve": [[budget / 2, ndcg / 2], [budget, ndcg]],
        "time_to_target": {"validation_NDCG@10": 0.05, "seconds": budget / 2},
        "measured": {**MACHINE, "cpus": 1},
        "dataset": {"name": "ml-latest-small", "users": 610, "items": 3650,
                    "split": "leave-last-out", "protocol": "full ranking"},
        **extra,
    }  # fmt: skip


def test_peers_view_orders_by_budget_and_shows_paired_differences(tmp_path) -> None:
    own = {"NDCG@10": 0.4, "HR@10": 0.6, "protocol": "100 sampled negatives"}
    entries = [
        _peer_entry("msrec", "Peer", 600, 0.04, own_metric=own,
                    reclab_minus_this={"NDCG@10": 0.03, "ci": [0.01, 0.05]}),
        _peer_entry("reclab", "RecLab", 600, 0.07),
        _peer_entry("reclab", "RecLab", 120, 0.06),
    ]  # fmt: skip
    (tmp_path / "peers.json").write_text(json.dumps(entries))
    shown = performance.view("peers", tmp_path)
    assert [(row[0], row[2]) for row in shown.rows] == [
        ("RecLab", "120 s"),
        ("RecLab", "600 s"),
        ("Peer", "600 s"),
    ]
    assert shown.rows[2][4] == "0.0400 [0.0300, 0.0500]"
    assert shown.rows[2][6] == "+0.0300 [+0.0100, +0.0500]"
    assert shown.rows[2][7] == "0.4000 (100 sampled negatives)" and shown.rows[0][7] == "-"
    assert "Peer: 300 s" in shown.caption and "610 users" in shown.caption
    assert shown.figure.startswith("<svg")
    assert "benchmarks/peers/run.py" in shown.measured and "2026-12-02" in shown.measured


def test_peers_view_names_what_an_entry_lacks(tmp_path) -> None:
    entry = _peer_entry("msrec", "Peer", 600, 0.04)
    del entry["curve"]
    (tmp_path / "peers.json").write_text(json.dumps([entry]))
    with pytest.raises(KeyError, match=r"entry 0 has no \['curve'\]"):
        performance.view("peers", tmp_path)
    (tmp_path / "peers.json").write_text(json.dumps({"entries": []}))
    with pytest.raises(KeyError, match="expected a non-empty list"):
        performance.view("peers", tmp_path)
