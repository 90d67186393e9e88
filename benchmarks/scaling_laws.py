"""Scaling curves: quality against model size, training data and compute, with power-law fits.

Run from the repository root::

    taskset -c 1 .venv/bin/python benchmarks/scaling_laws.py   # both axes and blocks: 40 min
    .venv/bin/python benchmarks/scaling_laws.py --axes model --blocks transformer --budget 30

The data: synthetic shops with one fixed generating process (``SHOP``: 2,000 items in 20
categories, the same catalogue, complements and tastes' prior for every size; only the number of
users grows, :meth:`reclab.data.ShopConfig.scaled`), so the ceiling is known: the shop's oracle
under the same protocol. Each point trains a SASRec (full softmax, the package's training
defaults, early stopping on validation NDCG@10) for at most ``--budget`` training seconds on one
core, with the Transformer block or the HSTU block (``SASRecConfig(block=...)``).

Axes:

``model``: the width d in ``DIMS`` (2 blocks, 2 heads where d allows), at ``BASE_EVENTS``
training events. ``data``: training events in ``EVENTS``, at d = 64.

Recorded per point: total and non-embedding parameters, training events, epochs and steps, the
compute bill (:func:`reclab.evaluation.scaling.step_flops` times the steps), validation loss (full
softmax cross-entropy of the validation targets), validation and test NDCG@10 with 95 % bootstrap
intervals over users, the oracle's NDCG@10 on the same users. Then a saturating power law
(:func:`reclab.evaluation.scaling.fit_power_law`) of validation loss and of validation NDCG@10
against parameters, events and FLOPs, per block. Results: ``benchmarks/results/scaling_laws.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "scaling_laws.json"
DIMS = (8, 16, 32, 64, 128)
EVENTS = (10_000, 20_000, 40_000, 80_000, 160_000)
BASE_EVENTS = 40_000
BASE_DIM = 64
BLOCKS = ("transformer", "hstu")


def shop_config(events: int):
    from reclab.data import ShopConfig

    return ShopConfig(num_items=2_000, num_categories=20, mean_events_per_user=50, seed=0).scaled(
        events
    )


def prepared_shop(events: int):
    from reclab.data import SyntheticShop, prepare_next_item_data, preprocess

    shop = SyntheticShop(shop_config(events))
    frame = preprocess(shop.generate(), min_user_events=3, min_item_events=1).interactions
    return shop, prepare_next_item_data(frame)


def one_point(shop, data, dim: int, block: str, budget: float, seed: int) -> dict:
    from reclab.data import training_windows
    from reclab.evaluation import evaluate_model
    from reclab.evaluation.scaling import next_item_cross_entropy, step_flops
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    heads = 2 if dim >= 16 else 1
    arch = SASRecConfig(
        dim=dim, num_heads=heads, **({} if block == "transformer" else {"block": block})
    )
    model = SASRec(data.num_items, arch)
    config = TrainingConfig(max_seconds=budget, patience=5, seed=seed)
    started = time.perf_counter()
    history = fit(model, data, config)
    wall = time.perf_counter() - started
    total = int(sum(np.prod(w.shape) for w in model.weights))
    table = int(np.prod(model.item_embedding.embeddings.shape))
    rows = len(training_windows(data.train, arch.max_len))  # TrainingConfig(windows=True)
    steps_per_epoch = int(np.ceil(rows / config.batch_size))
    steps = steps_per_epoch * history.epochs
    flops = step_flops(
        config.batch_size, arch.max_len, dim, arch.num_blocks, arch.ff_dim or dim,
        data.num_items + 1,
    ) * steps  # fmt: skip
    oracle = shop.oracle(data.items, data.users)
    out = {
        "block": block,
        "dim": dim,
        "heads": heads,
        "parameters": total,
        "non_embedding_parameters": total - table,
        "train_events": int(data.train.lengths.sum()),
        "users": int(data.num_users),
        "epochs": int(history.epochs),
        "best_epoch": int(history.best_epoch),
        "steps": int(steps),
        "flops": float(flops),
        "train_seconds": float(sum(r["train_seconds"] for r in history.records)),
        "wall_seconds": wall,
        "time_limit_reached": bool(history.time_limit_reached),
        "validation_loss": next_item_cross_entropy(model, data.validation),
    }
    for split in ("validation", "test"):
        for name, scorer in (("model", model), ("oracle", oracle)):
            table_ = evaluate_model(scorer, getattr(data, split))
            row = table_[table_.metric == "NDCG@10"].iloc[0]
            key = f"{split}_NDCG@10" if name == "model" else f"oracle_{split}_NDCG@10"
            out[key] = float(row.value)
            if name == "model":
                out[f"{key}_ci"] = [float(row.ci_low), float(row.ci_high)]
    return out


def fits(points: list[dict]) -> dict:
    from reclab.evaluation.scaling import fit_power_law

    out = {}
    for axis, xkey in (("model", "parameters"), ("data", "train_events"), ("compute", "flops")):
        for block in sorted({p["block"] for p in points}):
            chosen = [p for p in points if p["block"] == block and axis in p["axes"]]
            if axis == "compute":
                chosen = [p for p in points if p["block"] == block]
            chosen = sorted(chosen, key=lambda p: p[xkey])
            if len(chosen) < 3:
                continue
            x = np.array([p[xkey] for p in chosen], np.float64)
            for ykey in ("validation_loss", "validation_NDCG@10"):
                y = np.array([p[ykey] for p in chosen], np.float64)
                try:
                    law = fit_power_law(x, y)
                except ValueError as error:
                    out[f"{axis}/{block}/{ykey}"] = {"error": str(error)}
                    continue
                out[f"{axis}/{block}/{ykey}"] = {
                    "x": xkey, "scale": law.scale, "exponent": law.exponent,
                    "limit": law.limit, "x_range": list(law.x_range), "rmse": law.rmse,
                    "limit_at_bound": law.limit_at_bound,
                }  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--axes", nargs="*", default=["model", "data"], choices=["model", "data"])
    parser.add_argument("--blocks", nargs="*", default=list(BLOCKS), choices=list(BLOCKS))
    parser.add_argument("--budget", type=float, default=150.0, help="training seconds per point")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--events", nargs="*", type=int, default=None, help="data-axis sizes (default: EVENTS)"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="add the new points to the committed results (same setting otherwise) and refit",
    )
    args = parser.parse_args()

    from reclab import environment

    environment.quiet_tensorflow()
    plan: dict[tuple[int, int], set[str]] = {}
    if "model" in args.axes:
        for dim in DIMS:
            plan.setdefault((BASE_EVENTS, dim), set()).add("model")
    if "data" in args.axes:
        for events in args.events or EVENTS:
            plan.setdefault((events, BASE_DIM), set()).add("data")
    points = []
    shops: dict[int, tuple] = {}
    for (events, dim), axes in sorted(plan.items()):
        if events not in shops:
            shops = {events: prepared_shop(events)}  # one shop in memory at a time
        shop, data = shops[events]
        for block in args.blocks:
            point = one_point(shop, data, dim, block, args.budget, args.seed)
            point["axes"] = sorted(axes)
            point["target_events"] = events
            point["budget_seconds"] = args.budget
            points.append(point)
            print(
                f"{block:<11} d={dim:<4} events={point['train_events']:>7,} "
                f"params={point['parameters']:>9,} val loss {point['validation_loss']:.3f} "
                f"val NDCG@10 {point['validation_NDCG@10']:.4f} (oracle "
                f"{point['oracle_validation_NDCG@10']:.4f}) epochs {point['epochs']} "
                f"{point['train_seconds']:.0f} s",
                flush=True,
            )
    base_budget = args.budget
    if args.merge and RESULTS.exists():
        old = json.loads(RESULTS.read_text())
        base_budget = old["setting"]["budget_seconds"]
        new = {(p["block"], p["dim"], p["target_events"]) for p in points}
        kept = [p for p in old["points"] if (p["block"], p["dim"], p["target_events"]) not in new]
        for p in kept:
            p.setdefault("budget_seconds", old["setting"]["budget_seconds"])
        points = sorted(kept + points, key=lambda p: (p["target_events"], p["dim"], p["block"]))
    out = {
        "measured": {
            "date": date.today().isoformat(),
            "cpus": 1,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "note": "one pinned core (taskset -c 1) while the other core ran unrelated work",
        },
        "setting": {
            "shop": "ShopConfig(num_items=2000, num_categories=20, mean_events_per_user=50, "
            "seed=0).scaled(events)",
            "budget_seconds": base_budget,  # the sweep's; each point has its own too
            "training": "TrainingConfig(max_seconds=budget, patience=5): full softmax, XLA; "
            "points added with --merge may have a larger budget (their budget_seconds)",
            "model": "SASRecConfig(dim=d, num_heads=2 (1 for d < 16), block=...), 2 blocks, L=50",
            "protocol": "full ranking, seen items excluded on data without repeats (the shop "
            "has repeats: none excluded), pessimistic ties, 95% bootstrap over users",
        },
        "points": points,
        "fits": fits(points),
    }
    RESULTS.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out["fits"], indent=1))


if __name__ == "__main__":
    main()
