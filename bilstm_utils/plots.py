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
