"""RecBole's SASRec, trained for a wall-time budget with full-catalogue checkpoints.

Runs in its own environment (``bash benchmarks/peers/install.sh recbole``), called by
``benchmarks/peers/run.py``; it imports nothing from ``reclab``. Input: the atomic file
``DATA/peers/peers.inter`` (``user_id:token item_id:token timestamp:float``; the timestamp is
each event's rank in its user's sequence, so RecBole's stable sort keeps the exported order),
cut by RecBole's own leave-one-out (``LS: valid_and_test``, ``order: TO``).

Training is RecBole's own: its model, its training data loader (every prefix of every sequence,
reshuffled each epoch), ``model.calculate_loss`` and the optimizer its ``Trainer`` builds (Adam,
``learning_rate``, ``weight_decay``), as a loop so the clock can stop between steps (its
``Trainer.fit`` only stops after whole epochs, about 99k samples each here). Settings are RecBole's
SASRec defaults (``properties/model/SASRec.yaml`` and ``overall.yaml``) with the cross-entropy loss
the notes recommend. Every ``--every`` training seconds every user's scores over the whole
catalogue are written, from ``model.full_sort_predict`` on RecBole's own validation and test
loaders, re-indexed to the exported user and item ids: ``OUT/ckpt-K-{valid,test}.npy`` (rows
users ``1..U``, columns item ids ``0..N``). At the end RecBole's own test evaluation is run once
(full ranking, its protocol: history items *not* excluded), for its own metric.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")

import numpy as np
import torch
from recbole.config import Config
from recbole.data import create_dataset, data_preparation
from recbole.model.sequential_recommender import SASRec
from recbole.trainer import Trainer
from recbole.utils import init_seed


def config_for(data: Path, out: Path, seed: int) -> Config:
    return Config(
        model="SASRec",
        dataset="peers",
        config_dict={
            "data_path": str(data),
            "USER_ID_FIELD": "user_id",
            "ITEM_ID_FIELD": "item_id",
            "TIME_FIELD": "timestamp",
            "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
            "loss_type": "CE",
            "train_neg_sample_args": None,
            "eval_args": {
                "split": {"LS": "valid_and_test"},
                "order": "TO",
                "group_by": "user",
                "mode": "full",
            },
            "metrics": ["Hit", "NDCG"],
            "topk": [10],
            "valid_metric": "NDCG@10",
            "device": "cpu",
            "use_gpu": False,
            "seed": seed,
            "reproducibility": True,
            "show_progress": False,
            "checkpoint_dir": str(out / "saved"),
            "save_dataset": False,
            "save_dataloaders": False,
            "worker": 0,
        },
    )


def scores_by_id(model, loader, dataset, shape) -> np.ndarray:
    """Every user's full-catalogue scores, rows = exported user id - 1, columns = item ids."""
    users = dataset.field2id_token["user_id"]
    items = dataset.field2id_token["item_id"]
    columns = np.array([int(t) for t in items[1:]])  # internal id 0 is padding
    out = np.full(shape, np.finfo(np.float32).min, np.float32)
    model.eval()
    with torch.no_grad():
        for interaction, _, _, _ in loader:
            scores = model.full_sort_predict(interaction).numpy()
            rows = np.array([int(users[u]) - 1 for u in interaction["user_id"].numpy()])
            out[rows[:, None], columns[None, :]] = scores[:, 1:]
    model.train()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between checkpoints")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)  # the comparison gives every implementation one core

    meta = json.loads((args.data / "meta.json").read_text())
    shape = (meta["users"], meta["items"] + 1)
    config = config_for(args.data, args.out, args.seed)
    init_seed(config["seed"], config["reproducibility"])
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    init_seed(config["seed"], config["reproducibility"])
    model = SASRec(config, train_data.dataset)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config["learning_rate"], weight_decay=config["weight_decay"]
    )
    clip = config["clip_grad_norm"]

    log = (args.out / "log.jsonl").open("w")
    trained, steps, epoch, checkpoint, losses = 0.0, 0, 0, 0, []
    next_mark = args.every
    model.train()
    while trained < args.budget:
        epoch += 1
        start = time.perf_counter()
        for interaction in train_data:
            optimizer.zero_grad()
            loss = model.calculate_loss(interaction)
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), **clip)
            optimizer.step()
            losses.append(float(loss))
            steps += 1
            now = time.perf_counter()
            trained += now - start
            if trained >= next_mark or trained >= args.budget:
                checkpoint += 1
                started = time.perf_counter()
                for part, loader in (("valid", valid_data), ("test", test_data)):
                    np.save(
                        args.out / f"ckpt-{checkpoint}-{part}.npy",
                        scores_by_id(model, loader, dataset, shape),
                    )
                record = {
                    "checkpoint": checkpoint,
                    "train_seconds": trained,
                    "steps": steps,
                    "epochs": steps / len(train_data),
                    "loss": float(np.mean(losses[-len(train_data) :])),
                    "checkpoint_seconds": time.perf_counter() - started,
                }
                log.write(json.dumps(record) + "\n")
                log.flush()
                print(json.dumps(record), flush=True)
                next_mark += args.every
                if trained >= args.budget:
                    break
            start = time.perf_counter()
    started = time.perf_counter()
    trainer = Trainer(config, model)
    result = trainer.evaluate(test_data, load_best_model=False)
    own = {
        "NDCG@10": float(result["ndcg@10"]),
        "HR@10": float(result["hit@10"]),
        "protocol": "full ranking, history items not excluded",
        "seconds": time.perf_counter() - started,
    }
    (args.out / "own_metrics.json").write_text(json.dumps(own, indent=1))
    print(json.dumps({"own_test": own}), flush=True)


if __name__ == "__main__":
    main()
