"""The lag task: remember the first input of a sequence for ``lag`` steps (chapter 1).

Each sequence has ``lag + 1`` steps and one feature. Step 0 carries the signal, ``+1`` or
``-1``; the ``lag`` steps after it carry Gaussian noise (standard deviation :data:`NOISE` by
default: the noise is often louder than the signal, and only its position marks it). The label is
1 when the signal was ``+1`` and 0 otherwise, and it is read from the layer's **last** state,
so the layer must carry one bit across ``lag`` noisy steps. Labels are balanced: guessing
scores 0.5 (:data:`CHANCE`).

The task is easy to state and to solve by hand (a unit that latches the sign of its first
input). A longer ``lag`` changes two things: how far back the gradient must reach, and how many
noise steps the stored bit must survive. Chapter 1 separates them with the task fixed: a
leaky unit changes the per-step Jacobian both ways, and a cell whose forward pass is the
SimpleRNN's and whose backward pass is leaky changes only the gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from bilstm_utils._quiet import import_tensorflow_quietly
from bilstm_utils.repro import set_seed

import_tensorflow_quietly()
import keras  # noqa: E402

#: Accuracy of a guess: the labels are balanced.
CHANCE = 0.5

#: Default standard deviation of the noise steps. With 2.0 a 16-unit SimpleRNN learns lag 5
#: within a few epochs and stays at chance at lag 60 within 960 Adam updates (chapter 1).
NOISE = 2.0


def make_lag_task(
    n_samples: int,
    lag: int,
    noise: float = NOISE,
    seed: int | Sequence[int] | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sequences whose label is the sign of their first step, followed by ``lag`` noisy steps.

    Parameters
    ----------
    n_samples : int
        Number of sequences, at least 1.
    lag : int
        Number of noise steps after the signal, at least 0; sequences have ``lag + 1`` steps.
    noise : float
        Standard deviation of the Gaussian noise, at least 0.
    seed : int, sequence of int, numpy Generator or None
        Passed to :func:`numpy.random.default_rng`; the same seed gives the same data.

    Returns
    -------
    x : ndarray of float32, shape (n_samples, lag + 1, 1)
        ``x[:, 0, 0]`` is ``+1`` or ``-1``; ``x[:, 1:, 0]`` is noise.
    y : ndarray of int64, shape (n_samples,)
        ``1`` where ``x[:, 0, 0] == +1``, else ``0``. Exactly balanced when ``n_samples``
        is even (one more 1 than 0 when odd), in random order.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    if isinstance(lag, bool) or not isinstance(lag, int | np.integer) or lag < 0:
        raise ValueError(f"lag must be a non-negative integer, got {lag!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n_samples) % 2 == 0).astype(np.int64)
    x = noise * rng.standard_normal((n_samples, lag + 1, 1))
    x[:, 0, 0] = 2.0 * y - 1.0
    return x.astype(np.float32), y


def build_lag_classifier(
    layer: keras.layers.Layer,
    learning_rate: float = 1e-3,
    global_clipnorm: float | None = None,
    forget_bias: float | None = None,
) -> keras.Model:
    """``Input((None, 1))`` -> ``layer`` -> ``Dense(1, sigmoid)``, compiled for the lag task.

    Parameters
    ----------
    layer : keras Layer
        A recurrent layer that returns its last state only (``return_sequences=False``),
        e.g. ``keras.layers.SimpleRNN(16)``.
    learning_rate : float
        Adam's learning rate (Keras's default, 1e-3, unless told otherwise).
    global_clipnorm : float, optional
        Passed to Adam: the whole list of weight gradients is rescaled to at most this
        global norm before each update (Pascanu, Mikolov and Bengio, 2013,
        https://arxiv.org/abs/1211.5063). ``None``: no clipping.
    forget_bias : float, optional
        For an LSTM ``layer`` only: the initial forget-gate bias, set with
        :func:`bilstm_utils.lstm.set_forget_bias` once the model is built (Keras's default
        is 1). ``None``: Keras's initialisation.

    Returns
    -------
    keras.Model
        Compiled with binary cross-entropy and the ``"accuracy"`` metric.

    Raises
    ------
    ValueError
        If ``learning_rate`` or ``global_clipnorm`` is not positive, or ``forget_bias`` is
        given for a layer that is not an LSTM.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    if global_clipnorm is not None and not global_clipnorm > 0:
        raise ValueError(f"global_clipnorm must be positive or None, got {global_clipnorm!r}")
    if forget_bias is not None and not isinstance(layer, keras.layers.LSTM):
        raise ValueError(
            f"forget_bias applies to a keras.layers.LSTM only, got {type(layer).__name__}"
        )
    model = keras.Sequential(
        [keras.Input((None, 1)), layer, keras.layers.Dense(1, activation="sigmoid")]
    )
    if forget_bias is not None:
        from bilstm_utils.lstm import set_forget_bias  # noqa: PLC0415

        set_forget_bias(layer, forget_bias)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, global_clipnorm=global_clipnorm),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


