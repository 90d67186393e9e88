r"""TIGER: generative retrieval, the next item written out as its semantic id, code by code.

Rajput et al. (NeurIPS 2023) give every item a short tuple of codes
:math:`(c_1(i), \dots, c_m(i))` (:func:`reclab.models.residual_kmeans`) and train a Transformer
to *generate* the next item's codes, as a language model generates the next word. Here an
encoder reads the history (SASRec's encoder, :class:`~reclab.models.SASRec`, with each item
embedded by its codes, :math:`\mathbf{e}_i = \sum_j \mathbf{E}_j[c_j(i)]`) and a small causal
Transformer decoder reads
:math:`[\mathbf{h}_t, \mathbf{E}_1[c_1], \dots, \mathbf{E}_{j-1}[c_{j-1}]]` and predicts code
:math:`c_j`. The probability of an item is the product over its codes,

.. math::

    p(i \mid \mathbf{h}) = \prod_{j=1}^{m} p\bigl(c_j(i) \mid \mathbf{h}, c_{<j}(i)\bigr),
    \qquad
    p(c \mid \mathbf{h}, c_{<j}) =
      \frac{\exp z_j(c)}{\sum_{c' \in V(c_{<j})} \exp z_j(c')},

where :math:`z_j(c) = \mathbf{o}_j^\top \mathbf{E}_j[c] + b_j(c)` scores code :math:`c` from the
decoder's output :math:`\mathbf{o}_j` and :math:`V(c_{<j})` are the codes that continue the prefix
to an existing item (the trie of :meth:`reclab.models.SemanticIds.trie`). Normalising over valid
codes only makes :math:`p` a distribution over the catalogue (it sums to one), in training and
in inference alike. Training minimises :math:`-\log p(s_{t+1} \mid \mathbf{h}_t)` at every
position (teacher forcing: the true codes are the decoder's input).

To recommend, a **beam search constrained to the trie** keeps the :math:`W` most probable
prefixes at each level,

.. math::

    \mathcal{B}_j = \operatorname{top-}W \bigl\{ (b, c) : b \in \mathcal{B}_{j-1},\,
      c \in V(b) \bigr\} \text{ by } \log p(b \mid \mathbf{h}) + \log p(c \mid \mathbf{h}, b),

so it can only emit existing items; the :math:`W` items of :math:`\mathcal{B}_m` are the list.
:meth:`TIGER.score` gives them their log-probabilities and every other item :math:`-\infty` (not
generated), so the book's full-catalogue evaluator ranks them like any model's scores.

Deliberate differences from the paper (its code is not public):

- the encoder reads one vector per history item (the sum of its code embeddings) instead of
  :math:`m` tokens per item, and is causal, so every position is a training example (SASRec's
  training); the paper trains an encoder-decoder (T5) on the last item of each sequence;
- the decoder is conditioned on :math:`\mathbf{h}_t` as its first token instead of cross-attention;
- codes come from residual k-means (the paper's RQ-VAE is optional there; k-means is one of its
  ablations) of item vectors made here (no Sentence-T5): co-occurrence, content, or both;
- the softmax of each level runs over valid codes only (the paper masks invalid codes only at
  inference); the beam skips items already in the history (the protocol excludes them, and a
  beam of :math:`W` would otherwise waste slots on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from reclab.checks import fraction, id_matrix, one_of, positive_int
from reclab.formulas import implements
from reclab.models.base import Scorer
from reclab.models.content import ITEM_FEATURES
from reclab.models.next_item import SCORE_BATCH, NextItemModel
from reclab.models.sasrec import BLOCKS, SASRec
from reclab.models.semantic_ids import (
    SemanticIds,
    content_vectors,
    cooccurrence_vectors,
    residual_kmeans,
)
from reclab.models.transformer import TransformerBlock

__all__ = ["TIGER", "TIGERConfig"]


@dataclass(frozen=True)
class TIGERConfig:
    """TIGER's architecture and codes.

    The encoder's fields (``max_len``, ``dim``, ``num_blocks``, ``num_heads``, ``ff_dim``,
    ``norm_first``, ``activation``, ``scale_embeddings``, ``block``) mean what they mean in
    :class:`~reclab.models.SASRecConfig`, with the same defaults.

    Attributes:
        dropout: in the encoder and the decoder (default 0.2, where SASRec has 0.3; selected
            on validation, see ``codebook_size``).
        items: what the semantic ids are made from: ``"id"`` (default: behaviour, the
            co-occurrence vectors of the training sequences), ``"content"`` (title, genres and
            year; needs ``content=``) or ``"hybrid"`` (both, side by side).
        levels: k-means levels (the paper: 3; default 2); every item also gets one collision
            code.
        codebook_size: :math:`K`, codes per level (the paper: 256). The defaults (2 levels of
            256, 2 decoder blocks, dropout 0.2) had the best validation NDCG@10 (0.066, seed 0,
            at most 10 minutes) of seven settings on 5-core ml-latest-small (3,650 films);
            3 levels of 64 with one decoder block and dropout 0.3 reached 0.046
            (``benchmarks/README.md``): on a small catalogue a coarser tree, closer to one
            softmax over the items, predicts better.
        code_dim: the dimension of the item vectors that are quantised.
        decoder_blocks: Transformer blocks of the decoder (default 2).
        beam: :math:`W`, the beam width (at least the list length that is evaluated).
    """

    max_len: int = 50
    dim: int = 64
    num_blocks: int = 2
    num_heads: int = 1
    ff_dim: int | None = None
    dropout: float = 0.2
    norm_first: bool = True
    activation: str = "relu"
    scale_embeddings: bool = True
    block: str = "transformer"
    items: str = "id"
    levels: int = 2
    codebook_size: int = 256
    code_dim: int = 32
    decoder_blocks: int = 2
    beam: int = 20

    def __post_init__(self) -> None:
        where = "TIGERConfig"
        for name in ("max_len", "dim", "num_blocks", "num_heads", "levels", "codebook_size"):
            positive_int(getattr(self, name), name, where)
        for name in ("code_dim", "decoder_blocks", "beam"):
            positive_int(getattr(self, name), name, where)
        if self.dim % self.num_heads:
            raise ValueError(f"{where}: dim={self.dim} must be divisible by num_heads")
        fraction(self.dropout, "dropout", where)
        one_of(self.block, BLOCKS, "block", where)
        one_of(self.items, ITEM_FEATURES, "items", where)


def _code_shape(ids: SemanticIds) -> dict[str, list[int]]:
    return {"sizes": list(ids.sizes), "prefixes": [len(t) for t in ids.trie()]}


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-code-probability", "eq-constrained-beam")
class TIGER(SASRec):
    r"""Generative retrieval over semantic ids, as a Keras model and a
    :class:`~reclab.models.Scorer` (see the module docstring).

    Args:
        num_items: :math:`N`.
        config: a :class:`TIGERConfig` (or its fields as a dict).
        semantic_ids: the items' :class:`~reclab.models.SemanticIds`; ``None`` lets
            :func:`reclab.training.fit` learn them from the training sequences first
            (:meth:`prepare`).
        content: the catalogue's :class:`reclab.data.ItemContent`, for
            ``items="content"`` or ``"hybrid"``.
        code_shape: the codes' sizes instead of ``semantic_ids`` (a saved model's weights hold
            the codes).

    Example:
        >>> import numpy as np
        >>> from reclab.models import residual_kmeans
        >>> ids = residual_kmeans(np.random.default_rng(0).normal(size=(11, 4)), levels=1,
        ...                       codebook_size=3)
        >>> model = TIGER(10, TIGERConfig(max_len=4, dim=8, beam=5), semantic_ids=ids)
        >>> items, log_p = model.generate(np.array([[0, 0, 3, 7]]))
        >>> items.shape, bool(np.isin(items, [3, 7]).any())   # never an item already seen
        ((1, 5), False)
    """

    config_class = TIGERConfig

    def __init__(
        self,
        num_items: int,
        config: Any = None,
        *,
        semantic_ids: SemanticIds | None = None,
        content: Any = None,
        code_shape: dict[str, list[int]] | None = None,
        **kwargs: Any,
    ) -> None:
        NextItemModel.__init__(self, num_items, config, **kwargs)
        self.content, self.content_shape = content, None
        self.semantic_ids = None
        self.code_shape = code_shape
        if semantic_ids is not None:
            self.set_semantic_ids(semantic_ids)
        if self.config.items != "id" and content is None and self.code_shape is None:
            raise ValueError(
                f"TIGER: items={self.config.items!r} makes the codes from item content; pass "
                "content=reclab.data.item_content(catalogue, item_mapping)"
            )

    def set_semantic_ids(self, ids: SemanticIds) -> None:
        """Use ``ids`` as the items' codes (before the model is built)."""
        if ids.num_items != self.num_items:
            raise ValueError(
                f"TIGER: the semantic ids cover {ids.num_items} items, the model {self.num_items}"
            )
        if self.built:
            raise ValueError("TIGER: the codes are fixed once the model is built")
        self.semantic_ids, self.code_shape = ids, _code_shape(ids)

    def get_config(self) -> dict[str, Any]:
        return {**NextItemModel.get_config(self), "code_shape": self.code_shape}

    @staticmethod
    def parameter_count(num_items: int, num_users: int, config: TIGERConfig) -> int:
        """The number of trained weights, counting the collision code as :math:`K` values (it has
        as many as the largest collision group). The code tables (integers, not trained) are
        not counted; ``model.count_params()`` counts them.

        With :math:`m` = ``levels + 1`` codes per item: code embeddings and biases
        :math:`m (K d + K)`; the encoder as SASRec's without its item table; the decoder's level
        positions :math:`m d`, its blocks and its norm.
        """
        d, k, m = config.dim, config.codebook_size, config.levels + 1
        ff = d if config.ff_dim is None else config.ff_dim
        block = (4 * d * d + 4 * d) + (2 * d * ff + ff + d) + 4 * d
        encoder = config.max_len * d + config.num_blocks * block + 2 * d
        if config.block == "hstu":
            hstu = 4 * d * d + config.num_heads * config.max_len + d * d + d
            encoder = config.max_len * d + config.num_blocks * hstu + 2 * d
        return m * (k * d + k) + encoder + m * d + config.decoder_blocks * block + 2 * d

    # -- codes ---------------------------------------------------------------------------------
    def prepare(self, sequences: Any) -> None:
        """Learn the semantic ids from the training ``sequences`` (and the content), unless
        the model has them; :func:`reclab.training.fit` calls this before building."""
        if self.code_shape is not None:
            return
        cfg = self.config
        parts = []
        if cfg.items != "content":
            parts.append(cooccurrence_vectors(sequences, self.num_items, cfg.code_dim))
        if cfg.items != "id":
            parts.append(content_vectors(self.content, cfg.code_dim))
        vectors = np.concatenate(parts, axis=1)
        self.set_semantic_ids(
            residual_kmeans(vectors, levels=cfg.levels, codebook_size=cfg.codebook_size)
        )

    def build_item_layers(self) -> None:
        if self.code_shape is None:
            raise ValueError(
                "TIGER: the model has no semantic ids yet; pass semantic_ids= or train it with "
                "reclab.training.fit, which learns them from the training sequences"
            )
        sizes, prefixes = self.code_shape["sizes"], self.code_shape["prefixes"]
        n, m, d = self.num_items + 1, len(sizes), self.config.dim
        self.codes = self.add_weight(
            shape=(n, m), dtype="int32", initializer="zeros", trainable=False, name="codes"
        )
        self.code_prefixes = self.add_weight(
            shape=(n, m), dtype="int32", initializer="zeros", trainable=False, name="prefixes"
        )
        self.tries = [
            self.add_weight(
                shape=(p, k), dtype="int32", initializer="zeros", trainable=False, name=f"trie_{j}"
            )
            for j, (p, k) in enumerate(zip(prefixes, sizes, strict=True))
        ]
        self.code_embeddings = []
        for j, k in enumerate(sizes):
            layer = keras.layers.Embedding(
                k,
                d,
                embeddings_initializer=keras.initializers.RandomNormal(stddev=d**-0.5),
                name=f"code_embedding_{j}",
            )
            layer.build((None,))
            self.code_embeddings.append(layer)
        self.code_bias = [
            self.add_weight(shape=(k,), initializer="zeros", name=f"code_bias_{j}")
            for j, k in enumerate(sizes)
        ]
        if self.semantic_ids is not None:
            self.codes.assign(self.semantic_ids.codes)
            self.code_prefixes.assign(self.semantic_ids.prefixes())
            for weight, table in zip(self.tries, self.semantic_ids.trie(), strict=True):
                weight.assign(table)

    def build_layers(self) -> None:
        super().build_layers()
        cfg, m = self.config, len(self.code_shape["sizes"])
        self.level_positions = self.add_weight(
            shape=(m, cfg.dim),
            initializer=keras.initializers.RandomNormal(stddev=cfg.dim**-0.5),
            name="level_positions",
        )
        self.decoder_blocks = []
        for k in range(cfg.decoder_blocks):
            block = TransformerBlock(
                num_heads=cfg.num_heads,
                ff_dim=cfg.dim if cfg.ff_dim is None else cfg.ff_dim,
                dropout=cfg.dropout,
                norm_first=cfg.norm_first,
                causal=True,
                activation=cfg.activation,
                name=f"decoder_block_{k}",
            )
            block.build((None, m, cfg.dim))
            self.decoder_blocks.append(block)
        self.decoder_norm = keras.layers.LayerNormalization(epsilon=1e-6, name="decoder_norm")
        self.decoder_norm.build((None, m, cfg.dim))

    @property
    def code_length(self) -> int:
        """:math:`m`, codes per item (the k-means levels and the collision code)."""
        return len(self.code_shape["sizes"])

    def embed_items(self, ids: Any) -> Any:
        codes = ops.take(self.codes, ids, axis=0)  # (B, L, m)
        return sum(
            self.code_embeddings[j](codes[..., j]) for j in range(self.code_length)
        )  # (B, L, d): e_i = sum_j E_j[c_j(i)]

    def item_table(self) -> Any:
        """The encoder's item vectors :math:`\\sum_j \\mathbf{E}_j[c_j(i)]`, ``(N + 1, d)``."""
        return self.embed_items(ops.arange(self.num_items + 1))

    def output_table(self) -> tuple[Any, Any]:
        raise NotImplementedError("TIGER scores items through its decoder, not an item table")

    def catalogue_weights(self) -> list[Any]:
        """The codes, tries, code vectors and code biases: a code means something only in the
        quantisation of this catalogue."""
        codes = [layer.embeddings for layer in self.code_embeddings]
        return [self.codes, self.code_prefixes, *self.tries, *codes, *self.code_bias]

    def set_trained_items(self, counts: np.ndarray) -> None:
        """Ignored: an item's codes, not a row of its own, represent it."""

    def training_logit_offsets(self) -> None:
        return None

    # -- the decoder ---------------------------------------------------------------------------
    def decode(self, hidden: Any, prefix: Any, training: Any = None) -> Any:
        """Decoder outputs ``(R, j + 1, d)`` for states ``(R, d)`` and code prefixes ``(R, j)``:
        output ``k`` scores code ``k`` (0-based) given the state and the codes before it."""
        tokens = [ops.expand_dims(hidden, 1)]
        for k in range(int(prefix.shape[1])):
            tokens.append(ops.expand_dims(self.code_embeddings[k](prefix[:, k]), 1))
        length = len(tokens)
        if length == 1:  # a second, ignored token: attention over one key is a softmax of one
            tokens.append(ops.zeros_like(tokens[0]))
        z = ops.concatenate(tokens, axis=1)
        z = z + self.level_positions[None, : len(tokens)]
        for block in self.decoder_blocks:
            z = block(z, training=training)  # causal: output k reads tokens 0..k only
        return self.decoder_norm(z)[:, :length]

    def level_logits(self, output: Any, level: int) -> Any:
        """:math:`z_j(c)` for every code ``c`` of level ``level``, from outputs ``(R, d)``."""
        table = self.code_embeddings[level].embeddings  # (K_j, d)
        return ops.matmul(output, ops.transpose(table)) + self.code_bias[level]

    def call(self, inputs: Any, training: Any = None) -> Any:
        """The encoder's hidden states ``(B, L, d)`` (the decoder runs in the loss)."""
        if isinstance(inputs, dict):
            raise ValueError(
                "TIGER trains with its own cross-entropy over codes; use loss='softmax' "
                "(the default), not a sampled loss"
            )
        return self.encode(inputs, training=training)

    def compute_loss(
        self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
        training: bool = True,
    ) -> Any:  # fmt: skip
        r""":math:`-\frac{1}{|T|}\sum_{t \in T} \log p(s_{t+1} \mid \mathbf{h}_t)` over the
        positions with a target (``y > 0``), by teacher forcing."""
        targets = ops.reshape(ops.cast(y, "int32"), (-1,))  # (R,)
        hidden = ops.reshape(y_pred, (-1, self.config.dim))  # (R, d)
        codes = ops.take(self.codes, targets, axis=0)  # (R, m)
        prefixes = ops.take(self.code_prefixes, targets, axis=0)  # (R, m)
        out = self.decode(hidden, codes[:, :-1], training=training)  # (R, m, d)
        nll = 0.0
        for j in range(self.code_length):
            logits = self.level_logits(out[:, j], j)  # (R, K_j)
            valid = ops.take(self.tries[j], prefixes[:, j], axis=0) >= 0
            logits = ops.where(valid, logits, -1e9)
            nll = nll + keras.losses.sparse_categorical_crossentropy(
                codes[:, j], logits, from_logits=True
            )
        weight = ops.cast(targets > 0, nll.dtype)
        return ops.sum(nll * weight) / ops.maximum(ops.sum(weight), 1.0)

    # -- recommending --------------------------------------------------------------------------
    def _last_states(self, h: np.ndarray) -> np.ndarray:
        if not self.built:
            self.build()
        return np.asarray(self.encode(tf.constant(h), training=False)[:, -1, :])

    def generate(
        self, histories: Any, beam: int | None = None, exclude_history: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """The constrained beam search: ``(items, log_p)``, both ``(B, W)``, best first.

        ``items`` are ids ``1..N`` (0 where fewer than :math:`W` items were reachable) and
        ``log_p`` their :math:`\\log p(i \\mid \\mathbf{h})` (:math:`-\\infty` for 0). With
        ``exclude_history`` an item of the history is never emitted.
        """
        width = positive_int(self.config.beam if beam is None else beam, "beam", "generate")
        raw = id_matrix(histories, "histories", "TIGER.generate")
        h = self.prepare_histories(raw, "generate")
        items = np.zeros((len(h), width), np.int32)
        log_p = np.full((len(h), width), -np.inf, np.float32)
        for start in range(0, len(h), SCORE_BATCH):
            rows = slice(start, start + SCORE_BATCH)
            items[rows], log_p[rows] = self._beam(
                self._last_states(h[rows]), raw[rows] if exclude_history else None, width
            )
        return items, log_p

    def _beam(self, hidden: np.ndarray, seen: np.ndarray | None, width: int) -> tuple:
        tries = [np.asarray(t) for t in self.tries]
        b = len(hidden)
        left = None if seen is None else self._unseen_below(seen)
        node = np.zeros((b, 1), np.int64)  # prefix index of each beam
        score = np.zeros((b, 1))  # log p of each beam's prefix
        prefix = np.zeros((b, 1, 0), np.int32)  # the codes so far
        for j in range(self.code_length):
            w = node.shape[1]
            states = np.repeat(hidden, w, axis=0)
            out = self.decode(tf.constant(states), tf.constant(prefix.reshape(b * w, j)))
            child = tries[j][node.reshape(-1)]  # (b w, K): next prefix, or item id; -1 invalid
            log_q = self._valid_log_softmax(out[:, -1], j, child >= 0)  # (b w, K)
            if left is not None:  # a code whose items are all in the history leads nowhere
                rows = np.repeat(np.arange(b), w)[:, None]
                log_q[(left[j][rows, np.maximum(child, 0)] == 0) | (child < 0)] = -np.inf
            total = (score.reshape(-1, 1) + log_q).reshape(b, -1)  # (b, w K)
            keep = min(width, total.shape[1])
            best = np.argsort(-total, axis=1, kind="stable")[:, :keep]
            k = log_q.shape[1]
            parent, code = best // k, best % k
            score = np.take_along_axis(total, best, axis=1)
            node = np.maximum(np.take_along_axis(child.reshape(b, -1), best, axis=1), 0)
            prefix = np.concatenate(
                [np.take_along_axis(prefix, parent[..., None], axis=1), code[..., None]], axis=2
            ).astype(np.int32)
        items = np.where(np.isfinite(score), node, 0)
        pad = width - items.shape[1]
        items = np.pad(items, ((0, 0), (0, pad)))
        score = np.pad(score, ((0, 0), (0, pad)), constant_values=-np.inf)
        return items, score.astype(np.float32)

    def _valid_log_softmax(self, output: Any, level: int, valid: np.ndarray) -> np.ndarray:
        """:math:`\\log p(c \\mid \\mathbf{h}, c_{<j})` of every code of ``level`` (float64),
        normalised over the ``valid`` codes of each row; invalid codes get :math:`-\\infty`."""
        logits = np.asarray(self.level_logits(output, level), np.float64)
        logits[~valid] = -np.inf
        peak = logits.max(axis=1, keepdims=True)
        return logits - peak - np.log(np.exp(logits - peak).sum(axis=1, keepdims=True))

    def _unseen_below(self, seen: np.ndarray) -> list[np.ndarray]:
        """For each level ``j``, ``(B, P_{j+1})``: how many items outside each history lie
        below each prefix of length ``j + 1`` (the last level: 1 for an unseen item, per id)."""
        from scipy import sparse

        b, n = len(seen), self.num_items
        unseen = np.ones((b, n + 1), np.float32)
        unseen[np.arange(b)[:, None], seen] = 0.0
        unseen[:, 0] = 0.0
        prefixes = np.asarray(self.code_prefixes)[1:]
        out = []
        for j in range(1, self.code_length):
            groups = prefixes[:, j]
            member = sparse.csr_matrix(
                (np.ones(n, np.float32), (np.arange(n), groups)), shape=(n, groups.max() + 1)
            )
            out.append(np.asarray(member.T.dot(unseen[:, 1:].T).T))
        out.append(unseen)
        return out

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """``(B, N + 1)``: the beam's items get :math:`\\log p(i \\mid \\mathbf{h})`, every other
        item (and column 0) :math:`-\\infty`: not generated, ranked below every generated one."""
        return _TIGERScorer(self, None, False).score(histories)

    def scorer(self, beam: int | None = None, exact: bool = False) -> Scorer:
        """A :class:`~reclab.models.Scorer` that ranks by a beam of width ``beam`` (default
        ``config.beam``) or, with ``exact``, by :meth:`log_probabilities` (every item)."""
        if beam is not None:
            positive_int(beam, "beam", "TIGER.scorer")
        return _TIGERScorer(self, beam, exact)

    def log_probabilities(self, histories: Any) -> np.ndarray:
        """Exact :math:`\\log p(i \\mid \\mathbf{h})` of every item, ``(B, N + 1)`` (column 0
        :math:`-\\infty`), by teacher-forcing all :math:`N` codes: :math:`B N` decoder runs, for
        small catalogues and for checking the beam."""
        h = self.prepare_histories(histories, "log_probabilities")
        hidden = self._last_states(h)
        codes = np.asarray(self.codes)[1:]
        prefixes = np.asarray(self.code_prefixes)[1:]
        out = np.full((len(h), self.num_items + 1), -np.inf, np.float32)
        for u, state in enumerate(hidden):
            states = np.repeat(state[None], self.num_items, axis=0)
            dec = self.decode(tf.constant(states), tf.constant(codes[:, :-1]))
            total = np.zeros(self.num_items)
            for j in range(self.code_length):
                valid = np.asarray(self.tries[j])[prefixes[:, j]] >= 0
                log_q = self._valid_log_softmax(dec[:, j], j, valid)
                total += log_q[np.arange(self.num_items), codes[:, j]]
            out[u, 1:] = total
        return out


@dataclass(frozen=True)
class _TIGERScorer:
    """:meth:`TIGER.scorer`: the model's scores with another beam, or exact."""

    model: TIGER
    beam: int | None
    exact: bool
    reads = "histories"

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        if self.exact:
            return self.model.log_probabilities(histories)
        items, log_p = self.model.generate(histories, beam=self.beam)
        out = np.full((len(items), self.model.num_items + 1), -np.inf, np.float32)
        rows = np.repeat(np.arange(len(items)), items.shape[1])
        ok = items.reshape(-1) > 0
        out[rows[ok], items.reshape(-1)[ok]] = log_p.reshape(-1)[ok]
        return out
