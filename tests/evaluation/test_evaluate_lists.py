"""Fixed lists are evaluated exactly as the model that made them, at cut-offs up to K."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from reclab.data import EvaluationSet
from reclab.evaluation import evaluate_lists, evaluate_model
from reclab.models import SASRec, SASRecConfig
from reclab.recommend import top_k


def test_a_models_own_top_k_lists_score_what_the_model_scores():
    keras.utils.set_random_seed(0)
    model = SASRec(40, SASRecConfig(max_len=5, dim=8, num_blocks=1))
    rng = np.random.default_rng(0)
    users = EvaluationSet(rng.integers(0, 41, (80, 7)), rng.integers(1, 41, 80), np.arange(80) * 3)
    lists, _ = top_k(model, users.histories, k=10)
    want = evaluate_model(model, users, ks=(5, 10)).set_index("metric")
    got = evaluate_lists(lists, users, num_items=40, ks=(5, 10)).set_index("metric")
    for key in ("HR@5", "NDCG@5", "HR@10", "NDCG@10"):
        assert got.loc[key, "value"] == pytest.approx(want.loc[key, "value"])
        assert got.loc[key, "ci_low"] == pytest.approx(want.loc[key, "ci_low"])


def test_one_list_per_user():
    users = EvaluationSet(np.array([[1, 2]]), np.array([3]), np.array([0]))
    with pytest.raises(ValueError, match="2 lists for 1 users"):
        evaluate_lists([[3], [4]], users)
