"""Tests of bilstm_utils.attribution on pooled models, gradient × input and comprehensiveness."""

from __future__ import annotations

import numpy as np
import pytest

import bilstm_utils
from bilstm_utils import attribution as at
from bilstm_utils.models import build_text_classifier
from conftest import padded_ids, tiny_classifier, tiny_pooled_classifier


def _pooled_models():
    bilstm_utils.set_seed(0)
    models = {"pooled": tiny_pooled_classifier(), "pooled+skip": tiny_pooled_classifier(True)}
    for pooling in ("max", "mean"):
        m = build_text_classifier(vocab_size=30, embed_dim=6, units=4, pooling=pooling,
                                  mask_zero=True)
        rng = np.random.default_rng(1)
        m.set_weights([rng.normal(0, 0.8, w.shape).astype("float32") for w in m.get_weights()])
        models[pooling] = m
    return models


def test_logit_from_embeddings_matches_every_pooled_model():
    ids = np.concatenate([padded_ids(), np.zeros((1, 12), "int32")])  # with an empty review
    for name, model in _pooled_models().items():
        x, mask = at.embed(model, ids)
        logit = at.logit_from_embeddings(model, x, mask).numpy()
        p = np.asarray(model.predict(ids, verbose=0)).reshape(-1)
        np.testing.assert_allclose(1 / (1 + np.exp(-logit)), p, atol=1e-5, err_msg=name)


def test_pooling_of_reads_the_architecture():
    models = _pooled_models()
    assert at.pooling_of(models["pooled"]) == (("max", "mean"), False)
    assert at.pooling_of(models["pooled+skip"]) == (("max", "mean"), True)
    assert at.pooling_of(models["mean"]) == (("mean",), False)
    assert at.pooling_of(tiny_classifier()) == (("last",), False)


def test_integrated_gradients_complete_on_pooled_model():
    model, ids = tiny_pooled_classifier(), padded_ids()
    att = at.integrated_gradients(model, ids, steps=128)
    assert np.all(att.scores[ids == 0] == 0)
    assert np.abs(att.logit - att.baseline_logit).mean() > 0.05
    # max pooling has kinks, so the midpoint rule converges more slowly than on a smooth F
    np.testing.assert_allclose(att.completeness_gap, 0, atol=5e-3)
    coarse = at.integrated_gradients(model, ids, steps=8)
    assert np.abs(att.completeness_gap).mean() < 0.2 * np.abs(coarse.completeness_gap).mean()


@pytest.mark.parametrize("make", [tiny_classifier, tiny_pooled_classifier])
def test_gradient_times_input_is_the_directional_derivative(make):
    # d/da F(a x) at a = 1 is sum_t x_t . dF/dx_t: the scores of a review add up to it
    model, ids = make(), padded_ids()
    scores = at.gradient_times_input(model, ids, batch_size=2)
    assert scores.shape == ids.shape and np.all(scores[ids == 0] == 0)
    x, mask = at.embed(model, ids)
    eps = 1e-2
    up = at.logit_from_embeddings(model, x * (1 + eps), mask).numpy().astype(float)
    down = at.logit_from_embeddings(model, x * (1 - eps), mask).numpy().astype(float)
    np.testing.assert_allclose(scores.sum(axis=1), (up - down) / (2 * eps), atol=2e-3, rtol=2e-2)
    np.testing.assert_allclose(at.gradient_times_input(model, ids, batch_size=100), scores,
                               atol=1e-5)


def test_predict_proba_trims_padding_without_changing_answers():
    model = tiny_pooled_classifier()
    ids = np.zeros((7, 40), "int32")
    ids[:5, :12] = padded_ids()
    ids[5, :3] = [4, 5, 6]  # row 6: empty review
    full = np.asarray(model.predict(ids, verbose=0)).reshape(-1)
    np.testing.assert_allclose(at.predict_proba(model, ids, batch_size=3), full, atol=1e-6)
    with pytest.raises(ValueError, match="batch_size"):
        at.predict_proba(model, ids, batch_size=0)


def test_comprehensiveness_is_signed_drop_of_predicted_class():
    model, ids = tiny_pooled_classifier(), padded_ids(n=6, time=15)
    scores = at.integrated_gradients(model, ids, steps=16).scores
    curve = at.comprehensiveness(model, ids, scores, ks=[1, 3])
    assert curve.shape == (2, 6)
    p = at.predict_proba(model, ids)
    direction = np.where(p >= 0.5, 1.0, -1.0)
    top = at.top_k_positions(ids, scores, direction, 3)
    p3 = at.predict_proba(model, at.delete_tokens(ids, top))
    np.testing.assert_allclose(curve[1], (p - p3) * direction, atol=1e-6)
    # the opposite ranking deletes the words that speak against the prediction
    against = at.comprehensiveness(model, ids, -scores, ks=[1, 3])
    assert against.mean() < curve.mean()
    assert np.any(against < 0)  # signed: a deletion can make the model surer
    rand = at.random_comprehensiveness(model, ids, ks=[1, 3], n_random=4, seed=2)
    assert rand.shape == (2, 6)
    np.testing.assert_array_equal(
        rand, at.random_comprehensiveness(model, ids, ks=[1, 3], n_random=4, seed=2))
    np.testing.assert_allclose(at.aopc(curve), curve.mean(axis=0))
    with pytest.raises(ValueError, match="more than max"):
        at.comprehensiveness(model, ids, scores, ks=[20])
    with pytest.raises(ValueError, match="ks"):
        at.comprehensiveness(model, ids, scores, ks=[0])
    with pytest.raises(ValueError, match="finite"):
        at.comprehensiveness(model, ids, scores * np.nan, ks=[1])
    with pytest.raises(ValueError, match="curve"):
        at.aopc(np.ones(3))


def test_plot_comprehensiveness_has_labels_and_one_line_per_ranking():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    curves = {"a": rng.normal(0.2, 0.1, (3, 20)), "random": rng.normal(0.0, 0.1, (3, 20))}
    fig = at.plot_comprehensiveness([1, 2, 3], curves)
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(labels) == 2 and f"{curves['a'].mean():.3f}" in labels[0]
    with pytest.raises(ValueError, match="shape"):
        at.plot_comprehensiveness([1, 2], curves)
    plt.close("all")


def test_path_logits_run_from_baseline_to_review():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model, ids = tiny_pooled_classifier(), padded_ids(n=2)
    att = at.integrated_gradients(model, ids, steps=8)
    alphas, logits = at.path_logits(model, ids, points=5)
    np.testing.assert_allclose(alphas, [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(logits[:, 0], att.baseline_logit, atol=1e-5)
    np.testing.assert_allclose(logits[:, -1], att.logit, atol=1e-5)
    fig = at.plot_path_logits(alphas, logits, ["a", "b"])
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() and len(ax.get_lines()) == 2
    with pytest.raises(ValueError, match="points"):
        at.path_logits(model, ids, points=1)
    with pytest.raises(ValueError, match="labels"):
        at.plot_path_logits(alphas, logits, ["a"])
    plt.close("all")
