"""Models: embeddings, attention, sequence encoders and the scoring of the catalogue.

Every model scores the whole catalogue for the next item from a history, so evaluation and
recommendation never special-case a model; :data:`MODELS` (``reclab.models.registry``) lists
every model the book trains by name, for :func:`reclab.training.fit` and the command line.

Attention pieces (chapter "Attention, from the formula up"): additive attention pooling
(:func:`additive_attention`, :class:`AdditiveAttentionPooling`), scaled dot-product and multi-head
attention (:func:`scaled_dot_product_attention`, :func:`multi_head_attention`), boolean masks with
True = attend (:func:`padding_mask`, :func:`causal_mask`, :func:`attention_mask`), position
embeddings (:class:`LearnedPositionEmbedding`, :class:`SinusoidalPositionEmbedding`), a
:class:`TransformerBlock`, and HSTU's pointwise attention (:func:`hstu_attention`,
:class:`HSTUBlock`; Zhai et al., 2024).

Sequence models, trained by :func:`reclab.training.fit`:
:class:`GRU4Rec`, :class:`SASRec` (causal, next item) and :class:`BERT4Rec` (bidirectional,
trained on hidden items; the cloze pipeline is :func:`reclab.data.cloze_dataset`), and
:class:`TIGER` (generative retrieval: it writes the next item's semantic id code by code; the codes
are :func:`residual_kmeans` of item vectors, :class:`SemanticIds`).
"""

from __future__ import annotations

from reclab.models.additive_attention import AdditiveAttentionPooling, additive_attention
from reclab.models.attention import masked_softmax, scaled_dot_product_attention
from reclab.models.base import Scorer, check_scores, coerce_config, score_fn
from reclab.models.baselines import MarkovChain, Popularity
from reclab.models.bert4rec import BERT4Rec, BERT4RecConfig
from reclab.models.content import ITEM_FEATURES, ItemContentTower
from reclab.models.gru4rec import GRU4Rec, GRU4RecConfig, gru_step
from reclab.models.hstu import HSTUBlock, hstu_attention
from reclab.models.masks import attention_mask, causal_mask, padding_mask
from reclab.models.matrix_factorization import MatrixFactorization, MatrixFactorizationConfig
from reclab.models.multi_head import multi_head_attention
from reclab.models.neumf import NeuMF, NeuMFConfig
from reclab.models.next_item import IncompatibleModelError, NextItemModel
from reclab.models.positions import (
    LearnedPositionEmbedding,
    SinusoidalPositionEmbedding,
    sinusoidal_positions,
)
from reclab.models.registry import MODELS, ModelSpec, build_model, model_spec, register_model
from reclab.models.sasrec import SASRec, SASRecConfig
from reclab.models.scoring import dot_scores, shared_candidate_logits
from reclab.models.semantic_ids import (
    SemanticIds,
    content_vectors,
    cooccurrence_vectors,
    quantise,
    residual_kmeans,
)
from reclab.models.tiger import TIGER, TIGERConfig
from reclab.models.transformer import TransformerBlock
from reclab.models.user_item import UserItemModel

__all__ = [
    "ITEM_FEATURES",
    "MODELS",
    "TIGER",
    "AdditiveAttentionPooling",
    "BERT4Rec",
    "BERT4RecConfig",
    "GRU4Rec",
    "GRU4RecConfig",
    "HSTUBlock",
    "IncompatibleModelError",
    "ItemContentTower",
    "LearnedPositionEmbedding",
    "MarkovChain",
    "MatrixFactorization",
    "MatrixFactorizationConfig",
    "ModelSpec",
    "NeuMF",
    "NeuMFConfig",
    "NextItemModel",
    "Popularity",
    "SASRec",
    "SASRecConfig",
    "Scorer",
    "SemanticIds",
    "SinusoidalPositionEmbedding",
    "TIGERConfig",
    "TransformerBlock",
    "UserItemModel",
    "additive_attention",
    "attention_mask",
    "build_model",
    "causal_mask",
    "check_scores",
    "coerce_config",
    "content_vectors",
    "cooccurrence_vectors",
    "dot_scores",
    "gru_step",
    "hstu_attention",
    "masked_softmax",
    "model_spec",
    "multi_head_attention",
    "padding_mask",
    "quantise",
    "register_model",
    "residual_kmeans",
    "scaled_dot_product_attention",
    "score_fn",
    "shared_candidate_logits",
    "sinusoidal_positions",
]
