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

import dataclasses
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops

from reclab.formulas import implements
from reclab.models.base import check_scores

__all__ = ["NeuMF", "NeuMFConfig"]

VARIANTS = ("gmf", "mlp", "neumf")


@dataclass(frozen=True)
class NeuMFConfig:
    """Hyper-parameters of :class:`NeuMF`; the defaults are the paper's official code's.

    Attributes:
        num_users: :math:`U`; user ids are ``1..U`` (0 unused).
        num_items: :math:`N`; item ids are ``1..N``, 0 is padding.
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

    num_users: int
    num_items: int
    variant: str = "neumf"
    mf_dim: int = 8
    mlp_layers: tuple[int, ...] = (64, 32, 16, 8)
    dropout: float = 0.0
    l2: float = 0.0
    init_stddev: float = 0.01

    def __post_init__(self) -> None:
        where = "NeuMFConfig"
        for name in ("num_users", "num_items", "mf_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
        if self.variant not in VARIANTS:
            raise ValueError(f"{where}: variant must be one of {VARIANTS}, got {self.variant!r}")
        layers = tuple(int(w) for w in self.mlp_layers)
        if self.variant != "gmf" and (
            len(layers) < 2 or min(layers) < 1 or layers[0] % 2 or layers != tuple(self.mlp_layers)
        ):
            raise ValueError(
                f"{where}: mlp_layers must hold at least two positive integer widths with an "
                f"even first width (two halves: user and item), got {self.mlp_layers!r}"
            )
        object.__setattr__(self, "mlp_layers", layers)  # a list from JSON becomes a tuple
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"{where}: dropout must be in [0, 1), got {self.dropout!r}")
        if not (np.isfinite(self.l2) and self.l2 >= 0):
            raise ValueError(f"{where}: l2 must be a finite number >= 0, got {self.l2!r}")
        if not (np.isfinite(self.init_stddev) and self.init_stddev > 0):
            raise ValueError(f"{where}: init_stddev must be > 0, got {self.init_stddev!r}")


@keras.saving.register_keras_serializable(package="reclab")
@implements("eq-gmf", "eq-ncf-mlp", "eq-neumf")
class NeuMF(keras.Model):
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
    network on every (user, item) pair, in chunks of users.

    Example:
        >>> model = NeuMF(NeuMFConfig(num_users=3, num_items=5, mlp_layers=(8, 4)))
        >>> model({"user": np.array([1, 2]), "item": np.array([[1, 2, 3], [4, 5, 1]])}).shape
        TensorShape([2, 3])
        >>> model.score(np.zeros((2, 1), int), users=np.array([1, 3])).shape
        (2, 6)
    """

    def __init__(self, config: NeuMFConfig | dict | None = None, **kwargs: Any) -> None:
        base_kwargs = {k: kwargs.pop(k) for k in ("name", "trainable", "dtype") if k in kwargs}
        if config is None:
            config = NeuMFConfig(**kwargs)
        elif isinstance(config, dict):
            config = NeuMFConfig(**config)
        elif kwargs:
            raise TypeError(f"NeuMF: unexpected arguments {sorted(kwargs)}")
        super().__init__(**base_kwargs)
        self.config = config
        self.num_items = config.num_items
        init = keras.initializers.RandomNormal(stddev=config.init_stddev)
        users, items = config.num_users + 1, config.num_items + 1
        self.use_gmf = config.variant in ("gmf", "neumf")
        self.use_mlp = config.variant in ("mlp", "neumf")
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
        if users is None:
            raise ValueError(
                "NeuMF.score: users is required (a (B,) array of user ids); use "
                "reclab.models.score_fn(model, with_users=True) with the evaluators"
            )
        users = np.asarray(users).astype(np.int32).reshape(-1)
        if histories is not None and len(histories) != len(users):
            raise ValueError(f"NeuMF.score: {len(histories)} histories but {len(users)} users")
        if users.size and (users.min() < 0 or users.max() > self.config.num_users):
            raise ValueError(f"NeuMF.score: user ids must be in [0, {self.config.num_users}]")
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

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "config": dataclasses.asdict(self.config)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> NeuMF:
        return cls(**config)
