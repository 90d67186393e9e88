"""One process, two logical CPUs, two worker processes: the same SASRec at the same global batch.

Run from the repository root (RECLAB_DATA must hold ml-latest-small), with nothing else busy
(about 10 minutes)::

    .venv/bin/python benchmarks/distribute.py        # -> benchmarks/results/distribute.json

Protocol: ml-latest-small, cleaned as the command line cleans it (5-core) and split
leave-last-out; SASRec with its defaults and the full softmax, global batch ``--batch-size``
(128), exactly ``--epochs`` epochs (no early stopping), validated after every epoch, the best
validation epoch's weights kept; the same seed everywhere. Each run is its own process
(:mod:`reclab.training.distribute`: devices and clusters are fixed when TensorFlow starts):

- ``single``: one process, TensorFlow's own threads on the cores it may use, the training step
  compiled with XLA (the full softmax's default);
- ``single, no XLA``: the same without XLA, which several replicas cannot use on CPU (XLA has
  no all-reduce there), so the throughput of the two below is compared with this one too;
- ``mirrored``: one process, ``MirroredStrategy`` over two logical CPU devices;
- ``two workers``: two processes on 127.0.0.1 (``MultiWorkerMirroredStrategy``, ``TF_CONFIG``
  from :func:`reclab.training.distribute.loopback_cluster`), one intra-op thread each so that
  together they use the two cores one process uses; bounded by ``--timeout`` seconds.

Reported per run: validation and test NDCG@10 / HR@10 with bootstrap intervals (by worker 0),
training seconds per epoch (median, the first excluded) and training rows per second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, quality_with_intervals, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "distribute.json"
MODES = ("single", "single, no XLA", "mirrored", "two workers")


def run_one(mode: str, out: Path, epochs: int, batch_size: int, seed: int) -> None:
    """Train one run in this (fresh) process and write its result to ``out``."""
    from reclab.training.distribute import mirrored_strategy, split_cpu

    if mode == "mirrored":
        split_cpu(2)
    import tensorflow as tf

    if mode == "two workers":  # the cluster is joined before TensorFlow runs anything
        tf.config.threading.set_intra_op_parallelism_threads(1)
    strategy = {
        "single": tf.distribute.get_strategy,
        "single, no XLA": tf.distribute.get_strategy,
        "mirrored": mirrored_strategy,
        "two workers": tf.distribute.MultiWorkerMirroredStrategy,
    }[mode]()
    from reclab.data import load_movielens, prepare_next_item_data, preprocess
    from reclab.environment import quiet_tensorflow
    from reclab.models import SASRec
    from reclab.training import TrainingConfig, fit

    quiet_tensorflow()
    ml = load_movielens("ml-latest-small", download=False)
    data = prepare_next_item_data(preprocess(ml.interactions).interactions)
    with strategy.scope():
        model = SASRec(data.num_items)
    config = TrainingConfig(
        epochs=epochs,
        patience=epochs,
        batch_size=batch_size,
        seed=seed,
        jit_compile=False if mode == "single, no XLA" else None,
    )
    history = fit(model, data, config)
    steps = int(model.optimizer.iterations.numpy()) // history.epochs  # global batches per epoch
    seconds = history.seconds_per_epoch()
    result = {
        "mode": mode,
        "replicas": history.replicas,
        "xla": history.xla,
        "epochs": history.epochs,
        "best_epoch": history.best_epoch,
        "seconds_per_epoch": seconds,
        "steps_per_epoch": steps,
        "rows_per_second": steps * batch_size / seconds,
        "train_seconds": float(sum(r["train_seconds"] for r in history.records)),
        "validation": quality_with_intervals(model, data.validation),
        "test": quality_with_intervals(model, data.test),
        "curve": [float(r["val_NDCG@10"]) for r in history.records],
    }
    index = json.loads(os.environ.get("TF_CONFIG", '{"task": {"index": 0}}'))["task"]["index"]
    if index == 0:
        out.write_text(json.dumps(result))


def _launch(mode: str, out: Path, args, tf_config: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = tf_config
    command = [sys.executable, __file__, "--run", mode, "--result", str(out)]
    command += ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
    command += ["--seed", str(args.seed)]
    return subprocess.Popen(command, env=env)


def _wait(processes: list[subprocess.Popen], timeout: float, mode: str) -> None:
    deadline = time.monotonic() + timeout
    try:
        for process in processes:
            left = max(1.0, deadline - time.monotonic())
            if process.wait(timeout=left) != 0:
                raise SystemExit(f"distribute.py: the {mode!r} run failed (see its output above)")
    except subprocess.TimeoutExpired as error:
        raise SystemExit(f"distribute.py: the {mode!r} run passed {timeout:.0f} s") from error
    finally:
        for process in processes:
            process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--run", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        run_one(args.run, args.result, args.epochs, args.batch_size, args.seed)
        return 0

    from reclab.training.distribute import loopback_cluster

    started = time.perf_counter()
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for mode in MODES:
            out = Path(folder) / f"{mode}.json"
            configs = loopback_cluster(2) if mode == "two workers" else [None]
            processes = [_launch(mode, out, args, config) for config in configs]
            _wait(processes, args.timeout, mode)
            runs.append(json.loads(out.read_text()))
            print(f"{mode}: {json.dumps(runs[-1]['validation']['NDCG@10'])}", flush=True)
    single, plain = runs[0], runs[1]
    for run in runs:
        run["rows_per_second_vs_single"] = run["rows_per_second"] / single["rows_per_second"]
        run["rows_per_second_vs_no_xla"] = run["rows_per_second"] / plain["rows_per_second"]
    low, high = (single["validation"]["NDCG@10"][k] for k in ("ci_low", "ci_high"))
    result = {
        "benchmark": "distribute",
        "protocol": __doc__.split("\n\n")[2].strip(),
        "settings": {"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed},
        "runs": runs,
        "single_validation_interval": [low, high],
        "within_single_interval": {
            run["mode"]: bool(low <= run["validation"]["NDCG@10"]["value"] <= high) for run in runs
        },
        "seconds": time.perf_counter() - started,
        "machine": machine(),
    }
    write_results(args.out, result)
    print(f"wrote {args.out} in {result['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
