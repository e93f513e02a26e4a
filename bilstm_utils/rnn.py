"""A NumPy simple recurrent layer in Keras's weight layout: forward pass and BPTT (chapter 1).

``keras.layers.SimpleRNN`` stores its weights as three arrays:

========================  ======================
``kernel``                ``(input_dim, units)``
``recurrent_kernel``      ``(units, units)``
``bias``                  ``(units,)``
========================  ======================

With :math:`W` the kernel, :math:`U` the recurrent kernel and :math:`b` the bias, one step
for a batch (rows are examples) is

.. math::

    h_t = \\tanh(x_t W + h_{t-1} U + b), \\qquad h_{-1} = 0 .

:func:`rnn_forward` runs it over a batch of sequences and :func:`rnn_backward` runs
backpropagation through time (BPTT) over the same sequences, returning the gradients of a
loss with respect to ``W``, ``U``, ``b``, the inputs and the initial state.
:func:`plot_unrolled_rnn` draws the recurrence unrolled in time.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch


def _check_weights(kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray) -> int:
    kernel, recurrent_kernel, bias = (np.asarray(a) for a in (kernel, recurrent_kernel, bias))
    if recurrent_kernel.ndim != 2 or recurrent_kernel.shape[0] != recurrent_kernel.shape[1]:
        raise ValueError(
            f"recurrent_kernel must have shape (units, units), got {recurrent_kernel.shape}"
        )
    units = recurrent_kernel.shape[0]
    if units < 1:
        raise ValueError("recurrent_kernel is empty: a layer needs units >= 1")
    if kernel.ndim != 2 or kernel.shape[1] != units:
        raise ValueError(f"kernel must have shape (input_dim, {units}), got {kernel.shape}")
    if bias.shape != (units,):
        raise ValueError(f"bias must have shape ({units},), got {bias.shape}")
    return units


def _check_x(x: np.ndarray, input_dim: int) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, input_dim), got {x.shape}")
    if x.shape[1] == 0:
        raise ValueError("x has no time steps; a recurrent layer needs a sequence of length >= 1")
    if x.shape[2] != input_dim:
        raise ValueError(f"x has {x.shape[2]} features but the kernel expects {input_dim}")
    return x


def _initial_state(h0: np.ndarray | None, batch: int, units: int, dtype) -> np.ndarray:
    if h0 is None:
        return np.zeros((batch, units), dtype)
    h0 = np.asarray(h0)
    if h0.shape != (batch, units):
        raise ValueError(f"h0 must have shape ({batch}, {units}), got {h0.shape}")
    return h0


def rnn_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
) -> np.ndarray:
    """One SimpleRNN time step: ``tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)``.

    Parameters
    ----------
    x_t : ndarray, shape (batch, input_dim)
        The inputs at this time step.
    h_prev : ndarray, shape (batch, units)
        The hidden state after the previous step.
    kernel : ndarray, shape (input_dim, units)
    recurrent_kernel : ndarray, shape (units, units)
    bias : ndarray, shape (units,)
        Keras's ``layer.get_weights()``, in that order.

    Returns
    -------
    ndarray, shape (batch, units)
        The new hidden state, which is also the layer's output at this step.
    """
    units = _check_weights(kernel, recurrent_kernel, bias)
    x_t, h_prev = np.asarray(x_t), np.asarray(h_prev)
    if x_t.ndim != 2 or x_t.shape[1] != np.shape(kernel)[0]:
        raise ValueError(f"x_t must have shape (batch, {np.shape(kernel)[0]}), got {x_t.shape}")
    if h_prev.shape != (x_t.shape[0], units):
        raise ValueError(f"h_prev must have shape ({x_t.shape[0]}, {units}), got {h_prev.shape}")
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)


@dataclass
class RNNResult:
    """What :func:`rnn_forward` returns.

    Attributes
    ----------
    outputs : ndarray, shape (batch, time, units)
        :math:`h_t` at every step (Keras's ``return_sequences=True`` output).
    h : ndarray, shape (batch, units)
        The last hidden state (the ``return_sequences=False`` output and the returned state);
        equal to ``outputs[:, -1]``.
    """

    outputs: np.ndarray
    h: np.ndarray


def rnn_forward(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    h0: np.ndarray | None = None,
) -> RNNResult:
    """Run :func:`rnn_step` over a batch of sequences, like ``keras.layers.SimpleRNN``.

    Parameters
    ----------
    x : ndarray, shape (batch, time, input_dim)
    kernel : ndarray, shape (input_dim, units)
    recurrent_kernel : ndarray, shape (units, units)
    bias : ndarray, shape (units,)
    h0 : ndarray, shape (batch, units), optional
        The initial state; zeros when omitted (Keras's default).

    Returns
    -------
    RNNResult
        The hidden state at every step and the last one.
    """
    units = _check_weights(kernel, recurrent_kernel, bias)
    x = _check_x(x, np.shape(kernel)[0])
    h = _initial_state(h0, x.shape[0], units, x.dtype)
    outputs = []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
        outputs.append(h)
    return RNNResult(outputs=np.stack(outputs, axis=1), h=h)


@dataclass
class RNNGradients:
    """What :func:`rnn_backward` returns: the gradient of the loss with respect to each array.

    Attributes
    ----------
    kernel : ndarray, shape (input_dim, units)
    recurrent_kernel : ndarray, shape (units, units)
    bias : ndarray, shape (units,)
    x : ndarray, shape (batch, time, input_dim)
    h0 : ndarray, shape (batch, units)
    """

    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    x: np.ndarray
    h0: np.ndarray


def rnn_backward(
    x: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray,
    d_outputs: np.ndarray | None = None,
    d_h: np.ndarray | None = None,
    h0: np.ndarray | None = None,
) -> RNNGradients:
    """Backpropagation through time for :func:`rnn_forward`.

    The loss :math:`L` is known through its gradients with respect to the layer's outputs:
    ``d_outputs[:, t]`` is :math:`\\partial L / \\partial h_t` taken directly (as when every
    step feeds the loss, ``return_sequences=True``), and ``d_h`` is
    :math:`\\partial L / \\partial h_{T-1}` (as when only the last state feeds the loss,
    ``return_sequences=False``). Going backwards from the last step,

    .. math::

        \\delta_t = \\bigl(\\partial L/\\partial h_t\\bigr) \\odot (1 - h_t^2), \\qquad
        \\frac{\\partial L}{\\partial h_{t-1}} \\mathrel{+}= \\delta_t U^\\top, \\qquad
        \\frac{\\partial L}{\\partial x_t} = \\delta_t W^\\top,

    and the weight gradients sum over steps and examples:
    :math:`\\partial L/\\partial W = \\sum_t x_t^\\top \\delta_t`,
    :math:`\\partial L/\\partial U = \\sum_t h_{t-1}^\\top \\delta_t`,
    :math:`\\partial L/\\partial b = \\sum_t \\mathbf{1}^\\top \\delta_t`.

    Parameters
    ----------
    x : ndarray, shape (batch, time, input_dim)
    kernel, recurrent_kernel, bias : ndarray
        As in :func:`rnn_forward`.
    d_outputs : ndarray, shape (batch, time, units), optional
        Gradient of the loss with respect to every step's output.
    d_h : ndarray, shape (batch, units), optional
        Gradient of the loss with respect to the last state. At least one of ``d_outputs``
        and ``d_h`` must be given; when both are, they add up.
    h0 : ndarray, shape (batch, units), optional
        The initial state used in the forward pass; zeros when omitted.

    Returns
    -------
    RNNGradients
        Gradients with respect to ``kernel``, ``recurrent_kernel``, ``bias``, ``x`` and ``h0``.
    """
    units = _check_weights(kernel, recurrent_kernel, bias)
    x = _check_x(x, np.shape(kernel)[0])
    batch, time, _ = x.shape
    if d_outputs is None and d_h is None:
        raise ValueError("give d_outputs, d_h or both: the gradient of the loss to propagate")
    if d_outputs is not None:
        d_outputs = np.asarray(d_outputs)
        if d_outputs.shape != (batch, time, units):
            raise ValueError(
                f"d_outputs must have shape ({batch}, {time}, {units}), got {d_outputs.shape}"
            )
    if d_h is not None:
        d_h = np.asarray(d_h)
        if d_h.shape != (batch, units):
            raise ValueError(f"d_h must have shape ({batch}, {units}), got {d_h.shape}")
    h_init = _initial_state(h0, batch, units, x.dtype)
    outputs = rnn_forward(x, kernel, recurrent_kernel, bias, h_init).outputs
    # h_prev[:, t] is the state that step t read: h0 for t = 0, then outputs[:, t - 1].
    h_prev = np.concatenate([h_init[:, None, :], outputs[:, :-1]], axis=1)

    d_kernel = np.zeros_like(kernel, dtype=outputs.dtype)
    d_recurrent = np.zeros_like(recurrent_kernel, dtype=outputs.dtype)
    d_bias = np.zeros_like(bias, dtype=outputs.dtype)
    d_x = np.zeros_like(x, dtype=outputs.dtype)
    carry = np.zeros((batch, units), outputs.dtype) if d_h is None else d_h.astype(outputs.dtype)
    for t in reversed(range(time)):
        grad_h = carry if d_outputs is None else carry + d_outputs[:, t]
        delta = grad_h * (1.0 - outputs[:, t] ** 2)  # through tanh
        d_kernel += x[:, t].T @ delta
        d_recurrent += h_prev[:, t].T @ delta
        d_bias += delta.sum(axis=0)
        d_x[:, t] = delta @ np.asarray(kernel).T
        carry = delta @ np.asarray(recurrent_kernel).T  # dL/dh_{t-1}
    return RNNGradients(
        kernel=d_kernel, recurrent_kernel=d_recurrent, bias=d_bias, x=d_x, h0=carry
    )


def log_tanh_derivative(a: np.ndarray) -> np.ndarray:
    """Natural log of :math:`\\tanh'(a) = 1 - \\tanh^2(a) = \\operatorname{sech}^2 a`, safely.

    In floating point, ``1 - np.tanh(a) ** 2`` is exactly 0 once :math:`\\tanh(a)` rounds to
    1 (:math:`|a| \\gtrsim 9.1` in float32, :math:`\\gtrsim 19.1` in float64), so products
    of such factors read as 0 however many orders of magnitude they really span. This
    uses the identity

    .. math::

        \\operatorname{sech}^2 a = \\frac{4 e^{-2|a|}}{(1 + e^{-2|a|})^2}
        \\quad\\Longrightarrow\\quad
        \\ln \\operatorname{sech}^2 a = \\ln 4 - 2|a| - 2 \\ln(1 + e^{-2|a|}),

    which is finite for every finite ``a``.

    Parameters
    ----------
    a : array_like
        Pre-activations, any shape.

    Returns
    -------
    ndarray of float64, same shape as ``a``
        :math:`\\ln \\tanh'(a)`, always :math:`\\le 0` (0 at :math:`a = 0`).

    Raises
    ------
    ValueError
        If ``a`` holds NaN or an infinity.
    """
    a = np.abs(np.asarray(a, dtype=np.float64))
    if not np.all(np.isfinite(a)):
        raise ValueError("a must be finite: tanh'(inf) is 0 and its log is -inf")
    return np.log(4.0) - 2.0 * a - 2.0 * np.log1p(np.exp(-2.0 * a))


def rnn_param_count(input_dim: int, units: int) -> int:
    """Number of weights of a Keras SimpleRNN layer: ``units * (input_dim + units) + units``.

    It does not depend on the sequence length: every step reuses the same three arrays.
    """
    if input_dim < 1 or units < 1:
        raise ValueError(f"input_dim and units must be positive, got {input_dim}, {units}")
    return units * (input_dim + units) + units


def plot_unrolled_rnn(
    steps: int = 4,
    batch: str = "B",
    input_dim: str = "F",
    units: str = "H",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Draw a SimpleRNN unrolled over ``steps`` time steps, with the shape of every array.

    Each column is one time step: the input :math:`x_t` enters from below through
    :math:`W`, the previous state :math:`h_{t-1}` enters from the left through :math:`U`,
    and the new state :math:`h_t` leaves upwards (the output) and to the right (the next
    step's state). The same :math:`W`, :math:`U`, :math:`b` serve every column.

    Parameters
    ----------
    steps : int
        Number of time steps drawn, at least 1.
    batch, input_dim, units : str
        Symbols (or numbers) written in the shape annotations.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(2.3 * steps + 1.6, 4.2))
    y_in, y_cell, y_out = 0.0, 1.0, 2.0
    box_w, box_h = 0.5, 0.42

    def arrow(start, end, label=None, label_at=None, color="0.2"):
        ax.add_patch(
            FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.4, color=color)
        )
        if label is not None:
            ax.text(*label_at, label, ha="center", va="center", fontsize=11, color="tab:blue")

    for t in range(steps):
        ax.add_patch(
            FancyBboxPatch(
                (t - box_w / 2, y_cell - box_h / 2), box_w, box_h,
                boxstyle="round,pad=0.02", fc="#e8f0fb", ec="tab:blue", lw=1.5,
            )
        )
        ax.text(t, y_cell, "tanh", ha="center", va="center", fontsize=11)
        ax.text(t, y_in - 0.12, f"$x_{{{t}}}$\n({batch}, {input_dim})", ha="center",
                va="top", fontsize=10)
        arrow((t, y_in - 0.08), (t, y_cell - box_h / 2 - 0.02), "$W$", (t + 0.14, 0.45))
        arrow((t, y_cell + box_h / 2 + 0.02), (t, y_out - 0.05))
        ax.text(t, y_out, f"$h_{{{t}}}$\n({batch}, {units})", ha="center", va="bottom",
                fontsize=10)
        left = t - 1 + box_w / 2 + 0.02 if t > 0 else t - 0.75
        arrow((left, y_cell), (t - box_w / 2 - 0.02, y_cell), "$U$", (t - 0.5, y_cell + 0.12))
    ax.text(-0.8, y_cell, f"$h_{{-1}}=0$\n({batch}, {units})", ha="right", va="center",
            fontsize=10)
    ax.text(-1.55, y_out + 0.25,
            f"shared by every step:\n$W$: ({input_dim}, {units})\n"
            f"$U$: ({units}, {units})\n$b$: ({units},)",
            ha="left", va="top", fontsize=9, color="tab:blue")
    ax.set_xlim(-1.6, steps - 0.5)
    ax.set_ylim(-0.75, 2.6)
    ax.set_xticks(range(steps))
    ax.set_xlabel("time step $t$")
    ax.set_yticks([y_in, y_cell, y_out])
    ax.set_yticklabels(["input", "recurrent cell", "output"])
    ax.set_ylabel("role in the layer")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"A SimpleRNN unrolled over {steps} time steps")
    return ax
