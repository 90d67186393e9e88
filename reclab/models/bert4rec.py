r"""BERT4Rec: bidirectional self-attention trained to fill in hidden items (Sun et al., CIKM 2019).

Training hides random items of a left-padded history behind a mask token :math:`N + 1` (the
*cloze* task, :func:`reclab.data.cloze_mask`) and predicts each hidden item from the items on
**both** sides of it. The input is the item embedding plus a learned position embedding, layer
normalised as in the official code,

.. math::

    \mathbf{x}_t = \operatorname{LN}\bigl(\mathbf{e}_{s_t} + \mathbf{p}_t\bigr),

followed by dropout and :math:`B` bidirectional (by default pre-norm; the paper's post-norm)
:class:`~reclab.models.TransformerBlock` s (no causal mask; padded keys masked). The output layer
is the paper's eq. (7): a GELU projection and the dot product with the **same** item table, plus
an output bias,

.. math::

    s_t(i) = \operatorname{GELU}\bigl(\mathbf{h}^{(B)}_t \mathbf{W}^P + \mathbf{b}^P\bigr)^\top
             \mathbf{e}_i + b^O_i ,

trained with the cloze objective (``eq-cloze-loss`` in the book): the full-softmax cross-entropy at
the hidden positions :math:`\mathcal{M}` only,

.. math::

    \mathcal{L} = -\frac{1}{|\mathcal{M}|} \sum_{t \in \mathcal{M}}
        \log \frac{\exp s_t(s_t^\star)}{\sum_{j=1}^{N} \exp s_t(j)} ,

where :math:`s_t^\star` is the item hidden at position :math:`t`. To recommend, the mask token
is appended after the history (the oldest item is dropped when the history already fills
:math:`L - 1` positions) and the scores at that last position rank the catalogue.

The paper (§3, §4.3) and its code: github.com/FeiSun/BERT4Rec. Deliberate differences:

- pre-norm blocks and :math:`\rho = 0.6` by default (``BERT4RecConfig.paper()`` has the
  paper's post-norm and :math:`\rho`), chosen on validation for a CPU budget;
- items are hidden independently with probability :math:`\rho` (:func:`reclab.data.cloze_mask`;
  a row with none hidden hides its latest item), where the official code hides exactly
  :math:`\operatorname{round}(\rho T)` items, at most ``max_predictions_per_seq``;
- the paper's extra samples that hide only the last item (§3.6) are drawn per row with
  probability ``last_item_mask_prob`` (default :math:`1/11`: the official code adds one such copy
  to ``dupe_factor = 10`` randomly masked copies of every sequence), instead of being stored copies;
- a hidden item is always replaced by the mask token (the official ``mask_prob = 1.0``; BERT's
  80/10/10 rule is not used);
- the projection has no layer norm after the GELU (the paper's eq. (7); the official code, from
  BERT, adds one); the output bias is kept, as in both;
- positions are right-aligned (the mask token always gets the last position row), a padded
  position's input is zeroed, and the mask token and padding columns are never scored: the
  output covers ids ``0..N`` and column 0 is ``-inf``;
- training (:mod:`reclab.training`): Adam without the paper's weight decay (0.01) and linear
  decay; the book's learning rate and batch size unless ``--paper`` (1e-4, :math:`\beta_2 = 0.999`,
  batch 256), and long histories cut into windows of :math:`L` (the official code slides a
  window of :math:`L` by :math:`L/2` on ML-1M).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from reclab.checks import fraction, integer_at_least, positive_int
from reclab.models.next_item import NextItemModel
from reclab.models.positions import LearnedPositionEmbedding
from reclab.models.transformer import TransformerBlock

__all__ = ["BERT4Rec", "BERT4RecConfig"]

#: Fraction of rows that hide only their latest item in the official code: one such copy next to
#: ``dupe_factor = 10`` randomly masked copies of every sequence (``gen_data_fin.py``).
OFFICIAL_LAST_ITEM_FRACTION = 1 / 11

#: The paper's values by data set (§4.3 and Fig. 6): maximum length L and mask proportion rho.
_PAPER = {
    "ml-1m": (200, 0.2),
    "ml-20m": (200, 0.2),
    "beauty": (50, 0.6),
    "steam": (50, 0.4),
}


@dataclass(frozen=True)
class BERT4RecConfig:
    """BERT4Rec's architecture and masking. Defaults are the book's; the paper's values are named.

    The defaults are sized for 2 CPU cores. ``norm_first`` and ``mask_prob`` (and the command
    line's training settings for the model: batch 32, learning rate 0.002, patience 30) were
    chosen on MovieLens latest-small's *validation* split, one seed, 2026-12-03: with the
    paper's post-norm blocks, :math:`\\rho = 0.2`, batch 128 and learning rate 0.005 or 0.001,
    validation NDCG@10 stayed at popularity's level (0.018-0.022) for 16-26 epochs; pre-norm,
    :math:`\\rho = 0.5` and batch 32 reached 0.051 in 100 s, :math:`\\rho = 0.6` 0.053 in
    300 s; dropout 0.4 with last-item rows 0.25 was worse (0.045).

    Attributes:
        max_len: :math:`L`, including the mask token appended at recommendation time (so a
            history fills at most :math:`L - 1` positions then). Paper: 200 on ML-1M and
            ML-20M, 50 on Beauty and Steam. Default 50.
        dim: :math:`d`. Paper: 64.
        num_blocks: :math:`B`. Paper: 2.
        num_heads: :math:`H`. Paper: 2.
        ff_dim: hidden size of the feed-forward layers; ``None`` = :math:`4d` (the paper's).
        dropout: dropout on the input, the attention weights and inside the blocks. Paper: 0.1
            (the official ML-1M configuration file has 0.2). Default 0.2.
        activation: the feed-forward non-linearity (and the projection's). Paper: GELU.
        norm_first: pre-norm blocks; the paper's are post-norm (False), as BERT's. Default
            True: post-norm learned too slowly for a CPU budget.
        mask_prob: :math:`\\rho`, the probability of hiding each item in training. Paper: 0.2
            on ML-1M and ML-20M, 0.4 on Steam, 0.6 on Beauty. Default 0.6: more targets per
            step, which a short budget needs.
        last_item_mask_prob: the probability that a training row hides only its latest item
            (the paper's §3.6 extra samples). The paper gives no value; the official code's
            fraction is :math:`1/11` (the default).
    """

    max_len: int = 50
    dim: int = 64
    num_blocks: int = 2
    num_heads: int = 2
    ff_dim: int | None = None
    dropout: float = 0.2
    activation: str = "gelu"
    norm_first: bool = True
    mask_prob: float = 0.6
    last_item_mask_prob: float = OFFICIAL_LAST_ITEM_FRACTION

    @classmethod
    def paper(cls, dataset: str = "ml-1m") -> BERT4RecConfig:
        """The paper's values: :math:`d = 64`, 2 blocks, 2 heads, GELU, dropout 0.1, post-norm;
        on ML-1M :math:`L = 200` and :math:`\\rho = 0.2` (``dataset`` one of ``ml-1m``,
        ``ml-20m``, ``beauty``, ``steam``)."""
        if dataset not in _PAPER:
            raise ValueError(
                f"BERT4RecConfig.paper: dataset={dataset!r}; the paper reports {sorted(_PAPER)}"
            )
        max_len, mask_prob = _PAPER[dataset]
        return cls(max_len=max_len, dim=64, dropout=0.1, norm_first=False, mask_prob=mask_prob)

    def __post_init__(self) -> None:
        where = "BERT4RecConfig"
        integer_at_least(self.max_len, 2, "max_len", where)  # a history and the mask token
        for name in ("dim", "num_blocks", "num_heads"):
            positive_int(getattr(self, name), name, where)
        if self.ff_dim is not None:
            positive_int(self.ff_dim, "ff_dim", where)
        if self.dim % self.num_heads:
            raise ValueError(
                f"{where}: dim={self.dim} must be divisible by num_heads={self.num_heads}"
            )
        fraction(self.dropout, "dropout", where)
        fraction(self.mask_prob, "mask_prob", where, include_one=True)
        fraction(self.last_item_mask_prob, "last_item_mask_prob", where, include_one=True)


@keras.saving.register_keras_serializable(package="reclab")
class BERT4Rec(NextItemModel):
    r"""BERT4Rec as a Keras model and a :class:`~reclab.models.Scorer`.

    Args:
        num_items: :math:`N` (ids ``1..N``; 0 is padding, :math:`N + 1` the mask token).
        config: a :class:`BERT4RecConfig` (or its fields as a dict).
        catalogue: optional catalogue fingerprint, checked on load.

    ``model(ids)`` with ids ``(B, L)`` (the mask token allowed) returns logits
    ``(B, L, N + 1)`` at every position, so the mask token is never a column;
    ``model({"inputs": ids, "candidates": c})`` with ``c`` ``(B, L, C)`` returns ``(B, L, C)``.
    ``score`` appends the mask token after each history and returns the ``(B, N + 1)``
    scores at it. :func:`reclab.training.fit` trains it on
    :func:`reclab.data.cloze_dataset` batches (its :attr:`task` is ``"cloze"``).

    Example:
        >>> import numpy as np
        >>> model = BERT4Rec(num_items=10, config=BERT4RecConfig(max_len=4, dim=8))
        >>> model.prepare_histories(np.array([[3, 7]])).tolist()  # the mask token is id 11
        [[0, 3, 7, 11]]
        >>> model.score(np.array([[3, 7]])).shape
        (1, 11)
    """

    config_class = BERT4RecConfig
    #: Trained on masked items (:func:`reclab.data.cloze_dataset`), not next-item windows.
    task = "cloze"

    @property
    def mask_token(self) -> int:
        """The id of the mask token, :math:`N + 1` (the last row of the item table)."""
        return self.num_items + 1

    @staticmethod
    def parameter_count(num_items: int, num_users: int, config: BERT4RecConfig) -> int:
        """The number of weights, from the configuration alone (``num_users`` is unused).

        Item table :math:`(N + 2) d`, positions :math:`L d`, the input layer norm :math:`2 d`,
        per block the attention (:math:`4 d^2 + 4 d`), the feed-forward network
        (:math:`2 d f + f + d`) and two layer norms (:math:`4 d`), the projection
        (:math:`d^2 + d`) and the output bias (:math:`N + 1`).
        """
        d = config.dim
        ff = 4 * d if config.ff_dim is None else config.ff_dim
        block = (4 * d * d + 4 * d) + (2 * d * ff + ff + d) + 4 * d
        return (
            (num_items + 2) * d
            + config.max_len * d
            + 2 * d
            + config.num_blocks * block
            + (d * d + d)
            + (num_items + 1)
        )

    def build_layers(self) -> None:
        cfg = self.config
        initializer = keras.initializers.TruncatedNormal(stddev=0.02)  # BERT's
        self.item_embedding = keras.layers.Embedding(
            self.num_items + 2, cfg.dim, embeddings_initializer=initializer, name="item_embedding"
        )
        self.item_embedding.build((None, cfg.max_len))
        self.positions = LearnedPositionEmbedding(
            cfg.max_len, embeddings_initializer=initializer, name="positions"
        )
        self.positions.build((None, cfg.max_len, cfg.dim))
        self.input_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="input_norm")
        self.input_norm.build((None, cfg.max_len, cfg.dim))
        self.input_dropout = keras.layers.Dropout(cfg.dropout, name="input_dropout")
        self.blocks = []
        for k in range(cfg.num_blocks):
            block = TransformerBlock(
                num_heads=cfg.num_heads,
                ff_dim=4 * cfg.dim if cfg.ff_dim is None else cfg.ff_dim,
                dropout=cfg.dropout,
                norm_first=cfg.norm_first,
                causal=False,
                activation=cfg.activation,
                name=f"block_{k}",
            )
            block.build((None, cfg.max_len, cfg.dim))
            self.blocks.append(block)
        self.projection = keras.layers.Dense(
            cfg.dim, activation=cfg.activation, kernel_initializer=initializer, name="projection"
        )
        self.projection.build((None, cfg.max_len, cfg.dim))
        self.output_bias = self.add_weight(
            name="output_bias", shape=(self.num_items + 1,), initializer="zeros"
        )

    def embed(self, inputs: Any, training: Any = None) -> tuple[Any, Any]:
        r"""The first block's input, :math:`\operatorname{LN}(\mathbf{e}_{s_t} + \mathbf{p}_t)`.

        Returns ``(x, mask)``: ``x`` ``(B, L, d)``, zero at padding, and the padding mask
        ``(B, L)`` (True at real items and at the mask token). Dropout is applied when
        ``training``.
        """
        ids = ops.cast(inputs, "int32")  # (B, L)
        mask = ops.not_equal(ids, 0)  # (B, L)
        x = self.positions(self.item_embedding(ids))  # (B, L, d): e + p, right-aligned
        x = self.input_dropout(self.input_norm(x), training=training)  # (B, L, d)
        x = ops.where(ops.expand_dims(mask, -1), x, ops.zeros_like(x))  # (B, L, d)
        return x, mask

    def encode(self, inputs: Any, training: Any = None) -> Any:
        """The projected states :math:`\\operatorname{GELU}(\\mathbf{h}_t \\mathbf{W}^P +
        \\mathbf{b}^P)` ``(B, L, d)`` that are scored against the item table."""
        x, mask = self.embed(inputs, training=training)
        for block in self.blocks:
            x = block(x, padding_mask=mask, training=training)  # (B, L, d), 0 at padding
        return self.projection(x)  # (B, L, d)

    def catalogue_weights(self) -> list[Any]:
        """The item table (with the mask token's row) and the output bias."""
        return [self.item_embedding.embeddings, self.output_bias]

    def output_table(self) -> tuple[Any, Any]:
        # The shared table without its mask-token row, so scores cover ids 0..N only.
        return self.item_embedding.embeddings[: self.num_items + 1], self.output_bias

    def model_inputs(self, histories: Any) -> Any:
        """Left-padded histories ``(B, max_len)`` with the oldest item dropped and the mask token
        appended, as :meth:`prepare_histories` does in NumPy (for an exported graph)."""
        ids = ops.cast(histories, "int32")
        token = ops.full((ops.shape(ids)[0], 1), self.mask_token, "int32")
        return ops.concatenate([ids[:, 1:], token], axis=1)

    def prepare_histories(self, histories: Any, where: str = "score") -> np.ndarray:
        """Histories as ``(B, max_len)`` int32: the latest ``max_len - 1`` items, left-padded,
        then the mask token (the position whose scores rank the catalogue)."""
        h = super().prepare_histories(histories, where)  # (B, L): the latest L items
        token = np.full((len(h), 1), self.mask_token, np.int32)
        return np.concatenate([h[:, 1:], token], axis=1)  # (B, L): drop the oldest, add [mask]
