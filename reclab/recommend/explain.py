r"""Why a model recommends an item: how much its score owes to each item of the history.

Three attributions of the score :math:`s(i \mid S)` of item :math:`i` after the history
:math:`S = (s_1, \dots, s_n)` (oldest first) to the positions :math:`t`, from the most faithful
and slowest to the cheapest:

- :func:`deletion_importance`: delete :math:`s_t` and score again,
  :math:`\Delta_t = s(i \mid S) - s(i \mid S \setminus s_t)`. It is what the model does, by
  definition, and works for every :class:`~reclab.models.Scorer`; it costs one forward pass per
  history item.
- :func:`gradient_times_input`: :math:`\sum_k \partial s / \partial x_{t,k} \cdot x_{t,k}` with
  :math:`\mathbf{x}_t` the item vector fed at position :math:`t` (SASRec); one backward pass.
  It is the first-order estimate of what setting :math:`\mathbf{x}_t` to zero would change, not
  of a deletion (a deletion also moves the older items one position on).
- :func:`attention_importance`: the weights with which the latest position attends to each
  position in the last block, or their rollout through all blocks (Abnar & Zuidema 2020); free,
  but attention weights are not explanations by construction (Jain & Wallace 2019).

:func:`attribution_agreement` measures how often two attributions agree (top-1 position and
Spearman rank correlation, against chance), and :func:`explain` puts all three side by side for
one history and one item. Every attribution is ``(B, T)``, aligned with the histories' columns,
``NaN`` at padding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import tensorflow as tf

from reclab.checks import id_matrix, one_of, positive_int
from reclab.formulas import implements
from reclab.recommend.top_k import top_k

__all__ = [
    "attention_importance",
    "attribution_agreement",
    "deletion_importance",
    "explain",
    "gradient_times_input",
]

#: The attention summaries of :func:`attention_importance`.
ATTENTION_METHODS = ("last", "rollout")


# -- argument checks --------------------------------------------------------------------------
def _check_scorer(model: Any, where: str) -> None:
    if not callable(getattr(model, "score", None)) or not hasattr(model, "num_items"):
        raise TypeError(
            f"{where}: model must be a reclab Scorer (with num_items and "
            f"score(histories, users)), got {type(model).__name__}"
        )


def _check_sasrec(model: Any, where: str) -> None:
    from reclab.models.sasrec import SASRec

    if not isinstance(model, SASRec):
        raise TypeError(
            f"{where}: model must be a reclab.models.SASRec (this attribution reads its item "
            f"inputs and attention weights), got {type(model).__name__}; "
            "deletion_importance works for every Scorer"
        )


def _histories(histories: Any, where: str) -> np.ndarray:
    return id_matrix(histories, "histories", where, shape="(B, T)")


def _items(items: Any, batch: int, num_items: int, where: str, name: str = "items") -> np.ndarray:
    x = np.asarray(items)
    if x.ndim != 1 or len(x) != batch or not (np.issubdtype(x.dtype, np.integer) or x.size == 0):
        raise ValueError(
            f"{where}: {name} must be a 1-D integer array with one item id per history "
            f"(length B = {batch}), got shape {x.shape} and dtype {x.dtype}"
        )
    if x.size and (x.min() < 1 or x.max() > num_items):
        raise ValueError(
            f"{where}: {name} must be item ids in 1..{num_items} (0 is padding), got ids from "
            f"{x.min()} to {x.max()}"
        )
    return x.astype(np.int64)


def _users(users: Any, batch: int, where: str) -> np.ndarray:
    u = np.asarray(users)
    if u.ndim != 1 or len(u) != batch:
        raise ValueError(
            f"{where}: users must be a 1-D array with one user id per history (length "
            f"B = {batch}), got shape {u.shape}"
        )
    return u


def _to_history_columns(window: np.ndarray, histories: np.ndarray) -> np.ndarray:
    """``(B, L)`` values of the model's window as ``(B, T)`` aligned with ``histories``.

    The window is the latest ``L`` columns (left-padded when ``T < L``); older columns, which the
    model does not read, get 0; padding gets NaN.
    """
    length, window_length = histories.shape[1], window.shape[1]
    n = min(length, window_length)
    out = np.zeros(histories.shape)  # (B, T)
    out[:, length - n :] = window[:, window_length - n :]
    out[histories == 0] = np.nan
    return out


# -- deletion ---------------------------------------------------------------------------------
@implements("eq-deletion-importance")
def deletion_importance(
    model: Any,
    histories: np.ndarray,
    items: np.ndarray,
    *,
    users: np.ndarray | None = None,
    batch_size: int = 1024,
) -> np.ndarray:
    r"""How much item ``items[b]``'s score drops when each history item is deleted.

    .. math::

        \Delta_t = s(i \mid S) - s(i \mid S \setminus s_t)

    :math:`S \setminus s_t` is a real deletion, not a masking: the item at column :math:`t` is
    removed, the others keep their order and the row is left-padded again (a 0 is prepended), so
    for SASRec the older items move one position on and a history longer than the model's
    window brings one older item into it. Only ``model.score`` is called, so any
    :class:`~reclab.models.Scorer` works. The :math:`B` histories and their deletions (one per
    real item) are scored together, ``batch_size`` rows per ``model.score`` call.

    Args:
        model: a :class:`~reclab.models.Scorer`.
        histories: ``(B, T)`` item ids, left-padded with 0.
        items: ``(B,)`` the item explained after each history, ids ``1..N``.
        users: ``(B,)`` user ids, for models that need them (repeated for every deletion).
        batch_size: histories per ``model.score`` call (memory holds ``batch_size x (N + 1)``
            scores).

    Returns:
        ``(B, T)`` float64 :math:`\Delta_t`, NaN at padding. Positive: the item supports the
        recommendation.

    Example:
        >>> class Bag:                           # s(i | S) = sum of w[s] over the history
        ...     num_items = 3
        ...     w = np.array([0.0, 1.0, 2.0, 4.0])
        ...     def score(self, histories, users=None):
        ...         total = self.w[histories].sum(axis=1, keepdims=True)
        ...         return np.hstack([np.full_like(total, -np.inf), np.repeat(total, 3, 1)])
        >>> deletion_importance(Bag(), np.array([[0, 1, 3]]), np.array([2]))
        array([[nan,  1.,  4.]])
    """
    where = "deletion_importance"
    _check_scorer(model, where)
    h = _histories(histories, where)
    target = _items(items, len(h), model.num_items, where)
    batch_size = positive_int(batch_size, "batch_size", where)
    u = None if users is None else _users(users, len(h), where)
    out = np.full(h.shape, np.nan)
    if h.size == 0:
        return out
    rows, cols = np.nonzero(h)  # (K,), (K,): the real positions
    # Job j < B scores history j itself; job B + k scores history rows[k] without cols[k].
    owner = np.concatenate([np.arange(len(h)), rows])  # (B + K,)
    dropped = np.concatenate([np.full(len(h), -1), cols])  # (B + K,): -1 = nothing deleted
    column = np.arange(h.shape[1])[None]  # (1, T)
    scores = np.empty(len(owner))
    for start in range(0, len(owner), batch_size):
        b = owner[start : start + batch_size]  # (b,)
        t = dropped[start : start + batch_size, None]  # (b, 1)
        # Column c of S \ s_t holds s_{c-1} for c <= t (a 0 at c = 0) and s_c after t.
        source = np.where(column <= t, column - 1, column)  # (b, T)
        batch = np.where(source >= 0, h[b[:, None], np.maximum(source, 0)], 0)  # (b, T)
        part = model.score(batch, None if u is None else u[b])  # (b, N + 1)
        scores[start : start + len(b)] = np.asarray(part, np.float64)[np.arange(len(b)), target[b]]
    out[rows, cols] = scores[rows] - scores[len(h) :]
    return out


# -- gradient x input -------------------------------------------------------------------------
def _gradient_x_input(model: Any, ids: Any, items: Any) -> Any:
    """``(B, L)`` gradient x input of SASRec's scores of ``items`` ``(B,)`` after ``ids``."""
    mask = tf.not_equal(ids, 0)  # (B, L)
    x = model.item_inputs(ids)  # (B, L, d): sqrt(d) e_{s_t}
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        hidden = model.encode_item_inputs(x, mask, training=False)[:, -1, :]  # (B, d)
        table, bias = model.output_table()  # (N + 1, d), (N + 1,) or None
        score = tf.einsum("bd,bd->b", hidden, tf.gather(table, items))  # (B,): s(i | S)
        if bias is not None:
            score = score + tf.gather(bias, items)
    # Histories do not interact, so the gradient of the sum is each history's own gradient.
    grad = tape.gradient(score, x)  # (B, L, d)
    return tf.einsum("bld,bld->bl", grad, x)  # (B, L)


