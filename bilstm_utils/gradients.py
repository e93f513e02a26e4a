"""How far back does a recurrent layer's gradient reach? (chapters 1 and 2)

For an encoder that maps a batch of sequences ``x`` of shape ``(batch, T, features)``
to its last state :math:`h_{T-1}` (steps are numbered ``0 .. T-1``) of shape
``(batch, units)``, :func:`gradient_norms` measures

.. math::

    g(d) = \\operatorname{mean}_{\\text{batch}}
           \\left\\lVert \\frac{\\partial h_{T-1}}{\\partial x_{T-1-d}} \\right\\rVert_F ,
    \\qquad d = 0, 1, \\dots, T-1,

the Frobenius norm of the Jacobian of the last state with respect to the input ``d``
steps before the end. A plain RNN's :math:`g(d)` decays geometrically with ``d``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np

from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()


def gradient_norms(encoder: Callable, x: np.ndarray) -> np.ndarray:
    """Mean Frobenius norm of :math:`\\partial h_{T-1} / \\partial x_{T-1-d}` for every ``d``.

    Parameters
    ----------
    encoder : callable
        Maps a tensor of shape ``(batch, T, features)`` to :math:`h_{T-1}` of shape
        ``(batch, units)`` (a Keras layer or model with ``return_sequences=False``).
    x : ndarray, shape (batch, T, features)
        The inputs at which the Jacobian is taken.

    Returns
    -------
    ndarray, shape (T,)
        ``norms[d]`` for ``d = 0 .. T-1``; ``norms[0]`` is the last step's own input.
    """
    x = np.asarray(x, dtype="float32")
    if x.ndim != 3 or x.shape[1] < 1:
        raise ValueError(f"x must have shape (batch, T>=1, features), got {x.shape}")
    xt = tf.convert_to_tensor(x)

    @tf.function  # traced once per call: about three times faster than eager for a Keras RNN
    def jacobian(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            h = encoder(inputs)
        if len(h.shape) != 2:
            raise ValueError(f"encoder must return (batch, units), got shape {tuple(h.shape)}")
        # One backward pass per unit in a graph loop. The default (pfor) vectorises them but
        # takes seconds to trace through a recurrent layer; the values are the same.
        return tape.batch_jacobian(h, inputs, experimental_use_pfor=False)

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")  # batch_jacobian's loop may log "retracing" warnings: expected
    try:
        jac = jacobian(xt).numpy()  # (batch, units, T, features)
    finally:
        logger.setLevel(level)
    # Square in float64: float32 squares of entries below about 1e-19 lose precision, and
    # below about 1e-23 they underflow to 0, although the entries themselves are representable.
    jac = jac.astype(np.float64)
    per_step = np.sqrt((jac**2).sum(axis=(1, 3))).mean(axis=0)  # (T,)
    return per_step[::-1].copy()


def gradient_ratio(norms: np.ndarray, distance: int) -> float:
    """``norms[distance] / norms[0]``: how much of the gradient survives ``distance`` steps.

    Parameters
    ----------
    norms : ndarray, shape (T,)
        Output of :func:`gradient_norms`.
    distance : int
        ``0 <= distance < T``.
    """
    if not 0 <= distance < len(norms):
        raise ValueError(f"distance must be in [0, {len(norms) - 1}], got {distance}")
    if norms[0] == 0:
        raise ValueError("norms[0] is zero: the last input has no effect, the ratio is undefined")
    return float(norms[distance] / norms[0])


def plot_gradient_norms(
    curves: Mapping[str, np.ndarray],
    title: str = "Gradient of the last state with respect to earlier inputs",
    ax: plt.Axes | None = None,
    relative: bool = False,
) -> plt.Axes:
    """Plot several :func:`gradient_norms` curves against distance, on a log scale.

    Parameters
    ----------
    curves : mapping of str to ndarray of shape (T,)
        Legend label to curve.
    title : str
        The axes title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    relative : bool
        Divide each curve by its value at ``d = 0`` (the gradient from the last input), so that
        the plot shows the ratios of :func:`gradient_ratio`.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``curves`` is empty, or ``relative`` and a curve is zero at ``d = 0``.
    """
    if not curves:
        raise ValueError("curves is empty: pass at least one label -> norms entry")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, norms in curves.items():
        norms = np.asarray(norms, dtype=float)
        if relative:
            if not norms[0] > 0:
                raise ValueError(f"{label!r}: the norm at d = 0 is {norms[0]}, cannot divide by it")
            norms = norms / norms[0]
        ax.semilogy(np.arange(len(norms)), norms, label=label)
    ax.set_xlabel(r"distance $d$ (steps before the last one)")
    norm = r"\|\partial h_{T-1} / \partial x_{T-1-d}\|_F"
    ax.set_ylabel(r"gradient from $d$ steps back, relative to $d = 0$ (log scale)"
                  if relative else rf"${norm}$ (log scale)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax
