"""How a next-item model is trained: one frozen configuration, the paper's values named."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["LOSSES", "TrainingConfig"]

#: Training objectives: the paper's sampled BCE, full softmax cross-entropy (Klenitskiy &
#: Vasilev 2023), sampled softmax with the log-Q correction, and gBCE (Petrov & Macdonald 2023).
LOSSES = ("bce", "softmax", "sampled-softmax", "gbce")

_DEFAULT_NEGATIVES = {"bce": 1, "softmax": 0, "sampled-softmax": 256, "gbce": 256}
_DEFAULT_SAMPLING = {"bce": "uniform", "softmax": "uniform", "sampled-softmax": "popularity"}


@dataclass(frozen=True)
class TrainingConfig:
    """Everything :func:`reclab.training.fit` needs besides the model and the data.

    Attributes:
        loss: one of ``LOSSES``. SASRec paper: ``"bce"`` with 1 negative. Default
            ``"softmax"`` (full cross-entropy: better and, with XLA, affordable on ML-sized
            catalogues; see ``benchmarks/README.md``).
        num_negatives: negatives per position; ``None`` = the loss's usual value (bce 1 as in
            SASRec; gbce 256 as in gSASRec; sampled-softmax 256; softmax uses none).
        negative_sampling: ``"uniform"`` or ``"popularity"``; ``None`` = uniform, except
            sampled softmax, which samples by popularity (``count ** 0.75``) and corrects with
            log-Q.
        gbce_t: gBCE's calibration :math:`t` (gSASRec: 0.75).
        learning_rate: Adam's step size. SASRec paper: 0.001. Default 0.003 (converges within
            the book's time budgets; 0.005 was no better on ml-latest-small).
        beta_2: Adam's :math:`\\beta_2`. SASRec code: 0.98.
        lr_schedule: ``"constant"`` (the paper) or ``"cosine"`` (linear warm-up over
            ``warmup_epochs``, then cosine decay to 10 % over ``epochs``).
        warmup_epochs: warm-up length of the cosine schedule.
        clipnorm: gradient-norm clipping (``None``: off, the paper's).
        batch_size: sequences per step. SASRec paper: 128.
        epochs: the most epochs. Paper: 200 on ML-1M. Default 200, with early stopping.
        patience: stop after this many validations without a better validation NDCG@10
            (default 10: validation on a few hundred users is noisy).
        validate_every: validate every this many epochs.
        windows: cut long histories into windows of ``max_len`` (all events are used), instead
            of keeping each user's latest ``max_len`` items (the paper's one sequence per user).
        jit_compile: compile the training step with XLA. ``None`` (default): only for the full
            softmax, where it was measured to help on CPU (``benchmarks/README.md``); the
            sampled losses gain little and pay the compile time of every new model.
        max_seconds: stop after the epoch that passes this much training time (``None``: no
            limit).
        seed: seeds initialisation, dropout, shuffling and negatives.
        verbose: 0 silent, 1 Keras' progress bar, 2 one line per epoch.
    """

    loss: str = "softmax"
    num_negatives: int | None = None
    negative_sampling: str | None = None
    gbce_t: float = 0.75
    learning_rate: float = 3e-3
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
    seed: int = 0
    verbose: int = 0

    @classmethod
    def paper(cls, **changes: object) -> TrainingConfig:
        """SASRec's training: sampled BCE with 1 negative, Adam 0.001, batch 128, 200 epochs."""
        base = cls(loss="bce", learning_rate=1e-3, windows=False, patience=20)
        return replace(base, **changes)

    @property
    def negatives(self) -> int:
        """The number of negatives per position this configuration samples."""
        if self.loss == "softmax":
            return 0
        return _DEFAULT_NEGATIVES[self.loss] if self.num_negatives is None else self.num_negatives

    @property
    def xla(self) -> bool:
        """Whether the training step is compiled with XLA."""
        return self.loss == "softmax" if self.jit_compile is None else bool(self.jit_compile)

    @property
    def sampling(self) -> str:
        """The negative-sampling distribution, ``"uniform"`` or ``"popularity"``."""
        if self.negative_sampling is not None:
            return self.negative_sampling
        return _DEFAULT_SAMPLING.get(self.loss, "uniform")

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid field."""
        if self.loss not in LOSSES:
            raise ValueError(f"TrainingConfig: loss={self.loss!r}; expected one of {LOSSES}")
        if self.loss != "softmax" and self.negatives < 1:
            raise ValueError(
                f"TrainingConfig: loss={self.loss!r} needs num_negatives >= 1, "
                f"got {self.num_negatives!r}"
            )
        if self.sampling not in ("uniform", "popularity"):
            raise ValueError(
                f"TrainingConfig: negative_sampling={self.negative_sampling!r}; expected "
                "'uniform' or 'popularity'"
            )
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError(
                f"TrainingConfig: lr_schedule={self.lr_schedule!r}; expected 'constant' or 'cosine'"
            )
        for name in ("batch_size", "epochs", "patience", "validate_every"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"TrainingConfig: {name} must be a positive integer, got {value!r}"
                )
        if not self.learning_rate > 0:
            raise ValueError(
                f"TrainingConfig: learning_rate must be positive, got {self.learning_rate!r}"
            )
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(
                f"TrainingConfig: seed must be a non-negative integer, got {self.seed!r}"
            )
