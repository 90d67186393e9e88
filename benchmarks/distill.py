"""Distilling a large SASRec into a small one: what the teacher's scores add to the labels.

Run from the repository root (RECLAB_DATA must hold ml-latest-small), with nothing else busy
(about 25 minutes)::

    .venv/bin/python benchmarks/distill.py           # -> benchmarks/results/distill.json

Protocol: ml-latest-small, cleaned as the command line cleans it (5-core) and split
leave-last-out. Every model is a SASRec trained by :func:`reclab.training.fit` (or
:func:`reclab.training.distill`) with the full softmax and early stopping on validation
NDCG@10, the same seed:

- ``teacher``: ``--teacher-dim`` (128), 2 blocks, 2 heads, at most ``--teacher-budget`` s;
- ``small, labels only``: ``--student-dim`` (16), 1 block, 1 head, at most ``--epochs`` epochs;
- ``small, distilled T=.., w=..``: the same architecture and the same epochs, trained on the
  labels and the teacher's scores (:func:`reclab.losses.distillation_loss`) for every
  temperature and weight in ``--settings``.

The students get the same number of *epochs*, not the same seconds: a distilled epoch also
runs the teacher on every batch, so it costs about twice a plain one, and a student still
improving when its clock stops would be compared on its budget, not on what it learned. The
seconds each took are recorded beside the quality, with each run's validation curve.

Each is exported as a LiteRT float32 file (:func:`reclab.serving.export_model`, top-10 with
seen items removed inside the graph) and measured on the test users: file size, latency of
one query (p50, p99 over ``--queries`` histories) and throughput at batch 256 on the cores this
process may use; test NDCG@10 and HR@10 with bootstrap intervals; top-10 overlap with the
teacher's lists. The distilled student is compared with the labels-only one user by user
(paired bootstrap of NDCG@10).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, quality_with_intervals, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "distill.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher-dim", type=int, default=128)
    parser.add_argument("--student-dim", type=int, default=16)
    parser.add_argument("--teacher-budget", type=float, default=150.0, help="training seconds")
    parser.add_argument("--epochs", type=int, default=50, help="each student's epochs at most")
    parser.add_argument(
        "--settings",
        default="1:0.5,2:0.5,4:0.5,2:0.9",
        help="the distilled students' T:w pairs, comma-separated",
    )
    parser.add_argument("--queries", type=int, default=300, help="timed batch-1 queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    try:
        settings = [tuple(float(x) for x in pair.split(":")) for pair in args.settings.split(",")]
    except ValueError:
        parser.error(f"--settings: expected T:w pairs such as 2:0.5, got {args.settings!r}")

    from reclab.data import load_movielens, prepare_next_item_data, preprocess
    from reclab.environment import quiet_tensorflow
    from reclab.evaluation import paired_bootstrap_ci, per_user_metrics
    from reclab.metrics import list_overlap
    from reclab.models import SASRec, SASRecConfig
    from reclab.serving import export_model, load_exported, measure_latency
    from reclab.training import TrainingConfig, distill, fit

    quiet_tensorflow()
    started = time.perf_counter()
    ml = load_movielens("ml-latest-small", download=False)
    data = prepare_next_item_data(preprocess(ml.interactions).interactions)
    large = SASRecConfig(dim=args.teacher_dim, num_blocks=2, num_heads=2)
    small = SASRecConfig(dim=args.student_dim, num_blocks=1, num_heads=1)

    trained = {}
    teacher = SASRec(data.num_items, large)
    history = fit(teacher, data, TrainingConfig(seed=args.seed, max_seconds=args.teacher_budget))
    trained["teacher"] = (teacher, history)
    students = {"small, labels only": None}
    students.update({f"small, distilled T={t:g}, w={w:g}": (t, w) for t, w in settings})
    for name, setting in students.items():
        student = SASRec(data.num_items, small)
        config = TrainingConfig(seed=args.seed, epochs=args.epochs)
        if setting is None:
            history = fit(student, data, config)
        else:
            temperature, weight = setting
            history = distill(
                student, teacher, data, config, temperature=temperature, weight=weight
            )
        trained[name] = (student, history)
        print(f"{name}: {history.epochs} epochs, val NDCG@10 {history.best_value:.4f}", flush=True)

    users = data.test
    histories = teacher.prepare_histories(users.histories)
    folder = Path(tempfile.mkdtemp())
    served = {}
    for index, (name, (model, _)) in enumerate(trained.items()):
        export_model(model, folder / str(index), format="litert", k=10)
        served[name] = load_exported(folder / str(index))
    reference, _ = served["teacher"].top_k(histories)

    variants = []
    for name, (model, history) in trained.items():
        server = served[name]
        one = measure_latency(server.top_k, histories, batch_size=1, min_queries=args.queries)
        many = measure_latency(server.top_k, histories, batch_size=256, min_queries=20)
        ids, _ = server.top_k(histories)
        variants.append(
            {
                "variant": name,
                "dim": int(model.config.dim),
                "num_blocks": int(model.config.num_blocks),
                "parameters": int(model.count_params()),
                "litert_bytes": server.model_bytes(),
                "epochs": history.epochs,
                "best_epoch": history.best_epoch,
                "train_seconds": history.seconds,
                "val_NDCG@10": history.best_value,
                "val_curve": [float(v) for v in history.column("val_NDCG@10")[1]],
                "latency_ms": {"p50": one["p50_ms"], "p99": one["p99_ms"]},
                "queries_per_second_batch_256": many["queries_per_second"],
                "top10_overlap_with_teacher": list_overlap(ids, reference),
                "test": quality_with_intervals(server, users),
            }
        )
        print(variants[-1], flush=True)

    ndcg = {name: per_user_metrics(served[name], users)["NDCG@10"].to_numpy() for name in students}
    against_labels_only = {}
    for name in students:
        if name != "small, labels only":
            difference, low, high = paired_bootstrap_ci(
                ndcg[name], ndcg["small, labels only"], seed=args.seed
            )
            against_labels_only[name] = {"difference": difference, "ci_low": low, "ci_high": high}
    result = {
        "machine": machine(),
        "protocol": "ml-latest-small 5-core, leave-last-out; SASRec, full softmax, early "
        "stopping on validation NDCG@10 (the teacher within a training-time budget, the "
        "students within the same number of epochs); a distilled student learns the labels "
        "and the teacher's softened scores; all served as LiteRT float32 "
        "files (top-10, seen items removed); test metrics with 95% bootstrap intervals",
        "data": {"users": data.num_users, "items": data.num_items},
        "setting": {
            "teacher": {"dim": large.dim, "num_blocks": 2, "num_heads": 2},
            "student": {"dim": small.dim, "num_blocks": 1, "num_heads": 1},
            "teacher_budget_seconds": args.teacher_budget,
            "student_epochs": args.epochs,
            "settings": [{"temperature": t, "weight": w} for t, w in settings],
            "seed": args.seed,
        },
        "variants": variants,
        "distilled_minus_labels_only_NDCG@10": against_labels_only,
    }
    result["total_seconds"] = time.perf_counter() - started
    write_results(args.out, result)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
