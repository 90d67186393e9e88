"""Pretrain -> fine-tune across two catalogues linked only by content, against scratch training.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/transfer.py                              # 3 seeds
    taskset -c 0 .venv/bin/python benchmarks/transfer.py --seeds 0 1 --out /tmp/a.json
    taskset -c 1 .venv/bin/python benchmarks/transfer.py --seeds 2 --out /tmp/b.json
    .venv/bin/python benchmarks/transfer.py --combine /tmp/a.json /tmp/b.json   # merged

Domains (:func:`reclab.data.two_domains`): MovieLens latest-small (5-core) is cut into two shops
with disjoint films (a seeded random half of the films each) and disjoint users (a seeded random
half each); events across the two are dropped. Each domain is cleaned again (5-core) and split
leave-last-out. Both domains' content is built with ``fit_on`` the whole catalogue, so their
title words and genres share ids; nothing else links them.

For each seed a hybrid SASRec (``items="hybrid"``) is pretrained on the source domain (at most
``--pretrain`` seconds, early stopping on source validation). On the target domain, with a
growing share of its users' training events (``NextItemData.subsample_training``; the test users
are always all of them), three models get the same budget (at most ``--budget`` seconds, early
stopping on the sampled users' validation split): SASRec with ids from scratch (the book's
default), the hybrid from scratch, and the hybrid fine-tuned from the pretrained one
(:func:`reclab.training.transfer_weights`: everything but the item table and the content arrays).
Share 0 is the pretrained model on the target without any training there: its content tower
alone, the id rows switched off. Markov on the same share is the baseline. The paired bootstrap
compares fine-tuned with scratch (hybrid) at every share.

Results go to ``benchmarks/results/transfer.json``.
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

RESULTS = ROOT / "benchmarks" / "results" / "transfer.json"
SHARES = (0.1, 0.25, 0.5, 1.0)
ARMS = ("id, scratch", "hybrid, scratch", "hybrid, fine-tuned")
SPLIT_SEED = 0


def domains():
    """``(source, target, catalogue, report)``: the two prepared domains of the docstring."""
    from reclab.data import load_movielens, prepare_next_item_data, preprocess, two_domains

    ml = load_movielens("ml-latest-small", download=False)
    clean = preprocess(ml.interactions).interactions
    films = np.unique(clean["item_id"])
    rng = np.random.default_rng(SPLIT_SEED)
    source_films = rng.choice(films, size=len(films) // 2, replace=False)
    cut = two_domains(clean, source_films, seed=SPLIT_SEED)
    source = prepare_next_item_data(preprocess(cut.source).interactions)
    target = prepare_next_item_data(preprocess(cut.target).interactions)
    return source, target, ml.items, cut.report


def evaluate(model, users) -> dict:
    from reclab.evaluation import evaluate_model

    table = evaluate_model(model, users).set_index("metric")
    return {key: float(table.loc[key, "value"]) for key in ("HR@10", "NDCG@10")}


def run_seed(seed: int, pretrain: float, budget: float, shares: tuple[float, ...]) -> dict:
    from reclab.data import item_content
    from reclab.evaluation import compare_models
    from reclab.models import MarkovChain, SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit, transfer_weights

    source, target, catalogue, _ = domains()
    content = {
        name: item_content(catalogue, part.items, fit_on=catalogue)
        for name, part in (("source", source), ("target", target))
    }
    hybrid = SASRecConfig(items="hybrid")
    pretrained = SASRec(source.num_items, hybrid, content=content["source"])
    started = time.perf_counter()
    history = fit(pretrained, source, TrainingConfig(seed=seed, max_seconds=pretrain))
    out = {
        "seed": seed,
        "pretrain": {
            "train_seconds": time.perf_counter() - started,
            "epochs": history.epochs,
            "val_NDCG@10": history.best_value,
            "test": evaluate(pretrained, source.test),
        },
        "runs": [],
        "paired": [],
    }
    print(json.dumps(out["pretrain"]), flush=True)
    zero = SASRec(target.num_items, hybrid, content=content["target"])
    transfer_weights(pretrained, zero, seed=seed)
    zero.set_trained_items(np.zeros(target.num_items + 1))  # no target events: content alone
    out["runs"].append(
        {
            "arm": "hybrid, fine-tuned",
            "share": 0.0,
            "train_seconds": 0.0,
            "test": evaluate(zero, target.test),
        }
    )
    for share in shares:
        data = target.subsample_training(share, seed=seed)
        markov = MarkovChain(target.num_items, popularity_weight=0.5).fit(data.train)
        out["runs"].append({"arm": "Markov", "share": share, "test": evaluate(markov, target.test)})
        models = {}
        for arm in ARMS:
            items = arm.split(",")[0]
            model = SASRec(
                target.num_items,
                SASRecConfig(items=items),
                content=None if items == "id" else content["target"],
            )
            report = transfer_weights(pretrained, model, seed=seed) if "fine" in arm else None
            started = time.perf_counter()
            history = fit(model, data, TrainingConfig(seed=seed, max_seconds=budget))
            first = history.records[0].get("val_NDCG@10") if history.records else None
            run = {
                "arm": arm,
                "share": share,
                "users": len(data.train),
                "events": len(data.train.items),
                "train_seconds": time.perf_counter() - started,
                "epochs": history.epochs,
                "best_epoch": history.best_epoch,
                "val_NDCG@10_first_epoch": first,
                "val_NDCG@10": history.best_value,
                "values_transferred": None if report is None else report.values_copied,
                "test": evaluate(model, target.test),
            }
            out["runs"].append(run)
            models[arm] = model
            print(json.dumps(run), flush=True)
        paired = compare_models(
            models["hybrid, fine-tuned"],
            models["hybrid, scratch"],
            target.test,
            names=("hybrid, fine-tuned", "hybrid, scratch"),
        )
        out["paired"].append({"share": share, **paired})
    return out


def summarise(result: dict) -> dict:
    """Means over seeds per arm and share, and where fine-tuning helped."""
    runs = [r for s in result["per_seed"] for r in s["runs"]]
    summary: dict = {}
    for arm in ("Markov", *ARMS):
        for share in sorted({r["share"] for r in runs if r["arm"] == arm}):
            chosen = [r for r in runs if r["arm"] == arm and r["share"] == share]
            summary.setdefault(arm, {})[str(share)] = {
                key: float(np.mean([r["test"][key] for r in chosen]))
                for key in ("HR@10", "NDCG@10")
            } | {
                "seconds": float(np.mean([r.get("train_seconds", 0.0) for r in chosen])),
                "seeds": len(chosen),
            }
    result["summary"] = summary
    verdicts = {}
    for share in result["shares"]:
        pairs = [p for s in result["per_seed"] for p in s["paired"] if p["share"] == share]
        verdicts[str(share)] = {
            "fine_tuned_minus_scratch": float(np.mean([p["difference"] for p in pairs])),
            "seeds_above_zero": sum(p["ci_low"] > 0 for p in pairs),
            "seeds_below_zero": sum(p["ci_high"] < 0 for p in pairs),
            "seeds": len(pairs),
        }
    result["verdicts"] = verdicts
    print(json.dumps(verdicts, indent=1), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pretrain", type=float, default=120.0, help="source training seconds")
    parser.add_argument("--budget", type=float, default=60.0, help="target training seconds")
    parser.add_argument("--shares", type=float, nargs="+", default=list(SHARES))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--combine", type=Path, nargs="+", help="merge these result files")
    args = parser.parse_args(argv)
    if args.combine:
        parts = [json.loads(path.read_text()) for path in args.combine]
        result = {**parts[0], "per_seed": [s for p in parts for s in p["per_seed"]]}
        result["seeds"] = [s["seed"] for s in result["per_seed"]]
    else:
        from reclab.environment import quiet_tensorflow

        quiet_tensorflow()
        source, target, _, report = domains()
        result = {
            "machine": machine(),
            "protocol": "ml-latest-small 5-core cut into two domains (random half of the films "
            "and of the users each, split seed 0), each 5-core and leave-last-out; full "
            "ranking on all target test users, seen items excluded, pessimistic ties; "
            "training stops early on the validation split of the users trained on",
            "domains": {
                "cut": report.to_dict(),
                "source": {
                    "users": source.num_users,
                    "items": source.num_items,
                    "events": len(source.train.items),
                },
                "target": {
                    "users": target.num_users,
                    "items": target.num_items,
                    "events": len(target.train.items),
                },
            },
            "pretrain_seconds": args.pretrain,
            "budget_seconds": args.budget,
            "shares": args.shares,
            "seeds": args.seeds,
            "per_seed": [
                run_seed(s, args.pretrain, args.budget, tuple(args.shares)) for s in args.seeds
            ],
        }
    result = summarise(result)
    write_results(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
