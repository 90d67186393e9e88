r"""SASRec: self-attentive sequential recommendation (Kang & McAuley, ICDM 2018).

The model reads a left-padded history :math:`(s_1, \dots, s_L)` and predicts the next item at
every position. Its input is the item embedding, scaled by :math:`\sqrt{d}` as the official code
does, plus a learned position embedding,

.. math::

    \mathbf{x}_t = \sqrt{d}\,\mathbf{e}_{s_t} + \mathbf{p}_t ,

followed by dropout, :math:`B` causal :class:`~reclab.models.TransformerBlock` s, a final layer
norm, and the dot product with the **same** item table (shared input/output embeddings):

.. math::

    s_t(i) = \operatorname{LN}\bigl(\mathbf{h}^{(B)}_t\bigr)^\top \mathbf{e}_i .

The paper (§III) and its code: github.com/kang205/SASRec. Deliberate differences, all listed in
:class:`SASRecConfig`: a wider embedding (64 vs 50), full-softmax cross-entropy by default (the
paper's sampled BCE is ``loss="bce"`` in :class:`reclab.training.TrainingConfig`), the attention
keys and values are layer-normalised like the queries (the textbook pre-norm block), positions are
right-aligned (the latest item always gets the last position row), and a padded position's
embedding is zeroed (the paper multiplies by the mask too).

``SASRecConfig(block="hstu")`` swaps the Transformer blocks for HSTU blocks
(:class:`~reclab.models.HSTUBlock`, Zhai et al., ICML 2024): the same input, final norm and shared
item table around HSTU's pointwise attention, close to the paper's experiments on public data sets
(§4.1.1); the differences are listed in :class:`SASRecConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from reclab.checks import fraction, one_of, positive_int
from reclab.formulas import implements
from reclab.models.content import ITEM_FEATURES, ItemContentTower
from reclab.models.hstu import HSTUBlock
from reclab.models.next_item import NextItemModel
from reclab.models.positions import LearnedPositionEmbedding
from reclab.models.transformer import TransformerBlock

__all__ = ["SASRec", "SASRecConfig"]

#: The blocks :class:`SASRecConfig` can stack: ``"transformer"`` (SASRec's) or ``"hstu"``.
BLOCKS = ("transformer", "hstu")


@dataclass(frozen=True)
class SASRecConfig:
    """SASRec's architecture. Defaults are the book's; the paper's values are named.

    Attributes:
        max_len: :math:`L`. Paper: 200 on ML-1M, 50 on the sparser data sets. Default 50:
            with ``TrainingConfig(windows=True)`` (reclab.training) every event is still a target,
            and on 2 CPU cores it reaches a better validation NDCG@10 within 5 minutes than
            200 (measured in ``benchmarks/README.md``).
        dim: :math:`d`. Paper: 50. Default 64.
        num_blocks: :math:`B`. Paper: 2.
        num_heads: :math:`H`. Paper: 1.
        ff_dim: hidden size of the feed-forward layers; ``None`` = :math:`d` (the paper's).
        dropout: dropout on the input and inside the blocks. Paper: 0.2 on ML-1M, 0.5 on the
            sparse data sets. Default 0.3, selected on validation NDCG@10 only
            (``benchmarks/select_defaults.py``).
        norm_first: pre-norm blocks (the paper's code normalises the queries first; True).
        activation: the feed-forward non-linearity. Paper: ReLU.
        scale_embeddings: multiply item embeddings by :math:`\\sqrt{d}` (the official code).
        block: the blocks stacked, ``"transformer"`` or ``"hstu"``. ``"transformer"`` (default):
            :class:`~reclab.models.TransformerBlock`, SASRec. ``"hstu"``: the **HSTU variant**,
            :class:`~reclab.models.HSTUBlock` (Zhai et al., ICML 2024, §3.1: SiLU pointwise
            attention divided by ``max_len``, a learned relative-position bias per head,
            the attention output gated by :math:`\\mathbf{U}`; heads of size ``dim / num_heads``,
            dropout ``dropout`` before each block's output layer; ``ff_dim``, ``norm_first`` and
            ``activation`` are ignored). Differences from the paper's full HSTU: no relative
            *time* buckets (the encoders read no timestamps), no M-FALCON inference or KV cache,
            and SASRec's input (scaled item embedding plus learned positions, dropout), final
            layer norm and shared-table dot-product output instead of the official code's
            L2-normalised outputs.
        items: how items are embedded: ``"id"`` (default, the paper's item table),
            ``"content"`` (:class:`~reclab.models.ItemContentTower` only: an item is its title,
            genres and year) or ``"hybrid"`` (the id row plus the content vector; an item
            without training events uses its content alone). Both content
            options need ``SASRec(..., content=ItemContent)``.
    """

    max_len: int = 50
    dim: int = 64
    num_blocks: int = 2
    num_heads: int = 1
    ff_dim: int | None = None
    dropout: float = 0.3
    norm_first: bool = True
    activation: str = "relu"
    scale_embeddings: bool = True
    block: str = "transformer"
    items: str = "id"

    @classmethod
    def paper(cls, dataset: str = "ml-1m") -> SASRecConfig:
        """The paper's values: :math:`d = 50`, 2 blocks, 1 head; L 200 and dropout 0.2 on ML-1M."""
        if dataset == "ml-1m":
            return cls(max_len=200, dim=50, dropout=0.2)
        return cls(max_len=50, dim=50, dropout=0.5)

    def __post_init__(self) -> None:
        where = "SASRecConfig"
        for name in ("max_len", "dim", "num_blocks", "num_heads"):
            positive_int(getattr(self, name), name, where)
        if self.ff_dim is not None:
            positive_int(self.ff_dim, "ff_dim", where)
        if self.dim % self.num_heads:
            raise ValueError(
                f"{where}: dim={self.dim} must be divisible by num_heads={self.num_heads}"
            )
        fraction(self.dropout, "dropout", where)
        one_of(self.block, BLOCKS, "block", where)
        one_of(self.items, ITEM_FEATURES, "items", where)


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-sasrec-input", "eq-sasrec-score", "eq-hybrid-items")
class SASRec(NextItemModel):
    r"""SASRec as a Keras model and a :class:`~reclab.models.Scorer`.

    Args:
        num_items: :math:`N` (ids ``1..N``; 0 is padding).
        config: a :class:`SASRecConfig` (or its fields as a dict).
        catalogue: optional catalogue fingerprint, checked on load.
        content: the :class:`reclab.data.ItemContent` of the catalogue, needed when
            ``config.items`` is ``"content"`` or ``"hybrid"`` (stored in the model's weights).
        content_shape: the content arrays' sizes instead of ``content`` (used when a saved
            model is loaded: its weights then hold the arrays).

    ``model(ids)`` with ids ``(B, L)`` returns logits ``(B, L, N + 1)``;
    ``model({"inputs": ids, "candidates": c})`` with ``c`` ``(B, L, C)`` returns ``(B, L, C)``;
    :meth:`~reclab.models.NextItemModel.score` gives ``(B, N + 1)`` scores after the latest
    item; :meth:`attention` gives the attention weights of every block.

    Example:
        >>> import numpy as np
        >>> model = SASRec(num_items=10, config=SASRecConfig(max_len=4, dim=8))
        >>> model.score(np.array([[0, 0, 3, 7]])).shape
        (1, 11)
    """

    config_class = SASRecConfig

    def __init__(
        self,
        num_items: int,
        config: Any = None,
        *,
        content: Any = None,
        content_shape: dict[str, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(num_items, config, **kwargs)
        self.content = content
        self.content_shape = content.shape() if content is not None else content_shape
        if self.config.items == "id":
            self.content_shape = None
        elif self.content_shape is None:
            raise ValueError(
                f"SASRec: items={self.config.items!r} embeds items from their content; pass "
                "content=reclab.data.item_content(catalogue, item_mapping)"
            )
        elif self.content_shape["num_ids"] != num_items + 1:
            raise ValueError(
                f"SASRec: the content has {self.content_shape['num_ids'] - 1} items, the model "
                f"{num_items}; build both from the same item mapping"
            )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "content_shape": self.content_shape}

    @staticmethod
    def parameter_count(num_items: int, num_users: int, config: SASRecConfig) -> int:
        """The number of weights, from the configuration alone (``num_users`` is unused).

        Item table :math:`(N + 1) d`, positions :math:`L d`, per block the attention
        (:math:`4 d^2 + 4 d`), the feed-forward network (:math:`2 d f + f + d`) and two layer
        norms (:math:`4 d`), and the final layer norm (:math:`2 d`). A content tower's weights
        (``items="content"`` or ``"hybrid"``) depend on the catalogue's vocabulary and are not
        counted (``model.count_params()`` counts them); ``"content"`` has no item table. An HSTU
        block (``block="hstu"``) has :math:`f_1` (:math:`4 d^2`, no bias), the relative-position
        bias (:math:`H L`) and :math:`f_2` (:math:`d^2 + d`); its norms have no weights.
        """
        d = config.dim
        ff = d if config.ff_dim is None else config.ff_dim
        if config.block == "hstu":
            block = 4 * d * d + config.num_heads * config.max_len + d * d + d
        else:
            block = (4 * d * d + 4 * d) + (2 * d * ff + ff + d) + 4 * d
        table = 0 if config.items == "content" else (num_items + 1) * d
        return table + config.max_len * d + config.num_blocks * block + 2 * d

    def build_layers(self) -> None:
        self.build_item_layers()
        self.build_encoder_layers()

    def build_item_layers(self) -> None:
        """The item table and/or content tower, by ``config.items``."""
        cfg = self.config
        if cfg.items != "content":
            self.item_embedding = keras.layers.Embedding(
                self.num_items + 1,
                cfg.dim,
                embeddings_initializer=keras.initializers.RandomNormal(stddev=cfg.dim**-0.5),
                name="item_embedding",
            )
            self.item_embedding.build((None, cfg.max_len))
        if cfg.items != "id":
            self.content_tower = ItemContentTower(
                self.content_shape, cfg.dim, self.content, name="content_tower"
            )
            # m_i: 1 for an item with training events (set by fit)
            self.trained_items = self.add_weight(
                shape=(self.num_items + 1,), initializer="ones", trainable=False,
                name="trained_items",
            )  # fmt: skip

    def build_encoder_layers(self) -> None:
        """Positions, input dropout, the blocks and the final norm."""
        cfg = self.config
        self.positions = LearnedPositionEmbedding(
            cfg.max_len,
            embeddings_initializer=keras.initializers.RandomNormal(stddev=cfg.dim**-0.5),
            name="positions",
        )
        self.positions.build((None, cfg.max_len, cfg.dim))
        self.input_dropout = keras.layers.Dropout(cfg.dropout, name="input_dropout")
        self.blocks = []
        for k in range(cfg.num_blocks):
            if cfg.block == "hstu":
                block = HSTUBlock(
                    num_heads=cfg.num_heads,
                    max_length=cfg.max_len,
                    dropout=cfg.dropout,
                    causal=True,
                    name=f"block_{k}",
                )
            else:
                block = TransformerBlock(
                    num_heads=cfg.num_heads,
                    ff_dim=cfg.dim if cfg.ff_dim is None else cfg.ff_dim,
                    dropout=cfg.dropout,
                    norm_first=cfg.norm_first,
                    causal=True,
                    activation=cfg.activation,
                    name=f"block_{k}",
                )
            block.build((None, cfg.max_len, cfg.dim))
            self.blocks.append(block)
        self.final_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")
        self.final_norm.build((None, cfg.max_len, cfg.dim))

    def embed(self, inputs: Any, training: Any = None) -> tuple[Any, Any]:
        r"""The input of the first block, :math:`\sqrt{d}\,\mathbf{e}_{s_t} + \mathbf{p}_t`.

        Returns ``(x, mask)``: ``x`` ``(B, L, d)``, zero at padding, and the padding mask
        ``(B, L)`` (True at real items). Dropout is applied when ``training``.
        """
        ids = ops.cast(inputs, "int32")  # (B, L)
        mask = ops.not_equal(ids, 0)  # (B, L)
        return self._add_positions(self.item_inputs(ids), mask, training), mask

    def item_inputs(self, ids: Any) -> Any:
        r"""The item part of the first block's input, :math:`\sqrt{d}\,\mathbf{e}_{s_t}`.

        Shape ``(B, L, d)``; what :meth:`encode_item_inputs` takes. A gradient with respect to
        it is one with respect to the items fed, before the position embeddings are added
        (:func:`reclab.recommend.gradient_times_input`).
        """
        x = self.embed_items(ops.cast(ids, "int32"))  # (B, L, d)
        if self.config.scale_embeddings:
            x = x * math.sqrt(self.config.dim)
        return x

    def _add_positions(self, items: Any, mask: Any, training: Any) -> Any:
        x = self.positions(items)  # (B, L, d): + p_t, right-aligned
        x = self.input_dropout(x, training=training)
        return ops.where(ops.expand_dims(mask, -1), x, ops.zeros_like(x))  # (B, L, d)

    def embed_items(self, ids: Any) -> Any:
        """The item vectors :math:`\\mathbf{e}_{s_t}` of ids ``(B, L)``, ``(B, L, d)``."""
        if self.config.items == "id":
            return self.item_embedding(ids)
        return ops.take(self.item_table(), ids, axis=0)

    def encode(self, inputs: Any, training: Any = None) -> Any:
        ids = ops.cast(inputs, "int32")  # (B, L)
        return self.encode_item_inputs(
            self.item_inputs(ids), ops.not_equal(ids, 0), training=training
        )

    def encode_item_inputs(self, items: Any, mask: Any, training: Any = None) -> Any:
        """Hidden states ``(B, L, d)`` from item inputs ``(B, L, d)`` and the padding mask.

        ``items`` is what :meth:`item_inputs` returns (or a perturbation of it) and ``mask``
        ``(B, L)`` is True at real items; the positions are added, then the blocks and the final
        norm run. ``encode(ids)`` is ``encode_item_inputs(item_inputs(ids), ids != 0)``.
        """
        x = self._add_positions(items, mask, training)  # (B, L, d)
        for block in self.blocks:
            x = block(x, padding_mask=mask, training=training)  # (B, L, d)
        return self.final_norm(x)  # (B, L, d)

    def output_table(self) -> tuple[Any, None]:
        return self.item_table(), None  # shared input/output table, no bias

    def item_table(self) -> Any:
        r"""The item vectors ``(N + 1, d)``: :math:`\mathbf{e}_i` by ``config.items``.

        ``"id"``: the embedding table; ``"content"``: :math:`\mathbf{e}^{\text{content}}`;
        ``"hybrid"``: :math:`m_i\,\mathbf{e}^{\text{id}}_i + \mathbf{e}^{\text{content}}_i`.
        """
        if self.config.items == "id":
            return self.item_embedding.embeddings
        table = self.content_tower.table()  # (N + 1, d)
        if self.config.items == "content":
            return table
        m = ops.cast(self.trained_items, table.dtype)[:, None]  # (N + 1, 1)
        return m * self.item_embedding.embeddings + table

    def catalogue_weights(self) -> list[Any]:
        """The item table, the trained-item mask :math:`m` and the content arrays."""
        weights = [self.item_embedding.embeddings] if self.config.items != "content" else []
        if self.config.items != "id":
            weights += [self.trained_items, *self.content_tower.catalogue_weights()]
        return weights

    def training_logit_offsets(self) -> Any:
        """``(N + 1,)`` added to the training logits: :math:`-10^9` for untrained items, else 0.

        A content model would otherwise learn to recognise, from their content, the items that
        are never targets (in the cold-start protocol, the newest films: their year gives them
        away) and push them to the bottom, which is exactly what it must not learn: at training
        time a shop does not have those items yet. ``None`` for ``items="id"``.
        """
        if self.config.items == "id":
            return None
        return (ops.cast(self.trained_items, "float32") - 1.0) * 1e9

    def set_trained_items(self, counts: np.ndarray) -> None:
        """Record which items have training events (``counts > 0``), :math:`m_i`.

        With ``items="content"`` or ``"hybrid"``, an item without training events is left out
        of the training softmax (:meth:`training_logit_offsets`), and ``"hybrid"`` represents it
        by its content alone. :func:`reclab.training.fit` calls this with the training counts;
        ``items="id"`` ignores it.
        """
        if self.config.items == "id":
            return
        if not self.built:
            self.build()
        counts = np.asarray(counts)
        if counts.shape != (self.num_items + 1,):
            raise ValueError(
                f"SASRec.set_trained_items: counts of shape {counts.shape}, expected "
                f"({self.num_items + 1},)"
            )
        self.trained_items.assign((counts > 0).astype(np.float32))

    def attention(self, histories: np.ndarray) -> np.ndarray:
        """Attention weights ``(B, num_blocks, H, L, L)`` of the histories (no dropout).

        Rows are queries (positions), columns keys; histories are prepared as in
        :meth:`~reclab.models.NextItemModel.score` (latest ``max_len`` items, left-padded).
        Softmax rows sum to one; HSTU's pointwise weights (``block="hstu"``) do not.
        """
        h = self.prepare_histories(histories, "attention")
        if not self.built:
            self.build()
        x, mask = self.embed(tf.constant(h), training=False)
        weights = []
        for block in self.blocks:
            x, w = block(x, padding_mask=mask, return_attention_scores=True)
            weights.append(np.asarray(w))  # (B, H, L, L)
        return np.stack(weights, axis=1)  # (B, blocks, H, L, L)
