"""Does attention say what a SASRec recommendation depends on? Attributions against deletion.

Run from the repository root (RECLAB_DATA must hold ml-latest-small; about 3 minutes)::

    taskset -c 0 .venv/bin/python benchmarks/explain.py

Protocol: ml-latest-small, cleaned as the command line cleans it (5-core) and split
leave-last-out (:func:`reclab.data.prepare_next_item_data`). One SASRec with the package
defaults is trained by :func:`reclab.training.fit` for at most ``--budget`` seconds of training
(``TrainingConfig(max_seconds=...)``, which stops after the epoch that passes it; early stopping on
validation NDCG@10). For ``--users`` test users drawn with ``--seed``, the explained item is the
model's top-1 recommendation (items of the whole history excluded). The attributions are
computed on the model's window, the latest ``max_len`` items of each history (what the model
reads; deletion rescores that window without the item):

- deletion :math:`\\Delta_t` (:func:`reclab.recommend.deletion_importance`), the ground truth;
- attention of the last block from the latest position, and attention rollout
  (:func:`reclab.recommend.attention_importance`);
- gradient x input (:func:`reclab.recommend.gradient_times_input`).

For each of the last three against deletion: top-1 agreement with a bootstrap interval over users
(:func:`reclab.evaluation.bootstrap_ci`), its chance level (mean of 1 / history length) and the
mean Spearman correlation (:func:`reclab.recommend.attribution_agreement`). Then the score drop
when deleting the item each attribution ranks first, against deleting a random item of the
window (seeded), the latest item and the best possible choice (the top-deletion item itself),
with paired bootstrap intervals of "chosen minus random", and how often each choice is simply
the latest item (the latest item is a baseline attribution too).

Results go to ``benchmarks/results/explain.json``.
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

RESULTS = ROOT / "benchmarks" / "results" / "explain.json"


def _top1(values: np.ndarray) -> np.ndarray:
    """Each row's column of the largest non-NaN value; ties go to the latest column."""
    masked = np.where(np.isnan(values), -np.inf, values)[:, ::-1]
    return values.shape[1] - 1 - np.argmax(masked, axis=1)


def _interval(values: np.ndarray, seed: int) -> dict:
    from reclab.evaluation import bootstrap_ci

    low, high = bootstrap_ci(values, seed=seed)
    return {"mean": float(np.mean(values)), "ci_low": low, "ci_high": high}


