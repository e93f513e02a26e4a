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
) -> LSTMResult:
    """Run :func:`lstm_step` over a batch of sequences, like ``keras.layers.LSTM``.

    Parameters
    ----------
    x : ndarray, shape (batch, time, input_dim)
    kernel, recurrent_kernel, bias : ndarray
        As in :func:`lstm_step`.
    h0, c0 : ndarray, shape (batch, units), optional
        Initial states; zeros when omitted (Keras's default).

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
    outputs, cells = [], []
    gates: dict[str, list[np.ndarray]] = {g: [] for g in GATES}
    for t in range(time):
        h, c, g = lstm_step(x[:, t], h, c, kernel, recurrent_kernel, bias)
        outputs.append(h)
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
