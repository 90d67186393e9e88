"""tf.distribute: two replicas, in one process or in two worker processes on loopback, train the
same model as one process at the same global batch.

Every case runs in fresh processes: logical devices and a cluster are fixed when TensorFlow
starts, and this test process has started it long ago. The sequences have from 3 to 24 items,
so the replicas' rows hold unequal numbers of real (unpadded) positions and the last batch of an
epoch is split unevenly: the replicas' summed gradients must still be the global batch's
gradient (up to rounding), which a mean of the replicas' own means is not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from reclab.training.distribute import is_multi_worker, loopback_cluster, replicas, split_cpu

PROGRAM = textwrap.dedent(
    """
    import json, sys
    from reclab.training.distribute import mirrored_strategy, split_cpu
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "mirrored":
        split_cpu(2)
    import numpy as np
    import tensorflow as tf
    from reclab.data import Sequences
    from reclab.models import SASRec, SASRecConfig
    from reclab.training import TrainingConfig, fit

    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 25, 60)
    sequences = Sequences.from_lists([list(rng.integers(1, 31, n)) for n in lengths])
    strategy = {
        "single": tf.distribute.get_strategy,
        "mirrored": mirrored_strategy,
        "multi-worker": tf.distribute.MultiWorkerMirroredStrategy,
    }[mode]()
    with strategy.scope():
        model = SASRec(30, SASRecConfig(max_len=10, dim=8, num_blocks=1, dropout=0.0))
    config = TrainingConfig(epochs=3, batch_size=16, jit_compile=False, seed=3)
    if len(sys.argv) > 3:  # what fit refuses
        refused = {"max-seconds": {"max_seconds": 60.0}, "xla": {"jit_compile": True}}
        config = TrainingConfig(epochs=1, batch_size=16, **refused[sys.argv[3]])
    try:
        history = fit(model, sequences, config)
    except ValueError as error:
        print(json.dumps({"error": str(error)}))
        sys.exit(0)
    np.save(out, np.concatenate([w.ravel() for w in model.get_weights()]))
    losses = [r["loss"] for r in history.records]
    print(json.dumps({"replicas": history.replicas, "loss": losses}))
    """
)


def _start(mode, out, *extra, tf_config=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("TF_CONFIG", None)
    if tf_config is not None:
        env["TF_CONFIG"] = tf_config
    return subprocess.Popen(
        [sys.executable, "-c", PROGRAM, mode, str(out), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process, timeout=180):
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "weights.npy"
    return _result(_start("single", out)), np.load(out)


def test_two_logical_cpus_train_what_one_process_trains(single, tmp_path):
    result, weights = single
    mirrored = _result(_start("mirrored", tmp_path / "w.npy"))
    assert result["replicas"] == 1 and mirrored["replicas"] == 2
    np.testing.assert_allclose(mirrored["loss"], result["loss"], rtol=1e-5)
    np.testing.assert_allclose(np.load(tmp_path / "w.npy"), weights, atol=1e-3)


def test_two_workers_on_loopback_train_what_one_process_trains(single, tmp_path):
    result, weights = single
    outs = [tmp_path / f"worker{i}.npy" for i in range(2)]
    workers = [
        _start("multi-worker", out, tf_config=config)
        for out, config in zip(outs, loopback_cluster(2), strict=True)
    ]
    try:
        results = [_result(worker) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    for worker_result, out in zip(results, outs, strict=True):
        assert worker_result["replicas"] == 2
        np.testing.assert_allclose(worker_result["loss"], result["loss"], rtol=1e-5)
        np.testing.assert_allclose(np.load(out), weights, atol=1e-3)
    np.testing.assert_array_equal(np.load(outs[0]), np.load(outs[1]))  # one model, not two


def test_a_time_limit_on_several_workers_is_refused(tmp_path):
    workers = [
        _start("multi-worker", tmp_path / f"w{i}.npy", "max-seconds", tf_config=config)
        for i, config in enumerate(loopback_cluster(2))
    ]
    try:
        results = [_result(worker) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert all("max_seconds=60.0 would stop each worker" in r["error"] for r in results)


def test_loopback_cluster_names_every_worker_and_its_own_index():
    configs = [json.loads(c) for c in loopback_cluster(3)]
    addresses = configs[0]["cluster"]["worker"]
    assert len(set(addresses)) == 3 and all(a.startswith("127.0.0.1:") for a in addresses)
    assert [c["task"] for c in configs] == [{"type": "worker", "index": i} for i in range(3)]
    assert all(c["cluster"]["worker"] == addresses for c in configs)


def test_this_process_has_one_replica_and_refuses_a_late_split():
    import tensorflow as tf

    tf.constant(1.0)  # TensorFlow has started
    strategy = tf.distribute.get_strategy()
    assert replicas(strategy) == 1 and not is_multi_worker(strategy)
    have = len(tf.config.list_logical_devices("CPU"))
    assert split_cpu(have)  # what it already has is fine
    with pytest.raises(RuntimeError, match="already started"):
        split_cpu(have + 1)
    with pytest.raises(ValueError, match="positive integer"):
        split_cpu(0)


def test_xla_on_several_replicas_is_refused(tmp_path):
    refused = _result(_start("mirrored", tmp_path / "w.npy", "xla"))
    assert "XLA has no all-reduce on CPU devices" in refused["error"]
