r"""Evaluate any model on any split: a tidy table with bootstrap confidence intervals over users.

:func:`evaluate_model` runs :func:`~reclab.evaluation.evaluate_full_ranking` (the book's
protocol) and keeps, from the same scores, every user's metric value :math:`m_u`. Resampling the
:math:`U` users with replacement :math:`B` times gives means :math:`\bar m^{*(1)}, \dots,
\bar m^{*(B)}`, and the percentile interval

.. math::

    \mathrm{CI}_{1-\alpha} = \Bigl[\, q_{\alpha/2}\bigl(\bar m^{*(b)}\bigr),\;
        q_{1-\alpha/2}\bigl(\bar m^{*(b)}\bigr) \Bigr],
    \qquad \bar m^{*(b)} = \frac{1}{U} \sum_{k=1}^{U} m_{u^{*(b)}_k},

says how much the number would move with another sample of users of the same kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from reclab.evaluation._protocol import metric_key
from reclab.evaluation.full_ranking import evaluate_full_ranking
from reclab.formulas import implements
from reclab.metrics import metric_per_user, target_ranks
from reclab.metrics.from_ranks import WITHOUT_K

__all__ = ["bootstrap_ci", "evaluate_model", "results_table"]

#: The columns of :func:`evaluate_model`'s table.
COLUMNS = ("model", "split", "metric", "value", "ci_low", "ci_high", "users")


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
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or len(x) == 0 or np.isnan(x).any():
        raise ValueError(
            f"bootstrap_ci: values must be a non-empty 1-D array without NaN, got shape {x.shape}"
        )
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"bootstrap_ci: confidence must be in (0, 1), got {confidence!r}")
    if int(n_bootstrap) < 1:
        raise ValueError(f"bootstrap_ci: n_bootstrap must be >= 1, got {n_bootstrap!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    means = np.empty(int(n_bootstrap))
    for start in range(0, len(means), 100):  # bounded memory: 100 x U indices at a time
        rows = min(100, len(means) - start)
        means[start : start + rows] = x[rng.integers(0, len(x), size=(rows, len(x)))].mean(1)
    alpha = 1.0 - confidence
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _parts(data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    if hasattr(data, "histories") and hasattr(data, "targets"):
        return data.histories, data.targets, getattr(data, "users", None)
    if isinstance(data, tuple) and len(data) in (2, 3):
        return data[0], data[1], data[2] if len(data) == 3 else None
    raise TypeError(
        "evaluate_model: data must be an EvaluationSet (histories, targets, users) or a tuple "
        f"(histories, targets[, users]), got {type(data).__name__}"
    )


def evaluate_model(
    model: Any,
    data: Any,
    *,
    name: str | None = None,
    split: str = "test",
    ks: Sequence[int] = (10,),
    metrics: Sequence[str] = ("hr", "ndcg"),
    ties: str = "pessimistic",
    exclude_seen: bool = True,
    n_bootstrap: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    batch_size: int = 256,
) -> pd.DataFrame:
    """Full-ranking metrics of one model on one split, with bootstrap intervals over users.

    Args:
        model: a :class:`~reclab.models.Scorer` (``score(histories, users)``), or a scoring
            function ``histories -> (B, N + 1)`` scores.
        data: a :class:`reclab.training.EvaluationSet`, or ``(histories, targets[, users])``
            with histories ``(U, T)`` left-padded (every item in them is excluded from the
            ranking when ``exclude_seen``) and targets ``(U,)``.
        name: the model's name in the table (default: its class name).
        split: the split's name in the table.
        ks, metrics, ties, exclude_seen, batch_size: as in
            :func:`~reclab.evaluation.evaluate_full_ranking`.
        n_bootstrap, confidence, seed: the intervals of :func:`bootstrap_ci` (seeded).

    Returns:
        A tidy table with one row per metric and columns ``model``, ``split``, ``metric``,
        ``value`` (the evaluator's mean), ``ci_low``, ``ci_high``, ``users``.
    """
    histories, targets, users = _parts(data)
    histories, targets = np.asarray(histories), np.asarray(targets)
    if callable(getattr(model, "score", None)):
        label = type(model).__name__ if name is None else name

        def score(batch: Any) -> np.ndarray:
            return np.asarray(model.score(np.asarray(batch[0]), np.asarray(batch[1])))

        inputs: Any = (histories, np.zeros(len(histories), np.int64) if users is None else users)
    elif callable(model):
        label = getattr(model, "__name__", "model") if name is None else name

        def score(batch: Any) -> np.ndarray:
            return np.asarray(model(np.asarray(batch[0])))

        inputs = (histories, np.zeros(len(histories), np.int64))
    else:
        raise TypeError(
            f"evaluate_model: model must be a Scorer or a scoring function, got "
            f"{type(model).__name__}"
        )
    per_user: dict[tuple[str, int | None], list[np.ndarray]] = {}
    plan = [(m, None if m in WITHOUT_K or m == "mrr" else k) for m in metrics for k in ks]
    plan = list(dict.fromkeys(plan))
    cursor = [0]

    def scored(batch: Any) -> np.ndarray:
        scores = score(batch)
        rows = slice(cursor[0], cursor[0] + len(scores))
        cursor[0] += len(scores)
        tr = target_ranks(scores, targets[rows], exclude=histories[rows] if exclude_seen else None)
        for metric, k in plan:
            value = metric_per_user(tr, metric, k, ties)
            per_user.setdefault((metric, k), []).append(value[tr.has_targets])
        return scores

    means = evaluate_full_ranking(
        scored,
        inputs,
        targets,
        ks=ks,
        metrics=metrics,
        ties=ties,
        exclude_seen=exclude_seen,
        seen=histories if exclude_seen else None,
        batch_size=batch_size,
    )
    rng = np.random.default_rng(seed)
    rows = []
    for metric, k in plan:
        key = metric_key(metric, k)
        values = np.concatenate(per_user[(metric, k)])
        low, high = bootstrap_ci(values, n_bootstrap=n_bootstrap, confidence=confidence, seed=rng)
        rows.append((label, split, key, float(means[key]), low, high, int(means["users"])))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def results_table(
    tables: Sequence[pd.DataFrame] | pd.DataFrame, *, digits: int = 3, split: str | None = None
) -> pd.DataFrame:
    """One row per model, one column per metric, cells ``"0.123 [0.100, 0.140]"``.

    Args:
        tables: tables of :func:`evaluate_model` (or one concatenated table).
        digits: decimals shown.
        split: keep only this split (default: all; then the index is ``(model, split)``).
    """
    frame = tables if isinstance(tables, pd.DataFrame) else pd.concat(list(tables))
    if split is not None:
        frame = frame[frame["split"] == split]
    cells = frame.assign(
        cell=[
            f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"
            for v, lo, hi in zip(frame["value"], frame["ci_low"], frame["ci_high"], strict=True)
        ]
    )
    index = ["model"] if split is not None else ["model", "split"]
    order = list(dict.fromkeys(frame["model"]))
    wide = cells.pivot_table(index=index, columns="metric", values="cell", aggfunc="first")
    wide.columns.name = None
    if split is not None:
        wide = wide.loc[order]
    return wide
