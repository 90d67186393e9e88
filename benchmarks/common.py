"""What the benchmark scripts share: the machine a result was measured on, a model's top-10
quality with its intervals, and writing the result."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    """The date, platform, Python and the cores this process may use (``taskset`` pins them)."""
    return {
        "date": time.strftime("%Y-%m-%d"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores_per_process": len(os.sched_getaffinity(0)),
    }


def write_results(path: Path, result: dict[str, Any]) -> None:
    """``result`` as indented JSON at ``path`` (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=float) + "\n")


def quality_with_intervals(model: Any, users: Any) -> dict[str, dict[str, float]]:
    """HR@10 and NDCG@10 of ``model`` on ``users`` (full ranking), each as ``value``, ``ci_low``
    and ``ci_high`` (the bootstrap interval of :func:`reclab.evaluation.evaluate_model`)."""
    from reclab.evaluation import evaluate_model

    table = evaluate_model(model, users).set_index("metric")
    return {
        metric: {key: float(table.loc[metric, key]) for key in ("value", "ci_low", "ci_high")}
        for metric in ("HR@10", "NDCG@10")
    }
