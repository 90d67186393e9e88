"""Re-ranking SASRec's top-10 for diversity (MMR) and popularity calibration: what it costs.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    taskset -c 1 .venv/bin/python benchmarks/rerank.py            # about 3 min on one core

Protocol: ml-latest-small (5-core), leave-last-out (:func:`reclab.data.prepare_next_item_data`).
One SASRec with the package defaults (``SASRecConfig()``, ``TrainingConfig()``: full softmax,
early stopping on the validation split) trained until the epoch that passes ``--budget`` (85)
seconds of training (``TrainingConfig.max_seconds``: about 90 s, validation not counted). On the
test users (full ranking, seen items excluded, the book's protocol) the model's 100 best unseen
items form each user's pool (:func:`reclab.recommend.rerank_top_k`), re-ranked to 10 by

- MMR with the films' multi-hot genres as item vectors (:func:`reclab.data.item_content`);
- MMR with the model's own item embeddings (``model.item_table()``);
- calibration to the user's history mix of popularity groups (head, mid, tail: the items taking
  up the first 20 %, the middle 60 % and the last 20 % of the training interactions,
  :func:`reclab.recommend.popularity_groups`), Steck's objective with alpha = 0.01,

each over a sweep of the trade-off lambda (MMR: lambda is the weight of relevance, 1 = the plain
top-10; calibration: lambda is the weight of calibration, 0 = the plain top-10).

Every point reports NDCG@10 and HR@10 with 95 % percentile bootstrap intervals over the test
users (:func:`reclab.evaluation.bootstrap_ci`, 1,000 resamples, seed 0), intra-list diversity
on genres (and on the embeddings), catalogue coverage, ARP (the mean share of training events of
the listed items), the share of list slots that are head and tail items, and the mean KL of
each user's calibrated list mix to the history mix (Steck's miscalibration, alpha = 0.01).

The lists' accuracy comes from :func:`reclab.evaluation.evaluate_lists` (a list ranked in its
own order, everything else below it), so unknown and seen targets count as misses exactly as
for :func:`reclab.evaluation.evaluate_model`. The script checks that the plain top-10 scored
this way gives the model's own NDCG@10 and HR@10.

Results go to ``benchmarks/results/rerank.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "rerank.json"
K, POOL = 10, 100
#: lambda of MMR: the weight of relevance (1 = top-K).
MMR_TRADE_OFFS = (1.0, 0.9, 0.8, 0.7, 0.5, 0.3)
#: lambda of calibration: the weight of the KL term (0 = top-K).
CALIBRATION_TRADE_OFFS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.95)
ALPHA = 0.01


def accuracy(lists: np.ndarray, test, num_items: int) -> dict:
    """NDCG@10 and HR@10 of fixed lists on the test users, with bootstrap intervals."""
    from reclab.evaluation import evaluate_lists

    table = evaluate_lists(lists, test, num_items=num_items).set_index("metric")
    out = {
        key: {
            "value": float(table.loc[key, "value"]),
            "ci": [float(table.loc[key, "ci_low"]), float(table.loc[key, "ci_high"])],
        }
        for key in ("NDCG@10", "HR@10")
    }
    out["users"] = int(table.loc["NDCG@10", "users"])
    return out


def miscalibration(lists: np.ndarray, groups: np.ndarray, target: np.ndarray) -> float:
    """Mean over users of KL(p || q~(L)), Steck's miscalibration of the group mix."""
    filled = lists > 0
    of_group = (groups[lists][:, :, None] == np.arange(target.shape[1])) & filled[:, :, None]
    sizes = np.maximum(filled.sum(axis=1, keepdims=True), 1)
    q_tilde = (1 - ALPHA) * of_group.sum(axis=1) / sizes + ALPHA * target
    present = target > 0
    terms = target * np.log(np.where(present, target, 1.0) / np.where(present, q_tilde, 1.0))
    keep = present.any(axis=1)  # users with a history
    return float(np.where(present, terms, 0.0).sum(axis=1)[keep].mean())


