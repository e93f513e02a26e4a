"""Tests of two fixes in bilstm_utils.attribution (chapter 5).

1. ``integrated_gradients(method=...)``: the midpoint rule's completeness gap on a trained
   BiLSTM is quadrature error (the logit can change by several units within 1e-3 of alpha),
   so there is a Gauss-Legendre rule and an adaptive rule that refines until the gap is
   within a tolerance; the default stays the midpoint rule with the same numbers.
2. Every attribution function works on a model built under ``mixed_float16`` and gives the
   float32 model's answers (they ran the LSTM in float16 and multiplied float16 features by
   the float32 output kernel: ``TypeError`` in ``MatMul``).
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import bilstm_utils
from bilstm_utils import attribution as at
from bilstm_utils import models
from conftest import padded_ids, tiny_classifier


def _steep_classifier(kind: str = "text", scale: float = 2.5):
    """A tiny masked BiLSTM with large random weights: its logit along the path has steep
    stretches, where the midpoint rule needs hundreds of points."""
    bilstm_utils.set_seed(0)
    if kind == "text":
        model = models.build_text_classifier(vocab_size=30, embed_dim=6, units=4, mask_zero=True)
    else:
        model = models.build_pooled_classifier(vocab_size=30, embed_dim=6, units=4)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, scale, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def _midpoint_by_hand(model, ids, steps):
    """The midpoint rule written out: sum_d x_td * mean_j dF/dx_td((j - 1/2)/m x)."""
    x, mask = at.embed(model, ids)
    total = np.zeros(x.shape)
    for j in range(steps):
        path = tf.constant((j + 0.5) / steps * x)
        with tf.GradientTape() as tape:
            tape.watch(path)
            out = at.logit_from_embeddings(model, path, mask)
        total += tape.gradient(out, path).numpy()
    return np.where(mask, (x * total / steps).sum(axis=-1), 0.0)


# ---------------------------------------------------------------------------------------------
# Task 1: quadrature rules


def test_default_method_is_the_unchanged_midpoint_rule():
    model, ids = tiny_classifier(), padded_ids()
    default = at.integrated_gradients(model, ids, steps=8)
    explicit = at.integrated_gradients(model, ids, steps=8, method="midpoint")
    np.testing.assert_array_equal(default.scores, explicit.scores)
    np.testing.assert_array_equal(default.logit, explicit.logit)
    np.testing.assert_allclose(default.scores, _midpoint_by_hand(model, ids, 8), atol=1e-5)
    np.testing.assert_array_equal(default.gradient_evaluations, 8)
    assert not at.uses_reduced_precision(model)
    # Attribution built the old way (three fields) still works
    old = at.Attribution(default.scores, default.logit, default.baseline_logit)
    np.testing.assert_array_equal(old.completeness_gap, default.completeness_gap)


def test_one_point_gauss_legendre_is_the_one_point_midpoint_rule():
    model, ids = tiny_classifier(), padded_ids()
    np.testing.assert_allclose(
        at.integrated_gradients(model, ids, steps=1, method="gauss-legendre").scores,
        at.integrated_gradients(model, ids, steps=1).scores, atol=1e-6)


def test_gauss_legendre_beats_midpoint_on_a_smooth_path():
    # final states, no pooling kinks, moderate weights: F(alpha x) is smooth
    model, ids = _steep_classifier("text", scale=0.5), padded_ids()
    mid = np.abs(at.integrated_gradients(model, ids, steps=8).completeness_gap)
    gauss = np.abs(at.integrated_gradients(model, ids, steps=8,
                                           method="gauss-legendre").completeness_gap)
    assert mid.mean() > 1e-4  # the midpoint rule's error is visible here
    assert gauss.mean() < 0.01 * mid.mean()


@pytest.mark.parametrize("kind", ["text", "pooled"])
def test_adaptive_meets_its_tolerance_where_midpoint_of_equal_cost_does_not(kind):
    model, ids = _steep_classifier(kind), padded_ids(n=8, time=12)
    att = at.integrated_gradients(model, ids, steps=16, method="adaptive")
    change = np.abs(att.logit - att.baseline_logit)
    assert change.mean() > 2  # a non-trivial test
    tol = np.maximum(0.01, 0.01 * change)
    assert np.all(np.abs(att.completeness_gap) <= tol + 1e-4)
    assert np.all(att.scores[ids == 0] == 0)
    cost = int(np.ceil(att.gradient_evaluations.mean()))
    mid = at.integrated_gradients(model, ids, steps=cost)
    assert np.any(np.abs(mid.completeness_gap) > tol)
    assert np.abs(mid.completeness_gap).mean() > 2 * np.abs(att.completeness_gap).mean()


def test_adaptive_gap_shrinks_as_the_tolerance_tightens():
    model, ids = _steep_classifier(), padded_ids(n=6, time=12)
    gaps, costs = [], []
    for tol in (0.1, 0.01, 0.001):
        att = at.integrated_gradients(model, ids, steps=8, method="adaptive", rtol=tol,
                                      atol=tol, max_steps=4096)
        gaps.append(np.abs(att.completeness_gap).mean())
        costs.append(att.gradient_evaluations.sum())
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 2e-3
    assert costs[0] < costs[1] < costs[2]


def test_adaptive_scores_converge_token_by_token():
    # not just their sum: each word's score approaches the fine midpoint rule's
    model, ids = _steep_classifier(), padded_ids(n=3, time=10)
    fine = at.integrated_gradients(model, ids, steps=2048, batch_size=4096)
    assert np.abs(fine.completeness_gap).max() < 2e-3  # a trustworthy reference
    tight = at.integrated_gradients(model, ids, method="adaptive", rtol=1e-4, atol=1e-4,
                                    max_steps=4096)
    np.testing.assert_allclose(tight.scores, fine.scores, atol=5e-3)
    coarse = at.integrated_gradients(model, ids, steps=16)
    assert np.abs(coarse.scores - fine.scores).max() > 10 * np.abs(tight.scores
                                                                   - fine.scores).max()


def test_adaptive_does_not_depend_on_chunking_and_handles_empty_and_unmasked_reviews():
    model = _steep_classifier()
    ids = np.concatenate([padded_ids(n=4, time=10), np.zeros((1, 10), "int32")])
    a = at.integrated_gradients(model, ids, method="adaptive", batch_size=7)
    b = at.integrated_gradients(model, ids, method="adaptive", batch_size=1000)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-5)
    np.testing.assert_array_equal(a.gradient_evaluations, b.gradient_evaluations)
    assert np.all(a.scores[-1] == 0) and a.gradient_evaluations[-1] == 32
    unmasked = tiny_classifier(mask_zero=False)
    att = at.integrated_gradients(unmasked, padded_ids(), method="adaptive", rtol=1e-3,
                                  atol=1e-3)
    assert np.abs(att.completeness_gap).max() < 1.1e-3


def test_adaptive_warns_when_its_budget_is_too_small():
    model, ids = _steep_classifier(), padded_ids(n=3, time=12)
    with pytest.warns(RuntimeWarning, match="max_steps"):
        att = at.integrated_gradients(model, ids, steps=4, method="adaptive", rtol=1e-6,
                                      atol=1e-6, max_steps=12)
    assert att.gradient_evaluations.max() <= 12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at.integrated_gradients(model, ids, method="adaptive", rtol=0.05, atol=0.05)


def test_integrated_gradients_rejects_bad_method_and_tolerances():
    model, ids = tiny_classifier(), padded_ids(n=2, time=6)
    with pytest.raises(ValueError, match="method"):
        at.integrated_gradients(model, ids, method="simpson")
    with pytest.raises(ValueError, match="rtol"):
        at.integrated_gradients(model, ids, method="adaptive", rtol=-0.1)
    with pytest.raises(ValueError, match="atol"):
        at.integrated_gradients(model, ids, method="adaptive", atol=float("nan"))
    with pytest.raises(ValueError, match="both"):
        at.integrated_gradients(model, ids, method="adaptive", rtol=0, atol=0)
    with pytest.raises(ValueError, match="max_steps"):
        at.integrated_gradients(model, ids, steps=32, method="adaptive", max_steps=16)


# ---------------------------------------------------------------------------------------------
# Task 2: mixed precision

IDS = np.array([[5, 7, 9, 0]], "int32")  # the bug report's input


@pytest.fixture
def mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _twins(kind: str):
    """The bug report's model under ``mixed_float16`` and a float32 copy with its weights
    (random, large enough that the model is clearly non-linear)."""
    def build():
        if kind == "pooled":
            return models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3)
        return models.build_text_classifier(vocab_size=30, embed_dim=4, units=3, mask_zero=True)

    bilstm_utils.set_seed(0)
    mixed = build()
    assert mixed.get_layer("bilstm").compute_dtype == "float16"
    keras.mixed_precision.set_global_policy("float32")
    try:
        plain = build()
    finally:
        keras.mixed_precision.set_global_policy("mixed_float16")
    rng = np.random.default_rng(3)
    weights = [rng.normal(0, 0.8, w.shape).astype("float32") for w in mixed.get_weights()]
    mixed.set_weights(weights)
    plain.set_weights(weights)
    return mixed, plain


KINDS = ["pooled", "text"]


@pytest.mark.parametrize("kind", KINDS)
def test_integrated_gradients_under_mixed_precision(mixed_float16, kind):
    mixed, plain = _twins(kind)
    att = at.integrated_gradients(mixed, IDS, steps=8)
    ref = at.integrated_gradients(plain, IDS, steps=8)
    assert att.scores.dtype == np.float32
    np.testing.assert_allclose(att.scores, ref.scores, atol=1e-6)
    np.testing.assert_allclose(att.logit, ref.logit, atol=1e-6)
    adaptive = at.integrated_gradients(mixed, IDS, method="adaptive", rtol=1e-4, atol=1e-4)
    assert np.abs(adaptive.completeness_gap).max() < 2e-4
    # the model keeps its policy: model.predict still runs in float16
    assert mixed.get_layer("bilstm").dtype_policy.name == "mixed_float16"
    assert mixed.get_layer("bilstm").forward_layer.compute_dtype == "float16"


@pytest.mark.parametrize("kind", KINDS)
def test_gradient_times_input_under_mixed_precision(mixed_float16, kind):
    mixed, plain = _twins(kind)
    np.testing.assert_allclose(at.gradient_times_input(mixed, IDS),
                               at.gradient_times_input(plain, IDS), atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_occlusion_under_mixed_precision(mixed_float16, kind):
    mixed, plain = _twins(kind)
    # float16 probabilities made these steps of 1e-3 in the logit
    np.testing.assert_allclose(at.occlusion(mixed, IDS), at.occlusion(plain, IDS), atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_predict_proba_under_mixed_precision_is_the_float32_model(mixed_float16, kind):
    mixed, plain = _twins(kind)
    p = at.predict_proba(mixed, IDS)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, at.predict_proba(plain, IDS), atol=1e-6)
    logit = at.integrated_gradients(mixed, IDS, steps=2).logit
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-logit)), atol=1e-6)
    # the model itself, untouched, still answers in float16
    native = np.asarray(mixed.predict(IDS, verbose=0)).reshape(-1)
    np.testing.assert_allclose(native, p, atol=2e-3)


@pytest.mark.parametrize("kind", KINDS)
def test_path_logits_under_mixed_precision(mixed_float16, kind):
    mixed, plain = _twins(kind)
    alphas, logits = at.path_logits(mixed, IDS, points=5)
    np.testing.assert_allclose(logits, at.path_logits(plain, IDS, points=5)[1], atol=1e-6)
    x, mask = at.embed(mixed, IDS)
    features = at.features_from_embeddings(mixed, x, mask)
    assert features.dtype == tf.float32


def test_float32_compute_restores_policies_after_an_error(mixed_float16):
    mixed, _ = _twins("pooled")
    with pytest.raises(RuntimeError, match="boom"), at.float32_compute(mixed):
        assert mixed.get_layer("bilstm").forward_layer.compute_dtype == "float32"
        raise RuntimeError("boom")
    assert at.uses_reduced_precision(mixed)
    assert mixed.get_layer("bilstm").forward_layer.compute_dtype == "float16"


def test_repeated_attribution_calls_reuse_their_graphs_and_keep_no_model_alive():
    """Chapter 5 calls the attribution functions many times: each call used to build new
    ``tf.function`` objects, retracing every time (TensorFlow then warns of retracing)."""
    import gc
    import weakref

    model = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3,
                                           skip_embeddings=False)
    ids = np.array([[5, 7, 9, 0], [3, 4, 0, 0]], "int32")
    first = at.integrated_gradients(model, ids, steps=4)
    at.gradient_times_input(model, ids)
    graphs = dict(at._GRAPHS[model])
    for _ in range(3):
        again = at.integrated_gradients(model, ids, steps=4)
        at.integrated_gradients(model, ids, steps=4, method="adaptive")
        at.gradient_times_input(model, ids)
    np.testing.assert_allclose(again.scores, first.scores, atol=1e-6)
    for key, functions in graphs.items():
        assert at._GRAPHS[model][key] is functions  # the same graph functions, not new ones
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None  # the cache does not keep the model alive
