r"""DP-SGD (Abadi et al. 2016) with one user as the privacy unit, as a Keras ``train_step``.

Each step takes a Poisson-sampled batch :math:`\mathcal{B}` of users
(:func:`reclab.data.poisson_dataset`: each user one row), computes every user's gradient
:math:`g_u` of their own mean next-item loss, clips it to norm :math:`C`, sums, adds Gaussian
noise and divides by the *expected* batch size :math:`qU`:

.. math::

    \tilde g = \frac{1}{qU}\Big(\sum_{u \in \mathcal{B}} g_u
               \min\!\big(1, \tfrac{C}{\lVert g_u \rVert_2}\big)
               + \mathcal{N}(0, \sigma^2 C^2 \mathbf{I})\Big)

The optimiser (Adam) then uses :math:`\tilde g` as it would any gradient: what it does with
it is post-processing and costs no privacy. Whatever one user contributes moves
:math:`\tilde g` by at most :math:`C / (qU)`, and that is what the accountant
(:func:`reclab.privacy.dp_sgd_epsilon`) turns into :math:`\varepsilon`.

Per-user gradients come from a ``tf.while_loop`` over the batch (one forward and backward pass
per user, in one graph, adding each clipped gradient to one running sum); ``tf.vectorized_map``
would be faster but crashes on the attention layers (``NOTES-toolchain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from reclab.formulas import implements
from reclab.losses.full_softmax import full_softmax_cross_entropy
from reclab.privacy.config import PrivacyConfig

__all__ = [
    "PrivateTraining",
    "clipped_user_gradients",
    "noisy_mean_gradient",
    "private_train_step",
]


@dataclass(frozen=True)
class PrivateTraining:
    """What a model's DP-SGD ``train_step`` needs besides the batch (set by
    :func:`reclab.training.fit`).

    Attributes:
        config: the :class:`~reclab.privacy.PrivacyConfig`.
        expected_batch_size: :math:`qU`, the divisor of the noisy sum.
        seed: seeds the noise (with the step number), so a run is repeatable.
    """

    config: PrivacyConfig
    expected_batch_size: int
    seed: int


def clipped_user_gradients(
    model: Any, inputs: Any, targets: Any, clip_norm: float
) -> tuple[list[Any], Any, Any]:
    r"""The sum over the batch of every user's gradient clipped to norm :math:`C`.

    Row :math:`u` of ``inputs`` / ``targets`` ``(b, L)`` is one user; their loss is the mean
    next-item cross-entropy over their positions
    (:func:`~reclab.losses.full_softmax_cross_entropy`), in training mode (dropout on).

    Returns:
        A tuple ``(sums, norms, losses)``: one summed tensor per trainable variable (dense),
        every user's gradient norm :math:`\lVert g_u \rVert_2` before clipping ``(b,)``, and
        their losses ``(b,)``.
    """
    variables = model.trainable_variables
    clip = tf.constant(float(clip_norm), tf.float32)

    def one_user(x: Any, y: Any) -> tuple[list[Any], Any, Any]:
        with tf.GradientTape() as tape:
            logits = model(x[None], training=True)
            loss = full_softmax_cross_entropy(y[None], logits)
        grads = [
            tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
            for g, v in zip(tape.gradient(loss, variables), variables, strict=True)
        ]
        norm = tf.linalg.global_norm(grads)
        scale = tf.minimum(1.0, clip / tf.maximum(norm, 1e-12))
        return [g * scale for g in grads], norm, loss

    # One running sum per variable: memory stays one gradient, not one per user (tf.map_fn
    # would stack all b clipped gradients before summing them).
    size = tf.shape(inputs)[0]

    def body(u: Any, sums: list[Any], norms: Any, losses: Any) -> tuple[Any, ...]:
        clipped, norm, loss = one_user(inputs[u], targets[u])
        sums = [total + g for total, g in zip(sums, clipped, strict=True)]
        return u + 1, sums, norms.write(u, norm), losses.write(u, loss)

    _, sums, norms, losses = tf.while_loop(
        lambda u, *_: u < size,
        body,
        (
            tf.constant(0),
            [tf.zeros(v.shape, tf.float32) for v in variables],
            tf.TensorArray(tf.float32, size=size),
            tf.TensorArray(tf.float32, size=size),
        ),
        parallel_iterations=1,
    )
    return sums, norms.stack(), losses.stack()


@implements("eq-dp-sgd")
def noisy_mean_gradient(
    sums: list[Any],
    *,
    clip_norm: float,
    noise_multiplier: float,
    expected_batch_size: int,
    seed: Any,
) -> list[Any]:
    r""":math:`\tilde g`: the clipped sum plus :math:`\mathcal{N}(0, \sigma^2 C^2)` noise in every
    coordinate, over the expected batch size :math:`qU` (equation ``eq-dp-sgd``, chapter 14).

    Args:
        sums: per variable, the sum of the batch's clipped gradients
            (:func:`clipped_user_gradients`).
        clip_norm: :math:`C`.
        noise_multiplier: :math:`\sigma`.
        expected_batch_size: :math:`qU`.
        seed: a stateless seed, shape ``(2,)`` int32; variable ``k`` draws with
            ``seed + (k, 0)``, so every step and variable gets its own noise.
    """
    std = float(noise_multiplier) * float(clip_norm)
    seed = tf.cast(seed, tf.int32)
    out = []
    for k, total in enumerate(sums):
        if std > 0:
            noise = tf.random.stateless_normal(
                tf.shape(total), seed=seed + tf.constant([k, 0], tf.int32), stddev=std
            )
            total = total + noise
        out.append(total / float(expected_batch_size))
    return out


def private_train_step(model: Any, data: Any, private: PrivateTraining) -> dict[str, Any]:
    """One DP-SGD step of ``model`` on a Poisson batch ``(inputs, targets)``; the Keras
    ``train_step`` of :class:`~reclab.models.NextItemModel` while it trains privately.

    Reports ``loss``, the epoch's running mean of the users' losses (as Keras' own step does).
    """
    inputs, targets = data
    config = private.config
    sums, _, losses = clipped_user_gradients(model, inputs, targets, config.clip_norm)
    step = tf.cast(model.optimizer.iterations, tf.int32)
    gradients = noisy_mean_gradient(
        sums,
        clip_norm=config.clip_norm,
        noise_multiplier=config.noise_multiplier,
        expected_batch_size=private.expected_batch_size,
        seed=tf.stack([tf.constant(private.seed, tf.int32), step]),
    )
    model.optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
    model._loss_tracker.update_state(losses)  # Keras' running mean of the epoch's loss
    return {"loss": model._loss_tracker.result()}
