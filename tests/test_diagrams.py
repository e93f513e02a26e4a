"""Tests of the book's drawn figures (bilstm_utils.diagrams)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bilstm_utils.diagrams import draw_lstm_cell, plot_cell_state, plot_gate_heatmaps  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_cell_diagram_labels_every_state_and_gate():
    ax = draw_lstm_cell()
    texts = " ".join(t.get_text() for t in ax.texts)
    for label in ("c_{t-1}", "c_t", "h_{t-1}", "h_t", "x_t", "f_t", "i_t", r"\tilde c_t", "o_t"):
        assert label in texts, label
    assert texts.count("tanh") == 2  # candidate activation and tanh(c_t)
    assert "output $h_t$" in texts  # h_t leaves the cell as the output, not only to t+1
    assert "LSTM" in ax.get_title()
    # Four pointwise operations: f * c_{t-1}, i * c~, their sum, and o * tanh(c_t).
    assert sum(isinstance(p, matplotlib.patches.Circle) for p in ax.patches) == 4


def test_gate_heatmaps_layout_and_scale():
    rng = np.random.default_rng(0)
    gates = {k: rng.uniform(size=(4, 12, 3)) for k in "ifco"}
    fig = plot_gate_heatmaps(gates, sequences=[0, 2], labels=np.array([0, 1, 1, 0]))
    assert len(fig.axes) == 2 * 3 + 1  # six heatmaps and the colourbar
    axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(axes) == 2 * 3
    heat = axes[0]
    image = heat.images[0]
    assert image.get_array().shape == (3, 12)  # units x time
    np.testing.assert_allclose(image.get_array(), gates["f"][0].T)
    assert image.get_clim() == (0.0, 1.0)
    assert "forget" in heat.get_title() and "label 0" in heat.get_title()
    assert fig.get_suptitle()


def test_gate_heatmaps_bad_arguments():
    gates = {k: np.zeros((2, 5, 3)) for k in "ifco"}
    with pytest.raises(ValueError, match="out of range"):
        plot_gate_heatmaps(gates, sequences=[2])
    with pytest.raises(ValueError, match="not in gates"):
        plot_gate_heatmaps(gates, sequences=[0], gate_keys=("x",))
    with pytest.raises(ValueError, match="empty"):
        plot_gate_heatmaps(gates, sequences=[])
    with pytest.raises(ValueError, match="shape"):
        plot_gate_heatmaps({"f": np.zeros((5, 3))}, sequences=[0], gate_keys=("f",))


def test_cell_state_plot_one_line_per_sequence_one_legend_entry_per_class():
    cells = np.arange(4 * 6 * 2, dtype=float).reshape(4, 6, 2)
    labels = np.array([0, 1, 1, 0])
    ax = plot_cell_state(cells, unit=1, labels=labels)
    assert len(ax.lines) == 4
    np.testing.assert_allclose(ax.lines[0].get_ydata(), cells[0, :, 1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["label 0", "label 1"]
    assert ax.get_xlabel() and "unit 1" in ax.get_ylabel()


def test_cell_state_bad_arguments():
    with pytest.raises(ValueError, match="unit"):
        plot_cell_state(np.zeros((2, 3, 4)), unit=4, labels=np.array([0, 1]))
    with pytest.raises(ValueError, match="labels"):
        plot_cell_state(np.zeros((2, 3, 4)), unit=0, labels=np.array([0, 1, 1]))
