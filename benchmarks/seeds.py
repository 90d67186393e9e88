"""Seed robustness of the command line's SASRec against its Markov baseline, as a new user runs it.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/seeds.py                 # 5 seeds, 12 to 17 minutes on 2 cores
    .venv/bin/python benchmarks/seeds.py --seeds 0 1     # a quicker look

For each seed, ``python -m reclab train --model sasrec --dataset ml-latest-small --seed S``
runs exactly as the README shows it (package defaults, early stopping on validation), and
``--model markov`` (popularity-weighted, lambda = 0.5) once. The test NDCG@10 of each run is read
from its ``metrics.json``; the saved SASRec and the Markov model are then compared on the same
test users with :func:`reclab.evaluation.compare_models` (paired bootstrap of the per-user
difference, 1,000 resamples). The goal of issue 13: mean ratio >= 1.3, every seed >= 1.15, and
each paired interval above 0.

Results are printed and saved to ``benchmarks/results/seeds.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "seeds.json"
DATASET = "ml-latest-small"


def train(model: str, seed: int, out: Path, *flags: str) -> dict:
    """``python -m reclab train --model MODEL --dataset ml-latest-small --seed SEED [flags]``."""
    command = [sys.executable, "-m", "reclab", "train", "--model", model, "--dataset", DATASET]
    command += ["--seed", str(seed), "--offline", "--no-progress", "--out", str(out), *flags]
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    metrics = json.loads((out / "metrics.json").read_text())
    training = metrics.get("training", {})
    return {
        "test_NDCG@10": metrics["test"]["NDCG@10"],
        "test_HR@10": metrics["test"]["HR@10"],
        "val_NDCG@10": metrics["validation"]["NDCG@10"],
        "epochs": len(training.get("records", [])),
        "best_epoch": training.get("best_epoch"),
        "train_seconds": float(sum(r["train_seconds"] for r in training.get("records", []))),
        "wall_seconds": time.perf_counter() - started,
    }


def paired(sasrec_run: Path, markov_run: Path) -> dict:
    """The paired interval of SASRec minus Markov on the test users both runs were scored on."""
    from reclab.cli import _load_run  # the command line's own loading: same data, same model
    from reclab.evaluation import compare_models

    _, prepared, _, sasrec, _ = _load_run(str(sasrec_run))
    _, _, _, markov, _ = _load_run(str(markov_run))
    return compare_models(sasrec, markov, prepared.test, names=("sasrec", "markov"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--flags",
        nargs=argparse.REMAINDER,
        default=[],
        help="extra 'train' flags for SASRec, e.g. --flags --patience 20 (a candidate default)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        markov = train("markov", 0, runs / "markov")
        print("markov", markov, flush=True)
        seeds = {}
        for seed in args.seeds:
            result = train("sasrec", seed, runs / f"sasrec-{seed}", *args.flags)
            result["ratio_to_markov"] = result["test_NDCG@10"] / markov["test_NDCG@10"]
            result["paired"] = paired(runs / f"sasrec-{seed}", runs / "markov")
            seeds[str(seed)] = result
            print(seed, result, flush=True)
    ratios = np.array([r["ratio_to_markov"] for r in seeds.values()])
    values = np.array([r["test_NDCG@10"] for r in seeds.values()])
    summary = {
        "mean_test_NDCG@10": float(values.mean()),
        "sd_test_NDCG@10": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
        "mean_ratio": float(values.mean() / markov["test_NDCG@10"]),
        "min_ratio": float(ratios.min()),
        "max_ratio": float(ratios.max()),
        "seeds_with_interval_above_0": int(sum(r["paired"]["ci_low"] > 0 for r in seeds.values())),
        "goal": "mean ratio >= 1.3, every seed >= 1.15, paired interval above 0",
    }
    summary["goal_met"] = bool(
        summary["mean_ratio"] >= 1.3
        and summary["min_ratio"] >= 1.15
        and summary["seeds_with_interval_above_0"] == len(seeds)
    )
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d"),
        },
        "command": f"python -m reclab train --model sasrec --dataset {DATASET} --seed S"
        + "".join(f" {flag}" for flag in args.flags),
        "markov": markov,
        "seeds": seeds,
        "summary": summary,
    }
    args.out.write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
