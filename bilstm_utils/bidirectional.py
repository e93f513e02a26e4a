"""A NumPy bidirectional LSTM, equal to ``keras.layers.Bidirectional(keras.layers.LSTM(...))``.

``Bidirectional`` holds two LSTM layers with their own weights. The *forward* layer reads
:math:`x_0, x_1, \\dots, x_{T-1}`; the *backward* layer (``go_backwards=True``) reads
:math:`x_{T-1}, \\dots, x_0`. The backward outputs are flipped back in time, so that
position :math:`t` holds the forward state :math:`\\overrightarrow{h}_t` (it has read
:math:`x_0..x_t`) next to the backward state :math:`\\overleftarrow{h}_t` (it has read
:math:`x_{T-1}..x_t`), and the two are merged:

=============  ==========================================================
``"concat"``   :math:`[\\overrightarrow{h}_t ; \\overleftarrow{h}_t]` (``2 * units`` features)
``"sum"``      :math:`\\overrightarrow{h}_t + \\overleftarrow{h}_t`
``"mul"``      :math:`\\overrightarrow{h}_t \\odot \\overleftarrow{h}_t`
``"ave"``      :math:`(\\overrightarrow{h}_t + \\overleftarrow{h}_t) / 2`
``None``       the list ``[forward, backward]``, not merged
=============  ==========================================================

With ``return_sequences=False`` the layer returns the merge of the two *final* states: the
forward state after :math:`x_{T-1}` and the backward state after :math:`x_0`.

Masks follow Keras: at a masked step the state is carried over unchanged, and (as
``Bidirectional`` sets ``zero_output_for_mask=return_sequences``) the output there is zero.
A standalone Keras RNN layer keeps ``zero_output_for_mask=False`` and repeats its previous
output instead (see :func:`bilstm_utils.lstm.lstm_forward`).

On a GPU, Keras's TensorFlow backend runs an LSTM with cuDNN only if the mask is
*right-padded* (every row is ``True ... True False ... False``) and no row is fully
masked (``_assert_valid_mask`` in ``keras/src/backend/tensorflow/rnn.py``). What happens
otherwise depends on the call path: an eager call falls back to the generic kernel silently, a
compiled one (``fit``, ``evaluate``, ``predict``) stops with the assertion's error (chapter 3).
:func:`cudnn_mask_ok` checks that predicate on a NumPy mask.

Sources: Schuster and Paliwal (1997), "Bidirectional recurrent neural networks",
https://doi.org/10.1109/78.650093; Graves and Schmidhuber (2005), "Framewise phoneme
classification with bidirectional LSTM and other neural network architectures",
https://doi.org/10.1016/j.neunet.2005.06.042.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilstm_utils.lstm import lstm_forward

MERGE_MODES: tuple[str | None, ...] = ("concat", "sum", "mul", "ave", None)

Weights = Sequence[np.ndarray]


def _unpack(weights: Weights, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(weights) != 3:
        raise ValueError(
            f"{name} must be the three arrays (kernel, recurrent_kernel, bias) that "
            f"an LSTM layer's get_weights() returns, got {len(weights)} arrays"
        )
    kernel, recurrent_kernel, bias = (np.asarray(w) for w in weights)
    return kernel, recurrent_kernel, bias


def lstm_read(
    x: np.ndarray,
    weights: Weights,
    mask: np.ndarray | None = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Run one LSTM direction over ``x``, optionally backwards and with a mask.

    Parameters
    ----------
    x : ndarray, shape (batch, time, input_dim)
        The input sequences, in their natural time order.
    weights : sequence of three ndarrays
        ``(kernel, recurrent_kernel, bias)`` in Keras's layout (see :mod:`bilstm_utils.lstm`).
    mask : ndarray of bool, shape (batch, time), optional
        ``True`` where a step is real, ``False`` at padding. At a masked step the hidden and
        cell states are carried over unchanged. ``None`` means every step is real. Passed on
        to :func:`bilstm_utils.lstm.lstm_forward`.
    go_backwards : bool
        Read the steps from last to first, like ``keras.layers.LSTM(go_backwards=True)``.
    zero_output_for_mask : bool
        Output zeros at masked steps (``True``, as a direction inside ``Bidirectional`` with
        ``return_sequences=True`` does) or repeat the previous output (``False``, a standalone
        Keras LSTM's default).

    Returns
    -------
    outputs : ndarray, shape (batch, time, units)
        The output at each step **in reading order**: for ``go_backwards=True`` row ``k``
        is the output after reading ``x[:, time - 1 - k]``.
    h : ndarray, shape (batch, units)
        The final hidden state (after the last unmasked step read).
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, input_dim), got {x.shape}")
    kernel, recurrent_kernel, bias = _unpack(weights, "weights")
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != x.shape[:2]:
            raise ValueError(
                f"mask must have shape (batch, time) = {x.shape[:2]}, got {mask.shape}"
            )
    if go_backwards:
        x = x[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    result = lstm_forward(x, kernel, recurrent_kernel, bias, mask=mask,
                          zero_output_for_mask=zero_output_for_mask)
    return result.outputs, result.h


def merge(forward: np.ndarray, backward: np.ndarray, merge_mode: str | None):
    """Merge aligned forward and backward outputs the way ``Bidirectional`` does.

    Parameters
    ----------
    forward, backward : ndarray, shape (..., units)
        Outputs of the two directions, already aligned in time.
    merge_mode : {"concat", "sum", "mul", "ave", None}

    Returns
    -------
    ndarray or list of ndarray
        Shape (..., 2 * units) for ``"concat"``, (..., units) for the others, and the list
        ``[forward, backward]`` for ``None``.
    """
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
    if forward.shape != backward.shape:
        raise ValueError(
            f"forward and backward must have the same shape, got {forward.shape} "
            f"and {backward.shape}"
        )
    if merge_mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "mul":
        return forward * backward
    if merge_mode == "ave":
        return (forward + backward) / 2
    return [forward, backward]


def bidirectional_lstm_forward(
    x: np.ndarray,
    forward_weights: Weights,
    backward_weights: Weights,
    merge_mode: str | None = "concat",
    return_sequences: bool = False,
    mask: np.ndarray | None = None,
    return_state: bool = False,
):
    """NumPy ``Bidirectional(LSTM(units, return_sequences=..., return_state=...), merge_mode=...)``.

    Parameters
    ----------
    x : ndarray, shape (batch, time, input_dim)
    forward_weights, backward_weights : sequence of three ndarrays
        ``layer.forward_layer.get_weights()`` and ``layer.backward_layer.get_weights()``.
    merge_mode : {"concat", "sum", "mul", "ave", None}
        How the two directions are combined (see the module docstring).
    return_sequences : bool
        ``True``: one output per time step, shape (batch, time, features), the backward
        outputs flipped back so that position ``t`` of both directions refers to ``x_t``.
        ``False``: the final states only, shape (batch, features).
    mask : ndarray of bool, shape (batch, time), optional
        Keras's mask (e.g. from ``Embedding(mask_zero=True)``): ``False`` at padding.
    return_state : bool
        Also return the final states of both directions, in Keras's order.

    Returns
    -------
    ndarray or list of ndarrays
        The merged output, with ``features = 2 * units`` for ``"concat"`` and ``units``
        otherwise; for ``merge_mode=None`` the list ``[forward, backward]``. With
        ``return_state=True`` the list ``[output, h_forward, c_forward, h_backward,
        c_backward]`` (``output`` itself a list of two for ``merge_mode=None``, flattened
        into the front of the list as Keras does), each state of shape (batch, units).
    """
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, input_dim), got {x.shape}")
    if mask is not None and np.asarray(mask).shape != x.shape[:2]:
        raise ValueError(
            f"mask must have shape (batch, time) = {x.shape[:2]}, got {np.asarray(mask).shape}"
        )
    runs = []
    for weights, name, backwards in ((forward_weights, "forward_weights", False),
                                     (backward_weights, "backward_weights", True)):
        xs = x[:, ::-1] if backwards else x
        m = None if mask is None else np.asarray(mask)[:, ::-1] if backwards else mask
        runs.append(lstm_forward(xs, *_unpack(weights, name), mask=m, zero_output_for_mask=True))
    fw, bw = runs
    if fw.h.shape != bw.h.shape:
        raise ValueError(
            f"the two directions must have the same number of units, got {fw.h.shape[1]} "
            f"(forward) and {bw.h.shape[1]} (backward)"
        )
    if return_sequences:
        output = merge(fw.outputs, bw.outputs[:, ::-1], merge_mode)
    else:
        output = merge(fw.h, bw.h, merge_mode)
    if not return_state:
        return output
    outputs = output if isinstance(output, list) else [output]
    return [*outputs, fw.h, fw.c, bw.h, bw.c]


def plot_time_alignment(time: int = 5, ax=None):
    """Draw which step of each direction lands at which output position.

    Three lanes: the forward layer's steps (bottom), the backward layer's steps (top) and the
    merged output (middle), each step drawn above or below the output position it lands on:
    forward step ``k`` at position ``k``, backward step ``k`` (which read ``x_{T-1-k}``) at
    position ``T - 1 - k``. Dashed arrows give each layer's reading order.

    Parameters
    ----------
    time : int
        Number of time steps to draw, 2 to 12.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415

    if not 2 <= time <= 12:
        raise ValueError(f"time must be between 2 and 12 steps to stay readable, got {time}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.5 * time + 2, 4.2))
    fw_color, bw_color = "tab:blue", "tab:orange"
    lanes = {"forward": 0.0, "merged": 1.0, "backward": 2.0}
    box = {"boxstyle": "round,pad=0.3", "lw": 1.2}
    for k in range(time):
        ax.text(k, lanes["forward"], f"step {k}\nreads $x_{{{k}}}$", ha="center", va="center",
                bbox={**box, "fc": "#dbe9f6", "ec": fw_color}, fontsize=8)
        # The backward layer's step k is drawn above the position it lands on, T - 1 - k: the
        # flip is in the numbering (step 0 on the right), so no two arrows cross.
        ax.text(time - 1 - k, lanes["backward"], f"step {k}\nreads $x_{{{time - 1 - k}}}$",
                ha="center", va="center", bbox={**box, "fc": "#fde5cc", "ec": bw_color},
                fontsize=8)
        ax.text(k, lanes["merged"], f"$t={k}$\n$[\\overrightarrow{{h}}_{{{k}}};"
                f"\\overleftarrow{{h}}_{{{k}}}]$", ha="center", va="center",
                bbox={**box, "fc": "white", "ec": "gray"}, fontsize=8)
        ax.annotate("", xy=(k, lanes["merged"] - 0.3), xytext=(k, 0.3),
                    arrowprops={"arrowstyle": "->", "color": fw_color, "lw": 1.5})
        ax.annotate("", xy=(k, lanes["merged"] + 0.3), xytext=(k, 1.7),
                    arrowprops={"arrowstyle": "->", "color": bw_color, "lw": 1.5})
    # Reading order along each lane.
    ax.annotate("", xy=(time - 1 + 0.1, -0.45), xytext=(-0.1, -0.45),
                arrowprops={"arrowstyle": "->", "color": fw_color, "lw": 1.2, "ls": "--"})
    ax.annotate("", xy=(-0.1, 2.45), xytext=(time - 1 + 0.1, 2.45),
                arrowprops={"arrowstyle": "->", "color": bw_color, "lw": 1.2, "ls": "--"})
    ax.plot([], [], color=fw_color, lw=2, label="forward layer: step $k$ → position $k$")
    ax.plot([], [], color=bw_color, lw=2, label="backward layer: step $k$ → position $T-1-k$")
    ax.plot([], [], color="gray", lw=1.2, ls="--", label="reading order of each layer")
    ax.set_xlim(-0.7, time - 0.3)
    ax.set_ylim(-0.7, 3.3)
    ax.set_yticks(list(lanes.values()))
    ax.set_yticklabels(["forward layer", "merged output", "backward layer"])
    ax.set_xticks(range(time))
    ax.set_xlabel("output position $t$ (every lane is drawn at the position its output lands on)")
    ax.set_title(f"Bidirectional re-alignment, T = {time}: the backward outputs are flipped back")
    ax.legend(loc="upper center", ncol=3, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 1.01))
    return ax


