"""What differentially private training adds to a run: the clipping bound, the noise, and
:math:`\\delta`."""

from __future__ import annotations

from dataclasses import dataclass

from reclab.checks import number_at_least, positive_number

__all__ = ["PrivacyConfig"]


@dataclass(frozen=True)
class PrivacyConfig:
    """DP-SGD with one user as the privacy unit (see :mod:`reclab.privacy`).

    Attributes:
        noise_multiplier: :math:`\\sigma`: the Gaussian noise added to the sum of a batch's
            clipped gradients has standard deviation :math:`\\sigma C`. ``0`` clips without
            noise (no privacy: :math:`\\varepsilon = \\infty`), the control of an experiment.
        clip_norm: :math:`C`, the bound on the L2 norm of one user's gradient (all trainable
            variables together).
        delta: :math:`\\delta` of the reported :math:`(\\varepsilon, \\delta)`. ``None``:
            :math:`1 / (10\\,U)` for :math:`U` training users, well below the :math:`1/U`
            at which a mechanism could publish one user's data outright.
    """

    noise_multiplier: float
    clip_norm: float = 1.0
    delta: float | None = None

    def __post_init__(self) -> None:
        where = "PrivacyConfig"
        number_at_least(self.noise_multiplier, 0.0, "noise_multiplier", where)
        positive_number(self.clip_norm, "clip_norm", where)
        if self.delta is not None:
            positive_number(self.delta, "delta", where)
            if not self.delta < 1:
                raise ValueError(f"{where}: delta must be in (0, 1), got {self.delta!r}")

    def resolved_delta(self, num_users: int) -> float:
        """:attr:`delta`, or its default for ``num_users`` training users."""
        return float(self.delta) if self.delta is not None else 1.0 / (10 * int(num_users))
