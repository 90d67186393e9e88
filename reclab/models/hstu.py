r"""HSTU, the pointwise-attention block of "Actions Speak Louder than Words" (Zhai et al., 2024).

A Hierarchical Sequential Transduction Unit (paper §3.1, eqs. 1-3) replaces the Transformer
block's softmax attention and feed-forward network by one gated layer. From the states
:math:`\mathbf{X} \in \mathbb{R}^{L \times d}`:

.. math::

    \mathbf{U}, \mathbf{V}, \mathbf{Q}, \mathbf{K}
        = \operatorname{Split}\bigl(\phi_1(f_1(\operatorname{LN}(\mathbf{X})))\bigr),\qquad
    \mathbf{Z} = \mathbf{X} + f_2\bigl(\operatorname{Drop}(\operatorname{LN}(\mathbf{A}
        \mathbf{V}) \odot \mathbf{U})\bigr)

with :math:`f_1` a linear layer without bias to :math:`2H(d_v + d_k)` outputs,
:math:`\phi_1 = \operatorname{SiLU}`, :math:`f_2` a linear layer with bias back to :math:`d`,
and per head :math:`h` the **pointwise** attention weights

.. math::

    A^{(h)}_{tj} = \frac{M_{tj}}{n}\,
        \phi_2\!\left(\mathbf{q}^{(h)}_t{}^{\top}\mathbf{k}^{(h)}_j + r^{(h)}_{t-j}\right)

(:math:`\phi_2 = \operatorname{SiLU}`, no softmax and no :math:`1/\sqrt{d_k}`; :math:`\mathbf{M}`
the causal and padding mask; :math:`r^{(h)}` a learned relative-position bias). The heads'
outputs :math:`\mathbf{A}^{(h)}\mathbf{V}^{(h)}` are concatenated before the layer norm, and
outputs at padded positions are set to zero, as SASRec does after every block.

**The normaliser** :math:`n` is a constant, the block's ``max_length`` :math:`L_{\max}`, not the
number of keys a query attends to. The official code divides by the padded sequence length, a
constant too (``F.silu(qk_attn) / n`` in ``generative_recommenders/modeling/sequential/hstu.py``);
dividing by the number of attended keys would turn the sum back into an average, which is what
the paper argues against (a pointwise weight keeps the *intensity* of a preference: ten relevant
past actions weigh more than one). Because it depends neither on the input length nor on the
padding, extra left padding does not change the outputs of the real positions.

**The relative-position bias** is one learned scalar per head and relative distance,
:math:`r^{(h)}_{t-j}`, with the distance clipped to :math:`[0, L_{\max} - 1]` for a causal block
(:math:`L_{\max}` scalars per head) and to :math:`[-(L_{\max} - 1), L_{\max} - 1]` otherwise
(:math:`2L_{\max} - 1`), initialised from :math:`\mathcal{N}(0, 0.02^2)` as the official code.

Reference: Zhai et al., ICML 2024, §3.1; official code github.com/facebookresearch/
generative-recommenders (``SequentialTransductionUnitJagged``). Deliberate differences:

- no relative **time** buckets: the paper's :math:`\mathbf{rab}^{p,t}` also buckets the time
  between actions (:math:`\lfloor \log|\Delta\tau| / 0.301 \rfloor`, 128 buckets); RecLab's
  encoders read item ids only, without timestamps;
- one bias scalar per head and distance; the official code shares one across the heads (the
  same when :math:`H = 1`);
- dense left-padded batches with masks instead of jagged tensors, and no M-FALCON or KV cache
  for inference;
- dropout once, on the gated input of :math:`f_2`, as the official code (its attention-dropout
  rate is accepted but unused there, so there is none here);
- the two layer norms have no learned scale or offset, as the official code's ``F.layer_norm``.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.checks import fraction, positive_int, positive_number
from reclab.formulas import implements

__all__ = ["HSTUBlock", "hstu_attention"]


@implements("eq-hstu-attention")
def hstu_attention(
    query: Any,
    key: Any,
    value: Any,
    mask: Any | None = None,
    bias: Any | None = None,
    normaliser: float | None = None,
) -> tuple[Any, Any]:
    r"""Pointwise SiLU attention (HSTU): no softmax, a constant normaliser, masked weights 0.

    .. math::

        \mathbf{A} = \frac{1}{n}\,\mathbf{M} \odot
            \operatorname{SiLU}\!\left(\mathbf{Q}\mathbf{K}^\top + \mathbf{R}\right),\qquad
        \operatorname{output} = \mathbf{A}\mathbf{V}

    A masked weight is set to 0 *after* the activation (SiLU of :math:`-\infty` is undefined,
    not 0), so a masked key contributes exactly nothing to the output.

    Args:
        query: :math:`\mathbf{Q}`, shape ``(..., T, d_k)``.
        key: :math:`\mathbf{K}`, shape ``(..., S, d_k)``.
        value: :math:`\mathbf{V}`, shape ``(..., S, d_v)``.
        mask: boolean :math:`\mathbf{M}` broadcastable to ``(..., T, S)`` (True = attend), or
            ``None``.
        bias: :math:`\mathbf{R}` broadcastable to ``(..., T, S)`` (the relative-position bias),
            or ``None``.
        normaliser: :math:`n > 0`; ``None`` means :math:`S`, the number of keys (the paper's
            sequence length when nothing is padded).

    Returns:
        ``(output, weights)``: output ``(..., T, d_v)``, weights ``(..., T, S)``; weights are 0
        wherever ``mask`` is False and their rows do **not** sum to one.

    Raises:
        ValueError: when the key sizes ``d_k`` of ``query`` and ``key`` differ, or ``normaliser``
            is not positive.

    Example:
        >>> import numpy as np
        >>> q = np.array([[1.0, 0.0]])                  # T = 1, d_k = 2
        >>> k = np.array([[2.0, 0.0], [0.0, 1.0]])      # S = 2: scores [2, 0]
        >>> v = np.array([[10.0], [20.0]])
        >>> out, w = hstu_attention(q, k, v, normaliser=2.0)
        >>> # SiLU(2) = 2 * sigmoid(2) = 1.762, SiLU(0) = 0; divided by n = 2
        >>> np.round(w.numpy(), 3).tolist(), np.round(out.numpy(), 2).tolist()
        ([[0.881, 0.0]], [[8.81]])
    """
    query = ops.convert_to_tensor(query)
    key = ops.convert_to_tensor(key, dtype=query.dtype)
    value = ops.convert_to_tensor(value, dtype=query.dtype)
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(
            f"hstu_attention: query has d_k={query.shape[-1]} but key has d_k={key.shape[-1]}"
        )
    scores = ops.einsum("...td,...sd->...ts", query, key)  # (..., T, S)
    if bias is not None:
        scores = scores + ops.cast(bias, scores.dtype)
    if normaliser is None:
        n = ops.cast(ops.shape(key)[-2], scores.dtype)
    else:
        n = positive_number(normaliser, "normaliser", "hstu_attention")
    weights = ops.silu(scores) / n  # (..., T, S)
    if mask is not None:
        mask = ops.cast(ops.convert_to_tensor(mask), "bool")
        # where, not a product: a masked weight is exactly 0 whatever SiLU gave (even NaN)
        weights = ops.where(mask, weights, ops.zeros_like(weights))
    output = ops.einsum("...ts,...sv->...tv", weights, value)  # (..., T, d_v)
    return output, weights


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-hstu-attention", "eq-hstu-block")
class HSTUBlock(keras.layers.Layer):
    r"""One HSTU layer (Zhai et al., 2024, §3.1), a drop-in alternative to the Transformer block.

    See the module docstring for the equations, the choice of the normaliser :math:`n` and the
    differences from the paper.

    Args:
        num_heads: number of heads :math:`H`.
        max_length: :math:`L_{\max}`, the normaliser :math:`n` of the attention weights and the
            largest relative distance with its own bias (longer distances share the last one).
        key_dim: size :math:`d_k` of each head's queries and keys; ``None`` means :math:`d/H`.
        value_dim: size :math:`d_v` of each head's values and gates; ``None`` means :math:`d/H`.
        dropout: dropout rate on the gated attention output, before :math:`f_2`.
        causal: forbid attention to later positions (the paper's HSTU is causal; default True).
        relative_bias: learn the relative-position bias :math:`r^{(h)}_{t-j}` (the paper's
            :math:`\mathbf{rab}^{p}`); False drops it.
        epsilon: the layer norms' :math:`\epsilon`.

    Calling the layer, ``block(inputs, padding_mask=None, training=None,
    return_attention_scores=False)``, takes the states ``(B, L, d)`` and an optional boolean
    padding mask ``(B, L)`` (True at real items), and returns ``(B, L, d)`` with zeros at padded
    positions, plus the attention weights ``(B, H, L, L)`` when ``return_attention_scores=True``.

    Example:
        >>> import numpy as np
        >>> block = HSTUBlock(num_heads=2, max_length=4)
        >>> x = np.ones((1, 4, 8), "float32")
        >>> mask = np.array([[False, True, True, True]])
        >>> y, w = block(x, padding_mask=mask, return_attention_scores=True)
        >>> tuple(y.shape), float(np.abs(y[0, 0]).sum())     # padded position -> zeros
        ((1, 4, 8), 0.0)
        >>> tuple(w.shape), float(w[0, 0, 2, 3]), float(w[0, 0, 2, 0])  # future, padding: 0
        ((1, 2, 4, 4), 0.0, 0.0)
    """

    def __init__(
        self,
        num_heads: int,
        max_length: int,
        key_dim: int | None = None,
        value_dim: int | None = None,
        dropout: float = 0.0,
        causal: bool = True,
        relative_bias: bool = True,
        epsilon: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = "HSTUBlock"
        self.num_heads = positive_int(num_heads, "num_heads", where)
        self.max_length = positive_int(max_length, "max_length", where)
        self.key_dim = None if key_dim is None else positive_int(key_dim, "key_dim", where)
        self.value_dim = None if value_dim is None else positive_int(value_dim, "value_dim", where)
        self.dropout = fraction(dropout, "dropout", where)
        self.causal = bool(causal)
        self.relative_bias = bool(relative_bias)
        self.epsilon = float(epsilon)
        self.supports_masking = False

    def _head_size(self, given: int | None, dim: int, name: str) -> int:
        if given is not None:
            return given
        if dim % self.num_heads:
            raise ValueError(
                f"HSTUBlock: d={dim} is not divisible by num_heads={self.num_heads}; "
                f"pass {name} explicitly"
            )
        return dim // self.num_heads

    @property
    def num_distances(self) -> int:
        """The number of bias scalars per head, :math:`L_{\\max}`, or :math:`2L_{\\max} - 1`
        without the causal mask."""
        return self.max_length if self.causal else 2 * self.max_length - 1

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"HSTUBlock: inputs must have shape (B, L, d) with known d, got {input_shape}"
            )
        dim = int(input_shape[-1])
        self._dk = self._head_size(self.key_dim, dim, "key_dim")
        self._dv = self._head_size(self.value_dim, dim, "value_dim")
        heads = self.num_heads
        policy = self.dtype_policy
        gated = (*input_shape[:-1], heads * self._dv)  # (B, L, H d_v)
        # Norms without learned scale or offset, as the official code's F.layer_norm.
        self.input_norm = keras.layers.LayerNormalization(
            epsilon=self.epsilon, center=False, scale=False, name="input_norm", dtype=policy
        )
        self.input_norm.build(input_shape)
        self.uvqk = keras.layers.Dense(  # f_1: d -> 2 H d_v + 2 H d_k, no bias
            2 * heads * (self._dv + self._dk),
            use_bias=False,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
            name="uvqk",
            dtype=policy,
        )
        self.uvqk.build(input_shape)
        self.position_bias = None
        if self.relative_bias:
            self.position_bias = self.add_weight(
                name="relative_position_bias",
                shape=(heads, self.num_distances),  # (H, distances)
                initializer=keras.initializers.RandomNormal(stddev=0.02),
            )
        self.attention_norm = keras.layers.LayerNormalization(
            epsilon=self.epsilon, center=False, scale=False, name="attention_norm", dtype=policy
        )
        self.attention_norm.build(gated)
        self.drop_gated = keras.layers.Dropout(self.dropout, dtype=policy)
        # f_2: H d_v -> d with bias; Keras' default glorot_uniform is the code's xavier_uniform
        self.projection = keras.layers.Dense(dim, name="projection", dtype=policy)
        self.projection.build(gated)

    def _bias(self, length: Any) -> Any:
        """The relative-position bias ``(H, L, L)``: entry ``[h, t, j]`` is ``r[h, t - j]``."""
        positions = ops.arange(length)
        distance = positions[:, None] - positions[None, :]  # (L, L): t - j
        low = 0 if self.causal else 1 - self.max_length  # the future is masked when causal
        index = ops.clip(distance, low, self.max_length - 1) - low  # (L, L) in [0, distances)
        return ops.take(self.position_bias, index, axis=1)  # (H, L, L)

    def _mask(self, length: Any, padding_mask: Any | None) -> Any | None:
        """Boolean ``(B or 1, 1, L, L)``: causal and/or padded keys (True = attend)."""
        mask = None
        if self.causal:
            positions = ops.arange(length)
            mask = (positions[:, None] >= positions[None, :])[None, None]  # (1, 1, L, L)
        if padding_mask is not None:
            keys = ops.cast(padding_mask, "bool")[:, None, None, :]  # (B, 1, 1, L)
            mask = keys if mask is None else ops.logical_and(mask, keys)
        return mask

    def _heads(self, x: Any, size: int) -> Any:
        shape = ops.shape(x)
        x = ops.reshape(x, (shape[0], shape[1], self.num_heads, size))  # (B, L, H, size)
        return ops.transpose(x, (0, 2, 1, 3))  # (B, H, L, size)

    def call(
        self,
        inputs: Any,
        padding_mask: Any | None = None,
        training: Any = None,
        return_attention_scores: bool = False,
    ) -> Any:
        x = inputs  # (B, L, d)
        batch, length = ops.shape(x)[0], ops.shape(x)[1]
        heads, dk, dv = self.num_heads, self._dk, self._dv
        projected = ops.silu(self.uvqk(self.input_norm(x)))  # (B, L, 2H(d_v + d_k))
        u = projected[..., : heads * dv]  # (B, L, H d_v)
        v = self._heads(projected[..., heads * dv : 2 * heads * dv], dv)  # (B, H, L, d_v)
        q = self._heads(projected[..., 2 * heads * dv : 2 * heads * dv + heads * dk], dk)
        k = self._heads(projected[..., 2 * heads * dv + heads * dk :], dk)  # (B, H, L, d_k)
        bias = None if self.position_bias is None else self._bias(length)[None]  # (1, H, L, L)
        attended, weights = hstu_attention(
            q, k, v, self._mask(length, padding_mask), bias, normaliser=self.max_length
        )  # (B, H, L, d_v), (B, H, L, L)
        attended = ops.reshape(
            ops.transpose(attended, (0, 2, 1, 3)), (batch, length, heads * dv)
        )  # (B, L, H d_v): heads concatenated
        gated = self.drop_gated(self.attention_norm(attended) * u, training=training)
        z = x + self.projection(gated)  # (B, L, d)
        if padding_mask is not None:
            # ops.where, not a product: whatever a padded query computed can't leak (not even NaN).
            keep = ops.cast(padding_mask, "bool")[..., None]  # (B, L, 1)
            z = ops.where(keep, z, ops.zeros_like(z))
        return (z, weights) if return_attention_scores else z

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "max_length": self.max_length,
                "key_dim": self.key_dim,
                "value_dim": self.value_dim,
                "dropout": self.dropout,
                "causal": self.causal,
                "relative_bias": self.relative_bias,
                "epsilon": self.epsilon,
            }
        )
        return config
