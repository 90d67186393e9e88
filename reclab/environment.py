"""What the book runs on: library versions and CPU threads, for the setup chapter."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

import pandas as pd

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