def cudnn_mask_ok(mask: np.ndarray) -> bool:
    """Whether Keras's TensorFlow backend can run a masked LSTM/GRU on this mask with cuDNN.

    The same predicate as ``_assert_valid_mask`` in ``keras/src/backend/tensorflow/rnn.py``
    (Keras 3): every row must be *right-padded*, i.e. ``True`` steps first and then only
    ``False`` (``_is_sequence_right_padded``), and no row may be all ``False``
    (``_has_fully_masked_sequence``). On a GPU with ``use_cudnn="auto"``, a mask that fails
    it makes an eager call fall back to the generic kernel without a word, and stops a compiled
    call (``fit``, ``evaluate``, ``predict``) with the assertion's error; ``use_cudnn=False``
    avoids cuDNN altogether, and ``use_cudnn=True`` turns the silent fallback into an error.

    Parameters
    ----------
    mask : array_like of bool, shape (batch, time)
        ``True`` at real steps, ``False`` at padding (e.g. ``tokens != 0``).

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        If ``mask`` is not two-dimensional.
    """
    mask = np.asarray(mask).astype(bool)
    if mask.ndim != 2:
        raise ValueError(f"mask must have shape (batch, time), got {mask.shape}")
    lengths = mask.sum(axis=1)
    right_padded = np.arange(mask.shape[1])[None, :] < lengths[:, None]
    return bool(np.array_equal(mask, right_padded) and np.all(lengths > 0))


