"""Tests of bilstm_utils.gates (chapter 5): gate reading on a review."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bilstm_utils import directions, gates  # noqa: E402
from conftest import padded_ids, tiny_classifier  # noqa: E402


@pytest.mark.parametrize("mask_zero", [True, False])
def test_direction_gates_reproduce_keras_final_states(mask_zero):
    model, ids = tiny_classifier(mask_zero=mask_zero), padded_ids()
    fwd, bwd = directions.direction_features(model, ids)
    assert fwd.shape == bwd.shape == (len(ids), 4)
    for r in range(len(ids)):
        g = gates.direction_gates(model, ids[r])
        steps = (ids[r] != 0).sum() if mask_zero else ids.shape[1]
        assert g["forward"].gates["f"].shape == (1, steps, 4)
        np.testing.assert_allclose(g["forward"].h[0], fwd[r], atol=1e-5)
        np.testing.assert_allclose(g["backward"].h[0], bwd[r], atol=1e-5)
        # after flipping back, the backward state at position 0 is its final state
        np.testing.assert_allclose(g["backward"].outputs[0, 0], bwd[r], atol=1e-5)


def test_plots_have_titles_and_labels():
    model, ids = tiny_classifier(), padded_ids()
    g = gates.direction_gates(model, ids[0])
    words = [f"w{i}" for i in range(g["forward"].cells.shape[1])]
    fig = gates.plot_review_gate_heatmaps(words, g)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 4 and fig._suptitle is not None
    assert panels[-1].get_xlabel()
    fig2 = gates.plot_cell_trajectories(words, g, {"forward": [0, 1], "backward": [2]})
    ax = fig2.axes[0]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 3
    with pytest.raises(ValueError, match="gate_names"):
        gates.plot_review_gate_heatmaps(words, g, gate_names=("x",))
    with pytest.raises(ValueError, match="words"):
        gates.plot_cell_trajectories(words[:-1], g, {"forward": [0]})
    plt.close("all")
