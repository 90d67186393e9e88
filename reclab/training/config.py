"""How a model is trained: one frozen configuration, validated when it is made, the paper's values
named.

The configuration holds what the user chose; ``None`` means "the objective's default" (see
:mod:`reclab.training.objectives`). What a run actually used (negatives, proposal, XLA) is
recorded in its :class:`~reclab.training.TrainingHistory`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from reclab.checks import (
    non_negative_int,
    number_at_least,
    one_of,
    positive_int,
    positive_number,
)
from reclab.data.negatives import NEGATIVE_SHARING
from reclab.privacy.config import PrivacyConfig
from reclab.training.objectives import SAMPLINGS, objective

__all__ = ["LR_SCHEDULES", "TrainingConfig"]

#: Learning-rate schedules.
LR_SCHEDULES = ("constant", "cosine")


@dataclass(frozen=True)
class TrainingConfig:
    """Everything :func:`reclab.training.fit` needs besides the model and the data.

    Attributes:
        loss: a registered objective (``reclab.training.OBJECTIVES``: ``"softmax"``,
            ``"bce"``, ``"sampled-softmax"``, ``"gbce"``, ``"bpr"``). SASRec paper: ``"bce"``
            with 1 negative. Default ``"softmax"`` (full cross-entropy: better and, with XLA,
            affordable on ML-sized catalogues; see ``benchmarks/README.md``).
        num_negatives: negatives per position; ``None`` = the objective's default (bce and bpr
            1, gbce and sampled-softmax 256; the full softmax samples none).
        negative_sampling: ``"uniform"`` or ``"popularity"`` (``count ** 0.75``); ``None`` =
            the objective's default (popularity for the sampled softmax, with log-Q).
        negative_sharing: how a batch's negatives are drawn
            (:data:`reclab.data.NEGATIVE_SHARING`): ``"per-position"`` (default: ``M`` for
            every position, as the chapters teach), ``"shared"`` (one set of ``M`` from the
            proposal for the whole batch: one ``(B·L, d) × (d, M)`` product, accidental hits
            removed) or ``"in-batch"`` (the set drawn from the batch's own targets, whose
            frequency is then the proposal of the log-Q correction). Sequence models only.
        exclude_user_items: never draw a negative among the items of the user's own training
            events. The papers' rule (SASRec's official sampler, NCF, BPR sample items the
            user has not interacted with); ``False`` (default) only avoids the positive, which
            is cheaper and common in reimplementations. On MovieLens latest-small about 13 % of
            uniform draws are one of the user's own items.
        loss_options: the objective's options, e.g. ``{"t": 0.9}`` for gBCE's calibration
            (default 0.75, as in gSASRec).
        learning_rate: Adam's step size. SASRec paper: 0.001. Default 0.005, selected for SASRec
            on validation NDCG@10 only (``benchmarks/select_defaults.py``; ``benchmarks/README.md``,
            "How the defaults were chosen").
        beta_2: Adam's :math:`\\beta_2`. SASRec code: 0.98.
        lr_schedule: ``"constant"`` (the paper) or ``"cosine"`` (linear warm-up over
            ``warmup_epochs``, then cosine decay to 10 % over ``epochs``).
        warmup_epochs: warm-up length of the cosine schedule.
        clipnorm: gradient-norm clipping (``None``: off, the paper's).
        batch_size: rows per step. SASRec paper: 128.
        epochs: the most epochs. Paper: 200 on ML-1M. Default 200, with early stopping.
        patience: stop after this many validations without a better validation NDCG@10
            (default 10: validation on a few hundred users is noisy).
        validate_every: validate every this many epochs.
        windows: cut long histories into windows of ``max_len`` (all events are used), instead
            of keeping each user's latest ``max_len`` items (the paper's one sequence per user).
            Sequence models only.
        jit_compile: compile the training step with XLA. ``None`` (default): the objective's
            recommendation (the full softmax only, where it was measured to help on CPU).
        max_seconds: stop after the epoch at which the *training* time (validation excluded)
            passes this many seconds (``None``: no limit).
        privacy: train with DP-SGD (a :class:`~reclab.privacy.PrivacyConfig`, or its fields as
            a dict): each user's gradient clipped, Gaussian noise added, users drawn by
            Poisson sampling with :math:`q` = ``batch_size`` / users; the run's
            :math:`\\varepsilon` is in :attr:`TrainingHistory.privacy`. Sequence models
            predicting the next item, with the full softmax and ``windows=False`` (one row per
            user, the privacy unit); no early stopping (choosing an epoch on the users'
            validation items would be a release the accountant does not count), so the model
            keeps the last epoch's weights. ``None`` (default): ordinary training.
        seed: seeds initialisation, dropout, shuffling, negatives and DP-SGD's noise.
        verbose: 0 silent, 1 Keras' progress bar, 2 one line per epoch.
    """

    loss: str = "softmax"
    num_negatives: int | None = None
    negative_sampling: str | None = None
    negative_sharing: str = "per-position"
    exclude_user_items: bool = False
    loss_options: dict[str, Any] = field(default_factory=dict)
    learning_rate: float = 5e-3
    beta_2: float = 0.98
    lr_schedule: str = "constant"
    warmup_epochs: int = 2
    clipnorm: float | None = None
    batch_size: int = 128
    epochs: int = 200
    patience: int = 10
    validate_every: int = 1
    windows: bool = True
    jit_compile: bool | None = None
    max_seconds: float | None = None
    privacy: PrivacyConfig | None = None
    seed: int = 0
    verbose: int = 0

    def __post_init__(self) -> None:
        where = "TrainingConfig"
        entry = objective(self.loss)  # raises on an unknown loss, naming the choices
        if self.num_negatives is not None:
            n = positive_int(self.num_negatives, "num_negatives", where)
            if not entry.samples_negatives:
                raise ValueError(
                    f"{where}: loss={self.loss!r} scores the whole catalogue and samples no "
                    f"negatives; num_negatives={n} applies to a sampled loss"
                )
        if self.negative_sampling is not None:
            one_of(self.negative_sampling, SAMPLINGS, "negative_sampling", where)
        one_of(self.negative_sharing, NEGATIVE_SHARING, "negative_sharing", where)
        if self.negative_sharing != "per-position":
            if not entry.samples_negatives:
                raise ValueError(
                    f"{where}: loss={self.loss!r} scores the whole catalogue and samples no "
                    f"negatives; negative_sharing={self.negative_sharing!r} applies to a "
                    "sampled loss"
                )
            if self.negative_sharing == "in-batch" and self.negative_sampling is not None:
                raise ValueError(
                    f"{where}: in-batch negatives are drawn from the batch's own targets; "
                    f"negative_sampling={self.negative_sampling!r} does not apply (leave it None)"
                )
        if not isinstance(self.loss_options, dict):
            raise ValueError(f"{where}: loss_options must be a dict, got {self.loss_options!r}")
        unknown = set(self.loss_options) - set(entry.options)
        if unknown:
            raise ValueError(
                f"{where}: loss {self.loss!r} has no option {sorted(unknown)}; its options: "
                f"{dict(entry.options)}"
            )
        positive_number(self.learning_rate, "learning_rate", where)
        number_at_least(self.beta_2, 0.0, "beta_2", where)
        if not self.beta_2 < 1.0:
            raise ValueError(f"{where}: beta_2 must be in [0, 1), got {self.beta_2!r}")
        one_of(self.lr_schedule, LR_SCHEDULES, "lr_schedule", where)
        non_negative_int(self.warmup_epochs, "warmup_epochs", where)
        if self.clipnorm is not None:
            positive_number(self.clipnorm, "clipnorm", where)
        for name in ("batch_size", "epochs", "patience", "validate_every"):
            positive_int(getattr(self, name), name, where)
        if self.max_seconds is not None:
            positive_number(self.max_seconds, "max_seconds", where)
        non_negative_int(self.seed, "seed", where)
        one_of(self.verbose, (0, 1, 2), "verbose", where)
        if isinstance(self.privacy, dict):  # as config.json stores it
            object.__setattr__(self, "privacy", PrivacyConfig(**self.privacy))
        if self.privacy is not None:
            self._check_privacy(where)

    def _check_privacy(self, where: str) -> None:
        if not isinstance(self.privacy, PrivacyConfig):
            raise ValueError(
                f"{where}: privacy must be a PrivacyConfig, a dict of its fields or None, got "
                f"{self.privacy!r}"
            )
        needs = (
            ("loss", "softmax", "the full softmax: each user's loss is their own"),
            ("windows", False, "one row per user, the privacy unit"),
            ("clipnorm", None, "DP-SGD clips each user's gradient instead"),
        )
        for name, wanted, why in needs:
            if getattr(self, name) != wanted:
                raise ValueError(
                    f"{where}: privacy needs {name}={wanted!r} ({why}), got "
                    f"{name}={getattr(self, name)!r}"
                )
        if self.jit_compile:
            raise ValueError(
                f"{where}: privacy needs jit_compile=None or False (the per-user gradients are "
                "not compiled with XLA), got jit_compile=True"
            )

    @classmethod
    def paper(cls, **changes: Any) -> TrainingConfig:
        """SASRec's training (Kang & McAuley 2018 and its official code): sampled BCE with one
        negative drawn among the items the user has not interacted with, Adam 0.001 with
        :math:`\\beta_2 = 0.98`, batch 128, one sequence per user (no windows), 200 epochs."""
        base = cls(
            loss="bce", learning_rate=1e-3, windows=False, patience=20, exclude_user_items=True
        )
        return replace(base, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (what ``config.json`` of a run records)."""
        return asdict(self)
