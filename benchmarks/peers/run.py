"""Side by side: RecLab's SASRec against independent SASRec implementations, at equal wall time.

Run from the repository root, after ``bash benchmarks/peers/install.sh``::

    .venv/bin/python benchmarks/peers/run.py                       # all (about 35 min)
    .venv/bin/python benchmarks/peers/run.py --only msrec --budget 120   # a quick look

What is held equal (``../shared/NOTES-peers.md`` lists why each matters):

- **Data and split.** ml-latest-small prepared exactly as ``python -m reclab train`` prepares it
  (5-core, leave-last-out), exported as each library's input (a ``user item`` file in time order;
  RecBole's atomic ``.inter`` file with the per-user rank as timestamp, so its stable sort keeps
  the order). Each library cuts the same validation and test items.
- **Evaluator.** Ours, on the full-catalogue scores extracted from each model: every item ranked,
  the user's history excluded (seen items, as the book's protocol does on data without repeats),
  ties pessimistic. Each library's own reported metric is recorded next to ours.
- **Time.** Every implementation trains on the same single core (``taskset``; one thread each),
  for the same budget of training seconds; evaluation is outside the clock. Each peer writes its
  scores every ``--every`` training seconds; at a budget T the reported test metrics are those of
  the checkpoint with the best validation NDCG@10 among those reached by T (what early stopping
  would deploy). RecLab's entry is the command line itself, ``python -m reclab train --model
  sasrec`` with its defaults and ``--max-seconds T`` (its own early stopping applies).
- **Settings.** Each library's recommended settings: Microsoft Recommenders with the SASRec
  paper's MovieLens values, RecBole with its own SASRec defaults; ours with the CLI's defaults.

Written: ``benchmarks/results/peers.json``, a list with one entry per (implementation, budget):
``implementation``, ``version``, ``settings``, ``budget_seconds``, ``train_seconds``, ``test``
and ``validation`` (``NDCG@10``, ``HR@10``, bootstrap intervals), the validation curve (training
seconds, NDCG@10), ``time_to_target`` (training seconds to the best peer's best validation
NDCG@10), ``reclab_minus_this`` (the paired difference of RecLab's test NDCG@10 at the same
budget, with its interval), each library's ``own_metric`` (longest budget), ``measured`` and
``dataset``. ``--only`` re-runs some implementations and keeps the others' entries.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HERE = ROOT / "benchmarks" / "peers"
WORK = HERE / ".work"
VENVS = HERE / ".venvs"
RESULTS = ROOT / "benchmarks" / "results" / "peers.json"
DATASET = "ml-latest-small"
BUDGETS = (120, 300, 600)
PEERS = {
    "msrec": {
        "implementation": "Microsoft Recommenders SASRec",
        "package": "recommenders",
        "script": HERE / "msrec_sasrec.py",
        "settings": "SASRec paper, ML-1M: d=50, 2 blocks, 1 head, L=200, dropout 0.2, "
        "Adam 1e-3, batch 128, BCE with 1 negative per position",
    },
    "recbole": {
        "implementation": "RecBole SASRec",
        "package": "recbole",
        "script": HERE / "recbole_sasrec.py",
        "settings": "RecBole defaults: d=64, 2 blocks, 2 heads, inner 256, L=50, dropout 0.5, "
        "GELU, post-norm, Adam 1e-3, batch 2048, CE over all items (last position)",
    },
}
CORE = "1"  # every implementation on the same single core


def _pinned(command: list[str]) -> list[str]:
    return ["taskset", "-c", CORE, *command] if shutil.which("taskset") else command


def _thread_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        TF_NUM_INTRAOP_THREADS="1",
        TF_NUM_INTEROP_THREADS="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD="1",
        TQDM_DISABLE="1",
    )
    return env


def prepare():
    from reclab.cli import _prepare  # the command line's own preparation: same users and items

    return _prepare({"dataset": DATASET}, download=False)[0]


def export(prepared, folder: Path) -> dict:
    """Each user's full sequence (training items, validation item, test item) in time order."""
    folder.mkdir(parents=True, exist_ok=True)
    train = prepared.train
    validation, test = prepared.validation, prepared.test
    if not (
        np.all(validation.users == np.arange(1, len(validation) + 1))
        and np.all(test.users == validation.users)
    ):
        raise RuntimeError("export: expected one validation and one test item per user 1..U")
    if np.any(validation.targets < 1) or np.any(test.targets < 1):
        raise RuntimeError("export: a held-out item unknown to training (unexpected after 5-core)")
    lines, inter = [], ["user_id:token\titem_id:token\ttimestamp:float"]
    for row, user in enumerate(validation.users):
        start, stop = train.offsets[row], train.offsets[row + 1]
        if train.users[row] != user:
            raise RuntimeError("export: training sequences and evaluation rows disagree")
        items = [
            *train.items[start:stop].tolist(),
            int(validation.targets[row]),
            int(test.targets[row]),
        ]
        for rank, item in enumerate(items):
            lines.append(f"{user}\t{item}")
            inter.append(f"{user}\t{item}\t{rank}")
    (folder / "sequences.tsv").write_text("\n".join(lines) + "\n")
    (folder / "peers").mkdir(exist_ok=True)
    (folder / "peers" / "peers.inter").write_text("\n".join(inter) + "\n")
    meta = {
        "users": len(validation),
        "items": int(prepared.num_items),
        "events": len(lines),
        "fingerprint": prepared.fingerprint(),
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


class Precomputed:
    """A :class:`reclab.models.Scorer` over a saved score matrix (row = user id - 1)."""

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def score(self, histories, users):
        return self.scores[np.asarray(users) - 1]


def user_metrics(scores: np.ndarray, evaluation_set) -> Any:
    from reclab.evaluation import per_user_metrics

    return per_user_metrics(Precomputed(scores), evaluation_set)


def summary(frame) -> dict:
    from reclab.evaluation import bootstrap_ci

    out = {}
    for key in ("NDCG@10", "HR@10"):
        values = frame[key].to_numpy(np.float64)
        low, high = bootstrap_ci(values, seed=0)
        out[key], out[f"{key}_ci"] = float(values.mean()), [low, high]
    return out


def run_peer(name: str, prepared, data: Path, budget: float, every: float, seed: int) -> dict:
    peer = PEERS[name]
    python = VENVS / name / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"run.py: no {python}; run: bash benchmarks/peers/install.sh {name}")
    out = WORK / "runs" / name
    shutil.rmtree(out, ignore_errors=True)
    command = _pinned(
        [
            str(python),
            str(peer["script"]),
            "--data",
            str(data),
            "--out",
            str(out),
            "--budget",
            str(budget),
            "--every",
            str(every),
            "--seed",
            str(seed),
        ]
    )
    print(f"== {name}: {' '.join(command[-10:])}", flush=True)
    started = time.perf_counter()
    out.mkdir(parents=True)
    subprocess.run(
        command, check=True, env=_thread_env(), cwd=out
    )  # RecBole writes log_tensorboard/ in the current folder
    wall = time.perf_counter() - started
    version = subprocess.run(
        [
            str(python),
            "-c",
            f"import importlib.metadata as m; print(m.version({peer['package']!r}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    checkpoints = []
    for line in (out / "log.jsonl").read_text().splitlines():
        record = json.loads(line)
        k = record["checkpoint"]
        valid = user_metrics(np.load(out / f"ckpt-{k}-valid.npy"), prepared.validation)
        test = user_metrics(np.load(out / f"ckpt-{k}-test.npy"), prepared.test)
        record["validation"], record["test"] = summary(valid), summary(test)
        record["_test_users"] = test
        checkpoints.append(record)
        print(
            f"   checkpoint {k}: {record['train_seconds']:.0f} s, val NDCG@10 "
            f"{record['validation']['NDCG@10']:.4f}, test {record['test']['NDCG@10']:.4f}",
            flush=True,
        )
    own = json.loads((out / "own_metrics.json").read_text())
    return {
        "name": name,
        "version": version,
        "checkpoints": checkpoints,
        "own": own,
        "wall_seconds": wall,
    }


def run_reclab(budget: float, seed: int) -> dict:
    """The command line, as a user runs it, with ``--max-seconds budget``."""
    from reclab import __version__
    from reclab.cli import _load_run

    out = WORK / "runs" / f"reclab-{int(budget)}"
    shutil.rmtree(out, ignore_errors=True)
    command = _pinned(
        [
            sys.executable,
            "-m",
            "reclab",
            "train",
            "--model",
            "sasrec",
            "--dataset",
            DATASET,
            "--seed",
            str(seed),
            "--offline",
            "--no-progress",
            "--max-seconds",
            str(budget),
            "--out",
            str(out),
        ]
    )
    print(f"== reclab: {' '.join(command[-12:])}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=_thread_env(), cwd=ROOT)
    wall = time.perf_counter() - started
    metrics = json.loads((out / "metrics.json").read_text())
    _, prepared, _, model, _ = _load_run(str(out))
    test = user_metrics_model(model, prepared.test)
    records = metrics["training"]["records"]
    seconds = np.cumsum([r["train_seconds"] for r in records])
    curve = [
        [float(s), float(r["val_NDCG@10"])]
        for s, r in zip(seconds, records, strict=True)
        if "val_NDCG@10" in r
    ]
    return {
        "name": "reclab",
        "version": __version__,
        "wall_seconds": wall,
        "train_seconds": float(seconds[-1]),
        "epochs": len(records),
        "best_epoch": metrics["training"]["best_epoch"],
        "stopped_early": metrics["training"]["stopped_early"],
        "validation": {
            "NDCG@10": metrics["validation"]["NDCG@10"],
            "HR@10": metrics["validation"]["HR@10"],
        },
        "test": summary(test),
        "_test_users": test,
        "curve": curve,
    }


def user_metrics_model(model, evaluation_set):
    from reclab.evaluation import per_user_metrics

    return per_user_metrics(model, evaluation_set)


def at_budget(checkpoints: list[dict], budget: float) -> dict | None:
    """The checkpoint with the best validation NDCG@10 among those reached within ``budget``."""
    reached = [c for c in checkpoints if c["train_seconds"] <= budget * 1.05]
    return max(reached, key=lambda c: c["validation"]["NDCG@10"]) if reached else None


def time_to(curve: list[list[float]], value: float) -> float | None:
    for seconds, ndcg in curve:
        if ndcg >= value:
            return seconds
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=[*PEERS, "reclab"], default=None)
    parser.add_argument("--budgets", type=float, nargs="*", default=list(BUDGETS))
    parser.add_argument("--every", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    which = args.only or [*PEERS, "reclab"]
    longest = max(args.budgets)

    prepared = prepare()
    data = WORK / "data"
    meta = export(prepared, data)
    print(f"exported {meta}", flush=True)

    peers = {
        name: run_peer(name, prepared, data, longest, args.every, args.seed)
        for name in which
        if name in PEERS
    }
    ours = {b: run_reclab(b, args.seed) for b in args.budgets} if "reclab" in which else {}

    from reclab.evaluation import paired_bootstrap_ci

    entries = []
    for name, result in peers.items():
        curve = [[c["train_seconds"], c["validation"]["NDCG@10"]] for c in result["checkpoints"]]
        for budget in args.budgets:
            best = at_budget(result["checkpoints"], budget)
            if best is None:
                continue
            entries.append(
                {
                    "implementation": PEERS[name]["implementation"],
                    "key": name,
                    "version": result["version"],
                    "settings": PEERS[name]["settings"],
                    "budget_seconds": budget,
                    "train_seconds": best["train_seconds"],
                    "steps": best["steps"],
                    "epochs": best["epochs"],
                    "validation": best["validation"],
                    "test": best["test"],
                    "own_metric": result["own"] if budget == longest else None,
                    "curve": curve,
                    "_users": best["_test_users"],
                }
            )
    for budget, result in ours.items():
        entries.append(
            {
                "implementation": "RecLab SASRec (python -m reclab train)",
                "key": "reclab",
                "version": result["version"],
                "settings": "the command line's defaults",
                "budget_seconds": budget,
                "train_seconds": result["train_seconds"],
                "epochs": result["epochs"],
                "best_epoch": result["best_epoch"],
                "stopped_early": result["stopped_early"],
                "validation": result["validation"],
                "test": result["test"],
                "curve": result["curve"],
                "_users": result["_test_users"],
            }
        )
    # RecLab against each peer, same users, same budget
    for entry in entries:
        if entry["key"] == "reclab":
            continue
        mine = [
            e
            for e in entries
            if e["key"] == "reclab" and e["budget_seconds"] == entry["budget_seconds"]
        ]
        if mine:
            a = mine[0]["_users"]["NDCG@10"].to_numpy()
            b = entry["_users"]["NDCG@10"].to_numpy()
            diff, low, high = paired_bootstrap_ci(a, b, seed=0)
            entry["reclab_minus_this"] = {"NDCG@10": diff, "ci": [low, high]}
    # time to quality: the best peer's validation NDCG@10 at the longest budget
    peer_best = [e for e in entries if e["key"] != "reclab" and e["budget_seconds"] == longest]
    target = max((e["validation"]["NDCG@10"] for e in peer_best), default=None)
    measured = {
        "date": date.today().isoformat(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": 1,
        "threads": 1,
        "python": platform.python_version(),
        "note": "each implementation alone on one pinned core (taskset), one thread; "
        "the other core ran unrelated light work",
    }
    dataset = {
        "name": DATASET,
        **meta,
        "split": "leave-last-out, 5-core",
        "protocol": "full ranking, seen items excluded, pessimistic ties",
    }
    for e in entries:
        e.pop("_users")
        e["measured"], e["dataset"] = measured, dataset
        e["time_to_target"] = {
            "validation_NDCG@10": target,
            "target": "the best peer's best validation NDCG@10 within the longest budget",
            "seconds": time_to(e["curve"], target) if target is not None else None,
        }
    if RESULTS.exists() and args.only:
        keep = [e for e in json.loads(RESULTS.read_text()) if e["key"] not in which]
        entries = keep + entries
    RESULTS.write_text(json.dumps(entries, indent=1) + "\n")
    for e in entries:
        print(
            f"{e['implementation']:<42} {e['budget_seconds']:>5.0f} s: test NDCG@10 "
            f"{e['test']['NDCG@10']:.4f} HR@10 {e['test']['HR@10']:.4f} "
            f"(trained {e['train_seconds']:.0f} s)"
        )
        print(f"{'':<42} time to validation NDCG@10 {target}: {e['time_to_target']['seconds']}")


if __name__ == "__main__":
    main()
