r"""What the trained sequence models share: an encoder of histories and a dot-product output layer.

A next-item model maps a left-padded history :math:`(s_1, \dots, s_L)` to hidden states
:math:`\mathbf{h}_1, \dots, \mathbf{h}_L` and scores item :math:`i` after position :math:`t` with
:math:`s_t(i) = \mathbf{h}_t^\top \mathbf{w}_i + b_i` (:func:`reclab.models.dot_scores` plus an
optional item bias). Subclasses (:class:`~reclab.models.SASRec`, :class:`~reclab.models.GRU4Rec`,
:class:`~reclab.models.BERT4Rec`) implement only :meth:`NextItemModel.encode` and
:meth:`NextItemModel.output_table`.

Calling the model gives what the losses of :mod:`reclab.losses` take:

* ``model(inputs)`` with ``inputs`` ``(B, L)`` item ids: logits of *every* item id at every
  position, ``(B, L, N + 1)`` (for :class:`~reclab.losses.FullSoftmaxCrossEntropy`);
* ``model({"inputs": ..., "candidates": ...})`` with candidates ``(B, L, C)``: logits of those
  candidates only, ``(B, L, C)`` (for the sampled losses; column 0 the positive);
* ``model({"inputs": ..., "positives": (B, L), "negatives": (M,)})``: logits ``(B, L, 1 + M)``
  of each position's positive and of negatives shared by the batch
  (:func:`reclab.models.shared_candidate_logits`).

:meth:`NextItemModel.score` implements the :class:`~reclab.models.Scorer` protocol. The saved
configuration carries ``num_items``, an optional catalogue fingerprint and the reclab version, so
:func:`reclab.recommend.load_model` can refuse a file made for another catalogue or version.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

import reclab
from reclab.checks import id_matrix, integer_at_least
from reclab.models.base import coerce_config
from reclab.models.scoring import dot_scores, shared_candidate_logits

__all__ = ["IncompatibleModelError", "NextItemModel"]

#: Histories scored at once by :meth:`NextItemModel.score`.
SCORE_BATCH = 512


class IncompatibleModelError(ValueError):
    """A saved model that this version of reclab or this catalogue cannot use."""


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def check_version(saved: str | None, where: str) -> None:
    """Raise :class:`IncompatibleModelError` unless ``saved`` has this reclab's major.minor."""
    if saved is None or _major_minor(saved) != _major_minor(reclab.__version__):
        raise IncompatibleModelError(
            f"{where}: the model was saved by reclab {saved!r}, but this is reclab "
            f"{reclab.__version__}; retrain it, or load it with reclab {saved}"
        )


