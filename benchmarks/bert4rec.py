"""BERT4Rec against SASRec and Markov, as a new user runs them, at the same wall-time budget.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/bert4rec.py                       # 3 seeds, up to 45 min
    .venv/bin/python benchmarks/bert4rec.py --seeds 0 --max-seconds 120   # a quick look

or one process per core, then merged::

    taskset -c 0 .venv/bin/python benchmarks/bert4rec.py --seeds 0 2 --out /tmp/a.json &
    taskset -c 1 .venv/bin/python benchmarks/bert4rec.py --seeds 1 --out /tmp/b.json
    .venv/bin/python benchmarks/bert4rec.py --combine /tmp/a.json /tmp/b.json

For each seed, ``python -m reclab train --model M --dataset ml-latest-small --seed S
--max-seconds T`` runs with the package's defaults for M in ``--models`` (bert4rec and sasrec;
early stopping on validation NDCG@10 may end a run before T), and ``--model markov`` once. From
the saved runs, on the same test users:

- test NDCG@10 and HR@10 under the book's protocol (full ranking, seen items excluded,
  pessimistic ties), as each run's ``metrics.json`` records them;
- the same models ranked against 100 uniformly sampled unseen negatives (the protocol of the
  BERT4Rec and SASRec papers), seeded;
- paired bootstrap intervals (1,000 resamples) of every model minus Markov and of BERT4Rec minus
  SASRec (:func:`reclab.evaluation.compare_models`);
- the validation curve: NDCG@10 after each epoch against cumulative training seconds.

Issue 14's bar: BERT4Rec's test NDCG@10 >= 1.2 x Markov's within 10 minutes of training, on every
seed. Results: ``benchmarks/results/bert4rec.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from seeds import train  # noqa: E402  (the same subprocess call of the command line)

RESULTS = ROOT / "benchmarks" / "results" / "bert4rec.json"
BAR = 1.2


def curve(run: Path) -> list[list[float]]:
    """``[cumulative training seconds, validation NDCG@10]`` after each epoch of a run."""
    records = json.loads((run / "metrics.json").read_text())["training"]["records"]
    seconds = np.cumsum([r["train_seconds"] for r in records])
    return [[float(t), float(r["val_NDCG@10"])] for t, r in zip(seconds, records, strict=True)]


def sampled(model, test) -> dict[str, float]:
    """HR@10 and NDCG@10 against 100 uniformly sampled unseen items (seed 0)."""
    from reclab.evaluation import evaluate_sampled_ranking
    from reclab.models import score_fn

    values = evaluate_sampled_ranking(
        score_fn(model), test.histories, test.targets, metrics=["hr", "ndcg"], rng=0
    )
    return {key: float(value) for key, value in values.items()}


def summarise(seeds: dict, markov: dict, names: list[str]) -> dict:
    """Per model over the seeds: mean and spread of test NDCG@10, ratios to Markov, the bar."""
    summary: dict[str, object] = {}
    for name in names:
        values = np.array([seeds[s][name]["test_NDCG@10"] for s in seeds])
        ratios = values / markov["test_NDCG@10"]
        summary[name] = {
            "mean_test_NDCG@10": float(values.mean()),
            "sd_test_NDCG@10": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
            "mean_sampled_NDCG@10": float(
                np.mean([seeds[s][name]["sampled"]["NDCG@10"] for s in seeds])
            ),
            "mean_ratio_to_markov": float(ratios.mean()),
            "min_ratio_to_markov": float(ratios.min()),
            "mean_train_seconds": float(np.mean([seeds[s][name]["train_seconds"] for s in seeds])),
            "seeds_with_interval_above_markov": int(
                sum(seeds[s][name]["paired_vs_markov"]["ci_low"] > 0 for s in seeds)
            ),
        }
    if "bert4rec" in summary:
        summary["bar"] = f"bert4rec test NDCG@10 >= {BAR} x markov on every seed"
        summary["bar_met"] = bool(summary["bert4rec"]["min_ratio_to_markov"] >= BAR)
    return summary


def combine(paths: list[str], out: Path) -> None:
    """Merge runs made in parallel (one process per core, different seeds) into one file."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    merged = dict(parts[0])
    merged["seeds"] = {k: v for part in parts for k, v in part["seeds"].items()}
    names = [n for n in ("bert4rec", "sasrec") if n in next(iter(merged["seeds"].values()))]
    merged["summary"] = summarise(merged["seeds"], merged["markov"], names)
    merged["machine"]["note"] = f"{len(parts)} processes, one pinned core each, run side by side"
    out.write_text(json.dumps(merged, indent=1, default=float) + "\n")
    print(json.dumps(merged["summary"], indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=["bert4rec", "sasrec"])
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--out", default=str(RESULTS), help="where to write the results")
    parser.add_argument(
        "--combine", nargs="+", default=None, help="merge these result files into --out, no runs"
    )
    args = parser.parse_args()
    if args.combine:
        combine(args.combine, Path(args.out))
        return

    from reclab.cli import _load_run  # the command line's own loading: same data, same model
    from reclab.evaluation import compare_models

    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        markov = train("markov", 0, runs / "markov")
        _, prepared, _, markov_model, _ = _load_run(str(runs / "markov"))
        markov["sampled"] = sampled(markov_model, prepared.test)
        print("markov", markov, flush=True)
        seeds: dict[str, dict] = {}
        for seed in args.seeds:
            loaded = {}
            entry: dict[str, dict] = {}
            for name in args.models:
                out = runs / f"{name}-{seed}"
                result = train(name, seed, out, "--max-seconds", str(args.max_seconds))
                _, _, _, loaded[name], _ = _load_run(str(out))
                result["ratio_to_markov"] = result["test_NDCG@10"] / markov["test_NDCG@10"]
                result["paired_vs_markov"] = compare_models(
                    loaded[name], markov_model, prepared.test, names=(name, "markov")
                )
                result["sampled"] = sampled(loaded[name], prepared.test)
                result["curve"] = curve(out)
                entry[name] = result
                print(seed, name, {k: v for k, v in result.items() if k != "curve"}, flush=True)
            if {"bert4rec", "sasrec"} <= set(loaded):
                entry["bert4rec_minus_sasrec"] = compare_models(
                    loaded["bert4rec"],
                    loaded["sasrec"],
                    prepared.test,
                    names=("bert4rec", "sasrec"),
                )
            seeds[str(seed)] = entry
    results = {
        "machine": {
            "cpus": len(os.sched_getaffinity(0)),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d"),
        },
        "command": "python -m reclab train --model M --dataset ml-latest-small --seed S "
        f"--max-seconds {args.max_seconds:g}",
        "max_seconds": args.max_seconds,
        "markov": markov,
        "seeds": seeds,
        "summary": summarise(seeds, markov, args.models),
    }
    out = Path(args.out)
    out.write_text(json.dumps(results, indent=1, default=float) + "\n")
    print(json.dumps(results["summary"], indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
