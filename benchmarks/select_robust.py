"""Which training schedule makes the command line's SASRec robust across seeds: on validation only.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/select_robust.py                      # every variant, 3 seeds
    taskset -c 0 .venv/bin/python benchmarks/select_robust.py --variants base L200 \\
        --out /tmp/a.json                                             # one core per process ...
    .venv/bin/python benchmarks/select_robust.py --combine /tmp/a.json /tmp/b.json   # ... merged

``benchmarks/select_defaults.py`` chose the step size and dropout (0.003, 0.3). With them,
``benchmarks/seeds.py`` measured a 5-seed mean of 1.23x Markov's test NDCG@10 and a worst seed of
1.10x (issue 13 asks for 1.3x and 1.15x). The variants here change what decides *when training
stops and where it ends*, the settings most likely to move a seed's result: the window length L
(the SASRec paper uses 200 on MovieLens-1M), early stopping's patience, and a cosine decay of the
step size. Every other setting is the command line's default for ``--model sasrec``.

Selection is on validation NDCG@10 averaged over the seeds, with the worst seed's value as the
second criterion. **The test split is never evaluated here.** Results go to
``benchmarks/results/select_robust.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "select_robust.json"

#: Each variant: overrides of ``SASRecConfig`` ("model") and of ``TrainingConfig`` ("training").
VARIANTS: dict[str, dict[str, dict]] = {
    "base": {"model": {}, "training": {}},
    "L200": {"model": {"max_len": 200}, "training": {}},
    "patience20": {"model": {}, "training": {"patience": 20}},
    "cosine60": {
        "model": {},
        "training": {"lr_schedule": "cosine", "epochs": 60, "patience": 20},
    },
    "L200-cosine60": {
        "model": {"max_len": 200},
        "training": {"lr_schedule": "cosine", "epochs": 60, "patience": 20},
    },
}


def run_variant(name: str, seed: int, data) -> dict:
    """Train one variant with one seed as the command line would, and read its validation only."""
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    variant = VARIANTS[name]
    model = SASRec(data.num_items, SASRecConfig(**variant["model"]))
    config = TrainingConfig(**{"seed": seed, **variant["training"]})
    started = time.perf_counter()
    history = fit(model, data, config)  # validation only: no test evaluation here
    return {
        "variant": name,
        "seed": seed,
        "val_NDCG@10": history.best_value,
        "best_epoch": history.best_epoch,
        "epochs": history.epochs,
        "seconds": time.perf_counter() - started,
    }


def summarise(runs: list[dict], machine: dict) -> dict:
    """Rank the variants by mean validation NDCG@10 over seeds, then by their worst seed."""
    by_variant: dict[str, list[dict]] = {}
    for run in runs:
        by_variant.setdefault(run["variant"], []).append(run)
    table = []
    for name, rows in by_variant.items():
        values = [r["val_NDCG@10"] for r in rows]
        table.append(
            {
                "variant": name,
                "overrides": VARIANTS[name],
                "mean_val_NDCG@10": float(np.mean(values)),
                "min_val_NDCG@10": float(np.min(values)),
                "mean_seconds": float(np.mean([r["seconds"] for r in rows])),
                "seeds": [r["seed"] for r in rows],
            }
        )
    table.sort(key=lambda row: (-row["mean_val_NDCG@10"], -row["min_val_NDCG@10"]))
    most = max(len(row["seeds"]) for row in table)
    complete = [row["variant"] for row in table if len(row["seeds"]) == most]
    return {
        "machine": machine,
        "protocol": "ml-latest-small 5-core, leave-last-out; selection on validation NDCG@10 "
        "(full ranking, seen items excluded, pessimistic ties); the test split is not evaluated",
        "runs": runs,
        "ranking": table,
        # Only variants run with every seed compete: a mean over fewer seeds is not comparable.
        "complete": complete,
        "incomplete": [row["variant"] for row in table if row["variant"] not in complete],
        "selected": complete[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--combine", type=Path, nargs="+", help="merge the runs of these files")
    args = parser.parse_args(argv)
    machine = {
        "date": time.strftime("%Y-%m-%d"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores_per_process": len(__import__("os").sched_getaffinity(0)),
    }
    if args.combine:
        parts = [json.loads(path.read_text()) for path in args.combine]
        result = summarise([run for part in parts for run in part["runs"]], parts[0]["machine"])
    else:
        from reclab.environment import quiet_tensorflow

        quiet_tensorflow()
        from reclab.data import load_movielens, prepare_next_item_data, preprocess

        ml = load_movielens("ml-latest-small", download=False)
        data = prepare_next_item_data(preprocess(ml.interactions).interactions)
        runs = []
        for name in args.variants:
            for seed in args.seeds:
                runs.append(run_variant(name, seed, data))
                print(json.dumps(runs[-1]), flush=True)
                partial = summarise(runs, machine)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(partial, indent=2) + "\n")
        result = summarise(runs, machine)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for row in result["ranking"]:
        seeds = row["seeds"]
        print(
            row["variant"],
            seeds,
            round(row["mean_val_NDCG@10"], 4),
            round(row["min_val_NDCG@10"], 4),
        )
    print("selected:", result["selected"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
