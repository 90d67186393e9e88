"""What differential privacy costs SASRec, and what it buys: a privacy-utility curve with an attack.

Run from the repository root (RECLAB_DATA must hold ml-latest-small; about 6 minutes)::

    taskset -c 0,1 .venv/bin/python benchmarks/privacy.py

Protocol: ml-latest-small, cleaned as the command line cleans it (5-core) and split
leave-last-out (:func:`reclab.data.prepare_next_item_data`). The *members* are half of the
users, drawn with ``--seed`` (:meth:`~reclab.data.NextItemData.subsample_training`): the models
train on their training events only. The other half are the *non-members*, drawn the same way,
whom no model sees in training. Every run is a SASRec with the package defaults trained by
:func:`reclab.training.fit` with the full softmax, one row per user (``windows=False``), an
(expected) batch of ``--batch-size`` users and exactly ``--epochs`` epochs, validated once at the
end, so every model is its last epoch's weights (what DP-SGD's guarantee covers):

- ``no DP``: shuffled batches, no clipping, no noise;
- ``clipping only``: DP-SGD with :math:`\\sigma = 0` (Poisson-sampled users, each user's
  gradient clipped to ``--clip``; no noise, so :math:`\\varepsilon = \\infty`), the control that
  separates what clipping costs from what noise costs;
- one DP-SGD run per target :math:`\\varepsilon` in ``--epsilons`` at
  :math:`\\delta = 1 / (10 U)`, with the smallest :math:`\\sigma` whose accountant value for the
  run's steps stays within it (:func:`reclab.privacy.noise_for_training`); the :math:`\\varepsilon`
  reported is the accountant's for the steps actually taken.

For each: test HR@10 and NDCG@10 (full ranking, seen items excluded, bootstrap intervals over
users) of members and of non-members separately (every test user's history is read at test time;
only members' histories were trained on), and a loss-threshold membership-inference attack
(:func:`reclab.privacy.membership_inference`) on each user's training sequence: AUC and advantage
(max TPR - FPR) with bootstrap intervals, next to the advantage bound
:math:`(e^\\varepsilon - 1 + 2\\delta) / (e^\\varepsilon + 1)` that the guarantee implies.
Popularity fitted on the members' training events is the reference a useful model must beat.

Results go to ``benchmarks/results/privacy.json``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import machine, write_results  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "privacy.json"


def _metrics(model, evalset, seed: int) -> dict:
    """HR@10 and NDCG@10 with their intervals on ``evalset``."""
    from reclab.evaluation import evaluate_model

    table = evaluate_model(model, evalset, seed=seed).set_index("metric")
    return {
        metric: {key: float(table.loc[metric, key]) for key in ("value", "ci_low", "ci_high")}
        for metric in ("HR@10", "NDCG@10")
    }


def run(epochs: int, batch_size: int, clip: float, epsilons: list[float], seed: int,
        n_bootstrap: int) -> dict:  # fmt: skip
    from reclab.data import (
        load_movielens,
        poisson_steps_per_epoch,
        prepare_next_item_data,
        preprocess,
    )
    from reclab.models import SASRec
    from reclab.models.baselines import Popularity
    from reclab.privacy import (
        PrivacyConfig,
        advantage_bound,
        membership_inference,
        noise_for_training,
        user_losses,
    )
    from reclab.training import TrainingConfig, fit

    ml = load_movielens("ml-latest-small", download=False)
    data = prepare_next_item_data(preprocess(ml.interactions).interactions)
    members = data.subsample_training(0.5, seed=seed)
    is_member = np.isin(data.train.users, members.train.users)
    outsiders = data.train.subset(~is_member)  # the non-members' training sequences
    test_rows = np.isin(data.test.users, members.train.users)
    test = {"members": data.test.subset(test_rows), "non_members": data.test.subset(~test_rows)}

    users = int(np.count_nonzero(members.train.lengths >= 2))  # whom DP-SGD draws from
    q = batch_size / users
    steps = epochs * poisson_steps_per_epoch(users, batch_size)
    delta = 1.0 / (10 * users)
    runs = [("no DP", None), ("clipping only", PrivacyConfig(0.0, clip_norm=clip))]
    for target in sorted(epsilons, reverse=True):
        sigma = noise_for_training(
            target, users=users, batch_size=batch_size, epochs=epochs, delta=delta
        )
        runs.append((f"epsilon {target:g}", PrivacyConfig(sigma, clip_norm=clip)))
    print(f"{users} members, {len(outsiders)} non-members, q={q:.3f}, {steps} steps", flush=True)

    results = []
    for name, privacy in runs:
        model = SASRec(data.num_items)
        config = TrainingConfig(
            loss="softmax", windows=False, epochs=epochs, batch_size=batch_size, patience=1,
            validate_every=epochs, privacy=privacy, seed=seed,
        )  # fmt: skip
        history = fit(model, members, config)
        attack = membership_inference(
            user_losses(model, members.train),
            user_losses(model, outsiders),
            n_bootstrap=n_bootstrap,
            seed=seed,
        )
        guarantee = history.privacy
        epsilon = guarantee["epsilon"] if guarantee else math.inf
        row = {
            "run": name,
            "noise_multiplier": guarantee["noise_multiplier"] if guarantee else None,
            "epsilon": epsilon,
            "steps": guarantee["steps"] if guarantee else None,
            "train_seconds": history.seconds,
            "epochs": history.epochs,
            "test": {group: _metrics(model, rows, seed) for group, rows in test.items()},
            "membership_inference": attack,
            "advantage_bound": advantage_bound(epsilon, delta),
        }
        results.append(row)
        ndcg = row["test"]["members"]["NDCG@10"]["value"]
        print(
            f"{name}: eps {epsilon:.2f}, members' NDCG@10 {ndcg:.4f}, attack AUC "
            f"{attack['auc']:.3f}, advantage {attack['advantage']:.3f} "
            f"({history.seconds:.0f} s)",
            flush=True,
        )
    popularity = Popularity(data.num_items).fit(members.train)
    return {
        "data": {
            "users": data.num_users,
            "items": data.num_items,
            "members": users,
            "non_members": len(outsiders),
            "member_train_events": len(members.train.items),
        },
        "setting": {
            "epochs": epochs,
            "expected_batch_size": batch_size,
            "clip_norm": clip,
            "sampling_probability": q,
            "steps": steps,
            "delta": delta,
            "target_epsilons": sorted(epsilons, reverse=True),
            "seed": seed,
        },
        "popularity": {group: _metrics(popularity, rows, seed) for group, rows in test.items()},
        "runs": results,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--clip", type=float, default=1.0, help="per-user clipping norm C")
    parser.add_argument("--epsilons", type=float, nargs="+", default=[64.0, 16.0, 4.0, 1.0])
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from reclab.environment import quiet_tensorflow

    quiet_tensorflow()
    started = time.perf_counter()
    result = {
        "machine": machine(),
        "protocol": "ml-latest-small 5-core, leave-last-out; members: a seeded half of the "
        "users (their training events), non-members: the other half; SASRec package defaults, "
        "full softmax, one row per user, fixed epochs, last epoch's weights; DP-SGD with one "
        "user as the privacy unit, delta = 1/(10 U); test metrics per group with 95% bootstrap "
        "intervals over users; loss-threshold membership inference on training sequences",
        **run(args.epochs, args.batch_size, args.clip, args.epsilons, args.seed, args.bootstrap),
    }
    result["total_seconds"] = time.perf_counter() - started
    write_results(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
