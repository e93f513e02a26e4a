"""Gate reading of a trained BiLSTM classifier (chapter 5): the LSTM's gates on a real review.

:func:`direction_gates` re-runs both directions of the trained layer with the NumPy LSTM of
:mod:`bilstm_utils.lstm` (for ``build_text_classifier`` and ``build_pooled_classifier``
models alike); :func:`forget_time_constants` and :func:`cell_writes_and_changes` turn the
gates into what they imply (how long a unit remembers; what it writes and how its cell
moves); :func:`plot_review_gate_heatmaps`, :func:`plot_write_and_change`,
:func:`plot_forget_time_constants` and :func:`plot_cell_trajectories` draw them.
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
        A bidirectional ``build_text_classifier`` (any pooling) or ``build_pooled_classifier``
        model.
    ids_row : ndarray of int, shape (time,)
        One review (padded or not).

    Returns
    -------
    dict with keys ``"forward"``, ``"backward"`` and :class:`~bilstm_utils.lstm.LSTMResult`
    values (batch 1, ``time`` = number of tokens read). ``h`` and ``c`` are each direction's
    final states (what ``Bidirectional`` concatenates for ``pooling="last"``); ``outputs``
    are the per-word outputs that pooled models pool.
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


def forget_time_constants(gates: dict[str, LSTMResult]) -> dict[str, np.ndarray]:
    """The memory time constant :math:`\\tau = 1 / (1 - f)` implied by each forget gate value.

    A unit whose forget gate stays at :math:`f` keeps a fraction :math:`f^n` of its cell
    after ``n`` words with nothing written: :math:`f^{\\tau} \\approx e^{-1}` for large
    :math:`\\tau`, so :math:`\\tau` is about how many words a trace lasts (f = 0.75: 4 words;
    f = 0.99: 100 words).

    Parameters
    ----------
    gates : dict
        :func:`direction_gates`'s result.

    Returns
    -------
    dict direction -> ndarray of float64, shape (time, units)
        :math:`\\tau` at each word and unit (``inf`` where ``f`` is exactly 1 in float32).
    """
    out = {}
    for direction, result in gates.items():
        f = result.gates["f"][0].astype(np.float64)
        with np.errstate(divide="ignore"):
            out[direction] = 1.0 / (1.0 - f)
    return out


def cell_writes_and_changes(gates: dict[str, LSTMResult]) -> dict[str, dict[str, np.ndarray]]:
    """What each unit writes, :math:`i_t \\odot g_t`, and how its cell moves, :math:`\\Delta c_t`.

    :math:`\\Delta c_t = c_t - c_{t-1} = i_t \\odot g_t - (1 - f_t) \\odot c_{t-1}`: the write
    minus what the forget gate erases. The backward direction's previous step is the word to
    the right (it reads right to left); before the first word read the cell is 0.

    Parameters
    ----------
    gates : dict
        :func:`direction_gates`'s result.

    Returns
    -------
    dict direction -> {"write": ndarray (time, units), "change": ndarray (time, units)}
    """
    out = {}
    for direction, result in gates.items():
        cells = result.cells[0]
        write = result.gates["i"][0] * result.gates["c"][0]
        zero = np.zeros_like(cells[:1])
        if direction == "backward":  # read from the end: the previous cell is at t + 1
            previous = np.concatenate([cells[1:], zero])
        else:
            previous = np.concatenate([zero, cells[:-1]])
        out[direction] = {"write": write, "change": cells - previous}
    return out


def _word_axis(ax, words: Sequence[str]) -> None:
    ax.set_xticks(np.arange(len(words)))
    ax.set_xticklabels(words, rotation=90, fontsize=8)


def _heatmap_panels(words, panels, title, diverging):
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, axes = plt.subplots(len(panels), 1, figsize=(max(8, 0.22 * len(words)), 2.4 * len(panels)),
                             sharex=True)
    axes = np.atleast_1d(axes)
    by_label = {}
    for _, label, values in panels:  # one colour scale per quantity, shared by both directions
        by_label.setdefault(label, []).append(values)
    limits = {}
    for label, values in by_label.items():
        lo, hi = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
        if diverging:
            lo, hi = -max(abs(lo), abs(hi), 1e-12), max(abs(lo), abs(hi), 1e-12)
        limits[label] = (lo, hi if hi > lo else lo + 1e-12)
    for ax, (panel_title, label, values) in zip(axes, panels, strict=True):
        lo, hi = limits[label]
        img = ax.imshow(values.T, aspect="auto", cmap="RdBu_r" if diverging else "viridis",
                        vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_title(panel_title, fontsize=10)
        ax.set_ylabel("unit")
        fig.colorbar(img, ax=ax, pad=0.01, label=label)
    _word_axis(axes[-1], words)
    axes[-1].set_xlabel("word (the review in reading order)")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_review_gate_heatmaps(words: Sequence[str], gates: dict[str, LSTMResult],
                              gate_names: Sequence[str] = ("i", "f")):
    """Heatmaps of gate activations, one panel per (direction, gate), columns = words.

    The colour scale of each gate spans the range of its values on this review (shared by
    the two directions), not [0, 1], so that contrast is visible; the colour bar gives it.

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
    full = {"i": "input gate", "f": "forget gate", "o": "output gate"}
    if not gate_names or any(g not in full for g in gate_names):
        raise ValueError(f"gate_names must be a non-empty list of {sorted(full)}, got {gate_names}")
    _check_words(words, gates)
    panels = [(f"{d} direction: {full[g]} ${g}_t$", f"{full[g]} (data range)",
               gates[d].gates[g][0]) for d in ("forward", "backward") for g in gate_names]
    return _heatmap_panels(words, panels, "Gate activations of both directions, aligned with "
                           "the words", diverging=False)