@implements("eq-gradient-input")
def gradient_times_input(
    model: Any, histories: np.ndarray, items: np.ndarray, *, batch_size: int = 512
) -> np.ndarray:
    r"""Gradient x input of item ``items[b]``'s SASRec score, per history position.

    .. math::

        g_t = \sum_{k=1}^{d} \frac{\partial s(i \mid S)}{\partial x_{t,k}}\; x_{t,k},
        \qquad \mathbf{x}_t = \sqrt{d}\,\mathbf{e}_{s_t}

    where :math:`\mathbf{x}_t` is the item vector fed at position :math:`t`, *before* the
    position embedding :math:`\mathbf{p}_t` is added, so the attribution goes to the item (the
    value is the same with or without the :math:`\sqrt{d}` scale). :math:`g_t` is the
    derivative of the score along :math:`\mathbf{x}_t`, i.e. the first-order estimate of
    :math:`s(i \mid S) - s(i \mid S \text{ with } \mathbf{x}_t = \mathbf{0})`. The output
    item vector :math:`\mathbf{e}_i` is held fixed (only the inputs are differentiated).
    Computed with one ``tf.GradientTape`` pass per batch, without dropout.

    Args:
        model: a :class:`~reclab.models.SASRec` (any other model raises ``TypeError``).
        histories: ``(B, T)`` item ids, left-padded with 0.
        items: ``(B,)`` the item explained after each history, ids ``1..N``.
        batch_size: histories per gradient pass.

    Returns:
        ``(B, T)`` float64, NaN at padding and 0 at columns older than the model's
        ``max_len`` (it does not read them).

    Example:
        >>> import keras
        >>> from reclab.models import SASRec, SASRecConfig
        >>> keras.utils.set_random_seed(0)
        >>> model = SASRec(5, SASRecConfig(max_len=3, dim=4, num_blocks=1, dropout=0.0))
        >>> g = gradient_times_input(model, np.array([[0, 2, 4]]), np.array([1]))
        >>> g.shape, np.isnan(g).tolist()
        ((1, 3), [[True, False, False]])
    """
    where = "gradient_times_input"
    _check_sasrec(model, where)
    h = _histories(histories, where)
    target = _items(items, len(h), model.num_items, where)
    batch_size = positive_int(batch_size, "batch_size", where)
    prepared = model.prepare_histories(h, where)  # (B, L)
    if not model.built:
        model.build()
    window = np.zeros(prepared.shape)  # (B, L)
    for start in range(0, len(h), batch_size):
        rows = slice(start, start + batch_size)
        window[rows] = _gradient_x_input(
            model, tf.constant(prepared[rows]), tf.constant(target[rows], tf.int32)
        ).numpy()
    return _to_history_columns(window, h)


