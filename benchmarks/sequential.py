"""Benchmark of the sequential models: quality on MovieLens latest-small, and training speed.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/sequential.py                    # everything (about 45 min)
    .venv/bin/python benchmarks/sequential.py --parts quality    # SASRec vs baselines only
    .venv/bin/python benchmarks/sequential.py --parts losses speed

Parts:

``quality``: leave-last-out on ml-latest-small (5-core), full ranking, seen items excluded,
pessimistic ties. Popularity, first-order Markov (``popularity_weight`` 0, the book's baseline,
and 0.5, which breaks its many ties by popularity) and SASRec trained with full-softmax
cross-entropy (``SASRecConfig()`` and ``TrainingConfig()`` defaults, with a time limit per run),
for 3 seeds; test HR@10 / NDCG@10 with bootstrap intervals, seconds per run, and the quality bar
(SASRec >= 1.2 x Markov and >= 3 x popularity in test NDCG@10, seed means).

``losses``: the same SASRec trained with each loss (sampled BCE with 1 negative, full softmax,
sampled softmax with log-Q and 256 popularity-sampled negatives, gBCE with 256 negatives and
t = 0.75), one seed, and GRU4Rec with full softmax: validation/test NDCG@10 and seconds per epoch.

``speed``: SASRec training throughput (sequences/s) on the ML-1M-sized synthetic shop (6,040
users, 3,706 items, L = 200, d = 64, 2 blocks, B = 128) with and without XLA, for full softmax
and for BCE with one negative; the analytic FLOPs of a training step against this machine's
measured float32 matmul FLOP/s.

``ml1m`` (not run by default; needs ``ml-1m`` in ``RECLAB_DATA``): SASRec on MovieLens-1M with
the paper's hyper-parameters (``SASRecConfig.paper()``: L = 200, d = 50, 2 blocks, 1 head,
dropout 0.2; ``TrainingConfig.paper()``: BCE with 1 negative, Adam 0.001, batch 128, one
sequence per user) and the same model trained with full-softmax cross-entropy, evaluated by full
ranking, printed next to the published full-ranking numbers. ``--dataset`` swaps in another data
set (e.g. ``synthetic-toy`` for a smoke test).

Results are printed and saved to ``benchmarks/results/sequential.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "sequential.json"


def movielens_data():
    from reclab.data import load_movielens, prepare_next_item_data, preprocess

    ml = load_movielens("ml-latest-small", download=False)
    return prepare_next_item_data(preprocess(ml.interactions).interactions), ml.items


def row(table, metric):
    hit = table[table["metric"] == metric].iloc[0]
    return {"value": float(hit["value"]), "ci": [float(hit["ci_low"]), float(hit["ci_high"])]}


def evaluate(model, data, name):
    from reclab.evaluation import evaluate_model

    out = {}
    for split, subset in (("validation", data.validation), ("test", data.test)):
        table = evaluate_model(model, subset, name=name, split=split)
        out[split] = {m: row(table, m) for m in ("HR@10", "NDCG@10")}
    return out


def train_sasrec(data, seed, max_seconds, **training):
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    config = replace(TrainingConfig(), seed=seed, max_seconds=max_seconds, **training)
    model = SASRec(data.num_items, SASRecConfig())
    start = time.perf_counter()
    history = fit(model, data, config)
    return model, history, time.perf_counter() - start


def part_quality(seeds, max_seconds):
    from reclab.models import MarkovChain, Popularity

    data, _ = movielens_data()
    out = {"baselines": {}, "sasrec": []}
    for name, model in (
        ("popularity", Popularity(data.num_items)),
        ("markov", MarkovChain(data.num_items)),
        ("markov_tiebreak", MarkovChain(data.num_items, popularity_weight=0.5)),
    ):
        start = time.perf_counter()
        model.fit(data.train)
        out["baselines"][name] = evaluate(model, data, name) | {
            "seconds": time.perf_counter() - start
        }
        print(name, out["baselines"][name]["test"]["NDCG@10"], flush=True)
    for seed in seeds:
        model, history, seconds = train_sasrec(data, seed, max_seconds)
        result = evaluate(model, data, "sasrec") | {
            "seed": seed,
            "seconds": seconds,
            "epochs": history.epochs,
            "best_epoch": history.best_epoch,
            "seconds_per_epoch": history.seconds_per_epoch(),
            "time_limit_reached": history.time_limit_reached,
        }
        out["sasrec"].append(result)
        print("sasrec seed", seed, result["test"]["NDCG@10"], f"{seconds:.0f} s", flush=True)
    sasrec = float(np.mean([r["test"]["NDCG@10"]["value"] for r in out["sasrec"]]))
    base = {k: v["test"]["NDCG@10"]["value"] for k, v in out["baselines"].items()}
    out["summary"] = {
        "sasrec_test_ndcg10_mean": sasrec,
        "sasrec_test_hr10_mean": float(
            np.mean([r["test"]["HR@10"]["value"] for r in out["sasrec"]])
        ),
        "ratio_vs_markov": sasrec / base["markov"],
        "ratio_vs_markov_tiebreak": sasrec / base["markov_tiebreak"],
        "ratio_vs_popularity": sasrec / base["popularity"],
        "bar_markov_1.2x": sasrec >= 1.2 * base["markov"],
        "bar_popularity_3x": sasrec >= 3 * base["popularity"],
    }
    return out


def part_losses(max_seconds):
    from reclab.models import GRU4Rec, GRU4RecConfig
    from reclab.training import TrainingConfig, fit

    data, _ = movielens_data()
    out = {}
    for loss in ("bce", "softmax", "sampled-softmax", "gbce"):
        model, history, seconds = train_sasrec(data, 0, max_seconds, loss=loss)
        out[f"sasrec_{loss}"] = evaluate(model, data, loss) | {
            "seconds": seconds,
            "epochs": history.epochs,
            "seconds_per_epoch": history.seconds_per_epoch(),
            "negatives": history.negatives,
        }
        print(loss, out[f"sasrec_{loss}"]["validation"]["NDCG@10"], flush=True)
    model = GRU4Rec(data.num_items, GRU4RecConfig())
    start = time.perf_counter()
    history = fit(model, data, replace(TrainingConfig(), max_seconds=max_seconds))
    out["gru4rec_softmax"] = evaluate(model, data, "gru4rec") | {
        "seconds": time.perf_counter() - start,
        "epochs": history.epochs,
        "seconds_per_epoch": history.seconds_per_epoch(),
    }
    print("gru4rec", out["gru4rec_softmax"]["validation"]["NDCG@10"], flush=True)
    return out


def matmul_flops(n: int = 2048, repeats: int = 10) -> float:
    """Measured float32 matmul FLOP/s of this machine (TensorFlow, all cores)."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.matmul(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        c = tf.matmul(a, b)
    c.numpy()
    return 2 * n**3 * repeats / (time.perf_counter() - start)


