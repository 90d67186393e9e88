"""Models: embeddings, attention, sequence encoders and the scoring of the catalogue.

Every model scores the whole catalogue for the next item from a history, so evaluation and
recommendation never special-case a model.

Attention pieces (chapter "Attention, from the formula up"): additive attention pooling
(:func:`additive_attention`, :class:`AdditiveAttentionPooling`), scaled dot-product and multi-head
attention (:func:`scaled_dot_product_attention`, :func:`multi_head_attention`), boolean masks with
True = attend (:func:`padding_mask`, :func:`causal_mask`, :func:`attention_mask`), position
embeddings (:class:`LearnedPositionEmbedding`, :class:`SinusoidalPositionEmbedding`) and a
:class:`TransformerBlock`.
"""

from __future__ import annotations

from reclab.models.additive_attention import AdditiveAttentionPooling, additive_attention
from reclab.models.attention import masked_softmax, scaled_dot_product_attention
from reclab.models.base import Scorer, check_scores, score_fn
from reclab.models.masks import attention_mask, causal_mask, padding_mask
from reclab.models.multi_head import multi_head_attention
from reclab.models.positions import (
    LearnedPositionEmbedding,
    SinusoidalPositionEmbedding,
    sinusoidal_positions,
)
from reclab.models.scoring import dot_scores
from reclab.models.transformer import TransformerBlock

__all__ = [
    "AdditiveAttentionPooling",
    "LearnedPositionEmbedding",
    "Scorer",
    "SinusoidalPositionEmbedding",
    "TransformerBlock",
    "additive_attention",
    "attention_mask",
    "causal_mask",
    "check_scores",
    "dot_scores",
    "masked_softmax",
    "multi_head_attention",
    "padding_mask",
    "scaled_dot_product_attention",
    "score_fn",
    "sinusoidal_positions",
]