# -- attention --------------------------------------------------------------------------------
def _rollout(weights: np.ndarray, padding: np.ndarray) -> np.ndarray:
    """Attention rollout ``(B, L, L)`` of weights ``(B, blocks, H, L, L)``, padding ``(B, L)``."""
    a = weights.astype(np.float64).mean(axis=2)  # (B, K, L, L): heads averaged
    real = padding[:, None, :, None] & padding[:, None, None, :]  # (B, 1, L, L)
    a = np.where(real, a, 0.0)  # padded queries' rows hold no information
    a = 0.5 * a + 0.5 * np.eye(a.shape[-1])  # the residual connection
    a = a / a.sum(axis=-1, keepdims=True)  # rows sum to one again
    rollout = a[:, 0]  # (B, L, L)
    for k in range(1, a.shape[1]):
        rollout = np.einsum("bij,bjk->bik", a[:, k], rollout)  # (B, L, L): block k on top
    return rollout


def attention_importance(
    model: Any, histories: np.ndarray, *, method: str = "last", batch_size: int = 512
) -> np.ndarray:
    r"""How much the latest position attends to each history position, in SASRec.

    ``method="last"``: the last block's weights from the latest position :math:`n`, averaged
    over the :math:`H` heads,

    .. math::

        a_t = \frac{1}{H} \sum_{h=1}^{H} A^{(K)}_h[n, t] .

    ``method="rollout"`` (Abnar & Zuidema 2020): each block's head-averaged weights
    :math:`\bar A^{(k)}` get the residual connection and rows summing to one,
    :math:`\tilde A^{(k)} = \operatorname{rows}\bigl(\tfrac12 \bar A^{(k)} + \tfrac12 I\bigr)`,
    and are multiplied through the :math:`K` blocks,

    .. math::

        r_t = \bigl[\tilde A^{(K)} \tilde A^{(K-1)} \cdots \tilde A^{(1)}\bigr]_{n, t} .

    Both rows are non-negative and sum to one over the real positions (softmax attention).
    ``block="hstu"`` models have pointwise SiLU weights, which may be negative and do not sum to
    one: ``"last"`` returns them as they are, ``"rollout"`` refuses them. The weights are those
    of :meth:`reclab.models.SASRec.attention` (no dropout). Attention says where the model
    looked, not what its score depends on: compare with :func:`deletion_importance` through
    :func:`attribution_agreement`.

    Args:
        model: a :class:`~reclab.models.SASRec` (any other model raises ``TypeError``).
        histories: ``(B, T)`` item ids, left-padded with 0.
        method: ``"last"`` or ``"rollout"``.
        batch_size: histories per attention pass.

    Returns:
        ``(B, T)`` float64, NaN at padding and 0 at columns older than the model's ``max_len``.

    Example:
        >>> import keras
        >>> from reclab.models import SASRec, SASRecConfig
        >>> keras.utils.set_random_seed(0)
        >>> model = SASRec(5, SASRecConfig(max_len=4, dim=4, num_blocks=2, dropout=0.0))
        >>> h = np.array([[0, 2, 4, 1]])
        >>> [round(float(np.nansum(attention_importance(model, h, method=m))), 6)
        ...  for m in ("last", "rollout")]
        [1.0, 1.0]
    """
    where = "attention_importance"
    _check_sasrec(model, where)
    one_of(method, ATTENTION_METHODS, "method", where)
    if method == "rollout" and model.config.block == "hstu":
        raise ValueError(
            f"{where}: method='rollout' needs softmax attention (rows summing to one), but "
            "this SASRec has block='hstu' (pointwise SiLU weights); use method='last'"
        )
    h = _histories(histories, where)
    batch_size = positive_int(batch_size, "batch_size", where)
    prepared = model.prepare_histories(h, where)  # (B, L)
    window = np.zeros(prepared.shape)  # (B, L)
    for start in range(0, len(h), batch_size):
        rows = slice(start, start + batch_size)
        weights = model.attention(prepared[rows])  # (b, K, H, L, L)
        if method == "last":
            window[rows] = weights[:, -1, :, -1, :].astype(np.float64).mean(axis=1)  # (b, L)
        else:
            window[rows] = _rollout(weights, prepared[rows] != 0)[:, -1, :]  # (b, L)
    return _to_history_columns(window, h)


