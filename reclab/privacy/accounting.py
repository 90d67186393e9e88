r"""The privacy budget of DP-SGD, from Google's accountant (``dp-accounting``).

One step of DP-SGD samples every user independently with probability :math:`q` (Poisson
sampling), clips each sampled user's gradient to norm :math:`C` and adds Gaussian noise of
standard deviation :math:`\sigma C` to their sum: a *sampled Gaussian mechanism*. Composing
:math:`T` of them with the Rényi-DP accountant (Mironov 2017; Abadi et al. 2016 for the
moments accountant it refines) gives the :math:`\varepsilon` for which training is
:math:`(\varepsilon, \delta)`-differentially private with respect to adding or removing one
user's whole history.
"""

from __future__ import annotations

import logging
import math

import dp_accounting

from reclab.checks import fraction, non_negative_int, number_at_least, positive_number

__all__ = ["dp_sgd_epsilon", "noise_for_epsilon", "noise_for_training"]


def _event(noise_multiplier: float, sampling_probability: float, steps: int) -> object:
    step = dp_accounting.PoissonSampledDpEvent(
        sampling_probability, dp_accounting.GaussianDpEvent(noise_multiplier)
    )
    return dp_accounting.SelfComposedDpEvent(step, steps)


def dp_sgd_epsilon(
    noise_multiplier: float, sampling_probability: float, steps: int, delta: float
) -> float:
    r""":math:`\varepsilon` of ``steps`` DP-SGD steps at :math:`(\sigma, q)`, for ``delta``.

    Args:
        noise_multiplier: :math:`\sigma` (0: no noise, :math:`\varepsilon = \infty`).
        sampling_probability: :math:`q`, each user's chance of being in a batch
            (expected batch size over the number of users).
        steps: :math:`T`, the steps taken (0: nothing released, :math:`\varepsilon = 0`).
        delta: :math:`\delta`.

    Example:
        >>> round(dp_sgd_epsilon(1.0, 0.0625, 160, 1e-5), 2)  # the RDP accountant's value
        6.09
    """
    where = "dp_sgd_epsilon"
    sigma = number_at_least(noise_multiplier, 0.0, "noise_multiplier", where)
    q = fraction(sampling_probability, "sampling_probability", where, include_one=True)
    steps = non_negative_int(steps, "steps", where)
    delta = positive_number(delta, "delta", where)
    if steps == 0 or q == 0:
        return 0.0
    if sigma == 0:
        return math.inf
    accountant = dp_accounting.rdp.RdpAccountant()
    # Where the series of a fractional Rényi order below 1.5 does not converge, the
    # accountant logs a warning and leaves that order out; the bound over the other orders
    # still holds (it is a minimum over orders), so the message says nothing to act on.
    absl = logging.getLogger("absl")
    level = absl.level
    absl.setLevel(logging.ERROR)
    try:
        accountant.compose(_event(sigma, q, steps))
        return float(accountant.get_epsilon(delta))
    finally:
        absl.setLevel(level)


def noise_for_epsilon(
    epsilon: float, sampling_probability: float, steps: int, delta: float
) -> float:
    r"""The smallest :math:`\sigma` for which ``steps`` steps at :math:`q` stay within
    ``epsilon`` (found by bisection on :func:`dp_sgd_epsilon`, to 0.1 % of :math:`\sigma`).

    Example:
        >>> sigma = noise_for_epsilon(6.09, 0.0625, 160, 1e-5)
        >>> round(sigma, 2), dp_sgd_epsilon(sigma, 0.0625, 160, 1e-5) <= 6.09
        (1.0, True)
    """
    where = "noise_for_epsilon"
    target = positive_number(epsilon, "epsilon", where)
    low, high = 0.0, 1.0
    while dp_sgd_epsilon(high, sampling_probability, steps, delta) > target:
        low, high = high, 2 * high
        if high > 1e6:
            raise ValueError(f"{where}: epsilon={target} needs a noise multiplier above 1e6")
    while high - low > 1e-3 * high:
        middle = (low + high) / 2
        if dp_sgd_epsilon(middle, sampling_probability, steps, delta) > target:
            low = middle
        else:
            high = middle
    return high


def noise_for_training(
    epsilon: float, *, users: int, batch_size: int, epochs: int, delta: float
) -> float:
    r"""The smallest :math:`\sigma` for which a whole DP-SGD run stays within ``epsilon``.

    The run: ``epochs`` epochs of :func:`reclab.data.poisson_dataset` over ``users`` users
    (those with a next item) at an expected batch of ``batch_size``, so
    :math:`q = B / U` and :math:`T = \text{epochs} \cdot \lceil U / B \rceil`
    (:func:`noise_for_epsilon` for those). ``python -m reclab train --dp-epsilon`` uses it.

    Example:
        >>> round(noise_for_training(4.0, users=305, batch_size=64, epochs=30,
        ...                          delta=1 / 3050), 2)
        2.67
    """
    from reclab.data.datasets import poisson_steps_per_epoch

    where = "noise_for_training"
    users = non_negative_int(users, "users", where)
    batch_size = non_negative_int(batch_size, "batch_size", where)
    epochs = non_negative_int(epochs, "epochs", where)
    if not 0 < batch_size <= users:
        raise ValueError(f"{where}: batch_size must be in [1, users={users}], got {batch_size}")
    steps = epochs * poisson_steps_per_epoch(users, batch_size)
    return noise_for_epsilon(epsilon, batch_size / users, steps, delta)
