r"""One Transformer block for sequences of items: self-attention, feed-forward, residuals, norms.

Pre-norm (``norm_first=True``, the default; stable without learning-rate warm-up):

.. math::

    \mathbf{Y} = \mathbf{X} + \operatorname{Drop}\big(\operatorname{MultiHead}
                 (\operatorname{LN}_1(\mathbf{X}); \mathbf{M})\big),\qquad
    \mathbf{Z} = \mathbf{Y} + \operatorname{Drop}\big(\operatorname{FFN}
                 (\operatorname{LN}_2(\mathbf{Y}))\big)

Post-norm (``norm_first=False``, Vaswani et al. 2017 and BERT4Rec):
:math:`\mathbf{Y} = \operatorname{LN}_1(\mathbf{X} + \operatorname{Drop}(\operatorname{MultiHead}
(\mathbf{X}; \mathbf{M})))`, :math:`\mathbf{Z} = \operatorname{LN}_2(\mathbf{Y} +
\operatorname{Drop}(\operatorname{FFN}(\mathbf{Y})))`, with
:math:`\operatorname{FFN}(\mathbf{x}) = \phi(\mathbf{x}\mathbf{W}_1 + \mathbf{b}_1)\mathbf{W}_2 +
\mathbf{b}_2` applied at each position and :math:`\mathbf{M}` the mask of
:func:`reclab.models.attention_mask` (padding, and causal when ``causal=True``). Outputs at padded
positions are set to zero, as SASRec does after every block.

Differences from SASRec's official code (Kang & McAuley 2018, github.com/kang205/SASRec,
``modules.py``), all deliberate (this is the textbook pre-norm block of Keras'
``MultiHeadAttention``):

- its queries are layer-normalised but its keys and values are the *un-normalised* inputs; here
  all three are normalised;
- its residual connection adds the attention output to the *normalised* queries,
  :math:`\operatorname{LN}_1(\mathbf{X}) + \operatorname{MultiHead}(\cdot)`; here it is added
  to the block's input :math:`\mathbf{X}`;
- it has no output projection after the heads are concatenated; ``MultiHeadAttention`` applies
  one (:math:`\mathbf{W}^O`);
- it applies dropout to the attention *weights* and inside the feed-forward network but not to
  the attention output; here dropout is applied to the attention weights
  (``attention_dropout``), to the attention output and to the feed-forward output;
- its feed-forward layers are 1x1 convolutions (the same as per-position dense layers);
- the final layer norm after the last block belongs to the model, not to this block.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from reclab.checks import fraction, positive_int
from reclab.formulas import implements

__all__ = ["TransformerBlock"]


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-transformer-block")
class TransformerBlock(keras.layers.Layer):
    r"""A self-attention Transformer block, ready for SASRec (causal) and BERT4Rec (bidirectional).

    Wraps ``keras.layers.MultiHeadAttention``; see the module docstring for the equations.

    Args:
        num_heads: number of heads :math:`H`.
        key_dim: size :math:`d_k` of each head's queries and keys; ``None`` means
            :math:`d / H` (then :math:`d` must be divisible by :math:`H`).
        ff_dim: hidden size of the feed-forward network (Vaswani et al. and BERT4Rec use
            :math:`4d`, SASRec :math:`d`).
        dropout: dropout rate on the attention output and the feed-forward output (residual
            dropout), and inside the feed-forward network.
        attention_dropout: dropout on the attention weights; ``None`` means ``dropout``.
        norm_first: pre-norm (True) or post-norm (False).
        causal: forbid attention to later positions (SASRec); False for BERT4Rec.
        activation: the feed-forward non-linearity :math:`\phi` (SASRec ``"relu"``, BERT4Rec
            ``"gelu"``).
        epsilon: the layer norms' :math:`\epsilon`.

    Calling the layer, ``block(inputs, padding_mask=None, training=None,
    return_attention_scores=False)``, takes the states :math:`\mathbf{X}` ``(B, L, d)`` and an
    optional boolean padding mask ``(B, L)`` (True at real items; left padding expected but not
    required), and returns ``(B, L, d)`` with zeros at padded positions, plus the attention weights
    ``(B, H, L, L)`` when ``return_attention_scores=True``. ``training=True`` enables dropout.

    Example:
        >>> import numpy as np
        >>> block = TransformerBlock(num_heads=2, ff_dim=8, causal=True)
        >>> x = np.ones((1, 4, 8), "float32")
        >>> mask = np.array([[False, True, True, True]])
        >>> y = block(x, padding_mask=mask)
        >>> tuple(y.shape), float(np.abs(y[0, 0]).sum())     # padded position -> zeros
        ((1, 4, 8), 0.0)
    """

    def __init__(
        self,
        num_heads: int,
        ff_dim: int,
        key_dim: int | None = None,
        dropout: float = 0.0,
        attention_dropout: float | None = None,
        norm_first: bool = True,
        causal: bool = False,
        activation: str = "relu",
        epsilon: float = 1e-6,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = "TransformerBlock"
        self.num_heads = positive_int(num_heads, "num_heads", where)
        self.ff_dim = positive_int(ff_dim, "ff_dim", where)
        self.key_dim = None if key_dim is None else positive_int(key_dim, "key_dim", where)
        fraction(dropout, "dropout", where)
        if attention_dropout is not None:
            fraction(attention_dropout, "attention_dropout", where)
        self.dropout = float(dropout)
        self.attention_dropout = attention_dropout
        self.norm_first = bool(norm_first)
        self.causal = bool(causal)
        self.activation = activation
        self.epsilon = float(epsilon)
        self.supports_masking = False

    def build(self, input_shape: tuple) -> None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"TransformerBlock: inputs must have shape (B, L, d) with known d, got "
                f"{input_shape}"
            )
        dim = int(input_shape[-1])
        key_dim = self.key_dim
        if key_dim is None:
            if dim % self.num_heads:
                raise ValueError(
                    f"TransformerBlock: d={dim} is not divisible by num_heads={self.num_heads}; "
                    "pass key_dim explicitly"
                )
            key_dim = dim // self.num_heads
        ff_dim = self.ff_dim
        rate = self.dropout if self.attention_dropout is None else self.attention_dropout
        self.attention = keras.layers.MultiHeadAttention(
            num_heads=self.num_heads, key_dim=key_dim, dropout=rate, name="attention"
        )
        self.attention.build(input_shape, input_shape)
        self.norm1 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm1")
        self.norm2 = keras.layers.LayerNormalization(epsilon=self.epsilon, name="norm2")
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)
        self.ffn1 = keras.layers.Dense(ff_dim, activation=self.activation, name="ffn1")
        self.ffn2 = keras.layers.Dense(dim, name="ffn2")
        self.ffn1.build(input_shape)
        self.ffn2.build((*input_shape[:-1], ff_dim))
        self.drop_attention = keras.layers.Dropout(self.dropout)
        self.drop_ffn_hidden = keras.layers.Dropout(self.dropout)
        self.drop_ffn = keras.layers.Dropout(self.dropout)

    def _attend(self, x: Any, key_mask: Any | None, training: Any, return_scores: bool) -> Any:
        return self.attention(
            x,
            x,
            attention_mask=key_mask,  # (B, 1, L): keys at padding are masked
            use_causal_mask=self.causal,  # MultiHeadAttention combines it with & key_mask
            training=training,
            return_attention_scores=return_scores,
        )

    def _feed_forward(self, x: Any, training: Any) -> Any:
        hidden = self.drop_ffn_hidden(self.ffn1(x), training=training)  # (B, L, ff_dim)
        return self.ffn2(hidden)  # (B, L, d)

    def call(
        self,
        inputs: Any,
        padding_mask: Any | None = None,
        training: Any = None,
        return_attention_scores: bool = False,
    ) -> Any:
        x = inputs  # (B, L, d)
        key_mask = None
        if padding_mask is not None:
            padding_mask = ops.cast(padding_mask, "bool")  # (B, L)
            key_mask = ops.expand_dims(padding_mask, 1)  # (B, 1, L)
        scores = None
        source = self.norm1(x) if self.norm_first else x
        attended = self._attend(source, key_mask, training, return_attention_scores)
        if return_attention_scores:
            attended, scores = attended  # scores: (B, H, L, L)
        attended = self.drop_attention(attended, training=training)  # (B, L, d)
        if self.norm_first:
            y = x + attended
            z = y + self.drop_ffn(self._feed_forward(self.norm2(y), training), training=training)
        else:
            y = self.norm1(x + attended)
            z = self.norm2(y + self.drop_ffn(self._feed_forward(y, training), training=training))
        if padding_mask is not None:
            # ops.where, not a product: whatever a padded query computed can't leak (not even NaN).
            z = ops.where(ops.expand_dims(padding_mask, -1), z, ops.zeros_like(z))  # (B, L, d)
        return (z, scores) if return_attention_scores else z

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_heads": self.num_heads,
                "key_dim": self.key_dim,
                "ff_dim": self.ff_dim,
                "dropout": self.dropout,
                "attention_dropout": self.attention_dropout,
                "norm_first": self.norm_first,
                "causal": self.causal,
                "activation": self.activation,
                "epsilon": self.epsilon,
            }
        )
        return config