@dataclass
class LagResult:
    """What :func:`fit_lag_task` returns.

    Attributes
    ----------
    lag : int
        The lag trained on.
    test_accuracy : float
        Accuracy on held-out sequences (drawn from a separate random stream).
    history : dict of str to list of float
        Keras's ``History.history``: ``"loss"``, ``"accuracy"`` per epoch.
    model : keras.Model
        The trained model.
    """

    lag: int
    test_accuracy: float
    history: dict[str, list[float]]
    model: keras.Model


def fit_lag_task(
    make_layer: Callable[[], keras.layers.Layer],
    lag: int,
    n_train: int = 2048,
    n_test: int = 1024,
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    noise: float = NOISE,
    seed: int = 0,
    global_clipnorm: float | None = None,
    forget_bias: float | None = None,
) -> LagResult:
    """Train a fresh classifier on the lag task and measure it on held-out sequences.

    The seed fixes the initial weights (through :func:`bilstm_utils.set_seed`), the training
    data and the test data; training and test data come from separate random streams.

    Parameters
    ----------
    make_layer : callable
        Returns a **new** recurrent layer each call, e.g. ``lambda: keras.layers.SimpleRNN(16)``.
    lag : int
        Noise steps between the signal and the end of the sequence.
    n_train, n_test : int
        Number of training and held-out sequences (multiples of ``batch_size`` and 256
        avoid a retrace of the training and evaluation step for a smaller last batch).
    epochs, batch_size, learning_rate : int, int, float
        The training budget.
    noise : float
        As in :func:`make_lag_task`.
    seed : int
        A non-negative integer.
    global_clipnorm, forget_bias : float, optional
        As in :func:`build_lag_classifier`.

    Returns
    -------
    LagResult
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    set_seed(seed)
    x_train, y_train = make_lag_task(n_train, lag, noise, seed=[seed, lag, 0])
    x_test, y_test = make_lag_task(n_test, lag, noise, seed=[seed, lag, 1])
    model = build_lag_classifier(make_layer(), learning_rate, global_clipnorm, forget_bias)
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=256, verbose=0)
    return LagResult(
        lag=int(lag), test_accuracy=float(accuracy), history=history.history, model=model
    )


def plot_accuracy_vs_lag(
    curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    points: Mapping[str, tuple[Sequence[int], Sequence[float]]] | None = None,
    title: str = "Held-out accuracy on the lag task",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Plot held-out accuracy against lag, with chance marked.

    Parameters
    ----------
    curves : mapping of str to (lags, accuracies)
        Legend label to two equal-length sequences, drawn as a line through the points
        (a sweep over lags).
    points : mapping of str to (lags, accuracies), optional
        Legend label to two equal-length sequences, drawn as unconnected markers (single
        runs at a few lags, e.g. other seeds).
    title : str
        The axes title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
    """
    if not curves and not points:
        raise ValueError("curves is empty: pass at least one label -> (lags, accuracies) entry")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    markers = iter("sD^v<>p*")
    for connect, series in ((True, curves), (False, points or {})):
        for label, (lags, accuracies) in series.items():
            if len(lags) != len(accuracies) or len(lags) == 0:
                raise ValueError(
                    f"{label!r}: lags and accuracies must be non-empty and of equal length, "
                    f"got {len(lags)} and {len(accuracies)}"
                )
            if connect:
                ax.plot(lags, accuracies, marker="o", label=label)
            else:
                ax.plot(lags, accuracies, linestyle="none", marker=next(markers, "o"), ms=8,
                        mfc="none", mew=1.6, label=label)
    ax.axhline(CHANCE, color="0.5", linestyle="--", label=f"chance ({CHANCE:g})")
    ax.set_ylim(0.4, 1.03)
    ax.set_xlabel("lag (noise steps between the signal and the end)")
    ax.set_ylabel("held-out accuracy")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def plot_lag_examples(
    x: np.ndarray,
    y: np.ndarray,
    n: int = 4,
    title: str = "Lag-task sequences: the label is the sign of step 0",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Plot the first ``n`` sequences of :func:`make_lag_task`, the signal step marked.

    Parameters
    ----------
    x : ndarray, shape (n_samples, lag + 1, 1)
    y : ndarray, shape (n_samples,)
        As returned by :func:`make_lag_task`.
    n : int
        How many sequences to draw, between 1 and ``n_samples``.
    title : str
        The axes title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 3 or x.shape[2] != 1 or y.shape != (x.shape[0],):
        raise ValueError(
            f"x must have shape (n_samples, time, 1) and y (n_samples,), got {x.shape}, {y.shape}"
        )
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= x.shape[0]:
        raise ValueError(f"n must be an integer in [1, {x.shape[0]}], got {n!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    steps = np.arange(x.shape[1])
    for k in range(n):
        line = ax.plot(steps, x[k, :, 0], marker=".", lw=1, label=f"sequence {k}: label {y[k]}")
        ax.plot([0], [x[k, 0, 0]], marker="o", ms=10, mfc="none", color=line[0].get_color())
    ax.axvspan(-0.5, 0.5, color="tab:orange", alpha=0.15, label="signal step")
    ax.set_xlabel("time step $t$")
    ax.set_ylabel("input $x_t$")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    return ax


def plot_accuracy_and_gradient(
    lags: Sequence[int],
    accuracies: Mapping[str, Sequence[float]],
    gradient_ratios: Mapping[str, Sequence[float]],
    title: str = "Where the accuracy falls, the gradient has vanished",
    ax: plt.Axes | None = None,
) -> tuple[plt.Axes, plt.Axes]:
    """Held-out accuracy against lag (left axis) with gradient ratios on a log axis (right).

    Parameters
    ----------
    lags : sequence of int
        The lags, shared by every series.
    accuracies : mapping of str to sequence of float
        Legend label to one accuracy per lag (e.g. one entry per seed), drawn as markers,
        with their mean over the entries drawn as a line.
    gradient_ratios : mapping of str to sequence of float
        Legend label to one ratio :math:`\\lVert \\partial h_{T-1}/\\partial x_{T-1-d}\\rVert /
        \\lVert \\partial h_{T-1}/\\partial x_{T-1}\\rVert` per lag (``d`` = the lag), all
        positive, drawn as dashed lines on the right-hand log axis.
    title : str
        The axes title.
    ax : matplotlib Axes, optional
        Where to draw the accuracies; a new figure when omitted.

    Returns
    -------
    (Axes, Axes)
        The accuracy axes and the twin gradient axes.

    Raises
    ------
    ValueError
        If a series is empty, its length differs from ``lags``, or a ratio is not positive.
    """
    lags = list(lags)
    if not lags or not accuracies or not gradient_ratios:
        raise ValueError("lags, accuracies and gradient_ratios must all be non-empty")
    for label, values in {**accuracies, **gradient_ratios}.items():
        if len(values) != len(lags):
            raise ValueError(f"{label!r} has {len(values)} values for {len(lags)} lags")
    for label, values in gradient_ratios.items():
        if not np.all(np.asarray(values, dtype=float) > 0):
            raise ValueError(f"{label!r}: gradient ratios must be positive (log axis)")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    acc = np.array([list(v) for v in accuracies.values()], dtype=float)
    for k, (label, values) in enumerate(accuracies.items()):
        ax.plot(lags, values, linestyle="none", marker="os^Dv"[k % 5], mfc="none", color="tab:blue",
                alpha=0.6, label=f"accuracy, {label}")
    ax.plot(lags, acc.mean(axis=0), color="tab:blue", lw=2, label="accuracy, mean")
    ax.axhline(CHANCE, color="0.5", linestyle=":", label=f"chance ({CHANCE:g})")
    ax.set_ylim(0.4, 1.03)
    ax.set_xlabel("lag $d$ (noise steps between the signal and the end)")
    ax.set_ylabel("held-out accuracy", color="tab:blue")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    twin = ax.twinx()
    colours = iter(["tab:red", "tab:green", "tab:purple", "tab:brown"])
    for label, values in gradient_ratios.items():
        twin.semilogy(lags, values, linestyle="--", marker="x", color=next(colours, "k"),
                      label=label)
    twin.set_ylabel(r"$\|\partial h_{T-1}/\partial x_{T-1-d}\| \,/\, "
                    r"\|\partial h_{T-1}/\partial x_{T-1}\|$ (log)")
    handles = ax.get_legend_handles_labels()
    twin_handles = twin.get_legend_handles_labels()
    ax.legend(handles[0] + twin_handles[0], handles[1] + twin_handles[1], fontsize=7,
              loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)
    return ax, twin