def plot_write_and_change(words: Sequence[str], gates: dict[str, LSTMResult]):
    """Heatmaps of what each unit writes, :math:`i_t \\odot g_t`, and of the cell's change
    :math:`\\Delta c_t`, for both directions (see :func:`cell_writes_and_changes`).

    Diverging colours centred on 0 (red: up, blue: down), symmetric scale from the data.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check_words(words, gates)
    moves = cell_writes_and_changes(gates)
    panels = []
    for d in ("forward", "backward"):
        panels.append((f"{d} direction: write $i_t \\odot g_t$", "write", moves[d]["write"]))
        panels.append((f"{d} direction: change $\\Delta c_t$", "change", moves[d]["change"]))
    return _heatmap_panels(words, panels, "What each unit writes and how its cell moves",
                           diverging=True)


def plot_forget_time_constants(taus: dict[str, np.ndarray]):
    """Histogram of the forget gate's time constants :math:`1/(1-f)` over units and words.

    Parameters
    ----------
    taus : dict direction -> ndarray
        :func:`forget_time_constants`'s result (any shape; all values are pooled).

    Returns
    -------
    matplotlib.figure.Figure
        Log-spaced bins, a dashed line at each direction's median.
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415

    if not taus:
        raise ValueError("taus is empty")
    values = {d: np.asarray(v, float).reshape(-1) for d, v in taus.items()}
    finite = np.concatenate([v[np.isfinite(v)] for v in values.values()])
    if finite.size == 0 or finite.min() < 1:
        raise ValueError("time constants 1/(1-f) are >= 1 and need at least one finite value")
    bins = np.geomspace(1, max(2.0, finite.max()) * 1.05, 40)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for (direction, v), colour in zip(values.items(), ("C0", "C1", "C2", "C3"), strict=False):
        ax.hist(np.clip(v, 1, bins[-1]), bins=bins, alpha=0.55, color=colour,
                label=f"{direction} (median {np.median(v):.1f} words)")
        ax.axvline(np.median(v), color=colour, ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("time constant $1/(1-f)$ (words, log scale)")
    ax.set_ylabel("count (unit × word)")
    ax.set_title("How long the forget gates keep a trace")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_cell_trajectories(words: Sequence[str], gates: dict[str, LSTMResult],
                           units: dict[str, Sequence[int]],
                           signs: dict[str, Sequence[float]] | None = None):
    """Cell states :math:`c_t` of chosen units of each direction, at each word.

    Parameters
    ----------
    words : sequence of str, length T
    gates : dict
        :func:`direction_gates`'s result.
    units : dict
        ``{"forward": [...], "backward": [...]}``: unit indices to draw.
    signs : dict, optional
        Same keys, one ±1 per unit: the curve drawn is ``sign * c``, labelled ``−c`` where the
        sign is −1 (e.g. the sign of the unit's correlation with the logit, so that every
        curve rising means "towards positive").

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
        unit_signs = [1.0] * len(chosen) if signs is None else list(signs[direction])
        if len(unit_signs) != len(chosen) or any(s not in (1, -1) for s in unit_signs):
            raise ValueError(f"signs[{direction!r}] needs one +1 or -1 per unit")
        for u, sign in zip(chosen, unit_signs, strict=True):
            prefix = "" if sign > 0 else "\N{MINUS SIGN}c of "
            ax.plot(np.arange(len(words)), sign * cells[:, u], styles[direction], marker=".",
                    label=f"{prefix}{direction} unit {u}")
    ax.axhline(0, color="gray", lw=0.6)
    _word_axis(ax, words)
    ax.set_xlabel("word (forward: has read up to here; backward: has read from the end to here)")
    ax.set_ylabel("cell state $c_t$" if signs is None
                  else "signed cell state (up = towards positive)")
    ax.set_title("Cell-state trajectories of the units most correlated with the prediction")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def _check_words(words: Sequence[str], gates: dict[str, LSTMResult]) -> None:
    for result in gates.values():
        if result.gates["i"].shape[1] != len(words):
            raise ValueError(f"{len(words)} words but {result.gates['i'].shape[1]} time steps")
