"""Models: embeddings, attention, sequence encoders and the scoring of the catalogue.

Every model scores the whole catalogue for the next item from a history, so evaluation and
recommendation never special-case a model.
"""

from __future__ import annotations

from reclab.models.scoring import dot_scores

__all__ = ["dot_scores"]