def direction_outputs(model, tokens, layer: str = "bilstm") -> np.ndarray:
    """The output of a classifier's bidirectional layer: ``[forward final ; backward final]``.

    Parameters
    ----------
    model : keras.Model
        A built model with a ``Bidirectional`` layer named ``layer`` (``merge_mode="concat"``,
        ``return_sequences=False``).
    tokens : array_like of int, shape (batch, time)
        The model's input.
    layer : str
        The name of the bidirectional layer.

    Returns
    -------
    ndarray, shape (batch, 2 * units)
    """
    import keras  # noqa: PLC0415

    return np.asarray(keras.Model(model.inputs[0], model.get_layer(layer).output)(tokens))


def one_direction_accuracy(model, tokens, labels, layer: str = "bilstm") -> dict[str, float]:
    """Accuracy of a classifier with both directions, and with one direction's half of the
    bidirectional output replaced by its mean over ``tokens`` (an ablation: what does the
    classifier use?).

    The layers after ``layer`` are applied to the edited features, so the model must be a
    chain (``keras.Sequential``) whose last layer outputs P(label 1), shape (batch, 1).

    Parameters
    ----------
    model : keras.Sequential
    tokens : array_like of int, shape (batch, time)
    labels : array_like of 0/1, shape (batch,)
    layer : str
        The name of the ``Bidirectional`` layer (``merge_mode="concat"``).

    Returns
    -------
    dict
        ``{"both": ..., "forward only": ..., "backward only": ...}``, accuracies in [0, 1].

    Raises
    ------
    ValueError
        If ``labels`` does not have one entry per sequence.
    """
    features = direction_outputs(model, tokens, layer)
    labels = np.asarray(labels).reshape(-1)
    if labels.shape[0] != features.shape[0]:
        raise ValueError(f"labels has {labels.shape[0]} entries for {features.shape[0]} sequences")
    units = features.shape[1] // 2
    halves = {"forward": slice(0, units), "backward": slice(units, None)}
    names = [lay.name for lay in model.layers]
    after = model.layers[names.index(layer) + 1:]
    result = {}
    for keep in ("both", "forward", "backward"):
        edited = features.copy()
        for name, columns in halves.items():
            if keep not in ("both", name):
                edited[:, columns] = edited[:, columns].mean(axis=0)
        for lay in after:
            edited = lay(edited)
        key = "both" if keep == "both" else f"{keep} only"
        result[key] = float(np.mean((np.asarray(edited)[:, 0] > 0.5) == labels))
    return result