# -- agreement --------------------------------------------------------------------------------
def _top1(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The column of each row's largest valid value; ties go to the most recent column."""
    masked = np.where(valid, values, -np.inf)[:, ::-1]  # (B, T), latest column first
    return values.shape[1] - 1 - np.argmax(masked, axis=1)  # (B,)


def attribution_agreement(
    a: np.ndarray, b: np.ndarray, *, per_history: bool = False
) -> dict[str, Any]:
    r"""How often two attributions of the same histories agree.

    Over the :math:`U` histories with at least one position attributed by both (a NaN in either
    is ignored), with :math:`n_u` such positions,

    .. math::

        \mathrm{top1} = \frac{1}{U} \sum_{u} \mathbb{1}\bigl[\arg\max_t a_{u,t} =
            \arg\max_t b_{u,t}\bigr], \qquad
        \mathrm{chance} = \frac{1}{U} \sum_{u} \frac{1}{n_u}, \qquad
        \bar\rho = \frac{1}{U'} \sum_{u} \rho_{\mathrm{S}}(\mathbf{a}_u, \mathbf{b}_u),

    where ties in the arg max go to the most recent position, chance is the top-1 agreement of
    an attribution that picks a position at random, and the Spearman correlation
    :math:`\rho_{\mathrm{S}}` (average ranks for ties) is averaged over the :math:`U'`
    histories where it is defined (at least two positions, neither attribution constant).
    Values are compared signed: the top position is the one that most supports the score.

    Args:
        a, b: ``(B, T)`` attributions of the same histories (e.g. :func:`deletion_importance`
            and :func:`attention_importance`), NaN where there is nothing to attribute.
        per_history: also return the ``(U,)`` arrays ``top1_match`` (1.0 or 0.0) and
            ``spearman_per_history`` (NaN where undefined), e.g. for
            :func:`reclab.evaluation.bootstrap_ci`.

    Returns:
        A dict with ``histories`` (:math:`U`), ``top1_agreement``, ``top1_chance``,
        ``spearman`` (:math:`\bar\rho`, NaN if no history has one) and ``spearman_histories``
        (:math:`U'`).

    Example:
        >>> a = np.array([[np.nan, 1.0, 3.0, 2.0], [0.5, 0.1, 0.2, 0.0]])
        >>> b = np.array([[np.nan, 0.0, 9.0, 5.0], [0.0, 0.3, 0.2, 0.1]])
        >>> result = attribution_agreement(a, b)
        >>> result["top1_agreement"], result["top1_chance"]      # (1 + 0) / 2, (1/3 + 1/4) / 2
        (0.5, 0.2916666666666667)
        >>> result["spearman"]                                   # (1.0 + (-0.2)) / 2
        0.4
    """
    where = "attribution_agreement"
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{where}: a must be a (B, T) array of attributions, got shape {x.shape}")
    if y.shape != x.shape:
        raise ValueError(
            f"{where}: b must have the shape of a {x.shape} (the same histories), got {y.shape}"
        )
    valid = ~np.isnan(x) & ~np.isnan(y)  # (B, T)
    used = valid.any(axis=1)  # (B,)
    if not used.any():
        raise ValueError(f"{where}: no history has a position attributed by both a and b (all NaN)")
    from scipy.stats import spearmanr  # scipy comes with scikit-learn

    match = (_top1(x, valid) == _top1(y, valid))[used].astype(np.float64)  # (U,)
    rho = np.full(int(used.sum()), np.nan)  # (U,)
    for k, row in enumerate(np.flatnonzero(used)):
        keep = valid[row]
        xr, yr = x[row, keep], y[row, keep]
        if len(xr) >= 2 and np.ptp(xr) > 0 and np.ptp(yr) > 0:
            rho[k] = float(spearmanr(xr, yr).statistic)
    defined = ~np.isnan(rho)
    result: dict[str, Any] = {
        "histories": int(used.sum()),
        "top1_agreement": float(match.mean()),
        "top1_chance": float(np.mean(1.0 / valid[used].sum(axis=1))),
        "spearman": float(rho[defined].mean()) if defined.any() else float("nan"),
        "spearman_histories": int(defined.sum()),
    }
    if per_history:
        result["top1_match"] = match
        result["spearman_per_history"] = rho
    return result


# -- one history, side by side ----------------------------------------------------------------
def explain(
    model: Any,
    history: np.ndarray | list[int],
    item: int | None = None,
    *,
    user: int | None = None,
    item_mapping: Any | None = None,
    items: pd.DataFrame | None = None,
    attention_method: str = "last",
) -> pd.DataFrame:
    r"""One history's items with three attributions of one item's score, most recent last.

    For each real item :math:`s_t` of the history, its deletion importance
    :math:`\Delta_t` (:func:`deletion_importance`), gradient x input :math:`g_t`
    (:func:`gradient_times_input`) and attention :math:`a_t` (:func:`attention_importance`),

    .. math::

        \Delta_t = s(i \mid S) - s(i \mid S \setminus s_t), \qquad
        g_t = \sum_{k} \frac{\partial s(i \mid S)}{\partial x_{t,k}}\, x_{t,k}, \qquad
        a_t = \frac{1}{H} \sum_h A^{(K)}_h[n, t] .

    Gradient x input and attention exist for :class:`~reclab.models.SASRec` only: for other
    models their columns are NaN (deletion works for every Scorer).

    Args:
        model: a :class:`~reclab.models.Scorer`.
        history: the user's encoded item ids, oldest first (padding 0 allowed).
        item: the encoded item to explain; ``None``: the model's top-1 item among those not in
            the history (what :func:`reclab.recommend.recommend` lists first).
        user: the user's id, for models that need it.
        item_mapping: the training :class:`~reclab.data.IdMapping`, to add ``raw_item_id``.
        items: an item table with ``item_id`` (raw ids) and ``title``, to add titles; needs
            ``item_mapping``.
        attention_method: ``"last"`` or ``"rollout"`` (see :func:`attention_importance`).

    Returns:
        One row per real history item, with ``position`` (1 = oldest), ``item_id``,
        ``raw_item_id`` and ``title`` when given the mapping and items, ``deletion``,
        ``gradient_x_input`` and ``attention``. Its ``attrs`` hold the explained ``item_id``,
        its ``score`` :math:`s(i \mid S)`, ``raw_item_id``/``title`` when known, and
        ``attention_method``.

    Example:
        >>> class Bag:                           # s(i | S) = sum of w[s] for every item i
        ...     num_items = 3
        ...     w = np.array([0.0, 1.0, 2.0, 4.0])
        ...     def score(self, histories, users=None):
        ...         total = self.w[histories].sum(axis=1, keepdims=True)
        ...         return np.hstack([np.full_like(total, -np.inf), np.repeat(total, 3, 1)])
        >>> table = explain(Bag(), [1, 3])       # ties: the lowest unseen id, 2
        >>> table[["position", "item_id", "deletion"]].to_dict("list")
        {'position': [1, 2], 'item_id': [1, 3], 'deletion': [1.0, 4.0]}
        >>> table.attrs["item_id"], table.attrs["score"]
        (2, 5.0)
    """
    where = "explain"
    _check_scorer(model, where)
    h = np.asarray(history)
    if h.ndim != 1 or not (np.issubdtype(h.dtype, np.integer) or h.size == 0):
        raise ValueError(
            f"{where}: history must be a 1-D array of item ids, got shape {h.shape} and dtype "
            f"{h.dtype}"
        )
    one_of(attention_method, ATTENTION_METHODS, "attention_method", where)
    if items is not None and item_mapping is None:
        raise ValueError(f"{where}: items (titles) need item_mapping to decode the item ids")
    if len(h) == 0:
        h = np.zeros(1, np.int64)
    hb = id_matrix(h[None].astype(np.int64), "history", where, shape="(T,)")  # (1, T)
    users = None if user is None else np.array([user])
    if item is None:
        best, _ = top_k(model, hb, 1, exclude_seen=True, users=users)
        item = int(best[0, 0])
        if item == 0:
            raise ValueError(
                f"{where}: every item is in the history, so there is no unseen item to "
                "explain; pass item="
            )
    elif isinstance(item, bool) or not isinstance(item, (int, np.integer)):
        raise ValueError(f"{where}: item must be an encoded item id (int), got {item!r}")
    target = _items(np.array([item]), 1, model.num_items, where, "item")
    item = int(target[0])
    score = float(np.asarray(model.score(hb, users), np.float64)[0, item])
    deletion = deletion_importance(model, hb, target, users=users)[0]  # (T,)
    from reclab.models.sasrec import SASRec

    if isinstance(model, SASRec):
        gradient = gradient_times_input(model, hb, target)[0]
        attention = attention_importance(model, hb, method=attention_method)[0]
    else:
        gradient = attention = np.full(hb.shape[1], np.nan)
    real = np.flatnonzero(hb[0])  # the real positions, oldest first
    table = pd.DataFrame({"position": np.arange(1, len(real) + 1), "item_id": hb[0, real]})
    attrs: dict[str, Any] = {"item_id": item, "score": score, "attention_method": attention_method}
    if item_mapping is not None:
        table["raw_item_id"] = item_mapping.decode(table["item_id"].to_numpy())
        attrs["raw_item_id"] = int(item_mapping.decode(np.array([item]))[0])
        if items is not None:
            titles = items.drop_duplicates("item_id").set_index("item_id")["title"]
            table["title"] = titles.reindex(table["raw_item_id"]).to_numpy()
            attrs["title"] = titles.get(attrs["raw_item_id"])
    table["deletion"] = deletion[real]
    table["gradient_x_input"] = gradient[real]
    table["attention"] = attention[real]
    table.attrs.update(attrs)
    return table
