"""Items nobody has clicked yet: SASRec with id, content and hybrid item vectors, cold start.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/cold_start.py                       # both data sets, 3 seeds
    taskset -c 0 .venv/bin/python benchmarks/cold_start.py --datasets ml-latest-small \\
        --out /tmp/ml.json                                          # one core per process ...
    .venv/bin/python benchmarks/cold_start.py --combine /tmp/ml.json /tmp/shop.json   # ... merged

Protocol (:func:`reclab.evaluation.cold_start_split`): leave-last-out, then 20 % of the items are
held out of training entirely and occur only as test targets: on MovieLens the newest (latest
first rating: the films that arrived last), on the synthetic shop a seeded random 20 % (the
simulator has no arrival process: its latest-seen items are merely its rarest).
Each model is SASRec with the package defaults (full softmax, early stopping on the warm
validation split) and ``SASRecConfig(items=...)`` set to ``"id"``, ``"content"`` or ``"hybrid"``,
trained for at most ``--budget`` seconds per run. Every model is scored three ways on the test
users: warm targets (full catalogue), cold targets (full catalogue), and cold targets on the
new-arrivals shelf (:class:`reclab.evaluation.Shelf`: only the cold items are ranked, where a
random order hits with probability K / |shelf|). Popularity and Markov are the baselines; the
paired bootstrap compares hybrid with id on warm targets and content with id on the shelf.

The bars of issue 15: on cold targets the content model's HR@10 is at least 3x popularity's and
the id-only model is at chance; on warm targets the hybrid loses at most 5 % NDCG@10 against id.
Results go to ``benchmarks/results/cold_start.json``.
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

RESULTS = ROOT / "benchmarks" / "results" / "cold_start.json"
DATASETS = ("ml-latest-small", "synthetic-shop")
#: How each data set's cold items are chosen (see the module docstring).
STRATEGY = {"ml-latest-small": "newest", "synthetic-shop": "random"}
ITEMS = ("id", "content", "hybrid")
#: The synthetic shop of the sweep in chapter 11 (2,000 items in 20 categories), 60k events.
SHOP = {"num_items": 2000, "num_categories": 20, "mean_events_per_user": 50, "seed": 0}
SHOP_EVENTS = 60_000


def load(dataset: str):
    """``(events, catalogue)`` of one data set, cleaned as the command line cleans it."""
    from reclab.data import ShopConfig, SyntheticShop, load_movielens, preprocess

    if dataset == "ml-latest-small":
        ml = load_movielens("ml-latest-small", download=False)
        return preprocess(ml.interactions).interactions, ml.items
    shop = SyntheticShop(ShopConfig(**SHOP).scaled(SHOP_EVENTS))
    return shop.generate(), shop.items


def run_dataset(dataset: str, seeds: list[int], budget: float) -> dict:
    from reclab.data import item_content
    from reclab.evaluation import cold_start_split
    from reclab.models import MarkovChain, Popularity, SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    events, catalogue = load(dataset)
    cs = cold_start_split(events, strategy=STRATEGY[dataset])
    data = cs.data
    content = item_content(catalogue, data.items)
    print(cs.report, flush=True)
    result = {
        "strategy": STRATEGY[dataset],
        "split": cs.report.to_dict(),
        "shelf_size": len(cs.cold_items),
        "chance_shelf_HR@10": 10 / len(cs.cold_items),
        "baselines": {},
        "runs": [],
    }
    popularity = Popularity(data.num_items).fit(data.train)
    markov = MarkovChain(data.num_items, popularity_weight=0.5).fit(data.train)
    for name, model in (("popularity", popularity), ("markov", markov)):
        result["baselines"][name] = cs.evaluate(model)
    for seed in seeds:
        models = {}
        for items in ITEMS:
            config = SASRecConfig(items=items)
            model = SASRec(data.num_items, config, content=None if items == "id" else content)
            started = time.perf_counter()
            history = fit(model, data, TrainingConfig(seed=seed, max_seconds=budget))
            run = {
                "items": items,
                "seed": seed,
                "train_seconds": time.perf_counter() - started,
                "epochs": history.epochs,
                "best_epoch": history.best_epoch,
                "val_NDCG@10": history.best_value,
                **cs.evaluate(model),
            }
            result["runs"].append(run)
            models[items] = model
            print(json.dumps(run), flush=True)
        warm = cs.compare(models["hybrid"], models["id"], "warm", names=("hybrid", "id"))
        shelf = cs.compare(models["content"], models["id"], "cold_shelf", names=("content", "id"))
        result.setdefault("paired", []).append(
            {"seed": seed, "warm_hybrid_minus_id": warm, "cold_shelf_content_minus_id": shelf}
        )
    return result


def summarise(result: dict) -> dict:
    """Means over seeds and the bars, per data set."""
    for dataset, part in result["datasets"].items():
        summary = {}
        for items in ITEMS:
            runs = [r for r in part["runs"] if r["items"] == items]
            summary[items] = {
                f"{where}_{key}": float(np.mean([r[where][key] for r in runs]))
                for where in ("warm", "cold", "cold_shelf")
                for key in ("HR@10", "NDCG@10")
            }
        pop = part["baselines"]["popularity"]
        content_cold = summary["content"]["cold_HR@10"]
        part["summary"] = summary
        part["bars"] = {
            "content_cold_HR@10": content_cold,
            "popularity_cold_HR@10": pop["cold"]["HR@10"],
            "content_cold_at_least_3x_popularity": content_cold > 0
            and content_cold >= 3 * pop["cold"]["HR@10"],
            "content_cold_shelf_HR@10": summary["content"]["cold_shelf_HR@10"],
            "id_cold_shelf_HR@10": summary["id"]["cold_shelf_HR@10"],
            "chance_shelf_HR@10": part["chance_shelf_HR@10"],
            "hybrid_over_id_warm_NDCG@10": summary["hybrid"]["warm_NDCG@10"]
            / summary["id"]["warm_NDCG@10"],
        }
        part["bars"]["hybrid_within_5_percent_warm"] = (
            part["bars"]["hybrid_over_id_warm_NDCG@10"] >= 0.95
        )
        print(dataset, json.dumps(part["bars"]), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=120.0, help="training seconds per run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--combine", type=Path, nargs="+", help="merge these result files")
    args = parser.parse_args(argv)
    if args.combine:
        parts = [json.loads(path.read_text()) for path in args.combine]
        result = {**parts[0], "datasets": {}}
        for part in parts:
            result["datasets"].update(part["datasets"])
    else:
        from reclab.environment import quiet_tensorflow

        quiet_tensorflow()
        result = {
            "machine": machine(),
            "protocol": "leave-last-out; 20% of items held out of training (cold_start_split: "
            "newest on MovieLens, random on the shop); full ranking, seen items excluded, "
            "pessimistic ties; "
            "training stops early on warm validation NDCG@10",
            "budget_seconds": args.budget,
            "seeds": args.seeds,
            "datasets": {d: run_dataset(d, args.seeds, args.budget) for d in args.datasets},
        }
    result = summarise(result)
    write_results(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