class NextItemModel(keras.Model):
    """Base class: histories ``(B, L)`` -> hidden states ``(B, L, d)`` -> item logits.

    A subclass sets :attr:`config_class` (a frozen dataclass with a ``max_len`` field) and
    implements :meth:`build_layers`, :meth:`encode` and :meth:`output_table`; construction,
    configuration, saving and scoring are shared.

    Args:
        num_items: :math:`N`; item ids are ``1..N`` and 0 is padding.
        config: the subclass's configuration, a dict of its fields, or ``None`` (defaults);
            its ``max_len`` is :math:`L`, the longest history the model reads (longer ones keep
            their latest :math:`L` items).
        catalogue: an optional fingerprint of the item catalogue (see
            :func:`reclab.recommend.catalogue_fingerprint`), checked when the model is loaded.
        reclab_version: the version that built the model (set automatically; a saved model
            from another major.minor version refuses to load).
    """

    #: The frozen dataclass that configures a subclass (each subclass sets its own).
    config_class: type = object
    #: Sequence models learn from histories (see :class:`~reclab.models.Scorer`).
    reads = "histories"
    #: What :func:`reclab.training.fit` trains it to predict: ``"next-item"`` (causal windows,
    #: :func:`reclab.data.causal_dataset`) or ``"cloze"`` (hidden items,
    #: :func:`reclab.data.cloze_dataset`; :class:`~reclab.models.BERT4Rec`).
    task = "next-item"
    #: While :func:`reclab.training.fit` trains the model with differential privacy, a
    #: :class:`reclab.privacy.PrivateTraining`; ``None`` otherwise (Keras' own step).
    private_training: Any = None
    #: While :func:`reclab.training.distill` trains the model on a teacher's scores, a
    #: ``reclab.training.distillation.Distillation`` (the teacher, temperature and weight);
    #: ``None`` otherwise.
    distillation: Any = None

    @classmethod
    def resolve_config(cls, config: Any) -> Any:
        """The subclass's config from ``None``, a dict of fields or an instance
        (:func:`reclab.models.coerce_config`)."""
        return coerce_config(cls.config_class, config, cls.__name__)

    def __init__(
        self,
        num_items: int,
        config: Any = None,
        *,
        catalogue: str | None = None,
        reclab_version: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("name", type(self).__name__.lower())
        super().__init__(**kwargs)
        name = type(self).__name__
        self.config = type(self).resolve_config(config)
        self.num_items = integer_at_least(num_items, 2, "num_items", name)
        self.max_len = integer_at_least(self.config.max_len, 1, "max_len", name)
        if reclab_version is not None:
            check_version(reclab_version, name)
        self.catalogue = catalogue

    # -- what a subclass implements ---------------------------------------------------------
    def encode(self, inputs: Any, training: Any = None) -> Any:
        """Hidden states ``(B, L, d)`` for item ids ``(B, L)``, left-padded with 0."""
        raise NotImplementedError

    def output_table(self) -> tuple[Any, Any | None]:
        """The output item vectors ``(N + 1, d)`` and an optional bias ``(N + 1,)``."""
        raise NotImplementedError

    def build_layers(self) -> None:
        """Create and build every layer (called by :meth:`build`)."""
        raise NotImplementedError

    def training_logit_offsets(self) -> Any:
        """``(N + 1,)`` offsets added to every item's logit in training, or ``None`` (none).

        A model whose catalogue holds items absent from training (the cold-start protocol)
        returns a large negative offset for them, so the training softmax leaves them out.
        """
        return None

    # -- Keras plumbing ----------------------------------------------------------------------
    def catalogue_weights(self) -> list[Any]:
        """The weights with a row per item of this catalogue (item tables, output biases).

        :func:`reclab.training.transfer_weights` copies every other weight to a model for
        another catalogue. A model class that can be fine-tuned overrides this.
        """
        raise TypeError(
            f"{type(self).__name__} does not declare which of its weights belong to its "
            "catalogue, so its weights cannot be transferred to another catalogue"
        )

    def build(self, input_shape: Any = None) -> None:
        self.build_layers()
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        candidates = negatives = None
        if isinstance(inputs, dict):
            candidates, negatives = inputs.get("candidates"), inputs.get("negatives")
            positives = inputs.get("positives")
            inputs = inputs["inputs"]
        hidden = self.encode(inputs, training=training)  # (B, L, d)
        table, bias = self.output_table()  # (N + 1, d), (N + 1,)
        if training:  # items absent from training are left out of the training softmax
            offsets = self.training_logit_offsets()
            if offsets is not None:
                bias = offsets if bias is None else bias + offsets
        if negatives is not None:  # one set of M negatives for the batch
            return shared_candidate_logits(hidden, table, bias, positives, negatives)
        if candidates is None:
            logits = dot_scores(hidden, table)  # (B, L, N + 1)
            return logits if bias is None else logits + bias
        candidates = ops.cast(candidates, "int32")  # (B, L, C)
        vectors = ops.take(table, candidates, axis=0)  # (B, L, C, d)
        logits = ops.einsum("bld,blcd->blc", hidden, vectors)  # (B, L, C)
        return logits if bias is None else logits + ops.take(bias, candidates, axis=0)

    def train_step(self, data: Any) -> Any:
        """Keras' training step, DP-SGD's while :attr:`private_training` is set
        (:func:`reclab.privacy.private_train_step`), or distillation's while
        :attr:`distillation` is (``reclab.training.distillation.distillation_train_step``, the
        step :func:`reclab.training.distill` runs)."""
        if self.private_training is not None:
            from reclab.privacy.dpsgd import private_train_step

            return private_train_step(self, data, self.private_training)
        if self.distillation is not None:
            from reclab.training.distillation import distillation_train_step

            return distillation_train_step(self, data, self.distillation)
        logs = super().train_step(data)
        if self._distribute_strategy is None:
            return logs
        from reclab.training.distribute import replica_logs

        return replica_logs(logs, self.distribute_strategy)

    def _maybe_symbolic_build(self, iterator: Any = None, data_batch: Any = None) -> None:
        """Keras' build from one batch before training, for a model made in a strategy's scope.

        Keras 3.15 averages that batch across replicas with one ``strategy.reduce`` of the whole
        ``(inputs, targets)`` structure, which ``MultiWorkerMirroredStrategy`` refuses; building
        needs only shapes, so this builds from the first local replica's part instead.
        """
        if self._distribute_strategy is None:
            return
        from reclab.training.distribute import local_batch

        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = local_batch(next(batches), self.distribute_strategy)
                break
        with self.distribute_strategy.scope():
            self._symbolic_build(data_batch=data_batch)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "num_items": self.num_items,
            "config": asdict(self.config),
            "catalogue": self.catalogue,
            "reclab_version": reclab.__version__,
        }

    def get_build_config(self) -> dict[str, Any]:
        return {"input_shape": [None, self.max_len]}

    def build_from_config(self, config: dict[str, Any]) -> None:
        self.build(config.get("input_shape"))

    # -- the Scorer protocol -----------------------------------------------------------------
    def prepare_histories(self, histories: Any, where: str = "score") -> np.ndarray:
        """Histories as ``(B, max_len)`` int32: the latest ``max_len`` items, left-padded."""
        h = id_matrix(histories, "histories", f"{type(self).__name__}.{where}")
        if h.size and h.max() > self.num_items:
            raise ValueError(
                f"{type(self).__name__}.{where}: histories hold ids outside 0..{self.num_items} "
                f"(min {h.min()}, max {h.max()}); encode them with the training id mapping"
            )
        if h.shape[1] >= self.max_len:
            return h[:, h.shape[1] - self.max_len :].astype(np.int32)
        pad = np.zeros((len(h), self.max_len - h.shape[1]), np.int32)
        return np.concatenate([pad, h.astype(np.int32)], axis=1)

    def model_inputs(self, histories: Any) -> Any:
        """The model's input ids for left-padded histories ``(B, max_len)``, as a tensor.

        The graph counterpart of :meth:`prepare_histories` (which also truncates and pads, in
        NumPy): the identity here; :class:`~reclab.models.BERT4Rec` drops the oldest item and
        appends its mask token. An exported serving function calls it inside its graph.
        """
        return ops.cast(histories, "int32")

    def _last_logits(self, inputs: Any) -> Any:
        hidden = self.encode(inputs, training=False)[:, -1, :]  # (B, d): the latest position
        table, bias = self.output_table()
        logits = dot_scores(hidden, table)  # (B, N + 1)
        return logits if bias is None else logits + bias

    def score(self, histories: np.ndarray, users: np.ndarray | None = None) -> np.ndarray:
        """Scores ``(B, N + 1)`` of every item id after each history; column 0 is ``-inf``.

        ``users`` is ignored (the history is the whole input). Histories longer than
        ``max_len`` keep their latest ``max_len`` items.
        """
        h = self.prepare_histories(histories)
        if not self.built:
            self.build()
        out = np.empty((len(h), self.num_items + 1), np.float32)
        for start in range(0, len(h), SCORE_BATCH):
            # Eager on purpose: a tf.function per model retraces for every new model, and TF
            # warns about "excessive retracing" when a notebook trains several.
            out[start : start + SCORE_BATCH] = self._last_logits(
                tf.constant(h[start : start + SCORE_BATCH])
            ).numpy()
        out[:, 0] = -np.inf
        return out
