"""Scaling benchmark: what each training objective costs as the catalogue grows, and what it buys.

Run from the repository root::

    .venv/bin/python benchmarks/scaling.py                      # everything (about 25 min)
    .venv/bin/python benchmarks/scaling.py --parts steps        # step time and memory only
    .venv/bin/python benchmarks/scaling.py --parts quality --quality-seconds 60   # a quick look

Parts:

``steps``: SASRec (L = 50, d = 64, 2 blocks, 1 head, B = 128) on the synthetic shop, for
catalogues of N = 4k, 16k, 64k and 256k items, trained with the full softmax (XLA) and with the
sampled softmax (log-Q, 256 popularity negatives) per position and shared by the batch, and gBCE
with 256 shared negatives. Each (N, objective) runs in its own process: median seconds per
training step over 10 steps after 2 warm-up steps, and the process's peak resident memory
(``ru_maxrss``) minus what it held before the model was built. A run that
:func:`reclab.training.check_training_memory` refuses is recorded as refused, with its estimate.

``quality``: at N = 64k (the shop with 64,000 items and 6,000 users), each objective trains for
the same wall-time budget (``--quality-seconds``, default 180 s) with validation NDCG@10 after
every epoch; recorded: the curve (seconds, NDCG@10), the best value, and the time each sampled
objective needed to reach the full softmax's best value (``None``: not within its budget).

``eval``: full-ranking evaluation throughput (users/s of :func:`reclab.evaluation.score_users`
with the default protocol, 256 users per chunk) and top-10 lists (:func:`reclab.recommend.top_k`,
chunked) over N items, for an untrained SASRec: scoring cost does not depend on the weights.

Results are printed and saved to ``benchmarks/results/scaling.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "scaling.json"
SIZES = (4_000, 16_000, 64_000, 256_000)
#: (name, loss, sharing); negatives: the objective's default (256 for both sampled losses).
OBJECTIVES = (
    ("softmax", "softmax", "per-position"),
    ("sampled-softmax per-position", "sampled-softmax", "per-position"),
    ("sampled-softmax shared", "sampled-softmax", "shared"),
    ("gbce shared", "gbce", "shared"),
)
#: (name, loss, sharing, negatives or None for the objective's default).
QUALITY_OBJECTIVES = (
    *((name, loss, sharing, None) for name, loss, sharing in OBJECTIVES),
    ("sampled-softmax in-batch", "sampled-softmax", "in-batch", None),
    # shared negatives make many more of them affordable: one (B·L, d) x (d, M) product
    ("sampled-softmax shared M=2048", "sampled-softmax", "shared", 2048),
)
ARCH = {"max_len": 50, "dim": 64, "num_blocks": 2, "num_heads": 1, "dropout": 0.2}
BATCH = 128
STEPS = 10


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def shop(num_items: int, num_users: int, seed: int = 0):
    from reclab.data import ShopConfig, SyntheticShop, prepare_next_item_data, preprocess

    config = ShopConfig(
        num_users=num_users, num_items=num_items, mean_events_per_user=50, seed=seed
    )
    frame = SyntheticShop(config).generate()
    return prepare_next_item_data(
        preprocess(frame, min_user_events=3, min_item_events=1).interactions
    )


def one_step_run(num_items: int, loss: str, sharing: str) -> dict:
    """Seconds per training step and peak memory of one (N, objective), in this process."""
    import keras

    from reclab.data import causal_dataset, training_windows
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import OBJECTIVES as REGISTERED
    from reclab.training import TrainingConfig, make_loss, negative_weights
    from reclab.training.memory import check_training_memory

    data = shop(min(num_items, 16_000), 1_500)  # the batches; the model has N items
    arch = SASRecConfig(**ARCH)
    config = TrainingConfig(loss=loss, negative_sharing=sharing, batch_size=BATCH)
    entry = REGISTERED[loss]
    try:
        estimate = check_training_memory(
            SASRec, arch, config, num_items=num_items, num_users=len(data.train.users)
        )
    except MemoryError as error:
        return {"refused": str(error)}
    before = _rss_mb()
    keras.utils.set_random_seed(0)
    model = SASRec(num_items, arch)
    model.build()
    counts = np.bincount(data.train.items, minlength=num_items + 1)
    weights = negative_weights(entry.sampling, counts)
    dataset = causal_dataset(
        training_windows(data.train, arch.max_len),
        max_len=arch.max_len,
        batch_size=BATCH,
        num_items=num_items,
        num_negatives=entry.negatives,
        negative_weights=weights,
        sharing=sharing,
    ).take(STEPS + 2)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=make_loss(config, num_items, weights),
        jit_compile=entry.xla,
    )
    batches = list(dataset)
    for x, y in batches[:2]:  # trace / compile
        model.train_on_batch(x, y)
    times = []
    for x, y in batches[2:]:
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return {
        "seconds_per_step": float(np.median(times)),
        "peak_rss_mb": _rss_mb(),
        "training_rss_mb": _rss_mb() - before,
        "estimate_mb": estimate.total / 2**20,
        "table_state_mb": 4 * 4 * (num_items + 1) * arch.dim / 2**20,  # weights, grads, Adam
        "loss": loss,
        "sharing": sharing,
        "negatives": entry.negatives,
        "xla": entry.xla,
    }


def part_steps(sizes) -> dict:
    out = {}
    for n in sizes:
        for name, loss, sharing in OBJECTIVES:
            command = [sys.executable, __file__, "--one-step-run", str(n), loss, sharing]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                result = {"failed": done.stderr.strip().splitlines()[-1:]}
            else:
                result = json.loads(done.stdout.strip().splitlines()[-1])
            out.setdefault(str(n), {})[name] = result
            print(n, name, result, flush=True)
    for runs in out.values():
        base = runs["sampled-softmax per-position"].get("seconds_per_step")
        shared = runs["sampled-softmax shared"].get("seconds_per_step")
        full = runs["softmax"].get("seconds_per_step")
        runs["speedup_shared_vs_per_position"] = base / shared if base and shared else None
        runs["speedup_shared_vs_softmax"] = full / shared if full and shared else None
    return out


def part_quality(num_items: int, seconds: float, only: list[str], previous: dict) -> dict:
    """Train each objective (or those named in ``only``, kept with ``previous`` runs)."""
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    data = shop(num_items, 6_000)
    out = {
        "shop_items": num_items,
        "num_items": data.num_items,
        "train_events": int(data.train.items.size),
        "validation_users": len(data.validation.targets),
        "budget_seconds": seconds,
        "runs": dict(previous.get("runs", {})) if only else {},
    }
    for name, loss, sharing, negatives in QUALITY_OBJECTIVES:
        if only and name not in only:
            continue
        config = TrainingConfig(
            loss=loss,
            negative_sharing=sharing,
            num_negatives=negatives,
            max_seconds=seconds,
            patience=1000,
            seed=0,
        )
        started = time.perf_counter()
        history = fit(SASRec(data.num_items, SASRecConfig(**ARCH)), data, config)
        wall = time.perf_counter() - started
        elapsed, curve = 0.0, []
        for record in history.records:
            elapsed += record["train_seconds"] + record.get("val_seconds", 0.0)
            if "val_NDCG@10" in record:
                curve.append([round(elapsed, 2), record["val_NDCG@10"]])
        out["runs"][name] = {
            "loss": loss,
            "sharing": sharing,
            "negatives": history.negatives,
            "epochs": history.epochs,
            "seconds_per_epoch": history.seconds_per_epoch(),
            "wall_seconds": wall,
            "best_val_NDCG@10": history.best_value,
            "curve": curve,
        }
        print(name, out["runs"][name]["best_val_NDCG@10"], history.epochs, flush=True)
    target = out["runs"]["softmax"]["best_val_NDCG@10"]
    softmax_time = next(t for t, v in out["runs"]["softmax"]["curve"] if v >= target)
    out["softmax_best"] = {"val_NDCG@10": target, "reached_at_seconds": softmax_time}
    for run in out["runs"].values():
        reached = [t for t, v in run["curve"] if v >= target]
        run["seconds_to_softmax_best"] = reached[0] if reached else None
        run["fraction_of_softmax_time"] = reached[0] / softmax_time if reached else None
    return out


def part_eval(sizes, users: int = 2_048) -> dict:
    from reclab.evaluation import RankingProtocol, score_users
    from reclab.models import SASRec, SASRecConfig, score_fn
    from reclab.recommend import top_k

    rng = np.random.default_rng(0)
    out = {}
    for n in sizes:
        model = SASRec(n, SASRecConfig(**ARCH))
        model.build()
        histories = rng.integers(1, n + 1, size=(users, ARCH["max_len"]))
        targets = rng.integers(1, n + 1, size=users)
        score_users(score_fn(model), histories[:256], targets[:256], RankingProtocol())  # warm up
        start = time.perf_counter()
        score_users(score_fn(model), histories, targets, RankingProtocol())
        ranking = users / (time.perf_counter() - start)
        start = time.perf_counter()
        top_k(model, histories, 10, batch_size=256)
        lists = users / (time.perf_counter() - start)
        out[str(n)] = {"ranking_users_per_s": ranking, "top10_users_per_s": lists}
        print(n, out[str(n)], flush=True)
    return out


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--one-step-run":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        print(json.dumps(one_step_run(int(sys.argv[2]), sys.argv[3], sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", default=["steps", "quality", "eval"])
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--quality-items", type=int, default=64_000)
    parser.add_argument("--quality-seconds", type=float, default=180.0)
    parser.add_argument(
        "--only", nargs="+", default=[], help="quality: run these objectives, keep the others"
    )
    args = parser.parse_args()
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
    }
    results["setup"] = {"arch": ARCH, "batch_size": BATCH, "steps_timed": STEPS}
    if "steps" in args.parts:
        results["steps"] = part_steps(args.sizes)
    if "quality" in args.parts:
        previous = results.get("quality", {})
        results["quality"] = part_quality(
            args.quality_items, args.quality_seconds, args.only, previous
        )
    if "eval" in args.parts:
        results["eval"] = part_eval(args.sizes)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
