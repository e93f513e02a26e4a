"""A NumPy LSTM in Keras's exact weight layout (chapter 2; reused by chapter 3).

Keras stores an LSTM layer's weights as three arrays, with the four gates side by
side in the order **i, f, c, o** (input, forget, candidate, output):

========================  ==========================
``kernel``                ``(input_dim, 4 * units)``
``recurrent_kernel``      ``(units, 4 * units)``
``bias``                  ``(4 * units,)``
========================  ==========================

One step, for a batch, with :math:`\\sigma` the logistic sigmoid:

.. math::

    z &= x_t W + h_{t-1} U + b \\\\
    i &= \\sigma(z_i),\\quad f = \\sigma(z_f) \\\\
    \\tilde c &= \\tanh(z_c),\\quad o = \\sigma(z_o) \\\\
    c_t &= f \\odot c_{t-1} + i \\odot \\tilde c \\\\
    h_t &= o \\odot \\tanh(c_t)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GATES = ("i", "f", "c", "o")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise, without overflow warnings."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _check_weights(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> int:
    units = recurrent_kernel.shape[0]
    if recurrent_kernel.shape != (units, 4 * units):
        raise ValueError(
            f"recurrent_kernel must have shape (units, 4*units), got {recurrent_kernel.shape}"
        )
    if kernel.ndim != 2 or kernel.shape[1] != 4 * units:
        raise ValueError(f"kernel must have shape (input_dim, {4 * units}), got {kernel.shape}")
    if bias.shape != (4 * units,):
        raise ValueError(f"bias must have shape ({4 * units},), got {bias.shape}")
    return units


def lstm_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """One LSTM time step for a batch, in Keras's weight layout.

    Parameters
    ----------
    x_t : ndarray, shape (batch, input_dim)
        The inputs at this time step.
    h_prev, c_prev : ndarray, shape (batch, units)
        Hidden state and cell state after the previous step.
    kernel : ndarray, shape (input_dim, 4 * units)
    recurrent_kernel : ndarray, shape (units, 4 * units)
    bias : ndarray, shape (4 * units,)
        Keras's ``layer.get_weights()``, gates in the order i, f, c, o.

    Returns
    -------
    h : ndarray, shape (batch, units)
        The new hidden state (also the layer's output at this step).
    c : ndarray, shape (batch, units)
        The new cell state.
    gates : dict of str to ndarray, each of shape (batch, units)
        ``"i"``, ``"f"``, ``"o"``: gate activations in (0, 1); ``"c"``: the candidate
        :math:`\\tilde c` in (-1, 1).
    """
    units = _check_weights(kernel, recurrent_kernel, bias)
    if x_t.ndim != 2 or x_t.shape[1] != kernel.shape[0]:
        raise ValueError(f"x_t must have shape (batch, {kernel.shape[0]}), got {x_t.shape}")
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias
    z_i, z_f, z_c, z_o = (z[:, k * units : (k + 1) * units] for k in range(4))
    i, f, c_tilde, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_c), sigmoid(z_o)
    c = f * c_prev + i * c_tilde
    h = o * np.tanh(c)
    return h, c, {"i": i, "f": f, "c": c_tilde, "o": o}


@dataclass
class LSTMResult:
    """What :func:`lstm_forward` returns.

    Attributes
    ----------
    outputs : ndarray, shape (batch, time, units)
        :math:`h_t` at every step (Keras's ``return_sequences=True`` output).
    h : ndarray, shape (batch, units)
        The last hidden state (``return_sequences=False`` output, first returned state).
    c : ndarray, shape (batch, units)
        The last cell state (second returned state).
    cells : ndarray, shape (batch, time, units)
        :math:`c_t` at every step.
    gates : dict of str to ndarray, each of shape (batch, time, units)
        The gate activations ``"i"``, ``"f"``, ``"c"`` (candidate), ``"o"`` at every step.
    """

    outputs: np.ndarray
    h: np.ndarray
    c: np.ndarray
    cells: np.ndarray
    gates: dict[str, np.ndarray]


def lstm_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    zero_output_for_mask: bool = False,
) -> LSTMResult:
    """Run :func:`lstm_step` over a batch of sequences, like ``keras.layers.LSTM``.

    Parameters
    ----------
    x : ndarray, shape (batch, time, input_dim)
    kernel, recurrent_kernel, bias : ndarray
        As in :func:`lstm_step`.
    h0, c0 : ndarray, shape (batch, units), optional
        Initial states; zeros when omitted (Keras's default).
    mask : ndarray of bool, shape (batch, time), optional
        ``False`` at padding. Like Keras with a mask, a masked step leaves the hidden and
        cell states unchanged; the gates recorded there are what the step computed and then
        discarded. What the step *outputs* is set by ``zero_output_for_mask``.
    zero_output_for_mask : bool
        Output at a masked step: ``False`` (the default of a standalone Keras RNN layer,
        ``keras.layers.RNN(zero_output_for_mask=False)``) repeats the previous step's output
        (zeros at a masked first step, whatever ``h0``); ``True``
        outputs zeros, which is what a layer inside ``keras.layers.Bidirectional`` does when
        it returns sequences (``Bidirectional`` sets ``zero_output_for_mask =
        return_sequences`` on both directions).

    Returns
    -------
    LSTMResult
        Outputs, final states, cell states and gate activations at every step.
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, input_dim), got {x.shape}")
    if x.shape[1] == 0:
        raise ValueError("x has no time steps; an LSTM needs a sequence of length >= 1")
    units = _check_weights(kernel, recurrent_kernel, bias)
    batch, time, _ = x.shape
    h = np.zeros((batch, units), x.dtype) if h0 is None else h0
    c = np.zeros((batch, units), x.dtype) if c0 is None else c0
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != (batch, time):
            raise ValueError(
                f"mask must have shape (batch, time) = {(batch, time)}, got {mask.shape}"
            )
        mask = mask.astype(bool)
    outputs, cells = [], []
    gates: dict[str, list[np.ndarray]] = {g: [] for g in GATES}
    for t in range(time):
        h_new, c_new, g = lstm_step(x[:, t], h, c, kernel, recurrent_kernel, bias)
        if mask is None:
            h, c = h_new, c_new
            outputs.append(h)
        else:
            keep = mask[:, t, None]
            h, c = np.where(keep, h_new, h), np.where(keep, c_new, c)
            filler = 0.0 if zero_output_for_mask or not outputs else outputs[-1]
            outputs.append(np.where(keep, h_new, filler).astype(x.dtype))
        cells.append(c)
        for name in GATES:
            gates[name].append(g[name])
    return LSTMResult(
        outputs=np.stack(outputs, axis=1),
        h=h,
        c=c,
        cells=np.stack(cells, axis=1),
        gates={name: np.stack(v, axis=1) for name, v in gates.items()},
    )


def lstm_param_count(input_dim: int, units: int) -> int:
    """Number of weights of a Keras LSTM layer: ``4 * (units * (input_dim + units) + units)``."""
    if input_dim < 1 or units < 1:
        raise ValueError(f"input_dim and units must be positive, got {input_dim}, {units}")
    return 4 * (units * (input_dim + units) + units)


def gru_param_count(input_dim: int, units: int, reset_after: bool = True) -> int:
    """Number of weights of a Keras GRU layer.

    Three gates (update ``z``, reset ``r``, candidate ``h~``), each with an input kernel
    ``(input_dim, units)``, a recurrent kernel ``(units, units)`` and a bias. With
    ``reset_after=True`` (Keras's default) the recurrent part has its own bias too, so
    the count is ``3 * (units * (input_dim + units) + 2 * units)``; with
    ``reset_after=False`` it is ``3 * (units * (input_dim + units) + units)``.

    Parameters
    ----------
    input_dim, units : int
        Width of the inputs and number of units, both ``>= 1``.
    reset_after : bool
        Keras's ``GRU(reset_after=...)``.

    Returns
    -------
    int
    """
    if input_dim < 1 or units < 1:
        raise ValueError(f"input_dim and units must be positive, got {input_dim}, {units}")
    biases = 2 * units if reset_after else units
    return 3 * (units * (input_dim + units) + biases)


def set_forget_bias(layer, value: float) -> np.ndarray:
    """Set the forget-gate block of a Keras LSTM layer's bias to ``value``, in place.

    Keras initialises it to 1 (``unit_forget_bias=True``), so that at the start of
    training :math:`f \\approx \\sigma(1) \\approx 0.73`. A larger value keeps more of the
    cell state per step: :math:`\\sigma(b_f)^T` is what survives ``T`` steps.

    Parameters
    ----------
    layer : keras.layers.LSTM
        A built LSTM layer (anything with ``get_weights``/``set_weights`` returning
        ``[kernel, recurrent_kernel, bias]`` in Keras's layout).
    value : float
        The new forget bias, for every unit.

    Returns
    -------
    ndarray, shape (4 * units,)
        The new bias vector.
    """
    weights = layer.get_weights()
    if len(weights) != 3:
        raise ValueError(
            f"expected a built LSTM layer with [kernel, recurrent_kernel, bias], got "
            f"{len(weights)} weight arrays; build the layer (call it once) first"
        )
    kernel, recurrent_kernel, bias = weights
    units = _check_weights(kernel, recurrent_kernel, bias)
    bias = bias.copy()
    bias[units : 2 * units] = value
    layer.set_weights([kernel, recurrent_kernel, bias])
    return bias


def class_separation(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Distance between the two classes' means, per column, in pooled standard deviations.

    :math:`d' = |\\mu_1 - \\mu_0| / \\sqrt{(\\sigma_0^2 + \\sigma_1^2) / 2}`, large when a column
    (say, a unit's final cell state) takes two well-separated values for the two classes.

    Parameters
    ----------
    values : ndarray, shape (n, columns)
    labels : ndarray of int, shape (n,)
        Binary labels, 0 or 1, both present at least twice.

    Returns
    -------
    ndarray, shape (columns,)
        ``inf`` for a column that is constant within each class but differs between them.
    """
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels)
    if values.ndim != 2 or labels.shape != (values.shape[0],):
        raise ValueError(
            f"values must have shape (n, columns) and labels (n,), got {values.shape}, "
            f"{labels.shape}"
        )
    if not np.isin(labels, (0, 1)).all() or min((labels == 0).sum(), (labels == 1).sum()) < 2:
        raise ValueError("labels must be 0 or 1, with at least two examples of each")
    a, b = values[labels == 0], values[labels == 1]
    gap = np.abs(b.mean(axis=0) - a.mean(axis=0))
    pooled = np.sqrt((a.var(axis=0, ddof=1) + b.var(axis=0, ddof=1)) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pooled > 0, gap / np.where(pooled > 0, pooled, 1.0),
                        np.where(gap > 0, np.inf, 0.0))


def chrono_forget_bias(units: int, t_max: float, seed: int | None = None) -> np.ndarray:
    """Forget-gate biases of the *chrono initialisation*: :math:`b_f = \\log u`, one per unit.

    Tallec and Ollivier (2018), "Can recurrent neural networks warp time?",
    https://arxiv.org/abs/1804.11188, draw :math:`u \\sim \\mathcal{U}(1, T_{\\max} - 1)`
    independently for each unit and set the input-gate bias to :math:`b_i = -b_f`. A unit
    with forget gate :math:`\\sigma(b_f)` then has the characteristic memory time
    :math:`1 / (1 - \\sigma(b_f)) = 1 + u \\in [2, T_{\\max}]` steps.

    Parameters
    ----------
    units : int
        Number of units, at least 1.
    t_max : float
        Longest dependency expected, in steps; more than 2.
    seed : int, optional
        Seed of the NumPy generator.

    Returns
    -------
    ndarray of float32, shape (units,)
        The forget biases :math:`b_f`; use ``-b_f`` for the input block.

    Raises
    ------
    ValueError
        If ``units`` is not a positive integer or ``t_max <= 2``.
    """
    if isinstance(units, bool) or not isinstance(units, int | np.integer) or units < 1:
        raise ValueError(f"units must be a positive integer, got {units!r}")
    if not np.isfinite(t_max) or t_max <= 2:
        raise ValueError(f"t_max must be a finite number > 2, got {t_max!r}")
    u = np.random.default_rng(seed).uniform(1.0, t_max - 1.0, size=units)
    return np.log(u).astype(np.float32)
