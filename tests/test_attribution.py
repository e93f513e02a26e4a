"""Tests of bilstm_utils.attribution (chapter 5): integrated gradients, occlusion, deletion."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bilstm_utils import attribution as at  # noqa: E402
from conftest import padded_ids, tiny_classifier  # noqa: E402


def test_logit_from_embeddings_matchestiny_classifier():
    model, ids = tiny_classifier(), padded_ids()
    x, mask = at.embed(model, ids)
    logit = at.logit_from_embeddings(model, x, mask).numpy()
    p = at.predict_proba(model, ids)
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), p, atol=1e-5)


def test_integrated_gradients_completeness_and_padding():
    model, ids = tiny_classifier(), padded_ids()
    att = at.integrated_gradients(model, ids, steps=64, batch_size=128)
    assert att.scores.shape == ids.shape
    assert np.all(att.scores[ids == 0] == 0)
    assert np.abs(att.logit - att.baseline_logit).mean() > 0.05  # a non-trivial test
    np.testing.assert_allclose(att.completeness_gap, 0, atol=2e-3)
    coarse = at.integrated_gradients(model, ids, steps=1, batch_size=128)
    assert np.abs(coarse.completeness_gap).mean() > np.abs(att.completeness_gap).mean()


def test_integrated_gradients_does_not_depend_on_chunking():
    model, ids = tiny_classifier(), padded_ids()
    a = at.integrated_gradients(model, ids, steps=8, batch_size=8).scores
    b = at.integrated_gradients(model, ids, steps=8, batch_size=1000).scores
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_integrated_gradients_rejects_bad_arguments():
    model = tiny_classifier()
    with pytest.raises(ValueError, match="steps"):
        at.integrated_gradients(model, padded_ids(), steps=0)
    with pytest.raises(ValueError, match="shape"):
        at.integrated_gradients(model, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="integer"):
        at.integrated_gradients(model, np.ones((2, 3)))


def test_delete_tokens_removes_and_repads():
    ids = np.array([[5, 6, 7, 8, 0, 0], [1, 2, 3, 4, 5, 6]])
    out = at.delete_tokens(ids, [np.array([1]), np.array([0, 5])])
    np.testing.assert_array_equal(out, [[5, 7, 8, 0, 0, 0], [2, 3, 4, 5, 0, 0]])
    pre = at.delete_tokens(np.array([[0, 0, 5, 6, 7, 8]]), [np.array([3])], padding="pre")
    np.testing.assert_array_equal(pre, [[0, 0, 0, 5, 7, 8]])
    with pytest.raises(ValueError, match="padding"):
        at.delete_tokens(ids, [np.array([1]), np.array([0])], padding="left")
    with pytest.raises(ValueError, match="positions"):
        at.delete_tokens(ids, [np.array([6]), np.array([0])])
    with pytest.raises(ValueError, match="one array per row"):
        at.delete_tokens(ids, [np.array([1])])


def test_masked_deletion_equals_shorter_review():
    model = tiny_classifier(mask_zero=True)
    ids = np.array([[5, 6, 7, 8, 9, 0, 0]], "int32")
    deleted = at.delete_tokens(ids, [np.array([2])])
    np.testing.assert_allclose(at.predict_proba(model, deleted),
                               at.predict_proba(model, np.array([[5, 6, 8, 9]], "int32")),
                               atol=1e-6)


def test_top_k_positions_follows_direction_and_skips_padding():
    ids = np.array([[3, 4, 5, 6, 0], [3, 4, 5, 6, 0]])
    scores = np.array([[1.0, -2.0, 3.0, 0.5, 9.0], [1.0, -2.0, 3.0, 0.5, 9.0]])
    top = at.top_k_positions(ids, scores, np.array([1.0, -1.0]), k=2)
    np.testing.assert_array_equal(top[0], [2, 0])  # position 4 is padding despite its 9.0
    np.testing.assert_array_equal(top[1], [1, 3])


def test_deletion_test_matches_manual_computation():
    model, ids = tiny_classifier(), padded_ids(n=4, time=15)
    scores = at.integrated_gradients(model, ids, steps=16).scores
    result = at.deletion_test(model, ids, scores, k=2, n_random=3, seed=5)
    p = at.predict_proba(model, ids)
    direction = np.where(p >= 0.5, 1.0, -1.0)
    manual = at.predict_proba(model, at.delete_tokens(ids, at.top_k_positions(ids, scores,
                                                                             direction, 2)))
    np.testing.assert_allclose(result.topk_drop, np.abs(p - manual), atol=1e-6)
    assert result.random_drop.shape == (4,) and np.all(result.random_drop >= 0)
    again = at.deletion_test(model, ids, scores, k=2, n_random=3, seed=5)
    np.testing.assert_array_equal(result.random_drop, again.random_drop)
    with pytest.raises(ValueError, match="more than k"):
        at.deletion_test(model, ids, scores, k=11)


def test_occlusion_is_logit_change():
    model = tiny_classifier()
    ids = np.array([[4, 9, 12, 3, 0, 0]], "int32")
    occ = at.occlusion(model, ids)
    assert occ[0, 4] == 0 and occ[0, 5] == 0
    p = at.predict_proba(model, np.concatenate([ids, [[4, 12, 3, 0, 0, 0]]]).astype("int32"))
    logit = np.log(p / (1 - p))
    np.testing.assert_allclose(occ[0, 1], logit[0] - logit[1], atol=1e-4)
    with pytest.raises(ValueError, match="one review"):
        at.occlusion(model, padded_ids())


def test_foreign_model_is_rejected():
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Embedding(5, 2)(inputs)))
    with pytest.raises(ValueError, match="build_text_classifier"):
        at.embed(model, padded_ids())


def test_attribution_html_escapes_and_colours():
    out = at.attribution_html(["good", "<b>bad</b>", "meh"], np.array([2.0, -1.0, 0.0]),
                              title="A & B")
    assert out.count("<span") == 3
    assert "&lt;b&gt;bad&lt;/b&gt;" in out and "<b>" not in out
    assert "A &amp; B" in out
    assert "rgba(0,150,60,1.00)" in out  # strongest positive: full green
    assert "rgba(215,40,40,0.50)" in out  # half as strong, negative: half red
    assert "<link" not in out and "<script" not in out  # self-contained
    with pytest.raises(ValueError, match="one score per word"):
        at.attribution_html(["a", "b"], np.array([1.0]))


def test_empty_review_gets_no_attribution_and_a_finite_logit():
    model = tiny_classifier()
    ids = np.array([[0, 0, 0, 0], [5, 6, 0, 0]], "int32")
    att = at.integrated_gradients(model, ids, steps=8)
    assert np.isfinite(att.logit).all() and np.all(att.scores[0] == 0)
    bias = model.get_layer("classifier").get_weights()[1][0]
    np.testing.assert_allclose(att.logit[0], bias, atol=1e-6)  # zero features: logit = bias
    np.testing.assert_allclose(1 / (1 + np.exp(-att.logit)), at.predict_proba(model, ids),
                               atol=1e-5)


def test_attribution_helpers_reject_nan_scores_and_bad_k():
    model, ids = tiny_classifier(), padded_ids(n=2, time=6)
    with pytest.raises(ValueError, match="finite"):
        at.deletion_test(model, ids, np.full(ids.shape, np.nan), k=1)
    with pytest.raises(ValueError, match="finite"):
        at.top_k_positions(ids, np.full(ids.shape, np.nan), np.ones(2), k=1)
    for k in (-1, 0, 2.5):  # the fault: k=-1 returned padding positions
        with pytest.raises(ValueError, match="k must be"):
            at.top_k_positions(ids, np.ones(ids.shape), np.ones(2), k=k)
    scalar = at.top_k_positions(ids, np.arange(12.0).reshape(2, 6), 1.0, k=1)
    assert [list(p) for p in scalar] == [[4], [3]]  # the last real token of each row
    with pytest.raises(ValueError, match="steps"):
        at.integrated_gradients(model, ids, steps=4.0)
    with pytest.raises(ValueError, match="vocabulary size"):
        at.embed(model, ids + 100)
    with pytest.raises(ValueError, match="integers"):
        at.delete_tokens(ids, [np.array([1.7]), np.array([0])])


def test_attribution_html_of_an_empty_review_and_a_bad_scale():
    assert at.attribution_html([], []).count("<span") == 0
    with pytest.raises(ValueError, match="scale"):
        at.attribution_html(["a"], [1.0], scale=float("nan"))
