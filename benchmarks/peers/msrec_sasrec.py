"""Microsoft Recommenders' SASRec, trained for a wall-time budget with full-catalogue checkpoints.

Runs in its own environment (``bash benchmarks/peers/install.sh msrec``), called by
``benchmarks/peers/run.py``; it imports nothing from ``reclab``. Input: ``DATA/sequences.tsv``
(``user<TAB>item``, each user's rows in time order, users ``1..U``, items ``1..N``), which
the library's own ``SASRecDataSet.split()`` cuts leave-one-out exactly as ``reclab`` does.

Training is the library's own: its model, its ``WarpSampler`` (random users, one negative per
position) and the body of ``SASREC.train`` (Adam, its BCE loss), copied as a loop so the clock can
stop between steps; ``SASREC.train`` itself only stops after whole "epochs". Every ``--every``
seconds of training time the clock stops and every user's scores over the whole catalogue are
written for validation (history = training items) and test (history + the validation item):
``OUT/ckpt-K-valid.npy``, ``OUT/ckpt-K-test.npy``, rows = users ``1..U``, columns = item ids
``0..N``. The scores are computed the way ``SASREC.predict`` computes them, for all items at once
(checked against ``predict`` on 100 candidates: ``--check``). At the end the library's own
sampled evaluation (100 random negatives) is run once on the test split, for its own metric.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import threading
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from recommenders.models.sasrec.model import SASREC
from recommenders.models.sasrec.sampler import sample_function
from recommenders.models.sasrec.util import SASRecDataSet

#: The SASRec paper's MovieLens-1M settings (Kang & McAuley 2018, §IV.B), which this library's
#: SASRec reproduces: d = 50, 2 blocks, 1 head, L = 200, dropout 0.2, Adam 1e-3, batch 128.
SETTINGS = {
    "seq_max_len": 200,
    "num_blocks": 2,
    "embedding_dim": 50,
    "attention_dim": 50,
    "attention_num_heads": 1,
    "dropout_rate": 0.2,
    "conv_dims": [50, 50],
    "l2_reg": 0.0,  # a no-op under TF2 anyway (it reads the TF1 regularisation collection)
    "num_neg_test": 100,
}
LEARNING_RATE = 1e-3
BATCH_SIZE = 128


class ThreadSampler:
    """The library's ``WarpSampler`` batches (its own ``sample_function``) from a thread.

    ``WarpSampler`` forks a process after TensorFlow has started, which hung here (no batch
    ever arrived); the same function in a daemon thread yields the same batches.
    """

    def __init__(self, user_train, usernum, itemnum, maxlen, seed):
        self.queue: queue.Queue = queue.Queue(maxsize=10)
        args = (user_train, usernum, itemnum, BATCH_SIZE, maxlen, self.queue, seed)
        threading.Thread(target=sample_function, args=args, daemon=True).start()

    def next_batch(self):
        return self.queue.get()

    def close(self):
        pass


def left_pad(rows, length):
    out = np.zeros((len(rows), length), np.int64)
    for r, items in enumerate(rows):
        items = items[-length:]
        if items:
            out[r, -len(items) :] = items
    return out


def make_scorer(model):
    def scores(seq):  # eager: a tf.function of this crashed TF 2.15 (protobuf CHECK)
        mask = tf.expand_dims(tf.cast(tf.not_equal(seq, 0), tf.float32), -1)
        x, positions = model.embedding(seq)
        x = (x + positions) * mask
        h = model.layer_normalization(model.encoder(x, False, mask))[:, -1, :]
        return tf.matmul(h, model.item_embedding_layer.embeddings, transpose_b=True)

    def all_users(histories, length):
        padded = left_pad(histories, length)
        parts = [scores(tf.constant(padded[i : i + 256])) for i in range(0, len(padded), 256)]
        return np.concatenate([p.numpy() for p in parts]).astype(np.float32)

    return all_users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=600.0, help="training seconds")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between checkpoints")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true", help="compare with predict() and stop")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)  # noqa: NPY002 (the library's sampler draws from it)
    tf.random.set_seed(args.seed)

    data = SASRecDataSet(filename=str(args.data / "sequences.tsv"), col_sep="\t")
    data.split()
    users = range(1, data.usernum + 1)
    model = SASREC(item_num=data.itemnum, **SETTINGS)
    length = SETTINGS["seq_max_len"]
    valid_histories = [data.user_train[u] for u in users]
    test_histories = [data.user_train[u] + data.user_valid[u] for u in users]
    score_all = make_scorer(model)

    sampler = ThreadSampler(data.user_train, data.usernum, data.itemnum, length, args.seed)
    optimizer = tf.keras.optimizers.Adam(
        learning_rate=LEARNING_RATE, beta_1=0.9, beta_2=0.999, epsilon=1e-7
    )
    signature = [
        {
            "users": tf.TensorSpec(shape=(None, 1), dtype=tf.int64),
            "input_seq": tf.TensorSpec(shape=(None, length), dtype=tf.int64),
            "positive": tf.TensorSpec(shape=(None, length), dtype=tf.int64),
            "negative": tf.TensorSpec(shape=(None, length), dtype=tf.int64),
        },
        tf.TensorSpec(shape=(None, 1), dtype=tf.int64),
    ]

    @tf.function(input_signature=signature)
    def train_step(inp, tar):  # the body of SASREC.train's own train_step
        with tf.GradientTape() as tape:
            pos_logits, neg_logits, loss_mask = model(inp, training=True)
            loss = model.loss_function(pos_logits, neg_logits, loss_mask)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss

    if args.check:
        u, seq, pos, neg = sampler.next_batch()
        train_step(*model.create_combined_dataset(u, seq, pos, neg))
        user = 1
        full = score_all([test_histories[0]], length)[0]
        candidates = np.array([[data.user_test[user][0], *range(1, 101)]])
        seq = left_pad([test_histories[0]], length)
        own = model.predict({"input_seq": seq, "candidate": candidates}).numpy()[0]
        print(json.dumps({"max_abs_difference": float(np.abs(full[candidates[0]] - own).max())}))
        sampler.close()
        return

    log = (args.out / "log.jsonl").open("w")
    trained, steps, losses, checkpoint = 0.0, 0, [], 0
    steps_per_epoch = max(1, len(data.user_train) // BATCH_SIZE)  # the library's "epoch"
    next_mark = args.every
    while trained < args.budget:
        start = time.perf_counter()
        u, seq, pos, neg = sampler.next_batch()
        losses.append(float(train_step(*model.create_combined_dataset(u, seq, pos, neg))))
        trained += time.perf_counter() - start
        steps += 1
        if trained >= next_mark or trained >= args.budget:
            checkpoint += 1
            started = time.perf_counter()
            np.save(args.out / f"ckpt-{checkpoint}-valid.npy", score_all(valid_histories, length))
            np.save(args.out / f"ckpt-{checkpoint}-test.npy", score_all(test_histories, length))
            record = {
                "checkpoint": checkpoint,
                "train_seconds": trained,
                "steps": steps,
                "epochs": steps / steps_per_epoch,
                "loss": float(np.mean(losses[-steps_per_epoch:])),
                "checkpoint_seconds": time.perf_counter() - started,
            }
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(json.dumps(record), flush=True)
            next_mark += args.every
    sampler.close()
    np.random.seed(args.seed)  # noqa: NPY002 (its evaluate draws negatives from it)
    started = time.perf_counter()
    ndcg, hr = model.evaluate(data)  # its own protocol: 100 random unseen negatives
    own = {
        "NDCG@10": float(ndcg),
        "HR@10": float(hr),
        "protocol": "100 sampled negatives",
        "seconds": time.perf_counter() - started,
    }
    (args.out / "own_metrics.json").write_text(json.dumps(own, indent=1))
    print(json.dumps({"own_test": own}), flush=True)


if __name__ == "__main__":
    main()
