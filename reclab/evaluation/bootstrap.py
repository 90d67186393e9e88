r"""How much a number would move with other users: percentile bootstrap intervals over users.

Resampling the :math:`U` evaluated users with replacement :math:`B` times gives means
:math:`\bar m^{*(1)}, \dots, \bar m^{*(B)}` of the per-user values :math:`m_u`, and the
percentile interval

.. math::

    \mathrm{CI}_{1-\alpha} = \Bigl[\, q_{\alpha/2}\bigl(\bar m^{*(b)}\bigr),\;
        q_{1-\alpha/2}\bigl(\bar m^{*(b)}\bigr) \Bigr],
    \qquad \bar m^{*(b)} = \frac{1}{U} \sum_{k=1}^{U} m_{u^{*(b)}_k} .

Two models evaluated on the same users are compared by resampling the users *once* for both
(:func:`paired_bootstrap_ci`): the interval of the difference is then much narrower than the two
intervals suggest, because most of the spread comes from which users were drawn, and that spread
is shared.
"""

from __future__ import annotations

import numpy as np

from reclab.checks import positive_int
from reclab.formulas import implements
from reclab.seeding import as_generator

__all__ = ["bootstrap_ci", "paired_bootstrap_ci"]

#: Resamples drawn at once (bounds memory: this many x U indices).
_CHUNK = 100


def _values(values: np.ndarray, name: str, where: str) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or len(x) == 0 or np.isnan(x).any():
        raise ValueError(
            f"{where}: {name} must be a non-empty 1-D array without NaN, got shape {x.shape}"
        )
    return x


def _check(n_bootstrap: int, confidence: float, where: str) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"{where}: confidence must be in (0, 1), got {confidence!r}")
    positive_int(n_bootstrap, "n_bootstrap", where)


def _resampled_means(x: np.ndarray, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    means = np.empty(int(n_bootstrap))
    for start in range(0, len(means), _CHUNK):
        rows = min(_CHUNK, len(means) - start)
        means[start : start + rows] = x[rng.integers(0, len(x), size=(rows, len(x)))].mean(1)
    return means


def _interval(means: np.ndarray, confidence: float) -> tuple[float, float]:
    alpha = 1.0 - confidence
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


@implements("eq-bootstrap-ci")
def bootstrap_ci(
    values: np.ndarray,
    *,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-user ``values``.

    Args:
        values: ``(U,)`` one metric value per user.
        n_bootstrap: :math:`B`, the number of resamples.
        confidence: :math:`1 - \\alpha`.
        seed: seed or generator of the resampling.

    Returns:
        ``(low, high)``.

    Example:
        >>> bootstrap_ci(np.ones(5))          # no spread, no uncertainty
        (1.0, 1.0)
    """
    x = _values(values, "values", "bootstrap_ci")
    _check(n_bootstrap, confidence, "bootstrap_ci")
    return _interval(_resampled_means(x, n_bootstrap, as_generator(seed)), confidence)


@implements("eq-paired-bootstrap")
def paired_bootstrap_ci(
    values_a: np.ndarray,
    values_b: np.ndarray,
    *,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int | np.random.Generator = 0,
) -> tuple[float, float, float]:
    r"""The mean difference of two models on the same users, with a paired bootstrap interval.

    .. math::

        \Delta = \frac{1}{U}\sum_{u} \bigl(m^A_u - m^B_u\bigr), \qquad
        \mathrm{CI}_{1-\alpha}(\Delta) = \Bigl[\, q_{\alpha/2}\bigl(\Delta^{*(b)}\bigr),\;
            q_{1-\alpha/2}\bigl(\Delta^{*(b)}\bigr) \Bigr],

    where :math:`\Delta^{*(b)}` is the mean difference over the :math:`b`-th resample of users,
    the *same* resample for both models. An interval that excludes 0 says the difference is not
    a matter of which users happened to be evaluated.

    Args:
        values_a: ``(U,)`` model A's per-user values.
        values_b: ``(U,)`` model B's values on the same users, in the same order.
        n_bootstrap, confidence, seed: as in :func:`bootstrap_ci`.

    Returns:
        ``(difference, low, high)``: :math:`\Delta` and its interval.

    Example:
        >>> a, b = np.array([1.0, 0.0, 1.0, 1.0]), np.array([0.0, 0.0, 1.0, 0.0])
        >>> paired_bootstrap_ci(a, a)           # a model against itself: exactly 0
        (0.0, 0.0, 0.0)
        >>> paired_bootstrap_ci(a, b)[0]        # (1 + 0 + 0 + 1) / 4
        0.5
    """
    a = _values(values_a, "values_a", "paired_bootstrap_ci")
    b = _values(values_b, "values_b", "paired_bootstrap_ci")
    if a.shape != b.shape:
        raise ValueError(
            f"paired_bootstrap_ci: values_a has {len(a)} users but values_b has {len(b)}; "
            "a paired comparison needs the same users in the same order"
        )
    _check(n_bootstrap, confidence, "paired_bootstrap_ci")
    diff = a - b
    low, high = _interval(_resampled_means(diff, n_bootstrap, as_generator(seed)), confidence)
    return float(diff.mean()), low, high
