r"""Additive attention pooling: the attention formula of the source (§4.2), and Bahdanau's form.

The source scores each past item :math:`i` of a history with a small network on the
concatenation :math:`[\mathbf{h}; \mathbf{h}_i]` of a query state :math:`\mathbf{h}` (what we ask
about, e.g. the current state or a candidate item) and the item's state :math:`\mathbf{h}_i`, then
normalises the scores with a softmax and pools the history with the weights:

.. math::

    a_i = \sigma\!\left(\mathbf{w}_a^\top [\mathbf{h}; \mathbf{h}_i] + b_a\right),\qquad
    \alpha_i = \frac{e^{a_i}}{\sum_{j} e^{a_j}},\qquad
    \mathbf{c} = \sum_i \alpha_i \mathbf{h}_i .

Bahdanau et al. (2015, appendix A.1.2) use an unbounded score with a hidden layer instead,
:math:`a_i = \mathbf{v}^\top \tanh(\mathbf{W}_a [\mathbf{h}; \mathbf{h}_i] + \mathbf{b}_a)`.
The sigmoid keeps :math:`a_i \in (0, 1)`, so with the source's form no weight can exceed another
by more than a factor :math:`e`: the chapter shows why that matters.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.formulas import implements
from reclab.models.attention import masked_softmax

__all__ = ["AdditiveAttentionPooling", "additive_attention"]


@implements("eq-additive-attention", "eq-bahdanau-attention")
def additive_attention(
    query: Any,
    history: Any,
    kernel: Any,
    bias: Any = 0.0,
    v: Any | None = None,
    mask: Any | None = None,
) -> tuple[Any, Any]:
    r"""Pool a history with additive attention; returns the context and the weights.

    With ``v=None`` (the source's form, ``kernel`` has one column):

    .. math::

        a_i = \sigma\!\left(\mathbf{w}_a^\top [\mathbf{h}; \mathbf{h}_i] + b_a\right)

    with ``v`` given (Bahdanau's form, ``kernel`` has :math:`k` columns):

    .. math::

        a_i = \mathbf{v}^\top \tanh\!\left(\mathbf{W}_a^\top [\mathbf{h}; \mathbf{h}_i]
              + \mathbf{b}_a\right)

    then in both cases :math:`\alpha_i = e^{a_i} / \sum_{j} e^{a_j}` over the unmasked items and
    :math:`\mathbf{c} = \sum_i \alpha_i \mathbf{h}_i`.

    Args:
        query: :math:`\mathbf{h}`, shape ``(B, d_q)``.
        history: :math:`\mathbf{h}_1, \dots, \mathbf{h}_T`, shape ``(B, T, d)``.
        kernel: :math:`\mathbf{W}_a`, shape ``(d_q + d, k)``; its first ``d_q`` rows multiply the
            query, the others the item. ``k`` must be 1 when ``v`` is ``None``.
        bias: :math:`b_a`, a scalar or shape ``(k,)``.
        v: :math:`\mathbf{v}`, shape ``(k,)``, or ``None`` for the source's sigmoid form.
        mask: boolean ``(B, T)``, True at real items; padded items get weight exactly 0.

    Returns:
        ``(context, weights)``: context :math:`\mathbf{c}` ``(B, d)`` and weights
        :math:`\alpha` ``(B, T)``.

    Raises:
        ValueError: when ``kernel`` does not have ``d_q + d`` rows, or has more than one column
            while ``v`` is ``None``.

    Example:
        >>> import numpy as np
        >>> h = np.array([[1.0]])                      # d_q = 1
        >>> H = np.array([[[1.0], [-1.0]]])            # T = 2 items, d = 1
        >>> W = np.array([[0.0], [2.0]])               # w_a = (0, 2), b_a = 0
        >>> c, alpha = additive_attention(h, H, W)
        >>> # a = sigmoid([2, -2]) = [0.881, 0.119]; alpha = softmax(a) = [0.682, 0.318]
        >>> np.round(alpha.numpy(), 3).tolist(), np.round(c.numpy(), 3).tolist()
        ([[0.682, 0.318]], [[0.363]])
    """
    query = ops.convert_to_tensor(query)
    history = ops.convert_to_tensor(history, dtype=query.dtype)
    kernel = ops.convert_to_tensor(kernel, dtype=query.dtype)
    d_q, d = query.shape[-1], history.shape[-1]
    if kernel.shape[0] != d_q + d:
        raise ValueError(
            f"additive_attention: kernel must have d_q + d = {d_q} + {d} = {d_q + d} rows "
            f"(one per entry of [h; h_i]), got shape {tuple(kernel.shape)}"
        )
    if v is None and kernel.shape[-1] != 1:
        raise ValueError(
            "additive_attention: with v=None (the source's sigmoid form) kernel must have one "
            f"column, got shape {tuple(kernel.shape)}; pass v for Bahdanau's form"
        )
    # w_a^T [h; h_i] = w_q^T h + w_h^T h_i: the query part is shared by all items.
    from_query = ops.einsum("bq,qk->bk", query, kernel[:d_q])  # (B, k)
    from_items = ops.einsum("btd,dk->btk", history, kernel[d_q:])  # (B, T, k)
    pre = from_items + ops.expand_dims(from_query, 1) + bias  # (B, T, k)
    if v is None:
        scores = ops.sigmoid(pre)[..., 0]  # (B, T)
    else:
        v = ops.convert_to_tensor(v, dtype=query.dtype)
        scores = ops.einsum("btk,k->bt", ops.tanh(pre), v)  # (B, T)
    weights = masked_softmax(scores, mask)  # (B, T)
    context = ops.einsum("bt,btd->bd", weights, history)  # (B, d)
    return context, weights


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-additive-attention", "eq-bahdanau-attention")
class AdditiveAttentionPooling(keras.layers.Layer):
    r"""A layer that pools a history ``(B, T, d)`` into one vector ``(B, d)`` for a query.

    See :func:`additive_attention` for the formulas. ``units=None`` gives the source's form
    :math:`\sigma(\mathbf{w}_a^\top[\mathbf{h}; \mathbf{h}_i] + b_a)`; ``units=k`` gives
    Bahdanau's :math:`\mathbf{v}^\top\tanh(\mathbf{W}_a[\mathbf{h}; \mathbf{h}_i] +
    \mathbf{b}_a)` with a hidden size :math:`k`.

    Calling the layer, ``layer(query, history, padding_mask=None,
    return_attention_scores=False)``, takes the query ``(B, d_q)``, the history ``(B, T, d)`` and
    an optional boolean padding mask ``(B, T)`` (True at real items), and returns the context
    ``(B, d)``, plus the weights ``(B, T)`` when ``return_attention_scores=True``.

    Args:
        units: ``None`` for the source's sigmoid score, or the hidden size :math:`k` of
            Bahdanau's score.
        use_bias: add :math:`b_a` (or :math:`\mathbf{b}_a`).
        kernel_initializer: initializer of :math:`\mathbf{W}_a` and :math:`\mathbf{v}`.

    Example:
        >>> import numpy as np
        >>> layer = AdditiveAttentionPooling()
        >>> c = layer(np.zeros((2, 3)), np.ones((2, 5, 4)))
        >>> tuple(c.shape)
        (2, 4)
    """

    def __init__(
        self,
        units: int | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if units is not None and (not isinstance(units, int) or units < 1):
            raise ValueError(
                f"AdditiveAttentionPooling: units must be None or a positive integer, got {units!r}"
            )
        self.units = units
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, query_shape: tuple, history_shape: tuple) -> None:
        k = 1 if self.units is None else self.units
        rows = query_shape[-1] + history_shape[-1]
        self.kernel = self.add_weight(
            name="kernel", shape=(rows, k), initializer=self.kernel_initializer
        )
        self.bias = (
            self.add_weight(name="bias", shape=(k,), initializer="zeros") if self.use_bias else None
        )
        self.v = (
            None
            if self.units is None
            else self.add_weight(name="v", shape=(k,), initializer=self.kernel_initializer)
        )

    def call(
        self,
        query: Any,
        history: Any,
        padding_mask: Any | None = None,
        return_attention_scores: bool = False,
    ) -> Any:
        context, weights = additive_attention(
            query,
            history,
            self.kernel,
            0.0 if self.bias is None else self.bias,
            v=self.v,
            mask=padding_mask,
        )
        return (context, weights) if return_attention_scores else context

    def compute_output_shape(self, query_shape: tuple, history_shape: tuple) -> tuple:
        return (history_shape[0], history_shape[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            }
        )
        return config
