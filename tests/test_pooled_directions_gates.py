"""Tests of bilstm_utils.directions and bilstm_utils.gates on the pooled, masked BiLSTM, and of
the gate-derived quantities (time constants, writes, cell changes)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bilstm_utils import attribution as at  # noqa: E402
from bilstm_utils import directions, gates, models  # noqa: E402
from conftest import padded_ids, tiny_classifier, tiny_pooled_classifier  # noqa: E402


def test_direction_columns_recompose_the_logit():
    model, ids = tiny_pooled_classifier(), padded_ids()
    fwd_cols, bwd_cols = directions.direction_columns(model)
    np.testing.assert_array_equal(fwd_cols, [0, 1, 2, 3, 8, 9, 10, 11])
    np.testing.assert_array_equal(bwd_cols, [4, 5, 6, 7, 12, 13, 14, 15])
    fwd, bwd = directions.direction_features(model, ids)
    kernel, bias = model.get_layer("classifier").get_weights()
    logit = fwd @ kernel[fwd_cols, 0] + bwd @ kernel[bwd_cols, 0] + bias[0]
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), at.predict_proba(model, ids), atol=1e-5)
    last_f, last_b = directions.direction_columns(tiny_classifier())
    np.testing.assert_array_equal(last_f, [0, 1, 2, 3])
    np.testing.assert_array_equal(last_b, [4, 5, 6, 7])
    with pytest.raises(ValueError, match="skip_embeddings"):
        directions.direction_columns(tiny_pooled_classifier(skip_embeddings=True))


def test_numpy_gates_reproduce_pooled_features():
    # the NumPy re-run of both directions, max- and mean-pooled, is what the model pools
    model, ids = tiny_pooled_classifier(), padded_ids()
    fwd, bwd = directions.direction_features(model, ids)
    for r in range(len(ids)):
        g = gates.direction_gates(model, ids[r])
        for name, feats in (("forward", fwd), ("backward", bwd)):
            out = g[name].outputs[0]
            np.testing.assert_allclose(np.concatenate([out.max(0), out.mean(0)]), feats[r],
                                       atol=1e-5)


def test_time_constants_writes_and_changes():
    model, ids = tiny_pooled_classifier(), padded_ids()
    g = gates.direction_gates(model, ids[0])
    taus = gates.forget_time_constants(g)
    f = g["forward"].gates["f"][0]
    np.testing.assert_allclose(taus["forward"], 1 / (1 - f.astype(float)))
    assert np.all(taus["backward"] >= 1)
    moves = gates.cell_writes_and_changes(g)
    for name in ("forward", "backward"):
        cells = g[name].cells[0]
        # the changes add up to the cell, in each direction's reading order
        total = np.cumsum(moves[name]["change"][:: 1 if name == "forward" else -1], axis=0)
        np.testing.assert_allclose(total, cells[:: 1 if name == "forward" else -1], atol=1e-5)
        np.testing.assert_allclose(moves[name]["write"],
                                   g[name].gates["i"][0] * g[name].gates["c"][0])
    # change = write - (1 - f) * previous cell
    prev = np.concatenate([np.zeros((1, 4)), g["forward"].cells[0][:-1]])
    np.testing.assert_allclose(moves["forward"]["change"],
                               moves["forward"]["write"] - (1 - f) * prev, atol=1e-5)


def test_gate_plots_use_the_data_range_and_signs():
    model, ids = tiny_pooled_classifier(), padded_ids()
    g = gates.direction_gates(model, ids[0])
    words = [f"w{i}" for i in range(g["forward"].cells.shape[1])]
    fig = gates.plot_review_gate_heatmaps(words, g, gate_names=("f",))
    f_all = np.concatenate([g[d].gates["f"][0].ravel() for d in ("forward", "backward")])
    clim = fig.axes[0].images[0].get_clim()
    np.testing.assert_allclose(clim, (f_all.min(), f_all.max()), rtol=1e-6)
    fig = gates.plot_write_and_change(words, g)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 4
    lo, hi = panels[1].images[0].get_clim()
    assert hi == -lo > 0  # diverging, centred on zero
    fig = gates.plot_forget_time_constants(gates.forget_time_constants(g))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_xlabel() and ax.get_title()
    assert len(ax.get_legend().get_texts()) == 2
    fig = gates.plot_cell_trajectories(words, g, {"forward": [0, 1]}, signs={"forward": [1, -1]})
    line = fig.axes[0].get_lines()[1]
    np.testing.assert_allclose(line.get_ydata(), -g["forward"].cells[0][:, 1])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[1].startswith("\N{MINUS SIGN}c")
    with pytest.raises(ValueError, match="signs"):
        gates.plot_cell_trajectories(words, g, {"forward": [0, 1]}, signs={"forward": [2, 1]})
    with pytest.raises(ValueError, match="words"):
        gates.plot_write_and_change(words[:-1], g)
    with pytest.raises(ValueError, match="finite"):
        gates.plot_forget_time_constants({"forward": np.array([np.inf])})
    plt.close("all")


def test_cross_validated_accuracy_uses_the_chosen_c():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] - x[:, 1] + rng.normal(0, 0.5, 300) > 0).astype(int)
    model = directions.fit_logistic(x, y)
    acc = directions.cross_validated_accuracy(model, x, y)
    assert 0.8 < acc <= 1.0
    noise = directions.fit_logistic(x, rng.integers(0, 2, 300))
    assert directions.cross_validated_accuracy(noise, x, rng.integers(0, 2, 300)) < 0.65
    with pytest.raises(ValueError, match="cv"):
        directions.cross_validated_accuracy(model, x, y, cv=1)


def test_direction_features_batched_by_length_equal_the_whole_model():
    """The length-bucketed path returns, row by row in input order, what the full model reads."""
    model = models.build_pooled_classifier(vocab_size=30, embed_dim=6, units=4,
                                           skip_embeddings=False)
    rng = np.random.default_rng(3)
    ids = np.zeros((23, 17), "int32")
    for row, n in zip(ids, rng.integers(0, 18, size=23), strict=True):  # right-padded; some empty
        row[:n] = rng.integers(1, 30, size=n)
    fwd, bwd = directions.direction_features(model, ids, batch_size=5)
    sub = keras.Model(model.inputs, model.get_layer("classifier").input)
    whole = np.asarray(sub.predict(ids, verbose=0))
    f_cols, b_cols = directions.direction_columns(model)
    np.testing.assert_allclose(fwd, whole[:, f_cols], atol=1e-5)
    np.testing.assert_allclose(bwd, whole[:, b_cols], atol=1e-5)
