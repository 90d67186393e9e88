r"""GRU4Rec: a recurrent network over the history (Hidasi et al., ICLR 2016).

A gated recurrent unit (Cho et al., 2014) reads the item embeddings :math:`\mathbf{x}_t =
\mathbf{e}_{s_t}` one at a time; its update gate :math:`\mathbf{z}_t` and reset gate
:math:`\mathbf{r}_t`,

.. math::

    \mathbf{z}_t = \sigma(\mathbf{W}_z \mathbf{x}_t + \mathbf{U}_z \mathbf{h}_{t-1} + \mathbf{b}_z),
    \qquad
    \mathbf{r}_t = \sigma(\mathbf{W}_r \mathbf{x}_t + \mathbf{U}_r \mathbf{h}_{t-1} + \mathbf{b}_r),

decide how much of the state to keep and how much of it the candidate may read,

.. math::

    \tilde{\mathbf{h}}_t = \tanh\bigl(\mathbf{W}_h \mathbf{x}_t
        + \mathbf{U}_h (\mathbf{r}_t \odot \mathbf{h}_{t-1}) + \mathbf{b}_h\bigr),
    \qquad
    \mathbf{h}_t = \mathbf{z}_t \odot \mathbf{h}_{t-1}
        + (1 - \mathbf{z}_t) \odot \tilde{\mathbf{h}}_t,

(Keras' convention, in which :math:`\mathbf{z}_t` is the share of the old state kept; Hidasi et
al. write :math:`1 - \mathbf{z}_t` for it) and the next item is scored against an output
table: :math:`s_t(i) = \mathbf{h}_t^\top \mathbf{w}_i + b_i`. :func:`gru_step` is this step
written out; :class:`GRU4Rec` uses ``keras.layers.GRU(reset_after=False)``, which computes the
same thing (tested).

Deliberate differences from the paper, listed in :class:`GRU4RecConfig`: user histories instead
of sessions, padded mini-batches instead of session-parallel ones, full-softmax cross-entropy
over the whole catalogue instead of the paper's TOP1 and BPR losses over sampled items (the
authors' later paper, Hidasi & Karatzoglou 2018, proposes TOP1-max and BPR-max, still over
samples; full cross-entropy is how Klenitskiy & Vasilev 2023 train GRU4Rec next to SASRec),
Adam instead of Adagrad, and an item-embedding input layer (the paper feeds one-hot vectors;
its code offers embeddings as an option).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from reclab.checks import fraction, positive_int
from reclab.formulas import implements
from reclab.models.next_item import NextItemModel

__all__ = ["GRU4Rec", "GRU4RecConfig", "gru_step"]


@implements("eq-gru-gates", "eq-gru-state")
def gru_step(x: Any, h: Any, kernel: Any, recurrent_kernel: Any, bias: Any) -> Any:
    r"""One GRU step, :math:`\mathbf{h}_t` from :math:`\mathbf{x}_t` and :math:`\mathbf{h}_{t-1}`.

    Weights in Keras' layout (gates in the order z, r, h):

    Args:
        x: :math:`\mathbf{x}_t`, ``(B, d_in)``.
        h: :math:`\mathbf{h}_{t-1}`, ``(B, d_h)``.
        kernel: :math:`[\mathbf{W}_z, \mathbf{W}_r, \mathbf{W}_h]`, ``(d_in, 3 d_h)``.
        recurrent_kernel: :math:`[\mathbf{U}_z, \mathbf{U}_r, \mathbf{U}_h]`, ``(d_h, 3 d_h)``.
        bias: :math:`[\mathbf{b}_z, \mathbf{b}_r, \mathbf{b}_h]`, ``(3 d_h,)``.

    Returns:
        :math:`\mathbf{h}_t`, ``(B, d_h)``.

    Example:
        >>> import numpy as np
        >>> x, h = np.zeros((1, 1)), np.ones((1, 1))
        >>> k, u, b = np.zeros((1, 3)), np.zeros((1, 3)), np.zeros(3)  # z = r = 0.5, h~ = 0
        >>> float(gru_step(x, h, k, u, b)[0, 0])                       # 0.5 * 1 + 0.5 * 0
        0.5
    """
    x, h = ops.convert_to_tensor(x), ops.convert_to_tensor(h)
    d = h.shape[-1]
    wx = ops.matmul(x, kernel) + bias  # (B, 3 d_h)
    uz, ur, uh = (
        recurrent_kernel[:, :d],
        recurrent_kernel[:, d : 2 * d],
        recurrent_kernel[:, 2 * d :],
    )
    z = ops.sigmoid(wx[:, :d] + ops.matmul(h, uz))  # update gate
    r = ops.sigmoid(wx[:, d : 2 * d] + ops.matmul(h, ur))  # reset gate
    candidate = ops.tanh(wx[:, 2 * d :] + ops.matmul(r * h, uh))  # (B, d_h)
    return z * h + (1.0 - z) * candidate  # z keeps the old state (Keras' convention)


@dataclass(frozen=True)
class GRU4RecConfig:
    """GRU4Rec's architecture. Defaults are the book's; the paper's values are named.

    Attributes:
        max_len: histories are cut to their latest ``max_len`` items (the paper reads whole
            sessions). Default 50.
        dim: item-embedding size (the paper: one-hot input, or embeddings in its code).
            Default 64.
        hidden: GRU units. Paper: 100 (and 1000 in some runs). Default 100.
        num_layers: stacked GRU layers. Paper: 1.
        dropout: dropout on the embeddings and on the GRU output. Paper: 0–0.5 (tuned).
            Default 0.3.
    """

    max_len: int = 50
    dim: int = 64
    hidden: int = 100
    num_layers: int = 1
    dropout: float = 0.3

    def __post_init__(self) -> None:
        for name in ("max_len", "dim", "hidden", "num_layers"):
            positive_int(getattr(self, name), name, "GRU4RecConfig")
        fraction(self.dropout, "dropout", "GRU4RecConfig")


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-gru4rec-score")
class GRU4Rec(NextItemModel):
    r"""GRU4Rec as a Keras model and a :class:`~reclab.models.Scorer`.

    Left padding is masked: the GRU state stays at zero until the first real item, so padding
    never changes the prediction.

    Args:
        num_items: :math:`N` (ids ``1..N``; 0 is padding).
        config: a :class:`GRU4RecConfig` (or its fields as a dict).
        catalogue: optional catalogue fingerprint, checked on load.

    Example:
        >>> import numpy as np
        >>> model = GRU4Rec(num_items=10, config=GRU4RecConfig(max_len=4, dim=8, hidden=8))
        >>> model.score(np.array([[0, 0, 3, 7]])).shape
        (1, 11)
    """

    config_class = GRU4RecConfig

    @staticmethod
    def parameter_count(num_items: int, num_users: int, config: GRU4RecConfig) -> int:
        """The number of weights, from the configuration alone (``num_users`` is unused)."""
        total, width = (num_items + 1) * config.dim, config.dim
        for _ in range(config.num_layers):
            total += 3 * (width * config.hidden + config.hidden * config.hidden + config.hidden)
            width = config.hidden
        return total + (num_items + 1) * (config.hidden + 1)  # output table and bias

    def build_layers(self) -> None:
        cfg = self.config
        self.item_embedding = keras.layers.Embedding(
            self.num_items + 1, cfg.dim, name="item_embedding"
        )
        self.item_embedding.build((None, cfg.max_len))
        self.input_dropout = keras.layers.Dropout(cfg.dropout, name="input_dropout")
        self.grus = []
        width = cfg.dim
        for k in range(cfg.num_layers):
            gru = keras.layers.GRU(
                cfg.hidden, return_sequences=True, reset_after=False, name=f"gru_{k}"
            )
            gru.build((None, cfg.max_len, width))
            self.grus.append(gru)
            width = cfg.hidden
        self.output_dropout = keras.layers.Dropout(cfg.dropout, name="output_dropout")
        self.output_items = keras.layers.Embedding(
            self.num_items + 1, cfg.hidden, name="output_items"
        )
        self.output_items.build((None,))
        self.output_bias = self.add_weight(
            shape=(self.num_items + 1,), initializer="zeros", name="output_bias"
        )

    def encode(self, inputs: Any, training: Any = None) -> Any:
        ids = ops.cast(inputs, "int32")  # (B, L)
        mask = ops.not_equal(ids, 0)  # (B, L)
        x = self.input_dropout(self.item_embedding(ids), training=training)  # (B, L, d)
        for gru in self.grus:
            x = gru(x, mask=mask, training=training)  # (B, L, hidden)
        x = ops.where(ops.expand_dims(mask, -1), x, ops.zeros_like(x))
        return self.output_dropout(x, training=training)

    def catalogue_weights(self) -> list[Any]:
        """The input and output item tables and the output bias."""
        return [self.item_embedding.embeddings, self.output_items.embeddings, self.output_bias]

    def output_table(self) -> tuple[Any, Any]:
        return self.output_items.embeddings, self.output_bias


_ = np  # numpy is used in doctests
