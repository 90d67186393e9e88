"""BERT4Rec: hidden items, bidirectionality, padding, the mask token, the cloze loss, saving."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from reclab.data import cloze_mask
from reclab.losses import FullSoftmaxCrossEntropy
from reclab.models import BERT4Rec, BERT4RecConfig, SASRec, SASRecConfig, Scorer
from reclab.recommend import top_k
from reclab.reference import losses as ref

CONFIG = BERT4RecConfig(max_len=6, dim=8, num_blocks=2, num_heads=2, dropout=0.0)
N = 12
MASK = N + 1


def make(config: BERT4RecConfig = CONFIG) -> BERT4Rec:
    keras.utils.set_random_seed(0)
    model = BERT4Rec(N, config)
    model.build()
    return model


def test_is_a_scorer_whose_columns_are_padding_and_items_only():
    model = make()
    assert isinstance(model, Scorer) and model.mask_token == MASK and model.task == "cloze"
    scores = model.score(np.array([[0, 0, 1, 2, 3], [5, 6, 7, 8, 9]]))
    assert scores.shape == (2, N + 1)  # ids 0..N: the mask token N + 1 has no column
    assert np.isneginf(scores[:, 0]).all() and np.isfinite(scores[:, 1:]).all()
    assert np.asarray(model(np.array([[0, 1, 2, MASK, 4, 5]]))).shape == (1, 6, N + 1)


def test_the_mask_token_follows_the_latest_items():
    model = make()
    assert model.prepare_histories(np.array([[3, 4]])).tolist() == [[0, 0, 0, 3, 4, MASK]]
    full = np.array([[1, 2, 3, 4, 5, 6, 7]])  # longer than L - 1 = 5: the oldest two go
    assert model.prepare_histories(full).tolist() == [[3, 4, 5, 6, 7, MASK]]
    logits = np.asarray(model(np.array([[3, 4, 5, 6, 7, MASK]])))[:, -1, 1:]
    assert np.allclose(model.score(full)[:, 1:], logits, atol=1e-5)


def test_a_hidden_item_never_reaches_the_output_at_its_position():
    model = make()
    a = np.array([[0, 1, 2, 3, 4, 5]])
    b = a.copy()
    b[0, 3] = 11  # another item at position 3, before masking
    only_3 = np.zeros(a.shape, bool)
    only_3[0, 3] = True

    def hide(h):
        rng = np.random.default_rng(0)
        return cloze_mask(h, only_3, mask_prob=1.0, mask_token=MASK, rng=rng)["inputs"]

    out_a, out_b = np.asarray(model(hide(a))), np.asarray(model(hide(b)))
    np.testing.assert_array_equal(out_a[:, 3], out_b[:, 3])  # whatever item was there
    np.testing.assert_array_equal(out_a, out_b)  # and at every position: the item is gone
    visible = np.asarray(model(a))  # not hidden, the item does reach its own output
    assert not np.allclose(visible[:, 3], out_a[:, 3], atol=1e-4)


def test_a_hidden_position_reads_the_items_after_it_unlike_sasrec():
    model = make()
    a = np.array([[0, 1, 2, MASK, 4, 5]])
    b = np.array([[0, 1, 2, MASK, 4, 9]])  # only a *later* item differs
    out_a, out_b = np.asarray(model(a)), np.asarray(model(b))
    assert not np.allclose(out_a[:, 3], out_b[:, 3], atol=1e-4)  # bidirectional
    earlier = np.array([[0, 7, 2, MASK, 4, 5]])  # and an earlier one
    assert not np.allclose(out_a[:, 3], np.asarray(model(earlier))[:, 3], atol=1e-4)
    keras.utils.set_random_seed(0)
    causal = SASRec(N, SASRecConfig(max_len=6, dim=8, num_heads=2, dropout=0.0))
    a_s, b_s = np.array([[0, 1, 2, 3, 4, 5]]), np.array([[0, 1, 2, 3, 4, 9]])
    assert np.allclose(np.asarray(causal(a_s))[:, 3], np.asarray(causal(b_s))[:, 3], atol=1e-5)


def test_left_padding_does_not_change_scores_or_outputs():
    model = make()
    short = model.score(np.array([[3, 4, 5]]))
    for padded in ([[0, 3, 4, 5]], [[0, 0, 0, 0, 0, 0, 0, 3, 4, 5]]):
        assert np.allclose(short, model.score(np.array(padded)), atol=1e-5)
    narrow = np.asarray(model(np.array([[3, MASK, 5]])))  # T = 3 <= L: right-aligned positions
    wide = np.asarray(model(np.array([[0, 0, 0, 3, MASK, 5]])))
    assert np.allclose(narrow, wide[:, 3:], atol=1e-5)


@pytest.mark.formula("eq-cloze-loss")
def test_the_cloze_loss_is_the_softmax_at_hidden_positions_only():
    model = make()
    rng = np.random.default_rng(3)
    histories = np.array([[0, 0, 1, 2, 3, 4], [5, 6, 7, 8, 9, 10], [0, 0, 0, 0, 11, 12]])
    batch = cloze_mask(
        histories, histories > 0, mask_prob=0.4, mask_token=MASK, rng=rng, last_item_prob=0.3
    )
    x, y = batch["inputs"], batch["labels"]
    assert (y[~batch["label_mask"]] == 0).all() and (x[batch["label_mask"]] == MASK).all()
    logits = tf.Variable(np.asarray(model(x)))  # (B, L, N + 1) float32, as in training
    with tf.GradientTape() as tape:
        loss = FullSoftmaxCrossEntropy()(y, logits)
    assert float(loss) == pytest.approx(ref.cloze_cross_entropy(y, logits.numpy()), rel=1e-6)
    # d loss / d s_t(j) = (softmax_t(j) - [j = s*_t]) / |M| at hidden t, items j; 0 elsewhere.
    z = logits.numpy().astype(np.float64)
    expected = np.zeros_like(z)
    hidden = np.argwhere(batch["label_mask"])
    for b, t in hidden:
        p = np.exp(z[b, t, 1:]) / np.exp(z[b, t, 1:]).sum()
        expected[b, t, 1:] = p
        expected[b, t, y[b, t]] -= 1.0
    expected /= len(hidden)
    np.testing.assert_allclose(tape.gradient(loss, logits).numpy(), expected, atol=1e-7)


def test_padding_and_the_mask_token_are_never_recommended():
    model = make()
    model.output_bias.assign(np.r_[1e6, np.zeros(N)].astype("float32"))  # favour padding
    ids, scores = top_k(model, np.array([[0, 1, 2], [3, 4, 5]]), k=N, exclude_seen=False)
    assert sorted(ids[0].tolist()) == list(range(1, N + 1))  # every item once, no 0, no N + 1
    assert np.isfinite(scores).all()


def test_save_and_load_reproduce_scores_exactly(tmp_path):
    model = make()
    histories = np.array([[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    path = tmp_path / "bert4rec.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, BERT4Rec) and loaded.config == CONFIG
    assert np.array_equal(model.score(histories), loaded.score(histories))


def test_config_round_trip_and_paper_values():
    model = make()
    clone = BERT4Rec.from_config(model.get_config())
    assert clone.config == model.config and clone.num_items == N
    paper = BERT4RecConfig.paper()
    assert (paper.max_len, paper.dim, paper.num_blocks, paper.num_heads) == (200, 64, 2, 2)
    assert (paper.dropout, paper.mask_prob, paper.activation, paper.norm_first) == (
        0.1,
        0.2,
        "gelu",
        False,
    )
    assert BERT4RecConfig.paper("beauty").mask_prob == 0.6
    assert BERT4RecConfig().last_item_mask_prob == pytest.approx(1 / 11)


def test_parameter_count_equals_keras():
    model = make(BERT4RecConfig(max_len=6, dim=8, ff_dim=12))
    assert model.count_params() == BERT4Rec.parameter_count(N, 0, model.config)


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"max_len": 1}, "max_len"),
        ({"dim": 10, "num_heads": 3}, "divisible"),
        ({"dropout": 1.0}, "dropout"),
        ({"mask_prob": 1.5}, "mask_prob"),
        ({"last_item_mask_prob": -0.1}, "last_item_mask_prob"),
    ],
)
def test_bad_configuration_names_the_field(changes, word):
    with pytest.raises(ValueError, match=word):
        BERT4RecConfig(**changes)


def test_bad_histories_and_paper_data_sets_are_refused():
    model = make()
    with pytest.raises(ValueError, match=r"outside 0\.\.12"):
        model.score(np.array([[0, MASK]]))  # the mask token is not a history item
    with pytest.raises(ValueError, match="the paper reports"):
        BERT4RecConfig.paper("ml-100k")