def plot_task_accuracies(
    accuracies,
    tasks,
    models,
    chance,
    title: str = "Reading the future: which layer can answer?",
    ax=None,
):
    """Grouped bars (mean over seeds) with each seed as a dot, and the chance band.

    Parameters
    ----------
    accuracies : mapping of (task, model) to sequence of float
        Accuracy of each seed of each model on each task, in [0, 1]. A (task, model) pair
        that is absent is not drawn (its slot stays empty).
    tasks : mapping of str to str
        Task key to its axis label, in drawing order.
    models : mapping of str to str
        Model key to its legend label, in drawing order.
    chance : (float, float) or mapping of str to (float, float)
        The interval in which a model that knows nothing about the answer lands with 95 %
        probability, drawn as a grey band: one for all tasks, or one per task key (drawn
        behind that task's bars).
    title : str
        The axes title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If no (task, model) pair has accuracies, or a chance band is not an interval in
        [0, 1], or a per-task mapping lacks a task.
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415

    present = [(t, m) for t in tasks for m in models if len(accuracies.get((t, m), ())) > 0]
    if not present:
        raise ValueError("no accuracy for any (task, model) pair")
    bands = dict(chance) if isinstance(chance, dict) else {task: chance for task in tasks}
    missing_bands = [t for t in tasks if t not in bands]
    if missing_bands:
        raise ValueError(f"no chance band for {missing_bands}")
    for task, (low, high) in bands.items():
        if not 0 <= low <= high <= 1:
            raise ValueError(f"chance must be an interval (low, high) in [0, 1], got {task}: "
                             f"{(low, high)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.4))
    positions = np.arange(len(tasks))
    width = 0.8 / len(models)
    for k, (position, task) in enumerate(zip(positions, tasks, strict=True)):
        low, high = bands[task]
        ax.fill_between([position - 0.45, position + 0.45], low, high, color="grey", alpha=0.35,
                        lw=0, label="chance, 95 % band of each task" if k == 0 else None)
    for k, (key, label) in enumerate(models.items()):
        offset = (k - (len(models) - 1) / 2) * width
        drawn = [(p, np.asarray(accuracies[task, key], dtype=float))
                 for p, task in zip(positions + offset, tasks, strict=True)
                 if (task, key) in present]
        if not drawn:
            continue
        bars = ax.bar([p for p, _ in drawn], [r.mean() for _, r in drawn], width=width,
                      alpha=0.8, label=f"{label} (bar: mean; dots: seeds)")
        ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
        for p, r in drawn:
            spread = np.linspace(-width / 4, width / 4, r.size) if r.size > 1 else np.zeros(1)
            ax.plot(p + spread, r, "o", color="black", ms=3)
    ax.set_xticks(positions, list(tasks.values()))
    ax.set_ylabel("held-out accuracy (share of labelled positions right)")
    ax.set_xlabel("task")
    ax.set_ylim(0, 1.12)
    ax.set_title(title)
    # Below the axes, so that no bar is hidden behind it.
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8)
    return ax
