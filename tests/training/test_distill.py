"""distill: the student's step, what the teacher's term does, and what it refuses."""

from __future__ import annotations

import numpy as np
import pytest

from reclab.models import SASRec, SASRecConfig
from reclab.models.bert4rec import BERT4Rec
from reclab.privacy import PrivacyConfig
from reclab.training import TrainingConfig, distill, fit

SMALL = {"max_len": 10, "dim": 8, "num_blocks": 1}


def _config(**changes):
    settings = {"epochs": 2, "batch_size": 32, "jit_compile": False, "seed": 3} | changes
    return TrainingConfig(**settings)


@pytest.fixture(scope="module")
def teacher(shop_data):
    model = SASRec(shop_data.num_items, SASRecConfig(max_len=10, dim=32, num_blocks=2))
    fit(model, shop_data, _config(epochs=6))
    return model


def _kl_to_teacher(student, teacher, histories, temperature=2.0):
    """Mean KL(teacher || student) of the softened next-item distributions (padding left out)."""

    def probabilities(model):
        z = model.score(histories)[:, 1:] / temperature
        p = np.exp(z - z.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    p_t, p_s = probabilities(teacher), probabilities(student)
    return float(np.mean(np.sum(p_t * np.log(p_t / p_s), axis=1)))


def test_weight_zero_is_plain_training(shop_data, teacher):
    plain = SASRec(shop_data.num_items, SASRecConfig(**SMALL))
    fit(plain, shop_data, _config())
    student = SASRec(shop_data.num_items, SASRecConfig(**SMALL))
    distill(student, teacher, shop_data, _config(), weight=0.0)
    for a, b in zip(plain.get_weights(), student.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert student.distillation is None  # the run's teacher is not kept on the student


def test_the_teacher_term_pulls_the_student_towards_the_teacher(shop_data, teacher):
    histories = shop_data.validation.histories
    kl = {}
    for weight in (0.0, 1.0):
        student = SASRec(shop_data.num_items, SASRecConfig(**SMALL))
        history = distill(student, teacher, shop_data, _config(epochs=6, patience=6), weight=weight)
        assert history.epochs == 6
        kl[weight] = _kl_to_teacher(student, teacher, histories)
    assert kl[1.0] < 0.7 * kl[0.0]


@pytest.mark.parametrize(
    ("make", "changes", "message"),
    [
        (lambda n: SASRec(n, SASRecConfig(**SMALL)), {"loss": "bce"}, "config.loss must be"),
        (
            lambda n: SASRec(n, SASRecConfig(**SMALL)),
            {"windows": False, "privacy": PrivacyConfig(1.0)},
            "distil without privacy",
        ),
        (lambda n: SASRec(n, SASRecConfig(max_len=12, dim=8)), {}, "must share max_len"),
        (lambda n: SASRec(n + 1, SASRecConfig(**SMALL)), {}, "must share num_items"),
        (lambda n: BERT4Rec(n), {}, "the student must be a next-item sequence model"),
    ],
)
def test_what_distill_refuses(shop_data, teacher, make, changes, message):
    with pytest.raises(ValueError, match=message):
        distill(make(shop_data.num_items), teacher, shop_data, _config(**changes))
