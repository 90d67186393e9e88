"""Serving a trained SASRec: file size, latency, throughput and agreement, per export format.

Run from the repository root (RECLAB_DATA must hold ml-latest-small), with nothing else busy::

    .venv/bin/python benchmarks/serving.py            # -> benchmarks/results/serving.json

One SASRec with the book's defaults is trained on ml-latest-small (5-core, leave-last-out) for at
most ``--budget`` seconds. It is served four ways:

- ``keras``: ``reclab.recommend.top_k`` on the Keras model (eager scoring, NumPy top-K);
- ``saved_model``: the exported SavedModel's ``serve`` signature (graph, top-K inside);
- ``litert``: the LiteRT float32 file, run by ``ai_edge_litert``'s interpreter;
- ``litert-int8``: the same with dynamic-range int8 weights (one scale per tensor).

For each: the model's size on disk; latency per query at batch 1 (p50, p99 over ``--queries``
test histories, after a warm-up) and throughput at batch 256; the test NDCG@10 and HR@10 under
the book's protocol with bootstrap intervals; and agreement with the Keras model: the mean
overlap of the top-10 lists and the share of identical lists. Threads: TensorFlow's and the
interpreter's defaults for the cores this process may use (``cores_per_process``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "serving.json"
VARIANTS = ("keras", "saved_model", "litert", "litert-int8")


def quality(model, users) -> dict:
    from reclab.evaluation import evaluate_model

    table = evaluate_model(model, users).set_index("metric")
    return {
        key: float(table.loc[key, "value"]) for key in ("HR@10", "NDCG@10")
    } | {f"{key}_ci": [float(table.loc[key, "ci_low"]), float(table.loc[key, "ci_high"])]
         for key in ("HR@10", "NDCG@10")}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=float, default=120.0, help="training seconds (max)")
    parser.add_argument("--queries", type=int, default=500, help="timed batch-1 queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    from reclab.data import load_movielens, prepare_next_item_data, preprocess
    from reclab.metrics import list_overlap
    from reclab.models import SASRec
    from reclab.recommend import top_k
    from reclab.serving import export_model, load_exported, measure_latency
    from reclab.training import TrainingConfig, fit

    ml = load_movielens("ml-latest-small", download=False)
    data = prepare_next_item_data(preprocess(ml.interactions).interactions)
    model = SASRec(data.num_items)
    start = time.perf_counter()
    history = fit(model, data, TrainingConfig(seed=args.seed, max_seconds=args.budget))
    trained = time.perf_counter() - start
    users = data.test
    histories = model.prepare_histories(users.histories)

    folder = Path(tempfile.mkdtemp())
    served = {"keras": model}
    for name, fmt, quantize in (("saved_model", "saved_model", None),
                                ("litert", "litert", None),
                                ("litert-int8", "litert", "int8")):  # fmt: skip
        export_model(model, folder / name, format=fmt, quantize=quantize, k=10)
        served[name] = load_exported(folder / name)

    reference, _ = top_k(model, histories, k=10)
    result = {
        "machine": machine(),
        "model": {
            "name": "SASRec (book defaults)",
            "parameters": int(model.count_params()),
            "num_items": data.num_items,
            "max_len": model.max_len,
            "train_seconds": round(trained, 1),
            "best_epoch": history.best_epoch,
        },
        "test_users": len(users),
        "variants": [],
    }
    for name in VARIANTS:
        server = served[name]
        if name == "keras":
            size = int(sum(np.prod(w.shape) for w in model.weights) * 4)  # float32 weights
            predict = lambda h: top_k(model, h, k=10)  # noqa: E731
        else:
            size = server.model_bytes()
            predict = server.top_k
        one = measure_latency(predict, histories, batch_size=1, min_queries=args.queries)
        many = measure_latency(predict, histories, batch_size=256, min_queries=20)
        ids, _ = predict(histories)
        entry = {
            "variant": name,
            "bytes": size,
            "latency_ms": {"p50": one["p50_ms"], "p99": one["p99_ms"], "mean": one["mean_ms"]},
            "queries_per_second_batch_1": one["queries_per_second"],
            "queries_per_second_batch_256": many["queries_per_second"],
            "top10_overlap_with_keras": list_overlap(ids, reference),
            "identical_lists": float(np.mean((ids == reference).all(axis=1))),
            "test": quality(server, users),
        }
        result["variants"].append(entry)
        print(f"{name:12s} {size / 1e6:6.2f} MB  p50 {one['p50_ms']:6.2f} ms  "
              f"p99 {one['p99_ms']:6.2f} ms  {many['queries_per_second']:8.0f} q/s @256  "
              f"overlap {entry['top10_overlap_with_keras']:.3f}  "
              f"NDCG@10 {entry['test']['NDCG@10']:.4f}", flush=True)  # fmt: skip
    write_results(args.out, result)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
