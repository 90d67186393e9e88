"""Will a training run fit in memory? An estimate from the configuration, before anything is built.

A run whose model or batch does not fit does not fail cleanly: the operating system kills the
process, or TensorFlow fails deep inside a kernel (a negative shape, when ``B x L x N`` overflows
32 bits). :func:`check_training_memory` estimates the peak from the configuration alone and
refuses, with the numbers, a run that cannot fit. The estimate is meant to be generous, and
``tests/training/test_memory.py`` checks it against every peak that ``benchmarks/scaling.py``
measured (catalogues of 4,000 to 256,000 items):

- weights, their gradients and Adam's two moments: :math:`4 \\times P` floats;
- one batch of activations: for a sequence model about :math:`16 d` floats per position and
  block, plus the logits (:math:`3.5 (N + 1)` floats per position for the full softmax: scores,
  their gradient and the softmax's temporaries; or the gathered candidate vectors
  :math:`2 (1 + M)(d + 1)` for a sampled loss with per-position negatives, or :math:`3 (1 + M)`
  (logits, their gradient, the candidates' ids) when the batch shares one set of negatives);
- :data:`RUNTIME_BYTES` for what TensorFlow allocates whatever the model (kernels, thread
  pools, the input pipeline's prefetched batches): measured 300 to 400 MB above the rest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from reclab.training.config import TrainingConfig
from reclab.training.objectives import objective

__all__ = ["MemoryEstimate", "available_memory", "check_training_memory", "estimate_memory"]

_FLOAT = 4  # bytes of a float32
#: Bytes a training process allocates beyond weights and activations (see the module).
RUNTIME_BYTES = 512 * 2**20


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a training run needs at its peak, by part."""

    parameters: int
    state_bytes: int
    activation_bytes: int

    @property
    def total(self) -> int:
        """Weights, gradients, optimiser state and one batch of activations."""
        return self.state_bytes + self.activation_bytes


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), if known."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_memory(
    model_class: type,
    model_config: object,
    training: TrainingConfig,
    *,
    num_items: int,
    num_users: int,
) -> MemoryEstimate:
    """The peak memory of training ``model_class`` with ``model_config`` (see the module)."""
    parameters = int(model_class.parameter_count(num_items, num_users, model_config))
    entry = objective(training.loss)
    negatives = entry.negatives if training.num_negatives is None else training.num_negatives
    negatives = negatives if entry.samples_negatives else 0
    dim = int(getattr(model_config, "dim", getattr(model_config, "mf_dim", 1)))
    rows = training.batch_size * int(getattr(model_config, "max_len", 1))
    blocks = int(getattr(model_config, "num_blocks", getattr(model_config, "num_layers", 1)))
    per_row = 16 * dim * blocks
    if negatives == 0:
        per_row += 3.5 * (num_items + 1)
    elif training.negative_sharing == "per-position":
        per_row += 2 * (1 + negatives) * (dim + 1)
    else:
        per_row += 3 * (1 + negatives)
    activations = int(_FLOAT * rows * per_row) + RUNTIME_BYTES
    return MemoryEstimate(parameters, 4 * _FLOAT * parameters, activations)


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_training_memory(
    model_class: type,
    model_config: object,
    training: TrainingConfig,
    *,
    num_items: int,
    num_users: int,
    available: int | None = None,
) -> MemoryEstimate:
    """Raise ``MemoryError`` with the numbers when a run cannot fit in ``available`` bytes.

    Args:
        available: the bytes to compare with (default :func:`available_memory`; no check when
            it is unknown).

    Returns:
        The :class:`MemoryEstimate`.
    """
    estimate = estimate_memory(
        model_class, model_config, training, num_items=num_items, num_users=num_users
    )
    available = available_memory() if available is None else available
    if available is not None and estimate.total > 0.9 * available:
        raise MemoryError(
            f"training would need about {_gib(estimate.total)} of memory "
            f"({estimate.parameters:,} parameters with their gradients and Adam's state: "
            f"{_gib(estimate.state_bytes)}; one batch of {training.batch_size} rows and "
            "TensorFlow's runtime: "
            f"{_gib(estimate.activation_bytes)}), but {_gib(available)} is available; lower the "
            "embedding size, the batch size or the history length"
        )
    return estimate
