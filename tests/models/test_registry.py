"""The model registry: every model builds by name, and its parameter count is known in advance."""

from __future__ import annotations

import numpy as np
import pytest

from reclab import models
from reclab.data import Sequences

SMALL = {
    "bert4rec": {"max_len": 6, "dim": 8, "num_blocks": 2, "ff_dim": 12},
    "sasrec": {"max_len": 6, "dim": 8, "num_blocks": 2, "ff_dim": 12},
    "hstu": {"max_len": 6, "dim": 8, "num_blocks": 2},
    "gru4rec": {"max_len": 6, "dim": 8, "hidden": 6, "num_layers": 2},
    "mf": {"dim": 4},
    "neumf": {"mf_dim": 4, "mlp_layers": (8, 6, 4)},
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_the_analytic_parameter_count_equals_keras(name):
    spec = models.model_spec(name)
    config = spec.make_config(SMALL[name])
    model = models.build_model(name, num_items=17, num_users=9, config=config)
    model.build()
    assert model.count_params() == type(model).parameter_count(17, 9, config)


def test_every_registered_model_scores_the_catalogue():
    histories = np.array([[0, 1, 2], [3, 4, 5]])
    for name, spec in models.MODELS.items():
        model = models.build_model(name, num_items=6, num_users=3, config=SMALL.get(name))
        if not spec.trainable:
            model.fit(histories)
        elif hasattr(model, "prepare"):  # structure learned from the training data (TIGER)
            model.prepare(Sequences.from_lists([[1, 2], [3, 4, 5]]))
        scores = model.score(histories, np.array([1, 2]))
        assert scores.shape == (2, 7) and np.isneginf(scores[:, 0]).all(), name


def test_hstu_is_sasrec_with_hstu_blocks_unless_told_otherwise():
    spec = models.model_spec("hstu")
    assert spec.make_config().block == "hstu"
    assert spec.make_config({"dim": 16}) == models.SASRecConfig(dim=16, block="hstu")
    assert models.model_spec("sasrec").make_config().block == "transformer"
    model = models.build_model("hstu", num_items=5, config={"max_len": 4, "dim": 8})
    assert model.config.block == "hstu"


def test_unknown_names_and_fields_are_reported():
    with pytest.raises(ValueError, match="unknown model 'bert'"):
        models.model_spec("bert")
    with pytest.raises(ValueError, match="has no field"):
        models.model_spec("sasrec").make_config({"width": 3})
    with pytest.raises(ValueError, match="no setting"):
        models.model_spec("markov").make_config({"dim": 3})
    with pytest.raises(ValueError, match="already registered"):
        models.register_model(models.MODELS["pop"])
