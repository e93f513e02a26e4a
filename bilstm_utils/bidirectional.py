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
        cell states are carried over unchanged and the output is zero. ``None`` means every
        step is real. Passed on to :func:`bilstm_utils.lstm.lstm_forward`.
    go_backwards : bool
        Read the steps from last to first, like ``keras.layers.LSTM(go_backwards=True)``.

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
    result = lstm_forward(x, kernel, recurrent_kernel, bias, mask=mask)
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
):
    """NumPy ``Bidirectional(LSTM(units, return_sequences=...), merge_mode=...)``.

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

    Returns
    -------
    ndarray or list of two ndarrays
        The merged output, with ``features = 2 * units`` for ``"concat"`` and ``units``
        otherwise; for ``merge_mode=None`` the list ``[forward, backward]``.
    """
    if merge_mode not in MERGE_MODES:
        raise ValueError(f"merge_mode must be one of {MERGE_MODES}, got {merge_mode!r}")
    fw_seq, fw_h = lstm_read(x, forward_weights, mask=mask, go_backwards=False)
    bw_seq, bw_h = lstm_read(x, backward_weights, mask=mask, go_backwards=True)
    if fw_h.shape != bw_h.shape:
        raise ValueError(
            f"the two directions must have the same number of units, got {fw_h.shape[1]} "
            f"(forward) and {bw_h.shape[1]} (backward)"
        )
    if return_sequences:
        return merge(fw_seq, bw_seq[:, ::-1], merge_mode)
    return merge(fw_h, bw_h, merge_mode)


def last_read_positions(time: int) -> dict[str, int]:
    """The input position each direction reads last (the one its final state ends on).

    Parameters
    ----------
    time : int
        Sequence length (>= 1), padding included.

    Returns
    -------
    dict of str to int
        ``{"forward": time - 1, "backward": 0}``.
    """
    if time < 1:
        raise ValueError(f"time must be a positive number of steps, got {time}")
    return {"forward": time - 1, "backward": 0}


def plot_time_alignment(time: int = 5, ax=None):
    """Draw which step of each direction lands at which output position.

    Three lanes: the forward layer's steps in reading order (bottom), the backward layer's
    steps in reading order (top), and the merged output (middle). Arrows show that forward
    step ``k`` goes to position ``k`` and backward step ``k`` (which read ``x_{T-1-k}``) goes
    to position ``T - 1 - k``.

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
        ax.text(k, lanes["backward"], f"step {k}\nreads $x_{{{time - 1 - k}}}$", ha="center",
                va="center", bbox={**box, "fc": "#fde5cc", "ec": bw_color}, fontsize=8)
        ax.text(k, lanes["merged"], f"$t={k}$\n$[\\overrightarrow{{h}}_{{{k}}};"
                f"\\overleftarrow{{h}}_{{{k}}}]$", ha="center", va="center",
                bbox={**box, "fc": "white", "ec": "gray"}, fontsize=8)
        ax.annotate("", xy=(k - 0.08, lanes["merged"] - 0.2), xytext=(k - 0.08, 0.25),
                    arrowprops={"arrowstyle": "->", "color": fw_color, "lw": 1.5})
        ax.annotate("", xy=(time - 1 - k + 0.08, lanes["merged"] + 0.2), xytext=(k, 1.75),
                    arrowprops={"arrowstyle": "->", "color": bw_color, "lw": 1.5})
    ax.plot([], [], color=fw_color, lw=2, label="forward layer: step $k$ → position $k$")
    ax.plot([], [], color=bw_color, lw=2, label="backward layer: step $k$ → position $T-1-k$")
    ax.set_xlim(-0.7, time - 0.3)
    ax.set_ylim(-0.6, 2.9)
    ax.set_yticks(list(lanes.values()))
    ax.set_yticklabels(["forward\n(reading order)", "merged output", "backward\n(reading order)"])
    ax.set_xticks(range(time))
    ax.set_xlabel("step index $k$ (lanes top and bottom) / output position $t$ (middle lane)")
    ax.set_ylabel("lane")
    ax.set_title(f"Bidirectional re-alignment, T = {time}: the backward outputs are flipped back")
    ax.legend(loc="upper center", ncol=2, fontsize=8, frameon=False, bbox_to_anchor=(0.5, 1.0))
    return ax


def build_recurrent_model(
    vocab_size: int,
    units: int,
    bidirectional: bool,
    return_sequences: bool,
    mask_zero: bool = False,
    embed_dim: int = 8,
    hidden: int = 0,
    learning_rate: float = 1e-2,
):
    """A small compiled Keras model: ``Embedding -> [Bidirectional](LSTM) -> Dense(1, sigmoid)``.

    Parameters
    ----------
    vocab_size : int
        Number of real token ids ``1..vocab_size``; id 0 is padding (the embedding has
        ``vocab_size + 1`` rows).
    units : int
        Units of the LSTM (per direction when ``bidirectional``).
    bidirectional : bool
        Wrap the LSTM in ``Bidirectional`` (``merge_mode="concat"``).
    return_sequences : bool
        ``True``: one probability per position, output shape (batch, time, 1), a *tagger*.
        ``False``: one per sequence, shape (batch, 1), a *classifier*.
    mask_zero : bool
        ``Embedding(mask_zero=True)``: token 0 is masked in the recurrent layer.
    embed_dim : int
        Size of the token embeddings.
    hidden : int
        Units of an optional ReLU ``Dense`` layer before the output (0: none).
    learning_rate : float
        Adam's learning rate.

    Returns
    -------
    keras.Model
        Compiled with binary cross-entropy and the ``"accuracy"`` metric; its recurrent layer
        is named ``"recurrent"`` and its embedding ``"embedding"``.
    """
    import keras  # noqa: PLC0415

    for name, value in {"vocab_size": vocab_size, "units": units, "embed_dim": embed_dim}.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 0:
        raise ValueError(f"hidden must be a non-negative integer (0 for none), got {hidden!r}")
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(vocab_size + 1, embed_dim, mask_zero=mask_zero, name="embedding")(
        inputs
    )
    if bidirectional:
        recurrent = keras.layers.Bidirectional(
            keras.layers.LSTM(units, return_sequences=return_sequences), name="recurrent"
        )
    else:
        recurrent = keras.layers.LSTM(units, return_sequences=return_sequences, name="recurrent")
    h = recurrent(h)
    if hidden:
        h = keras.layers.Dense(hidden, activation="relu", name="hidden")(h)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="output")(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
