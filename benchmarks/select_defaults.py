"""How the default step size and dropout of SASRec were chosen: on the validation split only.

Run from the repository root (RECLAB_DATA must hold ml-latest-small)::

    .venv/bin/python benchmarks/select_defaults.py            # 9 settings x 2 seeds, ~1 h 15 min

The grid crosses Adam's learning rate {0.001, 0.003, 0.005} with dropout {0.2, 0.3, 0.5}; every
other setting is the package default (``SASRecConfig()``, ``TrainingConfig()``: full softmax,
windows of L = 50, batch 128, patience 10). Each run trains for at most ``--epochs`` epochs (a
budget in epochs, not seconds, so the selection does not depend on how busy the machine was),
with early stopping on validation NDCG@10. The selected setting is the one with the highest
validation NDCG@10, averaged over the seeds. **The test split is never evaluated here**: this
script does not compute a single test number, so nothing about the test users can influence the
choice. Results go to ``benchmarks/results/select_defaults.json``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "select_defaults.json"
LEARNING_RATES = (1e-3, 3e-3, 5e-3)
DROPOUTS = (0.2, 0.3, 0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    from reclab.environment import quiet_tensorflow

    quiet_tensorflow()
    from reclab.data import load_movielens, prepare_next_item_data, preprocess
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    ml = load_movielens("ml-latest-small", download=False)
    data = prepare_next_item_data(preprocess(ml.interactions).interactions)
    runs = []
    for lr, dropout in itertools.product(LEARNING_RATES, DROPOUTS):
        for seed in args.seeds:
            model = SASRec(data.num_items, SASRecConfig(dropout=dropout))
            config = TrainingConfig(learning_rate=lr, epochs=args.epochs, seed=seed)
            started = time.perf_counter()
            history = fit(model, data, config)  # validation only: no test evaluation here
            run = {
                "learning_rate": lr,
                "dropout": dropout,
                "seed": seed,
                "val_NDCG@10": history.best_value,
                "best_epoch": history.best_epoch,
                "epochs": history.epochs,
                "seconds": time.perf_counter() - started,
            }
            runs.append(run)
            print(json.dumps(run), flush=True)
    settings = {}
    for run in runs:
        settings.setdefault((run["learning_rate"], run["dropout"]), []).append(run["val_NDCG@10"])
    table = [
        {"learning_rate": lr, "dropout": d, "mean_val_NDCG@10": float(np.mean(v)), "values": v}
        for (lr, d), v in settings.items()
    ]
    table.sort(key=lambda row: -row["mean_val_NDCG@10"])
    result = {
        "machine": {
            "date": time.strftime("%Y-%m-%d"),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "protocol": "ml-latest-small 5-core, leave-last-out; selection on validation NDCG@10 "
        "(full ranking, seen items excluded, pessimistic ties); the test split is not evaluated",
        "budget": {"epochs": args.epochs, "patience": TrainingConfig().patience},
        "fixed": {"sasrec": asdict(SASRecConfig()), "training": TrainingConfig().to_dict()},
        "seeds": args.seeds,
        "runs": runs,
        "ranking": table,
        "selected": {k: table[0][k] for k in ("learning_rate", "dropout", "mean_val_NDCG@10")},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print("selected:", result["selected"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
