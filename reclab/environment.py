"""What the book runs on: library versions, CPU threads, and a quiet TensorFlow start.

:func:`quiet_tensorflow` is the first call of every chapter and of the command line: TensorFlow
writes start-up lines to standard error (a banner on import, a line the first time it compiles
with XLA, runs a ``tf.data`` pipeline or transposes a boolean tensor) that say nothing about the
reader's code. They are triggered once here, with standard error silenced at the file-descriptor
level (where TensorFlow's C++ logging writes), so a warning that does appear later is real.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata

import pandas as pd

__all__ = [
    "cpu_threads",
    "installed_version",
    "native_stderr_to_log",
    "quiet_tensorflow",
    "report",
]

#: The distributions whose versions the setup chapter reports.
REPORTED_DISTRIBUTIONS = (
    "reclab-book",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "numpy",
    "pandas",
    "matplotlib",
    "seaborn",
    "jupyter-book",
)


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or ``None`` when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def cpu_threads() -> dict[str, int | None]:
    """CPU counts as Python and TensorFlow see them.

    ``usable`` is the number of cores this process may run on (it respects CPU
    affinity, as containers and CI set it); TensorFlow's thread pools report 0
    when left to choose by themselves.
    """
    import tensorflow as tf

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "tf_intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "tf_inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def report() -> pd.DataFrame:
    """One table of the platform, Python and the versions of the book's libraries."""
    rows = [
        ("platform", platform.platform()),
        ("python", sys.version.split()[0]),
    ]
    for name in REPORTED_DISTRIBUTIONS:
        version = installed_version(name)
        if version is not None:
            rows.append((name, version))
    return pd.DataFrame(rows, columns=["component", "version"]).set_index("component")


@contextlib.contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 (C++ and Python stderr alike) to /dev/null, then restore it."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def native_stderr_to_log(logger: logging.Logger) -> Iterator[None]:
    """Hold what C++ code writes to file descriptor 2 and hand it to ``logger`` at DEBUG.

    For the TensorFlow Lite converter and interpreter, which print progress lines ("Ignored
    output_format", "Created ... XNNPACK delegate") on every successful call. If the block
    raises, the held text goes back to standard error, where a failure's diagnostics belong.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    failed = False
    with tempfile.TemporaryFile(mode="w+b") as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode(errors="replace").strip()
            if text and failed:
                print(text, file=sys.stderr, flush=True)
            elif text:
                logger.debug("native stderr: %s", text)


def quiet_tensorflow(*, warm_up: bool = True) -> None:
    """Import TensorFlow and Keras and trigger their one-off start-up messages, silenced.

    Idempotent and cheap after the first call (a second or two for the first: one tiny
    XLA-compiled step). Sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless the environment chose a level.

    Args:
        warm_up: also run the first XLA compilation, ``tf.data`` pipeline and boolean
            transpose (``False``: only import, silenced).
    """
    if getattr(quiet_tensorflow, "done", False):
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_silenced():
        import keras
        import numpy as np
        import tensorflow as tf

        if not warm_up:
            return

        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(loss="mse", jit_compile=True)  # the first XLA compilation
        one = tf.data.Dataset.from_tensors((tf.ones((1, 1)), tf.ones((1, 1))))
        model.fit(one, verbose=0, shuffle=False)
        list(tf.data.Dataset.from_generator(lambda: iter([1]), output_types=tf.int32))
        steps = tf.data.Dataset.range(1).map(
            lambda k: tf.numpy_function(lambda x: np.int64(x), [k], tf.int64)
        )
        list(steps)  # the first numpy_function pipeline
        tf.transpose(tf.constant([[True]])).numpy()  # the first boolean transpose (GRU masks)
    quiet_tensorflow.done = True  # type: ignore[attr-defined]
