"""Tests of the book's drawn figures (bilstm_utils.diagrams)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from bilstm_utils.diagrams import draw_lstm_cell  # noqa: E402


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