def part_speed(steps: int = 12):
    import keras

    from reclab.data import (
        ShopConfig,
        SyntheticShop,
        causal_dataset,
        prepare_next_item_data,
        preprocess,
        training_windows,
    )
    from reclab.evaluation.scaling import step_flops  # the one analytic count, tested there
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import OBJECTIVES, TrainingConfig, make_loss, negative_weights

    frame = SyntheticShop(ShopConfig.movielens_1m_like()).generate()
    data = prepare_next_item_data(preprocess(frame).interactions)
    arch = SASRecConfig(max_len=200, dim=64, num_blocks=2, num_heads=1, dropout=0.2)
    peak = matmul_flops()
    out = {"matmul_flops_per_s": peak, "num_items": data.num_items, "users": len(data.train)}
    for loss in ("softmax", "bce"):
        for jit in (True, False):
            config = TrainingConfig(loss=loss, jit_compile=jit, batch_size=128)
            keras.utils.set_random_seed(0)
            model = SASRec(data.num_items, arch)
            model.build()
            weights = negative_weights(OBJECTIVES[loss].sampling, data.item_counts())
            negatives = OBJECTIVES[loss].negatives
            ds = causal_dataset(
                training_windows(data.train, arch.max_len) if config.windows else data.train,
                max_len=arch.max_len,
                batch_size=config.batch_size,
                num_items=data.num_items,
                num_negatives=negatives,
                negative_weights=weights,
            ).take(steps + 2)
            model.compile(
                optimizer=keras.optimizers.Adam(1e-3),
                loss=make_loss(config, data.num_items, weights),
                jit_compile=jit,
            )
            batches = list(ds)
            model.train_on_batch(*batches[0])  # trace / compile
            model.train_on_batch(*batches[1])
            start = time.perf_counter()
            for x, y in batches[2:]:
                model.train_on_batch(x, y)
            seconds = (time.perf_counter() - start) / steps
            flops = step_flops(
                config.batch_size,
                arch.max_len,
                arch.dim,
                arch.num_blocks,
                arch.dim,
                data.num_items + 1,
                negatives,
            )
            key = f"{loss}_{'xla' if jit else 'no_xla'}"
            out[key] = {
                "seconds_per_step": seconds,
                "sequences_per_s": config.batch_size / seconds,
                "step_flops": flops,
                "flops_per_s": flops / seconds,
                "fraction_of_matmul_peak": flops / seconds / peak,
            }
            print(key, out[key], flush=True)
    return out


