"""Neural collaborative filtering: GMF, the MLP tower and their fusion NeuMF (He et al., 2017).

He, Liao, Zhang, Nie, Hu and Chua, "Neural Collaborative Filtering", WWW 2017, section 3.
Three members of one family, chosen by :attr:`NeuMFConfig.variant`:

- ``"gmf"`` (eq. 9): :math:`\\hat{y}_{ui} = \\mathbf{h}^\\top
  (\\mathbf{p}^G_u \\odot \\mathbf{e}^G_i)`, matrix factorisation with a learned weighting
  of the factors;
- ``"mlp"`` (eq. 10): the concatenation :math:`[\\mathbf{p}^M_u; \\mathbf{e}^M_i]` through
  ReLU layers (the input layer, hidden layers and output layer of the "deep neural network");
- ``"neumf"`` (eqs. 11-12): both, with separate embeddings, concatenated before the output.

Deliberate differences from the paper and its official code
(github.com/hexiangnan/neural_collaborative_filtering): the model returns the *logit*
:math:`\\mathbf{h}^\\top[\\cdot]` and the loss applies the sigmoid or softmax (numerically
safer); no pre-training of NeuMF from GMF and MLP (the paper's section 3.4.1, an optional
step); the loss is any candidate loss from :mod:`reclab.losses` (the paper's is binary
cross-entropy with 4 negatives per positive, :class:`reclab.losses.SampledBinaryCrossEntropy`);
evaluation ranks the whole catalogue instead of 100 sampled negatives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from reclab.checks import fraction, number_at_least, one_of, positive_int, positive_number
from reclab.formulas import implements
from reclab.models.base import check_scores
from reclab.models.user_item import UserItemModel

__all__ = ["NeuMF", "NeuMFConfig"]

VARIANTS = ("gmf", "mlp", "neumf")


@dataclass(frozen=True)
class NeuMFConfig:
    """Hyper-parameters of :class:`NeuMF`; the defaults are the paper's official code's.

    Attributes:
        variant: ``"gmf"``, ``"mlp"`` or ``"neumf"`` (default).
        mf_dim: length of the GMF embeddings :math:`\\mathbf{p}^G_u, \\mathbf{e}^G_i`.
            Default 8 (the paper's "predictive factors" 8; it also reports 16, 32, 64).
        mlp_layers: widths of the MLP tower, input first: ``mlp_layers[0]`` is the length of
            the concatenation :math:`[\\mathbf{p}^M_u; \\mathbf{e}^M_i]` (each embedding has
            half of it) and each later width is a ReLU layer. Default ``(64, 32, 16, 8)``, the
            official code's (a tower that halves, ending in the predictive factors).
        dropout: dropout rate after each hidden ReLU layer during training. Default 0.0 (the
            paper uses none).
        l2: weight of an L2 penalty on the batch's embeddings. Default 0.0 (the paper's code
            defaults to 0).
        init_stddev: standard deviation of the normal initialiser of the embeddings. Default
            0.01 (the paper: "Gaussian distribution (with a mean of 0 and standard deviation
            of 0.01)").
    """

    variant: str = "neumf"
    mf_dim: int = 8
    mlp_layers: tuple[int, ...] = (64, 32, 16, 8)
    dropout: float = 0.0
    l2: float = 0.0
    init_stddev: float = 0.01

    def __post_init__(self) -> None:
        where = "NeuMFConfig"
        one_of(self.variant, VARIANTS, "variant", where)
        positive_int(self.mf_dim, "mf_dim", where)
        layers = tuple(self.mlp_layers)
        if self.variant != "gmf":
            for width in layers:
                positive_int(width, "mlp_layers", where)
            if len(layers) < 2 or layers[0] % 2:
                raise ValueError(
                    f"{where}: mlp_layers must hold at least two positive integer widths with "
                    f"an even first width (two halves: user and item), got {self.mlp_layers!r}"
                )
        object.__setattr__(self, "mlp_layers", tuple(int(w) for w in layers))  # JSON lists
        fraction(self.dropout, "dropout", where)
        number_at_least(self.l2, 0.0, "l2", where)
        positive_number(self.init_stddev, "init_stddev", where)


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-gmf", "eq-ncf-mlp", "eq-neumf")
class NeuMF(UserItemModel):
    """GMF, MLP or NeuMF: a learned function of a user's and an item's embeddings.

    .. math::
        \\hat{y}_{ui} = \\mathbf{h}^\\top \\begin{bmatrix}
            \\mathbf{p}^G_u \\odot \\mathbf{e}^G_i \\\\
            \\mathbf{z}_L
        \\end{bmatrix}, \\qquad
        \\mathbf{z}_\\ell = \\mathrm{ReLU}(\\mathbf{W}_\\ell \\mathbf{z}_{\\ell-1}
            + \\mathbf{b}_\\ell), \\quad
        \\mathbf{z}_0 = [\\mathbf{p}^M_u; \\mathbf{e}^M_i]

    (GMF keeps only the first block, MLP only the second.) ``call`` takes
    ``{"user": (B,), "item": (B,) or (B, C)}`` and returns logits of the shape of ``item``.
    :meth:`score` implements :class:`reclab.models.Scorer` and needs ``users``; it runs the
    network on every (user, item) pair, in chunks of users. Training with a full softmax would
    run it on every item for every event, so NeuMF trains with sampled objectives only.

    Args:
        num_users: :math:`U`; user ids are ``1..U`` (0 unused).
        num_items: :math:`N`; item ids are ``1..N``, 0 is padding.
        config: a :class:`NeuMFConfig` (or its fields as a dict).

    Example:
        >>> model = NeuMF(3, 5, NeuMFConfig(mlp_layers=(8, 4)))
        >>> model({"user": np.array([1, 2]), "item": np.array([[1, 2, 3], [4, 5, 1]])}).shape
        TensorShape([2, 3])
        >>> model.score(np.zeros((2, 1), int), users=np.array([1, 3])).shape
        (2, 6)
    """

    config_class = NeuMFConfig

    @staticmethod
    def parameter_count(num_items: int, num_users: int, config: NeuMFConfig) -> int:
        """The number of weights, from the configuration alone."""
        rows = (num_users + 1) + (num_items + 1)
        total, width = 0, 0
        if config.variant in ("gmf", "neumf"):
            total, width = rows * config.mf_dim, config.mf_dim
        if config.variant in ("mlp", "neumf"):
            layers = config.mlp_layers
            total += rows * (layers[0] // 2)
            total += sum(a * b + b for a, b in itertools.pairwise(layers))
            width += layers[-1]
        return total + width + 1  # the output layer h and its bias

    #: A full softmax would run the network on every item for every event.
    supports_full_softmax = False

    @property
    def use_gmf(self) -> bool:
        return self.config.variant in ("gmf", "neumf")

    @property
    def use_mlp(self) -> bool:
        return self.config.variant in ("mlp", "neumf")

    def build_layers(self) -> None:
        """Create the layers (done by :func:`reclab.training.fit` after seeding, or on use)."""
        config = self.config
        init = keras.initializers.RandomNormal(stddev=config.init_stddev)
        users, items = self.num_users + 1, self.num_items + 1
        width = 0
        if self.use_gmf:
            self.gmf_user = keras.layers.Embedding(
                users, config.mf_dim, embeddings_initializer=init, name="P_gmf"
            )  # (U + 1, d_G)
            self.gmf_item = keras.layers.Embedding(
                items, config.mf_dim, embeddings_initializer=init, name="Q_gmf"
            )  # (N + 1, d_G)
            self.gmf_user.build()
            self.gmf_item.build()
            width += config.mf_dim
        self.hidden: list[keras.layers.Layer] = []
        self.dropouts: list[keras.layers.Layer] = []
        if self.use_mlp:
            half = config.mlp_layers[0] // 2
            self.mlp_user = keras.layers.Embedding(
                users, half, embeddings_initializer=init, name="P_mlp"
            )  # (U + 1, d_0 / 2)
            self.mlp_item = keras.layers.Embedding(
                items, half, embeddings_initializer=init, name="Q_mlp"
            )  # (N + 1, d_0 / 2)
            self.mlp_user.build()
            self.mlp_item.build()
            previous = config.mlp_layers[0]
            for k, units in enumerate(config.mlp_layers[1:], start=1):
                layer = keras.layers.Dense(units, activation="relu", name=f"hidden_{k}")
                layer.build((None, previous))
                self.hidden.append(layer)
                self.dropouts.append(keras.layers.Dropout(config.dropout, name=f"dropout_{k}"))
                previous = units
            width += previous
        self.output_layer = keras.layers.Dense(
            1, kernel_initializer="lecun_uniform", name="h"
        )  # h: (width, 1)
        self.output_layer.build((None, width))

    def call(self, inputs: dict[str, Any], training: bool = False) -> Any:
        if "item" not in inputs:
            raise ValueError(
                "NeuMF: inputs need 'item' ids (B,) or (B, C): NeuMF scores (user, item) pairs "
                "with a network, so it trains with sampled objectives (bce, bpr, "
                "sampled-softmax, gbce), not with the full softmax"
            )
        users, items = inputs["user"], inputs["item"]
        single = len(items.shape) == 1
        if single:
            items = ops.expand_dims(items, -1)  # (B, 1)
        ones = ops.ones_like(ops.cast(items, "float32"))[..., None]  # (B, C, 1)
        parts, penalty = [], 0.0
        if self.use_gmf:
            p = self.gmf_user(users)[:, None, :]  # (B, 1, d_G)
            q = self.gmf_item(items)  # (B, C, d_G)
            parts.append(p * q)  # (B, C, d_G)
            penalty = penalty + ops.mean(ops.sum(ops.square(p), -1) + ops.sum(ops.square(q), -1))
        if self.use_mlp:
            p = self.mlp_user(users)[:, None, :] * ones  # (B, C, d_0 / 2)
            q = self.mlp_item(items)  # (B, C, d_0 / 2)
            z = ops.concatenate([p, q], axis=-1)  # (B, C, d_0)
            penalty = penalty + ops.mean(ops.sum(ops.square(p), -1) + ops.sum(ops.square(q), -1))
            for layer, dropout in zip(self.hidden, self.dropouts, strict=True):
                z = dropout(layer(z), training=training)  # (B, C, d_l)
            parts.append(z)
        features = parts[0] if len(parts) == 1 else ops.concatenate(parts, axis=-1)
        logits = ops.squeeze(self.output_layer(features), -1)  # (B, C)
        if training and self.config.l2 > 0:
            self.add_loss(self.config.l2 * penalty)
        return ops.squeeze(logits, -1) if single else logits

    def score(
        self,
        histories: np.ndarray | None,
        users: np.ndarray | None = None,
        *,
        chunk_pairs: int = 1_000_000,
    ) -> np.ndarray:
        """``(B, N + 1)``: the logit of every item for each user; column 0 ``-inf``.

        ``histories`` is accepted for the :class:`~reclab.models.Scorer` interface (only its
        length is checked). ``chunk_pairs`` bounds the (user, item) pairs per forward pass.
        """
        users = self.check_users(histories, users).astype(np.int32)
        n_ids = self.num_items + 1
        rows = max(1, chunk_pairs // n_ids)
        all_items = np.arange(n_ids, dtype=np.int32)[None, :]  # (1, N + 1)
        out = np.empty((len(users), n_ids), dtype=np.float32)
        for start in range(0, len(users), rows):
            chunk = users[start : start + rows]  # (b,)
            items = np.repeat(all_items, len(chunk), axis=0)  # (b, N + 1)
            out[start : start + rows] = ops.convert_to_numpy(
                self({"user": chunk, "item": items}, training=False)
            )
        out[:, 0] = -np.inf
        return check_scores(out, len(users), self.num_items, "NeuMF.score")