def describe(lists, test, genres, embeddings, groups, target, popularity, num_items) -> dict:
    """Every number of one point of the sweep."""
    from reclab.metrics import catalogue_coverage, intra_list_diversity, popularity_bias

    filled = lists > 0
    return {
        **accuracy(lists, test, num_items),
        "ILD_genres": intra_list_diversity(lists, genres),
        "ILD_embeddings": intra_list_diversity(lists, embeddings),
        "coverage": catalogue_coverage(lists, num_items),
        "ARP": popularity_bias(lists, popularity),
        "head_share": float((groups[lists] == 0)[filled].mean()),
        "tail_share": float((groups[lists] == 2)[filled].mean()),
        "miscalibration_KL": miscalibration(lists, groups, target),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--budget",
        type=float,
        default=85.0,
        help="training seconds (fit stops after the epoch that passes it: about 90 s in all)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from reclab.environment import quiet_tensorflow

    quiet_tensorflow()
    from reclab.data import item_content, load_movielens, prepare_next_item_data, preprocess
    from reclab.evaluation import evaluate_model
    from reclab.models import SASRec, SASRecConfig
    from reclab.recommend import (
        calibration_reranker,
        history_group_distribution,
        mmr_reranker,
        popularity_groups,
        rerank_top_k,
        top_k,
    )
    from reclab.training import TrainingConfig, fit

    started = time.perf_counter()
    ml = load_movielens("ml-latest-small", download=False)
    data = prepare_next_item_data(preprocess(ml.interactions).interactions)
    test = data.test
    genres = item_content(ml.items, data.items).genres.astype(np.float64)
    counts = data.item_counts()
    popularity = counts / counts.sum()  # phi: the share of training events of each item
    groups = popularity_groups(counts)
    target = history_group_distribution(test.histories, groups, 3)

    model = SASRec(data.num_items, SASRecConfig())
    fit_started = time.perf_counter()
    history = fit(model, data, TrainingConfig(seed=args.seed, max_seconds=args.budget))
    train_seconds = time.perf_counter() - fit_started
    embeddings = np.asarray(model.item_table(), dtype=np.float64)
    table = evaluate_model(model, test).set_index("metric")
    model_metrics = {key: float(table.loc[key, "value"]) for key in ("NDCG@10", "HR@10")}
    print(f"trained {history.epochs} epochs in {train_seconds:.0f} s: {model_metrics}", flush=True)

    plain = top_k(model, test.histories, K)[0]
    check = accuracy(plain, test, data.num_items)
    # The list scorer reproduces the evaluator; only a target tied in score with a listed item
    # could differ (pessimistic ties there, the lower id in the list), by 1 / users per user.
    for key, value in model_metrics.items():
        assert abs(check[key]["value"] - value) <= 1.0 / check["users"], (key, check, value)

    sweeps = {
        "mmr_genres": [(t, mmr_reranker(genres, trade_off=t)) for t in MMR_TRADE_OFFS],
        "mmr_embeddings": [(t, mmr_reranker(embeddings, trade_off=t)) for t in MMR_TRADE_OFFS],
        "calibration": [
            (t, calibration_reranker(groups, trade_off=t, num_groups=3))
            for t in CALIBRATION_TRADE_OFFS
        ],
    }
    points: dict[str, list[dict]] = {}
    for name, sweep in sweeps.items():
        for trade_off, reranker in sweep:
            point_started = time.perf_counter()
            lists = rerank_top_k(model, test.histories, K, pool=POOL, reranker=reranker)
            seconds = time.perf_counter() - point_started
            point = {
                "trade_off": trade_off,
                "rerank_seconds": seconds,
                **describe(
                    lists, test, genres, embeddings, groups, target, popularity, data.num_items
                ),
            }
            points.setdefault(name, []).append(point)
            print(
                f"{name:15s} lambda={trade_off:<5} NDCG@10={point['NDCG@10']['value']:.4f} "
                f"ILD={point['ILD_genres']:.3f} cov={point['coverage']:.3f} "
                f"ARP={point['ARP']:.5f} head={point['head_share']:.3f} "
                f"KL={point['miscalibration_KL']:.3f} ({seconds:.1f} s)",
                flush=True,
            )

    group_sizes = np.bincount(groups[1:], minlength=3)
    result = {
        "machine": machine(),
        "protocol": "ml-latest-small 5-core, leave-last-out; test users, full ranking, seen "
        "items excluded, pessimistic ties; SASRec defaults trained at most "
        f"{args.budget:g} s (early stopping on validation NDCG@10); pool = the model's "
        f"{POOL} best unseen items, re-ranked to {K}; 95% percentile bootstrap intervals "
        "over users (1000 resamples, seed 0)",
        "budget_seconds": args.budget,
        "seed": args.seed,
        "training": {
            "train_seconds": train_seconds,  # with validation
            "train_seconds_without_validation": sum(
                r.get("train_seconds", 0.0) for r in history.records
            ),
            "epochs": history.epochs,
            "best_epoch": history.best_epoch,
            "val_NDCG@10": history.best_value,
            "test": model_metrics,
            "test_from_top_k_lists": {key: check[key]["value"] for key in model_metrics},
        },
        "popularity_groups": {
            "definition": "head: most popular items taking up the first 20% of training "
            "interactions; tail: least popular items taking up the last 20%; mid: the rest",
            "items": dict(zip(("head", "mid", "tail"), group_sizes.tolist(), strict=True)),
            "interaction_share": dict(
                zip(
                    ("head", "mid", "tail"),
                    [float(counts[1:][groups[1:] == g].sum() / counts.sum()) for g in range(3)],
                    strict=True,
                )
            ),
            "test_history_mix": target[target.sum(axis=1) > 0].mean(axis=0).tolist(),
        },
        "catalogue_mean_popularity": float(popularity[1:].mean()),
        "points": points,
        "total_seconds": time.perf_counter() - started,
    }
    write_results(args.out, result)
    print(f"done in {result['total_seconds']:.0f} s -> {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
