r"""Scaling curves: the compute of a training step, and power laws fitted to measured points.

A scaling study trains one architecture at several sizes (parameters, training events, compute)
and asks how quality changes. Two tools:

- :func:`step_flops` counts the floating-point operations of one training step of a
  Transformer sequence model from its shape (the matrix products only, forward and backward);
  summed over the steps of a run it is the run's compute bill.
- :func:`fit_power_law` fits a saturating power law

  .. math::

      y(x) = y_\infty + a\,x^{-\alpha}

  to measured points :math:`(x_k, y_k)`: with :math:`a > 0` a loss that falls towards its floor
  :math:`y_\infty`, with :math:`a < 0` a metric that rises towards its ceiling. For a fixed
  :math:`y_\infty`, :math:`\log\lvert y - y_\infty\rvert = \log\lvert a\rvert - \alpha\log x` is
  a straight line, fitted by least squares; :math:`y_\infty` is then chosen to minimise the
  squared error of :math:`y` itself. ``limit=0`` fits the pure power law (a straight line in
  log-log axes). The fit says nothing outside the range of :math:`x` it was fitted on
  (:attr:`PowerLaw.x_range`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reclab.formulas import implements

__all__ = ["PowerLaw", "fit_power_law", "next_item_cross_entropy", "step_flops"]


def step_flops(
    batch: int,
    length: int,
    dim: int,
    blocks: int,
    ff_dim: int,
    n_ids: int,
    negatives: int = 0,
) -> int:
    r"""Analytic FLOPs of one training step of a SASRec-like model: 3 times the forward matmuls.

    Per block and position: the four :math:`d \times d` projections (queries, keys, values,
    output) and the two feed-forward layers (:math:`d \times d_{ff}` each); per block and
    sequence the attention scores and the weighted values (:math:`2 L^2 d` multiply-adds);
    per position the output scores over ``n_ids`` ids (full softmax, ``negatives=0``) or over
    ``1 + negatives`` candidates. A multiply-add counts as 2 FLOPs and the backward pass as
    twice the forward (Kaplan et al. 2020's rule of thumb), so

    .. math::

        C_{\text{step}} = 3\Bigl(n_b\bigl[BL(8d^2 + 4 d\,d_{ff}) + 4BL^2 d\bigr]
            + 2BLd\,n_{\text{cand}}\Bigr).

    Element-wise work (softmax, layer norms, the optimiser) is not counted.

    Example:
        >>> step_flops(batch=1, length=2, dim=4, blocks=1, ff_dim=4, n_ids=10)
        1824
    """
    tokens = batch * length
    per_block = (
        tokens * (4 * 2 * dim * dim + 2 * 2 * dim * ff_dim) + batch * 2 * 2 * length**2 * dim
    )
    scores = tokens * 2 * dim * (n_ids if negatives == 0 else 1 + negatives)
    return int(3 * (blocks * per_block + scores))


def next_item_cross_entropy(model: Any, data: Any, *, batch_size: int = 256) -> float:
    r"""Mean full-softmax cross-entropy of the held-out items: the loss a scaling law is about.

    .. math::

        \mathcal{L} = \frac{1}{|U|}\sum_u \Bigl(\log \sum_{j=1}^{N} e^{s(j)} - s(i_u)\Bigr),

    with the scores :math:`s` of ``model.score`` after each user's history (all items, the
    history included, as the training objective scores them). Users whose held-out item is
    unknown to the catalogue are left out (their loss is undefined).

    Args:
        model: anything with ``score(histories, users)`` (a :class:`reclab.models.Scorer`).
        data: a :class:`reclab.data.EvaluationSet`.
        batch_size: users scored at a time.
    """
    histories, targets = np.asarray(data.histories), np.asarray(data.targets)
    users = np.asarray(getattr(data, "users", np.zeros(len(targets), np.int64)))
    keep = np.flatnonzero(targets > 0)
    if len(keep) == 0:
        raise ValueError("next_item_cross_entropy: no held-out item in the catalogue")
    total = 0.0
    for start in range(0, len(keep), batch_size):
        rows = keep[start : start + batch_size]
        scores = np.asarray(model.score(histories[rows], users[rows]), np.float64)[:, 1:]
        top = scores.max(axis=1, keepdims=True)
        log_z = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
        total += float(np.sum(log_z - scores[np.arange(len(rows)), targets[rows] - 1]))
    return total / len(keep)


@dataclass(frozen=True)
class PowerLaw:
    r""":math:`y(x) = y_\infty + a\,x^{-\alpha}`, fitted on ``x_range`` (see the module doc).

    Attributes:
        scale: :math:`a` (negative for a rising metric).
        exponent: :math:`\alpha`.
        limit: :math:`y_\infty`, the floor (loss) or ceiling (metric) the curve tends to.
        x_range: the smallest and largest :math:`x` of the fit.
        rmse: root-mean-square error of the fit on its own points.
        limit_at_bound: the fitted limit lies at the far end of the search (10 times the
            data's range beyond the best value): the points show no saturation, so
            ``limit`` and ``exponent`` are not determined by them (a pure power law fits as
            well).
    """

    scale: float
    exponent: float
    limit: float
    x_range: tuple[float, float]
    rmse: float
    limit_at_bound: bool = False

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        """The curve at ``x`` (extrapolating outside ``x_range`` is the caller's risk)."""
        return self.limit + self.scale * np.asarray(x, np.float64) ** (-self.exponent)

    def gain_per_doubling(self, x: float) -> float:
        """:math:`y(2x) - y(x)`: what doubling ``x`` buys, by the fitted curve."""
        return float(self(2 * x) - self(x))


def _line_fit(
    x: np.ndarray, y: np.ndarray, limit: float, sign: float
) -> tuple[float, float, float]:
    """``(a, alpha, sse)`` for a fixed limit: least squares of log|y - limit| on log x."""
    gap = sign * (y - limit)
    slope, intercept = np.polyfit(np.log(x), np.log(gap), 1)
    a, alpha = sign * float(np.exp(intercept)), float(-slope)
    residual = y - (limit + a * x ** (-alpha))
    return a, alpha, float(residual @ residual)


@implements("eq-power-law")
def fit_power_law(
    x: np.ndarray,
    y: np.ndarray,
    *,
    limit: float | None = None,
    grid: int = 400,
) -> PowerLaw:
    r"""Fit :math:`y = y_\infty + a\,x^{-\alpha}` to measured points (see the module doc).

    Args:
        x: ``(n,)`` positive sizes (parameters, events, FLOPs), ``n >= 3`` (``n >= 2`` with a
            fixed ``limit``).
        y: ``(n,)`` measured values; the direction (falling loss or rising metric) is read from
            the least-squares slope of ``y`` on :math:`\log x`.
        limit: a fixed :math:`y_\infty` (``0``: a pure power law); ``None`` fits it, searched on
            a log-spaced grid of ``grid`` gaps beyond the best measured value, then refined.

    Returns:
        The :class:`PowerLaw`.

    Raises:
        ValueError: too few points, non-positive ``x``, or a fixed ``limit`` on the wrong side
            of the data (every :math:`y - y_\infty` must have the sign of :math:`a`).

    Example:
        >>> x = np.array([1e3, 1e4, 1e5, 1e6])
        >>> law = fit_power_law(x, 0.5 + 3.0 * x**-0.3)
        >>> round(law.limit, 3), round(law.scale, 2), round(law.exponent, 3)
        (0.5, 3.0, 0.3)
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(
            f"fit_power_law: x and y must be 1-D of one length, got {x.shape}, {y.shape}"
        )
    if np.any(~np.isfinite(x)) or np.any(x <= 0) or np.any(~np.isfinite(y)):
        raise ValueError(f"fit_power_law: x must be positive and x, y finite, got x={x.tolist()}")
    need = 2 if limit is not None else 3
    if len(x) < need:
        raise ValueError(f"fit_power_law: needs at least {need} points, got {len(x)}")
    sign = 1.0 if np.polyfit(np.log(x), y, 1)[0] < 0 else -1.0  # falling: a > 0
    if limit is not None:
        if np.any(sign * (y - limit) <= 0):
            side = "below" if sign > 0 else "above"
            raise ValueError(
                f"fit_power_law: limit={limit} must lie {side} every y for this "
                f"{'falling' if sign > 0 else 'rising'} curve, got y={y.tolist()}"
            )
        a, alpha, sse = _line_fit(x, y, float(limit), sign)
        best = float(limit)
    else:
        edge = float(y.min() if sign > 0 else y.max())
        span = float(np.ptp(y)) or 1.0
        gaps = np.geomspace(1e-6 * span, 10 * span, grid)  # farther: no curvature to fit
        fits = [(_line_fit(x, y, edge - sign * g, sign), g) for g in gaps]
        (a, alpha, sse), gap = min(fits, key=lambda f: f[0][2])
        low, high = gap / 1.5, gap * 1.5  # refine by golden-section search on log(gap)
        ratio = (np.sqrt(5) - 1) / 2
        lo, hi = np.log(low), np.log(high)
        for _ in range(60):
            m1, m2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
            f1 = _line_fit(x, y, edge - sign * np.exp(m1), sign)[2]
            f2 = _line_fit(x, y, edge - sign * np.exp(m2), sign)[2]
            lo, hi = (lo, m2) if f1 < f2 else (m1, hi)
        refined = edge - sign * float(np.exp((lo + hi) / 2))
        candidate = _line_fit(x, y, refined, sign)
        if candidate[2] <= sse:
            (a, alpha, sse), best = candidate, refined
        else:
            best = edge - sign * gap
    return PowerLaw(
        scale=a,
        exponent=alpha,
        limit=best,
        x_range=(float(x.min()), float(x.max())),
        rmse=float(np.sqrt(sse / len(x))),
        limit_at_bound=limit is None and abs(best - edge) >= 0.99 * 10 * span,
    )
