"""Benchmark of the data layer: preprocessing time and peak memory, and tf.data batches/s.

Run from the repository root::

    .venv/bin/python benchmarks/data_pipeline.py                      # 1M and 10M events
    .venv/bin/python benchmarks/data_pipeline.py --sizes 1000000      # 1M only

Part 1 (one fresh subprocess per size, so peak memory is that size's alone): generate the
synthetic shop with about N events, then time each preprocessing step (deduplicate, 5-core,
chronological sort, leave-last-out, id mapping fitted on training data, per-user sequences,
causal training arrays). Peak memory is the process's maximum resident set size (``ru_maxrss``).

Part 2: batches per second of the training pipelines (``causal_dataset`` with 1 and 100
negatives, ``cloze_dataset``) on the ML-1M-sized shop (6,040 users, L = 200, B = 128), next to
the time of one training step of a small SASRec-like Keras model (2 causal self-attention
blocks, d = 64, BCE with one negative) built inline here. The pipeline is not the bottleneck
when its batches/s is well above the model's steps/s.

Results are printed as Markdown and saved to ``benchmarks/results/data_pipeline.json``.
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


def preprocessing_run(num_events: int, seed: int = 0) -> dict[str, float]:
    """Time the data steps on a synthetic shop of about ``num_events`` events."""
    import pandas as pd

    from reclab.data import (
        Sequences,
        ShopConfig,
        SyntheticShop,
        causal_arrays,
        deduplicate,
        encode_split,
        k_core,
        leave_last_out,
        sort_chronologically,
    )

    times: dict[str, float] = {}

    def timed(name, fn, *args, **kwargs):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        times[name] = time.perf_counter() - start
        return out

    config = ShopConfig.movielens_1m_like(seed=seed).scaled(num_events)
    shop = timed("shop: build", SyntheticShop, config)
    events = timed("shop: generate", shop.generate)
    # Shuffle rows so the sort has real work to do, as with a raw log.
    events = events.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    frame, _ = timed("deduplicate (exact)", deduplicate, events, "exact")
    frame, _ = timed("k-core (5, 5)", k_core, frame, 5, 5)
    frame = timed("sort chronologically", sort_chronologically, frame)
    split = timed("leave-last-out", leave_last_out, frame)
    encoded, items, _, _ = timed("id mapping (fit on train) + encode", encode_split, split)
    seqs = timed("sequences (train)", Sequences.from_interactions, encoded.train)
    timed("causal arrays (L=200)", causal_arrays, seqs, 200)
    steps = [k for k in times if not k.startswith("shop")]
    times["preprocessing total"] = sum(times[k] for k in steps)
    times["events"] = float(len(events))
    times["users"] = float(config.num_users)
    times["items"] = float(items.num_items)
    times["peak RSS (GiB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    del pd
    return times


def pipeline_run(batch_size: int, max_len: int, steps: int, seed: int = 0) -> dict[str, float]:
    """Batches/s of the tf.data pipelines and s/step of a small SASRec-like model."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from reclab.data import (
        Sequences,
        ShopConfig,
        SyntheticShop,
        causal_dataset,
        cloze_dataset,
        encode_split,
        leave_last_out,
    )

    shop = SyntheticShop(ShopConfig.movielens_1m_like(seed=seed))
    split = leave_last_out(shop.generate())
    encoded, items, _, _ = encode_split(split)
    seqs = Sequences.from_interactions(encoded.train)
    n_items = items.num_items
    results: dict[str, float] = {"users": float(len(seqs)), "items": float(n_items)}

    def rate(dataset: tf.data.Dataset, epochs: int = 2) -> float:
        for _ in dataset.take(1):  # warm-up: graph building
            pass
        count, start = 0, time.perf_counter()
        for _ in range(epochs):
            for _ in dataset:
                count += 1
        return count / (time.perf_counter() - start)

    common = {"max_len": max_len, "batch_size": batch_size, "num_items": n_items, "seed": seed}
    results["causal, 1 negative (batches/s)"] = rate(
        causal_dataset(seqs, num_negatives=1, **common)
    )
    results["causal, 100 negatives (batches/s)"] = rate(
        causal_dataset(seqs, num_negatives=100, **common)
    )
    results["cloze, mask 0.2 (batches/s)"] = rate(cloze_dataset(seqs, **common))

    # A small SASRec-like model, built here only to have a training step to compare with.
    d = 64
    keras.utils.set_random_seed(seed)
    item_emb = keras.layers.Embedding(n_items + 1, d)
    pos_emb = keras.layers.Embedding(max_len, d)
    blocks = [
        (
            keras.layers.MultiHeadAttention(num_heads=1, key_dim=d),
            keras.layers.LayerNormalization(),
            keras.Sequential([keras.layers.Dense(d, activation="relu"), keras.layers.Dense(d)]),
            keras.layers.LayerNormalization(),
        )
        for _ in range(2)
    ]
    optimizer = keras.optimizers.Adam(1e-3)

    def forward(inputs, mask):
        x = item_emb(inputs) * d**0.5 + pos_emb(tf.range(max_len))[None]
        x = x * tf.cast(mask, x.dtype)[..., None]
        for attention, norm1, ffn, norm2 in blocks:
            x = norm1(x + attention(x, x, use_causal_mask=True, attention_mask=mask[:, None, :]))
            x = norm2(x + ffn(x))
        return x

    @tf.function(jit_compile=False)
    def train_step(x, candidates):
        with tf.GradientTape() as tape:
            h = forward(x["inputs"], tf.not_equal(x["inputs"], 0))  # (B, L, d)
            pos = tf.einsum("bld,bld->bl", h, item_emb(candidates[..., 0]))
            neg = tf.einsum("bld,bld->bl", h, item_emb(candidates[..., 1]))
            w = tf.cast(tf.not_equal(candidates[..., 0], 0), h.dtype)
            loss = tf.reduce_sum((tf.nn.softplus(-pos) + tf.nn.softplus(neg)) * w) / tf.reduce_sum(
                w
            )
        variables = item_emb.trainable_variables + pos_emb.trainable_variables
        for block in blocks:
            for layer in block:
                variables += layer.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    ds = causal_dataset(seqs, num_negatives=1, **common)
    batches = list(ds.take(steps + 1))
    train_step(*batches[0])  # trace and build
    start = time.perf_counter()
    for x, candidates in batches[1:]:
        train_step(x, candidates)
    step = (time.perf_counter() - start) / steps
    results["SASRec-like training step (s)"] = step
    results["SASRec-like steps/s"] = 1 / step
    start = time.perf_counter()
    for x, candidates in ds.take(steps):
        train_step(x, candidates)
    results["SASRec-like steps/s fed by the pipeline"] = steps / (time.perf_counter() - start)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-len", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--child", type=str, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one measurement in a fresh process; JSON on stdout
        kind, value = args.child.split("=")
        if kind == "prep":
            result = preprocessing_run(int(value))
        else:
            result = pipeline_run(args.batch_size, args.max_len, args.steps)
        print(json.dumps(result))
        return

    def child(spec: str) -> dict[str, float]:
        command = [sys.executable, __file__, "--child", spec, "--batch-size",
                   str(args.batch_size), "--max-len", str(args.max_len), "--steps",
                   str(args.steps)]  # fmt: skip
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    report = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs "
        f"visible, Python {platform.python_version()}",
        "preprocessing": {},
    }
    for size in args.sizes:
        start = time.perf_counter()
        report["preprocessing"][str(size)] = child(f"prep={size}")
        print(f"size {size:,}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    report["pipeline"] = child("pipe=0")

    sizes = list(report["preprocessing"])
    print(f"Machine: {report['machine']}\n")
    print("| step | " + " | ".join(f"{int(s):,} events" for s in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for key in report["preprocessing"][sizes[0]]:
        cells = []
        for s in sizes:
            v = report["preprocessing"][s][key]
            cells.append(f"{v:,.0f}" if key in ("events", "users", "items") else f"{v:.2f}")
        unit = "" if key in ("events", "users", "items") or "GiB" in key else " (s)"
        print(f"| {key}{unit} | " + " | ".join(cells) + " |")
    shape = f"B={args.batch_size}, L={args.max_len}"
    print(f"\n| pipeline (ML-1M-sized shop, {shape}) | value |")
    print("| --- | --- |")
    for key, value in report["pipeline"].items():
        print(f"| {key} | {value:,.3f} |" if value < 100 else f"| {key} | {value:,.0f} |")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "data_pipeline.json").write_text(json.dumps(report, indent=2) + "\n")
    np.set_printoptions()


if __name__ == "__main__":
    main()
