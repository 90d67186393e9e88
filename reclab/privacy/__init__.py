"""Differentially private training and what it protects against.

- :class:`PrivacyConfig` and :func:`reclab.training.fit` (``TrainingConfig(privacy=...)``):
  DP-SGD with one user as the privacy unit, in the model's own ``train_step``
  (:func:`reclab.privacy.private_train_step`), on Poisson-sampled batches
  (:func:`reclab.data.poisson_dataset`);
- :func:`dp_sgd_epsilon`, :func:`noise_for_epsilon`, :func:`noise_for_training`: the privacy
  budget from Google's accountant;
- :func:`user_losses`, :func:`membership_inference`: a loss-threshold membership-inference
  attack, the measured counterpart of :math:`\\varepsilon`, and :func:`advantage_bound`, the
  most any attack can achieve under the guarantee.
"""

from reclab.privacy.accounting import dp_sgd_epsilon, noise_for_epsilon, noise_for_training
from reclab.privacy.config import PrivacyConfig
from reclab.privacy.dpsgd import (
    PrivateTraining,
    clipped_user_gradients,
    noisy_mean_gradient,
    private_train_step,
)
from reclab.privacy.membership import advantage_bound, membership_inference, user_losses

__all__ = [
    "PrivacyConfig",
    "PrivateTraining",
    "advantage_bound",
    "clipped_user_gradients",
    "dp_sgd_epsilon",
    "membership_inference",
    "noise_for_epsilon",
    "noise_for_training",
    "noisy_mean_gradient",
    "private_train_step",
    "user_losses",
]
