"""DP-SGD's aggregation in plain NumPy: one user's gradient at a time.

Slow and obvious on purpose; the tests check :func:`reclab.privacy.noisy_mean_gradient` and
:func:`reclab.privacy.clipped_user_gradients` against it. A user's gradient is a list of arrays
(one per trainable variable); its norm is over all of them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clip", "noisy_mean_gradient"]


def clip(gradient, clip_norm):
    """``g * min(1, C / ||g||)``: the user's gradient, shrunk to norm ``C`` if it is longer."""
    norm = np.sqrt(sum(float(np.sum(np.square(g))) for g in gradient))
    scale = min(1.0, clip_norm / norm) if norm > 0 else 1.0
    return [np.asarray(g, dtype=np.float64) * scale for g in gradient]


def noisy_mean_gradient(user_gradients, clip_norm, noise, expected_batch_size):
    """``(sum_u clip(g_u) + noise) / (q U)`` with ``noise`` given (one array per variable),
    so the test can pass the same draw the package made."""
    clipped = [clip(g, clip_norm) for g in user_gradients]
    totals = [sum(parts) for parts in zip(*clipped, strict=True)]
    return [(t + n) / expected_batch_size for t, n in zip(totals, noise, strict=True)]