PUBLISHED_ML1M = {  # full ranking, leave last out (HR@10, NDCG@10)
    "SASRec, BCE 1 negative (Klenitskiy & Vasilev 2023)": (0.2500, 0.1341),
    "SASRec+, full softmax (Klenitskiy & Vasilev 2023)": (0.3152, 0.1821),
    "gSASRec, gBCE 256 negatives (Petrov & Macdonald 2023)": (0.3003, 0.1726),
}


def part_ml1m(dataset: str, epochs: int, max_seconds: float | None):
    from reclab.cli import load_raw
    from reclab.data import prepare_next_item_data, preprocess
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    frame, _ = load_raw({"dataset": dataset})
    data = prepare_next_item_data(preprocess(frame).interactions)
    out = {"dataset": dataset, "published_full_ranking": PUBLISHED_ML1M, "ours": {}}
    for name, config in (
        ("SASRec, paper (BCE, 1 negative)", TrainingConfig.paper(epochs=epochs)),
        (
            "SASRec, paper architecture + full softmax",
            TrainingConfig.paper(loss="softmax", epochs=epochs),
        ),
    ):
        config = replace(config, max_seconds=max_seconds, verbose=2)
        model = SASRec(data.num_items, SASRecConfig.paper("ml-1m"))
        history = fit(model, data, config)
        result = evaluate(model, data, name)
        out["ours"][name] = result | {"epochs": history.epochs, "seconds": history.seconds}
    print(f"{'model':66s} {'HR@10':>8s} {'NDCG@10':>8s}")
    for name, (hr, ndcg) in PUBLISHED_ML1M.items():
        print(f"{'published: ' + name:66s} {hr:8.4f} {ndcg:8.4f}")
    for name, result in out["ours"].items():
        test = result["test"]
        print(
            f"{'ours: ' + name:66s} {test['HR@10']['value']:8.4f} {test['NDCG@10']['value']:8.4f}"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["quality", "losses", "speed"],
        choices=["quality", "losses", "speed", "ml1m"],
    )
    parser.add_argument("--dataset", default="ml-1m", help="data set of the ml1m part")
    parser.add_argument("--epochs", type=int, default=200, help="epochs of the ml1m part")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=270.0,
        help="training-time limit per run (the bar: under 5 minutes)",
    )
    args = parser.parse_args()
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["machine"] = {
        "date": time.strftime("%Y-%m-%d"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    from reclab.models import SASRecConfig
    from reclab.training import TrainingConfig

    results["defaults"] = {"sasrec": asdict(SASRecConfig()), "training": TrainingConfig().to_dict()}
    for part in args.parts:
        if part == "quality":
            results["quality"] = part_quality(args.seeds, args.max_seconds)
        elif part == "losses":
            results["losses"] = part_losses(args.max_seconds)
        elif part == "ml1m":
            limit = None if args.dataset == "ml-1m" else args.max_seconds
            results["ml1m"] = part_ml1m(args.dataset, args.epochs, limit)
        else:
            results["speed"] = part_speed()
        # Parts are re-run separately: each records when and under which defaults it ran.
        results[part]["measured"] = {**results["machine"], "defaults": results["defaults"]}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results.get("quality", {}).get("summary", {}), indent=2))


if __name__ == "__main__":
    main()
