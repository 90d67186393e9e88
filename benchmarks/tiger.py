"""Generative retrieval on MovieLens: TIGER against SASRec and Markov, and the codes' collisions.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/tiger.py                                  # 3 seeds, 10 minutes
    taskset -c 0 .venv/bin/python benchmarks/tiger.py --seeds 0 1 --out /tmp/a.json   # a core
    taskset -c 1 .venv/bin/python benchmarks/tiger.py --seeds 2 --out /tmp/b.json     # each ...
    .venv/bin/python benchmarks/tiger.py --combine /tmp/a.json /tmp/b.json            # merged

Protocol: the book's (5-core ml-latest-small, leave-last-out, full ranking over the catalogue,
seen items excluded, pessimistic ties). TIGER (:class:`reclab.models.TIGER`, package defaults:
codes from co-occurrence, 2 levels of 256 codes and a collision code, 2 decoder blocks, dropout
0.2, beam 20) and SASRec (package defaults) each train for at most ``--budget`` seconds per
seed with early stopping on validation NDCG@10; Markov (popularity weight 0.5, the command
line's) is counted once. The paired bootstrap compares TIGER with Markov and with SASRec on the
test users of each seed.

The bar of issue 15: TIGER, trained at most 10 minutes, reaches at least Markov's test NDCG@10.
The codes' collision rate and reconstruction error are measured against the codebook size.
Results go to ``benchmarks/results/tiger.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "tiger.json"
CODEBOOK_SIZES = (4, 8, 16, 32, 64, 128, 256)
LEVELS = (1, 2, 3)


def metrics(model, users) -> dict:
    from reclab.evaluation import evaluate_model

    table = evaluate_model(model, users).set_index("metric")
    return {key: float(table.loc[key, "value"]) for key in ("HR@10", "NDCG@10")}


def prepare():
    from reclab.data import load_movielens, prepare_next_item_data, preprocess

    ml = load_movielens("ml-latest-small", download=False)
    return prepare_next_item_data(preprocess(ml.interactions).interactions)


def codes_sweep(data) -> list[dict]:
    """Collision rate and relative reconstruction error of the co-occurrence vectors' codes."""
    from reclab.models import cooccurrence_vectors, residual_kmeans

    vectors = cooccurrence_vectors(data.train, data.num_items)
    rows = []
    for levels in LEVELS:
        for size in CODEBOOK_SIZES:
            ids = residual_kmeans(vectors, levels=levels, codebook_size=size)
            error = np.linalg.norm(vectors[1:] - ids.reconstruct()) / np.linalg.norm(vectors[1:])
            rows.append(
                {
                    "levels": levels,
                    "codebook_size": size,
                    "collision_rate": ids.collision_rate,
                    "largest_collision_group": ids.sizes[-1],
                    "relative_error": float(error),
                }
            )
    return rows


def run_seed(data, seed: int, budget: float, markov) -> dict:
    from reclab.evaluation import compare_models
    from reclab.models import TIGER, SASRec
    from reclab.training import TrainingConfig, fit

    out = {"seed": seed}
    trained = {}
    for name, model in (("tiger", TIGER(data.num_items)), ("sasrec", SASRec(data.num_items))):
        started = time.perf_counter()
        history = fit(model, data, TrainingConfig(seed=seed, max_seconds=budget))
        out[name] = {
            "seconds": time.perf_counter() - started,
            "train_seconds": float(sum(r["train_seconds"] for r in history.records)),
            "epochs": history.epochs,
            "best_epoch": history.best_epoch,
            "val_NDCG@10": history.best_value,
            "parameters": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
            "test": metrics(model, data.test),
        }
        trained[name] = model
        print(json.dumps({name: out[name], "seed": seed}), flush=True)
    out["paired"] = {
        "tiger_minus_markov": compare_models(
            trained["tiger"], markov, data.test, names=("tiger", "markov")
        ),
        "tiger_minus_sasrec": compare_models(
            trained["tiger"], trained["sasrec"], data.test, names=("tiger", "sasrec")
        ),
    }
    return out


def summarise(result: dict) -> dict:
    runs = result["runs"]
    mean = {
        name: {k: float(np.mean([r[name]["test"][k] for r in runs])) for k in ("HR@10", "NDCG@10")}
        for name in ("tiger", "sasrec")
    }
    markov = result["markov"]["test"]
    result["summary"] = {
        "mean_test": mean,
        "tiger_over_markov_NDCG@10": mean["tiger"]["NDCG@10"] / markov["NDCG@10"],
        "tiger_over_sasrec_NDCG@10": mean["tiger"]["NDCG@10"] / mean["sasrec"]["NDCG@10"],
        "tiger_at_least_markov": mean["tiger"]["NDCG@10"] >= markov["NDCG@10"],
        "tiger_beats_sasrec": mean["tiger"]["NDCG@10"] > mean["sasrec"]["NDCG@10"],
    }
    print(json.dumps(result["summary"]), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds per run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--combine", type=Path, nargs="+", help="merge these result files")
    args = parser.parse_args(argv)
    if args.combine:
        parts = [json.loads(path.read_text()) for path in args.combine]
        runs = sorted((run for part in parts for run in part["runs"]), key=lambda r: r["seed"])
        result = {**parts[0], "runs": runs}
        result["seeds"] = [run["seed"] for run in result["runs"]]
    else:
        from reclab.environment import quiet_tensorflow
        from reclab.models import MarkovChain

        quiet_tensorflow()
        data = prepare()
        markov = MarkovChain(data.num_items, popularity_weight=0.5).fit(data.train)
        result = {
            "machine": machine(),
            "protocol": "ml-latest-small, 5-core, leave-last-out; full ranking, seen items "
            "excluded, pessimistic ties; early stopping on validation NDCG@10",
            "budget_seconds": args.budget,
            "seeds": args.seeds,
            "num_items": data.num_items,
            "markov": {"test": metrics(markov, data.test)},
            "codes": codes_sweep(data),
            "runs": [run_seed(data, seed, args.budget, markov) for seed in args.seeds],
        }
    result = summarise(result)
    write_results(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
