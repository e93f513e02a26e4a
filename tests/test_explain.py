"""Tests of bilstm_utils.explain (chapter 5)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bilstm_utils  # noqa: E402
from bilstm_utils import explain as ex  # noqa: E402
from bilstm_utils.models import build_text_classifier  # noqa: E402


def _model(mask_zero: bool = True, seed: int = 0):
    bilstm_utils.set_seed(seed)
    model = build_text_classifier(vocab_size=30, embed_dim=6, units=4, mask_zero=mask_zero,
                                  dropout=0.5)
    # larger random weights than the initialiser's, so the model is clearly non-linear
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.8, w.shape).astype("float32") for w in model.get_weights()])
    return model


def _ids(n: int = 5, time: int = 12, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ids = rng.integers(2, 30, (n, time)).astype("int32")
    for r in range(n):
        ids[r, : r + 1] = 0  # pre-padding of different lengths
    return ids


def test_logit_from_embeddings_matches_model():
    model, ids = _model(), _ids()
    x, mask = ex.embed(model, ids)
    logit = ex.logit_from_embeddings(model, x, mask).numpy()
    p = ex.predict_proba(model, ids)
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), p, atol=1e-5)


def test_integrated_gradients_completeness_and_padding():
    model, ids = _model(), _ids()
    att = ex.integrated_gradients(model, ids, steps=64, batch_size=128)
    assert att.scores.shape == ids.shape
    assert np.all(att.scores[ids == 0] == 0)
    assert np.abs(att.logit - att.baseline_logit).mean() > 0.05  # a non-trivial test
    np.testing.assert_allclose(att.completeness_gap, 0, atol=2e-3)
    coarse = ex.integrated_gradients(model, ids, steps=1, batch_size=128)
    assert np.abs(coarse.completeness_gap).mean() > np.abs(att.completeness_gap).mean()


def test_integrated_gradients_does_not_depend_on_chunking():
    model, ids = _model(), _ids()
    a = ex.integrated_gradients(model, ids, steps=8, batch_size=8).scores
    b = ex.integrated_gradients(model, ids, steps=8, batch_size=1000).scores
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_integrated_gradients_rejects_bad_arguments():
    model = _model()
    with pytest.raises(ValueError, match="steps"):
        ex.integrated_gradients(model, _ids(), steps=0)
    with pytest.raises(ValueError, match="shape"):
        ex.integrated_gradients(model, np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="integer"):
        ex.integrated_gradients(model, np.ones((2, 3)))


def test_delete_tokens_removes_and_repads():
    ids = np.array([[0, 0, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6]])
    out = ex.delete_tokens(ids, [np.array([3]), np.array([0, 5])])
    np.testing.assert_array_equal(out, [[0, 0, 0, 5, 7, 8], [0, 0, 2, 3, 4, 5]])
    with pytest.raises(ValueError, match="positions"):
        ex.delete_tokens(ids, [np.array([6]), np.array([0])])
    with pytest.raises(ValueError, match="one array per row"):
        ex.delete_tokens(ids, [np.array([1])])


def test_masked_deletion_equals_shorter_review():
    model = _model(mask_zero=True)
    ids = np.array([[0, 0, 5, 6, 7, 8, 9]], "int32")
    deleted = ex.delete_tokens(ids, [np.array([4])])
    np.testing.assert_allclose(ex.predict_proba(model, deleted),
                               ex.predict_proba(model, np.array([[5, 6, 8, 9]], "int32")),
                               atol=1e-6)


def test_top_k_positions_follows_direction_and_skips_padding():
    ids = np.array([[0, 3, 4, 5, 6], [0, 3, 4, 5, 6]])
    scores = np.array([[9.0, 1.0, -2.0, 3.0, 0.5], [9.0, 1.0, -2.0, 3.0, 0.5]])
    top = ex.top_k_positions(ids, scores, np.array([1.0, -1.0]), k=2)
    np.testing.assert_array_equal(top[0], [3, 1])  # position 0 is padding despite its 9.0
    np.testing.assert_array_equal(top[1], [2, 4])


def test_deletion_test_matches_manual_computation():
    model, ids = _model(), _ids(n=4, time=15)
    scores = ex.integrated_gradients(model, ids, steps=16).scores
    result = ex.deletion_test(model, ids, scores, k=2, n_random=3, seed=5)
    p = ex.predict_proba(model, ids)
    direction = np.where(p >= 0.5, 1.0, -1.0)
    manual = ex.predict_proba(model, ex.delete_tokens(ids, ex.top_k_positions(ids, scores,
                                                                             direction, 2)))
    np.testing.assert_allclose(result.topk_drop, np.abs(p - manual), atol=1e-6)
    assert result.random_drop.shape == (4,) and np.all(result.random_drop >= 0)
    again = ex.deletion_test(model, ids, scores, k=2, n_random=3, seed=5)
    np.testing.assert_array_equal(result.random_drop, again.random_drop)
    with pytest.raises(ValueError, match="more than k"):
        ex.deletion_test(model, ids, scores, k=11)


def test_occlusion_is_logit_change():
    model = _model()
    ids = np.array([[0, 0, 4, 9, 12, 3]], "int32")
    occ = ex.occlusion(model, ids)
    assert occ[0, 0] == 0 and occ[0, 1] == 0
    p = ex.predict_proba(model, np.concatenate([ids, [[0, 0, 0, 4, 12, 3]]]).astype("int32"))
    logit = np.log(p / (1 - p))
    np.testing.assert_allclose(occ[0, 3], logit[0] - logit[1], atol=1e-4)
    with pytest.raises(ValueError, match="one review"):
        ex.occlusion(model, _ids())


def test_fit_logistic_optimum_and_accuracy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x @ np.array([2.0, -1.0, 0.0]) + 0.3 + rng.normal(0, 0.5, 400) > 0).astype(int)
    w, b = ex.fit_logistic(x, y, l2=1e-3)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    grad_w = x.T @ (p - y) / len(y) + 1e-3 * w
    np.testing.assert_allclose(grad_w, 0, atol=1e-8)  # stationary point of the objective
    np.testing.assert_allclose(np.mean(p - y), 0, atol=1e-8)
    assert ex.logistic_accuracy(x, y, w, b).mean() > 0.85
    assert w[0] > 1 and w[1] < -0.5
    w_strong, _ = ex.fit_logistic(x, y, l2=10.0)
    assert np.abs(w_strong).sum() < 0.2 * np.abs(w).sum()
    with pytest.raises(ValueError, match="0 and 1"):
        ex.fit_logistic(x, y * 2)


def test_bootstrap_ci():
    rng = np.random.default_rng(0)
    v = rng.normal(1.0, 1.0, 400)
    lo, hi = ex.bootstrap_ci(v)
    assert lo < v.mean() < hi
    assert 0.1 < hi - lo < 0.3  # about 2 * 1.96 / sqrt(400) = 0.196
    with pytest.raises(ValueError):
        ex.bootstrap_ci([1.0])


@pytest.mark.parametrize("mask_zero", [True, False])
def test_direction_gates_reproduce_keras_final_states(mask_zero):
    model, ids = _model(mask_zero=mask_zero), _ids()
    fwd, bwd = ex.direction_features(model, ids)
    assert fwd.shape == bwd.shape == (len(ids), 4)
    for r in range(len(ids)):
        g = ex.direction_gates(model, ids[r])
        steps = (ids[r] != 0).sum() if mask_zero else ids.shape[1]
        assert g["forward"].gates["f"].shape == (1, steps, 4)
        np.testing.assert_allclose(g["forward"].h[0], fwd[r], atol=1e-5)
        np.testing.assert_allclose(g["backward"].h[0], bwd[r], atol=1e-5)
        # after flipping back, the backward state at position 0 is its final state
        np.testing.assert_allclose(g["backward"].outputs[0, 0], bwd[r], atol=1e-5)


def test_direction_tools_reject_unidirectional_model():
    bilstm_utils.set_seed(0)
    model = build_text_classifier(vocab_size=30, embed_dim=6, units=4, bidirectional=False)
    with pytest.raises(ValueError, match="bidirectional"):
        ex.direction_features(model, _ids())
    with pytest.raises(ValueError, match="bidirectional"):
        ex.direction_gates(model, _ids()[0])


def test_foreign_model_is_rejected():
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Embedding(5, 2)(inputs)))
    with pytest.raises(ValueError, match="build_text_classifier"):
        ex.embed(model, _ids())


def test_attribution_html_escapes_and_colours():
    out = ex.attribution_html(["good", "<b>bad</b>", "meh"], np.array([2.0, -1.0, 0.0]),
                              title="A & B")
    assert out.count("<span") == 3
    assert "&lt;b&gt;bad&lt;/b&gt;" in out and "<b>" not in out
    assert "A &amp; B" in out
    assert "rgba(0,150,60,1.00)" in out  # strongest positive: full green
    assert "rgba(215,40,40,0.50)" in out  # half as strong, negative: half red
    assert "<link" not in out and "<script" not in out  # self-contained
    with pytest.raises(ValueError, match="one score per word"):
        ex.attribution_html(["a", "b"], np.array([1.0]))


def test_plots_have_titles_and_labels():
    model, ids = _model(), _ids()
    g = ex.direction_gates(model, ids[0])
    words = [f"w{i}" for i in range(g["forward"].cells.shape[1])]
    fig = ex.plot_gate_heatmaps(words, g)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 4 and fig._suptitle is not None
    assert panels[-1].get_xlabel()
    fig2 = ex.plot_cell_trajectories(words, g, {"forward": [0, 1], "backward": [2]})
    ax = fig2.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 3
    with pytest.raises(ValueError, match="gate_names"):
        ex.plot_gate_heatmaps(words, g, gate_names=("x",))
    with pytest.raises(ValueError, match="words"):
        ex.plot_cell_trajectories(words[:-1], g, {"forward": [0]})
    plt.close("all")
