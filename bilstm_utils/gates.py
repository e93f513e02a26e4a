"""Gate reading of a trained BiLSTM classifier (chapter 5): the LSTM's gates on a real review.

:func:`direction_gates` re-runs both directions of the trained layer with the NumPy LSTM of
:mod:`bilstm_utils.lstm`; :func:`plot_review_gate_heatmaps` and :func:`plot_cell_trajectories`
draw the result aligned with the review's words. (Chapter 2's figure of gates on a synthetic
task is :func:`bilstm_utils.diagrams.plot_gate_heatmaps`.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilstm_utils._quiet import import_tensorflow_quietly
from bilstm_utils.attribution import _layers, embed
from bilstm_utils.lstm import LSTMResult, lstm_forward

tf = import_tensorflow_quietly()
import keras  # noqa: E402


def _flip_time(result: LSTMResult) -> LSTMResult:
    return LSTMResult(
        outputs=result.outputs[:, ::-1], h=result.h, c=result.c, cells=result.cells[:, ::-1],
        gates={g: v[:, ::-1] for g, v in result.gates.items()},
    )


def direction_gates(model: keras.Model, ids_row: np.ndarray) -> dict[str, LSTMResult]:
    """Run both directions of the trained ``Bidirectional`` layer over one review in NumPy.

    With ``mask_zero=True`` the padding is dropped first (Keras skips masked steps and
    carries the state over, which is the same as never reading them). The backward result
    is flipped back in time, so index ``t`` of both refers to the same word: the forward
    direction has read words ``0..t`` there, the backward one words ``t..T-1``.

    Parameters
    ----------
    model : keras.Model
        A bidirectional ``build_text_classifier`` model with ``pooling="last"``.
    ids_row : ndarray of int, shape (time,)
        One review (padded or not).

    Returns
    -------
    dict with keys ``"forward"``, ``"backward"`` and :class:`~bilstm_utils.lstm.LSTMResult`
    values (batch 1, ``time`` = number of tokens read). ``h`` and ``c`` are each direction's
    final states (what ``Bidirectional`` concatenates).
    """
    ids_row = np.asarray(ids_row)
    if ids_row.ndim != 1:
        raise ValueError(f"ids_row must be one review, shape (time,), got {ids_row.shape}")
    embedding, recurrent, _ = _layers(model)
    if not hasattr(recurrent, "forward_layer"):
        raise ValueError("model has a one-directional LSTM: build it with bidirectional=True")
    tokens = ids_row[ids_row != 0] if embedding.mask_zero else ids_row
    if tokens.size == 0:
        raise ValueError("the review has no tokens")
    x, _ = embed(model, tokens[None, :])
    fwd = lstm_forward(x, *[np.asarray(w) for w in recurrent.forward_layer.get_weights()])
    bwd = lstm_forward(x[:, ::-1], *[np.asarray(w) for w in recurrent.backward_layer.get_weights()])
    return {"forward": fwd, "backward": _flip_time(bwd)}


def _word_axis(ax, words: Sequence[str]) -> None:
    ax.set_xticks(np.arange(len(words)))
    ax.set_xticklabels(words, rotation=90, fontsize=8)


def plot_review_gate_heatmaps(words: Sequence[str], gates: dict[str, LSTMResult],
                       gate_names: Sequence[str] = ("i", "f")):
    """Heatmaps of gate activations, one panel per (direction, gate), columns = words.

    Parameters
    ----------
    words : sequence of str, length T
    gates : dict
        :func:`direction_gates`'s result (each ``LSTMResult`` with ``time = T``).
    gate_names : sequence of {"i", "f", "o"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415

    full = {"i": "input gate", "f": "forget gate", "o": "output gate"}
    if not gate_names or any(g not in full for g in gate_names):
        raise ValueError(f"gate_names must be a non-empty list of {sorted(full)}, got {gate_names}")
    for result in gates.values():
        if result.gates["i"].shape[1] != len(words):
            raise ValueError(f"{len(words)} words but {result.gates['i'].shape[1]} time steps")
    panels = [(d, g) for d in ("forward", "backward") for g in gate_names]
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(8, 0.22 * len(words)), 2.4 * len(panels)),
                             sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (direction, g) in zip(axes, panels, strict=True):
        img = ax.imshow(gates[direction].gates[g][0].T, aspect="auto", cmap="viridis",
                        vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{direction} direction: {full[g]}", fontsize=10)
        ax.set_ylabel("unit")
        fig.colorbar(img, ax=ax, pad=0.01, label="activation")
    _word_axis(axes[-1], words)
    axes[-1].set_xlabel("word (the review in reading order)")
    fig.suptitle("Gate activations of both directions, aligned with the words")
    fig.tight_layout()
    return fig


def plot_cell_trajectories(words: Sequence[str], gates: dict[str, LSTMResult],
                           units: dict[str, Sequence[int]]):
    """Cell states :math:`c_t` of chosen units of each direction, at each word.

    Parameters
    ----------
    words : sequence of str, length T
    gates : dict
        :func:`direction_gates`'s result.
    units : dict
        ``{"forward": [...], "backward": [...]}``: unit indices to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(max(8, 0.22 * len(words)), 3.8))
    styles = {"forward": "-", "backward": "--"}
    for direction, chosen in units.items():
        if direction not in gates:
            raise ValueError(f"units has key {direction!r}; use 'forward' and/or 'backward'")
        cells = gates[direction].cells[0]
        if cells.shape[0] != len(words):
            raise ValueError(f"{len(words)} words but {cells.shape[0]} time steps")
        for u in chosen:
            ax.plot(np.arange(len(words)), cells[:, u], styles[direction], marker=".",
                    label=f"{direction} unit {u}")
    ax.axhline(0, color="gray", lw=0.6)
    _word_axis(ax, words)
    ax.set_xlabel("word (forward: has read up to here; backward: has read from the end to here)")
    ax.set_ylabel("cell state $c_t$")
    ax.set_title("Cell-state trajectories of the units most correlated with the prediction")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig
