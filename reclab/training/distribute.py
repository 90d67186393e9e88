r"""Training on several devices or processes with TensorFlow's own engine, ``tf.distribute``.

Data parallelism: every replica holds a copy of the weights and takes its share of each global
batch; the replicas' gradients are summed (an all-reduce). With :math:`R` replicas, replica
:math:`r` holding the positions :math:`t \in r` with weights :math:`w_t` (1 at a real position,
0 at padding), each replica's loss is its part of the *global* batch's mean, the weights'
sum all-reduced first (:class:`reclab.losses.RecLoss`), so the update

.. math::

   \mathbf{g} = \sum_{r=1}^{R} \nabla_\theta
   \frac{\sum_{t \in r} w_t \ell_t(\theta)}{\sum_{t} w_t}
   = \nabla_\theta \frac{\sum_t w_t \ell_t(\theta)}{\sum_t w_t}

is one process's gradient however the padding and the epoch's last, smaller batch fall on the
replicas (Keras' own reduction averages the replicas' means instead).

The Keras idiom is all there is to it: make the model *inside* a strategy's scope and train it
with :func:`reclab.training.fit`, which builds and compiles it in that scope::

    split_cpu(2)                        # before TensorFlow runs anything
    with mirrored_strategy().scope():
        model = SASRec(data.num_items)
    fit(model, data, config)

- :func:`split_cpu` and :func:`mirrored_strategy`: ``MirroredStrategy`` over logical CPU devices
  of one process (the way to test data parallelism on a laptop);
- :func:`loopback_cluster`: the ``TF_CONFIG`` of each of ``W`` worker processes on 127.0.0.1 for
  ``tf.distribute.MultiWorkerMirroredStrategy``; every worker runs the same program with its own
  ``TF_CONFIG`` and they train one model together (gradients all-reduced over gRPC).

Every worker validates the same weights on the same users, so early stopping stops them all at
the same epoch; a wall-clock limit would not (each worker's clock is its own), so
:func:`reclab.training.fit` refuses ``max_seconds`` on several workers. DP-SGD and distillation,
whose steps are written for one replica, are refused under any strategy with several replicas;
several replicas train without XLA, which has no all-reduce on CPU devices.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import tensorflow as tf

__all__ = [
    "is_multi_worker",
    "loopback_cluster",
    "mirrored_strategy",
    "replicas",
    "split_cpu",
]


def split_cpu(devices: int) -> list[str]:
    """Split the CPU into ``devices`` logical devices and return their names.

    Must run before TensorFlow executes anything in this process (the devices are fixed when
    its runtime starts); the logical devices share the machine's cores.

    Raises:
        ValueError: ``devices`` is not a positive integer.
        RuntimeError: TensorFlow has already started, with the number of devices it has.
    """
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise ValueError(f"split_cpu: devices must be a positive integer, got {devices!r}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is not None and len(current) == devices:
        return [device.name for device in tf.config.list_logical_devices("CPU")]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
        )
    except RuntimeError as error:
        have = len(tf.config.list_logical_devices("CPU"))
        if have == devices:  # started already, with what was asked for
            return [device.name for device in tf.config.list_logical_devices("CPU")]
        raise RuntimeError(
            f"split_cpu: TensorFlow has already started with {have} CPU device(s); call "
            f"split_cpu({devices}) first thing in the process (before any model or tensor is "
            "made), or in a fresh process"
        ) from error
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def mirrored_strategy() -> tf.distribute.MirroredStrategy:
    """A ``MirroredStrategy`` over every logical CPU device of this process
    (:func:`split_cpu` makes them; with one device it has one replica)."""
    devices = [device.name for device in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def loopback_cluster(workers: int) -> list[str]:
    """The ``TF_CONFIG`` value (a JSON string) of each of ``workers`` processes on 127.0.0.1.

    Worker 0 is the chief. The ports are free when chosen; start the workers soon after.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"loopback_cluster: workers must be a positive integer, got {workers!r}")
    addresses = [f"127.0.0.1:{_free_port()}" for _ in range(workers)]
    return [
        json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": i}})
        for i in range(workers)
    ]


def replicas(strategy: Any) -> int:
    """Replicas training in sync under ``strategy`` (1 without one)."""
    return int(strategy.num_replicas_in_sync)


def is_multi_worker(strategy: Any) -> bool:
    """Whether ``strategy`` spans several worker processes."""
    extended = getattr(strategy, "extended", None)
    return bool(getattr(extended, "_in_multi_worker_mode", lambda: False)())


def replica_logs(logs: dict[str, Any], strategy: Any) -> dict[str, Any]:
    """A training step's logs as Keras can reduce them across workers.

    Keras 3.15 reduces each log with ``strategy.reduce("MEAN", value, axis=0)`` on a
    ``MultiWorkerMirroredStrategy``, which fails on a scalar; a ``(1,)`` vector reduces to the
    same mean. Other strategies get the logs unchanged.
    """
    if not is_multi_worker(strategy):
        return logs
    return {name: tf.reshape(value, (1,)) for name, value in logs.items()}


def local_batch(batch: Any, strategy: Any) -> Any:
    """This process's first replica's part of a distributed ``batch`` (for building a model)."""
    return tf.nest.map_structure(lambda x: strategy.experimental_local_results(x)[0], batch)