def run(budget: float, n_users: int, seed: int) -> dict:
    from reclab.data import load_movielens, prepare_next_item_data, preprocess
    from reclab.evaluation import evaluate_model, paired_bootstrap_ci
    from reclab.models import SASRec
    from reclab.recommend import (
        attention_importance,
        attribution_agreement,
        deletion_importance,
        gradient_times_input,
        top_k,
    )
    from reclab.training import TrainingConfig, fit

    ml = load_movielens("ml-latest-small", download=False)
    data = prepare_next_item_data(preprocess(ml.interactions).interactions)
    model = SASRec(data.num_items)
    started = time.perf_counter()
    history = fit(model, data, TrainingConfig(seed=seed, max_seconds=budget))
    train_seconds = time.perf_counter() - started
    test = evaluate_model(model, data.test).set_index("metric")
    print(f"trained {history.epochs} epochs in {train_seconds:.0f} s", flush=True)

    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(data.test), size=min(n_users, len(data.test)), replace=False))
    full = data.test.histories[chosen]  # (U, T): whole histories
    best, _ = top_k(model, full, 1, exclude_seen=data.test.exclude_seen)
    items = best[:, 0]  # (U,): the top-1 recommendation
    window = full[:, -model.max_len :]  # (U, L): what the model reads
    seconds = {}
    attributions = {}
    for name, compute in (
        ("deletion", lambda: deletion_importance(model, window, items)),
        ("attention (last block)", lambda: attention_importance(model, window, method="last")),
        ("attention rollout", lambda: attention_importance(model, window, method="rollout")),
        ("gradient x input", lambda: gradient_times_input(model, window, items)),
    ):
        tick = time.perf_counter()
        attributions[name] = compute()
        seconds[name] = time.perf_counter() - tick
        print(f"{name}: {seconds[name]:.1f} s", flush=True)
    deletion = attributions["deletion"]

    agreement = {}
    for name in ("attention (last block)", "attention rollout", "gradient x input"):
        result = attribution_agreement(attributions[name], deletion, per_history=True)
        rho = result["spearman_per_history"]
        agreement[name] = {
            "top1_agreement": _interval(result["top1_match"], seed),
            "top1_chance": result["top1_chance"],
            "spearman": _interval(rho[~np.isnan(rho)], seed),
            "histories": result["histories"],
            "spearman_histories": result["spearman_histories"],
        }
        print(name, json.dumps(agreement[name]), flush=True)

    rows = np.arange(len(window))
    real = window != 0
    lengths = real.sum(axis=1)
    offsets = rng.integers(0, lengths)  # a random real position per user (left padding)
    picks = {
        "top attention (last block)": _top1(attributions["attention (last block)"]),
        "top attention rollout": _top1(attributions["attention rollout"]),
        "top gradient x input": _top1(attributions["gradient x input"]),
        "random item": window.shape[1] - lengths + offsets,
        "latest item": np.full(len(window), window.shape[1] - 1),
        "top deletion (the best possible)": _top1(deletion),
    }
    latest = window.shape[1] - 1
    # Rollout adds 0.5 I at every block, which favours the latest position: how often each
    # attribution's top item is simply the latest one, and how often deletion's is.
    top_is_latest = {name: float(np.mean(column == latest)) for name, column in picks.items()}
    drops = {name: deletion[rows, column] for name, column in picks.items()}
    assert all(np.isfinite(d).all() for d in drops.values())
    score_drop = {name: _interval(d, seed) for name, d in drops.items()}
    paired = {}
    for name in picks:
        if name != "random item":
            diff, low, high = paired_bootstrap_ci(drops[name], drops["random item"], seed=seed)
            paired[f"{name} minus random item"] = {
                "difference": diff,
                "ci_low": low,
                "ci_high": high,
            }
    print(json.dumps(score_drop, indent=1), flush=True)
    scores = model.score(window)[rows, items]
    return {
        "data": {
            "users": data.num_users,
            "items": data.num_items,
            "train_events": len(data.train.items),
        },
        "training": {
            "budget_seconds": budget,
            "train_seconds": train_seconds,
            "epochs": history.epochs,
            "best_epoch": history.best_epoch,
            "time_limit_reached": history.time_limit_reached,
            "val_NDCG@10": history.best_value,
            "test_HR@10": float(test.loc["HR@10", "value"]),
            "test_NDCG@10": float(test.loc["NDCG@10", "value"]),
        },
        "explained": {
            "users": len(window),
            "seed": seed,
            "mean_window_length": float(lengths.mean()),
            "mean_score_of_the_item": float(scores.mean()),
            "mean_abs_deletion": float(np.nanmean(np.abs(deletion))),
        },
        "agreement_with_deletion": agreement,
        "score_drop_when_deleting": score_drop,
        "share_whose_pick_is_the_latest_item": top_is_latest,
        "paired": paired,
        "seconds": seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=80.0, help="training seconds")
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from reclab.environment import quiet_tensorflow

    quiet_tensorflow()
    started = time.perf_counter()
    result = {
        "machine": machine(),
        "protocol": "ml-latest-small 5-core, leave-last-out; SASRec package defaults trained "
        "with early stopping on validation NDCG@10 and a training-time budget; explained: "
        "the top-1 recommendation (seen items excluded) of seeded test users, attributions "
        "over the model's window (latest max_len items); deletion is the ground truth; "
        "top-1 ties go to the latest position; 95% percentile bootstrap over users",
        **run(args.budget, args.users, args.seed),
    }
    result["total_seconds"] = time.perf_counter() - started
    write_results(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
