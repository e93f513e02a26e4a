"""Training curves done right: loss and accuracy in two panels, best epoch marked.

The seed article drew loss and accuracy on one unlabelled axis; the two live on
different scales and answer different questions, so they get one panel each.
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
    for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
        ax.plot(epochs, hist[key], "o-", label=f"training {label}")
        if f"val_{key}" in hist:
            ax.plot(epochs, hist[f"val_{key}"], "s-", label=f"validation {label}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
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
