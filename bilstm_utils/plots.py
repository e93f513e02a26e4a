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

    The reviews are cut into ``n_bins`` equal-width bins of predicted P(positive); each
    bin's observed share of positives is drawn with its 95 % Wilson interval (statsmodels'
    ``proportion_confint``), at the mean predicted probability of the bin. A calibrated model
    lies on the diagonal, within its intervals. A histogram underneath shows how many
    reviews each bin holds (first model only).

    Parameters
    ----------
    y_true : array-like of int, shape (n,)
        0/1 labels.
    probs : array-like of float, shape (n,), or dict of str to such arrays
        Predicted P(positive), finite, in [0, 1]; a dict draws one curve per named model.
    n_bins : int
    title : str

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    ValueError
        If the shapes differ or ``probs`` holds values outside [0, 1] or non-finite ones,
        or the dict is empty.
    """
    from statsmodels.stats.proportion import proportion_confint  # noqa: PLC0415

    curves = dict(probs) if isinstance(probs, Mapping) else {"model": probs}
    if not curves:
        raise ValueError("probs is an empty dict: give at least one model's probabilities")
    y_true = np.asarray(y_true)
    checked = {}
    for name, p in curves.items():
        p = np.asarray(p, dtype=float)
        if y_true.shape != p.shape or y_true.ndim != 1:
            raise ValueError(f"y_true and probs must be 1-D of one length, got {y_true.shape}, "
                             f"{p.shape}")
        if not np.all(np.isfinite(p)) or p.min() < 0 or p.max() > 1:
            raise ValueError("probs must be finite probabilities in [0, 1]")
        checked[name] = p
    n_bins = int(n_bins)
    fig, (ax, ax_hist) = plt.subplots(2, 1, figsize=(6, 6.5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    for k, (name, p) in enumerate(checked.items()):
        which = np.minimum((p * n_bins).astype(int), n_bins - 1)
        counts = np.bincount(which, minlength=n_bins)
        pos = np.bincount(which, weights=y_true, minlength=n_bins)
        mean_p = np.bincount(which, weights=p, minlength=n_bins)
        full = counts > 0
        observed = pos[full] / counts[full]
        low, high = proportion_confint(pos[full], counts[full], alpha=0.05, method="wilson")
        shift = (k - (len(checked) - 1) / 2) * 0.008  # keep overlapping bars apart
        ax.errorbar(mean_p[full] / counts[full] + shift, observed,
                    yerr=[observed - low, high - observed], fmt="o-", capsize=3,
                    color=f"C{k}", label=f"{name} (95 % interval per bin)")
    ax.set_ylabel("observed share of positive reviews")
    ax.set_xlabel("mean predicted P(positive) in the bin")
    ax.xaxis.set_tick_params(labelbottom=True)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(True, alpha=0.3)
    first = next(iter(checked))
    ax_hist.hist(checked[first], bins=n_bins, range=(0, 1), color="C0", alpha=0.7)
    ax_hist.set_xlabel(f"predicted P(positive), {first}")
    ax_hist.set_ylabel("reviews per bin")
    fig.tight_layout()
    return fig


def plot_results(results: Mapping[str, Mapping], title: str = "Test results") -> plt.Figure:
    """One dot plot for a chapter's finalists: accuracy with its interval, and training cost.

    Parameters
    ----------
    results : dict of str to dict
        Per model (top to bottom in the given order): ``"runs"``, the accuracy of each seed
        (one value for a deterministic model); optional ``"interval"``, a (low, high) 95 %
        interval of the mean drawn as a bar; ``"seconds"``, training wall seconds (> 0).
    title : str

    Returns
    -------
    matplotlib Figure
        Left: every run's accuracy (dots), the mean (a bar), the interval (a line).
        Right: training seconds on a log axis, each bar labelled with its seconds.

    Raises
    ------
    ValueError
        For an empty ``results``, a model without runs, or non-positive seconds.
    """
    if not results:
        raise ValueError("results is empty")
    names = list(results)
    fig, (ax, ax_cost) = plt.subplots(1, 2, figsize=(10, 0.45 * len(names) + 1.6), sharey=True,
                                      gridspec_kw={"width_ratios": [3, 1.3]})
    for y, name in enumerate(names):
        entry = results[name]
        runs = np.atleast_1d(np.asarray(entry.get("runs", []), dtype=float))
        if runs.size == 0 or not np.all(np.isfinite(runs)):
            raise ValueError(f"{name}: needs at least one finite accuracy in 'runs'")
        if "interval" in entry:
            low, high = entry["interval"]
            ax.plot([low, high], [y, y], "-", color="grey", lw=2,
                    label="95 % interval of the mean" if y == 0 else None)
        ax.plot(runs, np.full(runs.size, y), "o", color="C0", alpha=0.7,
                label="one run (seed)" if y == 0 else None)
        ax.plot([runs.mean()] * 2, [y - 0.3, y + 0.3], "-", color="C3", lw=2,
                label="mean" if y == 0 else None)
        seconds = float(entry.get("seconds", np.nan))
        if np.isfinite(seconds):
            if seconds <= 0:
                raise ValueError(f"{name}: seconds must be positive, got {seconds}")
            ax_cost.barh(y, seconds, color="C2", alpha=0.7)
            ax_cost.text(seconds, y, f" {seconds:,.0f} s", va="center", fontsize="small")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("test accuracy (share of 25,000 reviews)")
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    ax_cost.set_xscale("log")
    ax_cost.set_xlim(right=ax_cost.get_xlim()[1] * 4)  # room for the labels
    ax_cost.set_xlabel("training seconds, 2 CPU cores (log scale)")
    ax_cost.set_title("cost")
    ax_cost.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
