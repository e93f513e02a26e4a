"""Training curves done right: loss and accuracy in two panels, best epoch marked; curves of
several seeds per arm as a mean with its range.

The article drew loss and accuracy on one unlabelled axis; the two live on different scales and
answer different questions, so they get one panel each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def best_epoch(history: Mapping[str, Sequence[float]], monitor: str = "val_accuracy") -> int:
    """1-based epoch with the best ``monitor`` value (max for accuracy, min for loss)."""
    if monitor not in history or len(history[monitor]) == 0:
        raise ValueError(f"history has no values for {monitor!r}; keys are {sorted(history)}")
    values = np.asarray(history[monitor], dtype=float)
    index = np.argmin(values) if "loss" in monitor else np.argmax(values)
    return int(index) + 1


def plot_history(
    history: Mapping[str, Sequence[float]] | object,
    title: str = "Training curves",
    monitor: str = "val_accuracy",
) -> plt.Figure:
    """Plot training vs validation loss (left) and accuracy (right) per epoch.

    Parameters
    ----------
    history : dict or keras.callbacks.History
        ``history.history`` of ``model.fit``: lists of per-epoch values under
        ``"loss"``, ``"accuracy"`` and, when validated, ``"val_loss"``, ``"val_accuracy"``.
    title : str
        Figure title.
    monitor : str
        The series whose best epoch is marked with a vertical line.

    Returns
    -------
    matplotlib Figure
    """
    hist = getattr(history, "history", history)
    for key in ("loss", "accuracy"):
        if key not in hist:
            raise ValueError(f"history lacks {key!r}: compile the model with metrics=['accuracy']")
    epochs = np.arange(1, len(hist["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    axes = ((ax_loss, "loss", "loss", "loss (mean per review, nats)"),
            (ax_acc, "accuracy", "accuracy", "accuracy (share of reviews right)"))
    for ax, key, label, unit in axes:
        ax.plot(epochs, hist[key], "o-", label=f"training {label}")
        if f"val_{key}" in hist:
            ax.plot(epochs, hist[f"val_{key}"], "s-", label=f"validation {label}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(unit)
        ax.set_xticks(epochs)
        ax.grid(True, alpha=0.3)
    if monitor in hist:
        best = best_epoch(hist, monitor)
        for ax in (ax_loss, ax_acc):
            ax.axvline(best, color="grey", linestyle="--", label=f"best epoch ({best})")
    ax_loss.set_title("Loss (binary cross-entropy)")
    ax_acc.set_title("Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_seed_curves(
    curves: Mapping[str, Sequence[Sequence[float]]],
    ylabel: str,
    title: str,
    xlabel: str = "epoch",
    ax=None,
):
    """One line per arm: the mean over seeds, with a band from the lowest to the highest seed.

    The title gets the line "mean of n seeds; band: lowest to highest seed" (n of the first arm).

    Parameters
    ----------
    curves : mapping of str to array_like, shape (n_seeds, n_points)
        Legend label to one curve per seed (e.g. validation accuracy after each epoch).
    ylabel, title, xlabel : str
        Axis labels (with units) and the title.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If ``curves`` is empty or an arm is not a non-empty (n_seeds, n_points) array.
    """
    if not curves:
        raise ValueError("no curves to draw")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    for (label, values), marker in zip(curves.items(), "osD^v<>", strict=False):
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or values.size == 0:
            raise ValueError(f"{label!r}: expected shape (n_seeds, n_points), got {values.shape}")
        x = np.arange(1, values.shape[1] + 1)
        line = ax.plot(x, values.mean(axis=0), marker=marker, ms=4, label=label)
        ax.fill_between(x, values.min(axis=0), values.max(axis=0), alpha=0.2,
                        color=line[0].get_color(), lw=0)
    n_seeds = len(next(iter(curves.values())))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}\n(line: mean of {n_seeds} seeds; band: lowest to highest seed)",
                 fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def plot_length_histogram(
    lengths: Sequence[int],
    cut: int = 200,
    title: str = "Review lengths",
    bins: int = 60,
    max_length: int = 1000,
) -> plt.Figure:
    """Histogram of review lengths in tokens, with the truncation length marked.

    Parameters
    ----------
    lengths : sequence of int, shape (n,)
        Tokens per review.
    cut : int
        The sequence length a model keeps; the share of longer reviews is in the legend.
    title : str
    bins : int
    max_length : int
        Lengths above this are drawn in the last bin (the tail is long and thin).

    Returns
    -------
    matplotlib Figure
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0:
        raise ValueError(f"lengths must be a non-empty 1-D sequence, got shape {lengths.shape}")
    if cut < 1 or max_length <= cut:
        raise ValueError(f"need 1 <= cut < max_length, got cut={cut}, max_length={max_length}")
    share = float(np.mean(lengths > cut))
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.hist(np.minimum(lengths, max_length), bins=bins, color="tab:blue", alpha=0.8,
            label="reviews")
    ax.axvline(cut, color="tab:red", linestyle="--",
               label=f"cut at {cut} tokens ({share:.1%} of reviews are longer)")
    ax.set_xlabel(f"review length in tokens (longer than {max_length} drawn at {max_length})")
    ax.set_ylabel("number of reviews")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_reliability(
    y_true, probs, n_bins: int = 10, title: str = "Reliability diagram"
) -> plt.Figure:
    """Reliability diagram: observed share of positives against mean predicted probability.

    The reviews are cut into ``n_bins`` equal-width bins of predicted P(positive)
    (scikit-learn's ``calibration_curve``); a calibrated model lies on the diagonal. A
    histogram of the probabilities underneath shows how many reviews each bin holds.

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        0/1 labels.
    probs : array-like of float, shape (n,)
        Predicted P(positive), finite, in [0, 1].
    n_bins : int
    title : str

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    ValueError
        If the shapes differ or ``probs`` holds values outside [0, 1] or non-finite ones.
    """
    from sklearn.calibration import calibration_curve  # noqa: PLC0415

    y_true, probs = np.asarray(y_true), np.asarray(probs, dtype=float)
    if y_true.shape != probs.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and probs must be 1-D of one length, got {y_true.shape}, "
                         f"{probs.shape}")
    if not np.all(np.isfinite(probs)) or probs.min() < 0 or probs.max() > 1:
        raise ValueError("probs must be finite probabilities in [0, 1]")
    observed, predicted = calibration_curve(y_true, probs, n_bins=n_bins)
    fig, (ax, ax_hist) = plt.subplots(2, 1, figsize=(5.5, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    ax.plot(predicted, observed, "o-", label="model")
    ax.set_ylabel("observed share of positive reviews")
    ax.set_xlabel("mean predicted P(positive) in the bin")
    ax.xaxis.set_tick_params(labelbottom=True)
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax.grid(True, alpha=0.3)
    ax_hist.hist(probs, bins=n_bins, range=(0, 1), color="C0", alpha=0.7, label="reviews")
    ax_hist.set_xlabel("predicted P(positive)")
    ax_hist.set_ylabel("reviews")
    ax_hist.legend(loc="upper center")
    fig.tight_layout()
    return fig
