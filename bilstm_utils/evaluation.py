"""Evaluating a binary classifier beyond accuracy, with NumPy only (chapter 4).

Labels are 0 (negative) and 1 (positive); scores are P(positive) in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np


def _check_binary(y_true, y_other, other_name: str) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true).reshape(-1)
    y_other = np.asarray(y_other).reshape(-1)
    if y_true.shape != y_other.shape:
        raise ValueError(
            f"y_true has {y_true.size} entries but {other_name} has {y_other.size}: "
            "pass one entry per example"
        )
    if y_true.size == 0:
        raise ValueError("no examples: y_true is empty")
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("y_true must contain only 0 and 1")
    return y_true.astype(np.int64), y_other


def confusion_matrix(y_true, y_pred) -> np.ndarray:
    """Counts of (true label, predicted label).

    Parameters
    ----------
    y_true, y_pred : array of 0/1, shape (n,)

    Returns
    -------
    ndarray of int64, shape (2, 2)
        ``[[TN, FP], [FN, TP]]``: row = true label, column = predicted label.
    """
    y_true, y_pred = _check_binary(y_true, y_pred, "y_pred")
    if not np.isin(y_pred, (0, 1)).all():
        raise ValueError("y_pred must contain only 0 and 1: threshold the scores first")
    counts = np.zeros((2, 2), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred.astype(np.int64)), 1)
    return counts


def precision_recall_f1(y_true, y_pred) -> dict[str, float]:
    """Accuracy, and precision, recall and F1 of the positive class.

    Parameters
    ----------
    y_true, y_pred : array of 0/1, shape (n,)

    Returns
    -------
    dict
        ``accuracy``, ``precision`` = TP/(TP+FP), ``recall`` = TP/(TP+FN),
        ``f1`` = their harmonic mean (0 where undefined).
    """
    (tn, fp), (fn, tp) = confusion_matrix(y_true, y_pred)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "accuracy": float((tp + tn) / (tn + fp + fn + tp)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def roc_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False- and true-positive rates as the threshold sweeps down through the scores.

    Parameters
    ----------
    y_true : array of 0/1, shape (n,), both classes present
    scores : array of float, shape (n,)

    Returns
    -------
    fpr, tpr : ndarray of float, shape (k + 1,)
        Starting at (0, 0) and ending at (1, 1); k = number of distinct scores.
    thresholds : ndarray of float, shape (k + 1,)
        ``+inf`` first, then the distinct scores in decreasing order; point i predicts
        positive for ``scores >= thresholds[i]``.
    """
    y_true, scores = _check_binary(y_true, scores, "scores")
    scores = scores.astype(np.float64)
    n_pos = int(y_true.sum())
    n_neg = y_true.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("the ROC curve needs both classes in y_true")
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_true = scores[order], y_true[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
    tps = np.cumsum(sorted_true)[last_of_tie]
    fps = (last_of_tie + 1) - tps
    tpr = np.r_[0.0, tps / n_pos]
    fpr = np.r_[0.0, fps / n_neg]
    return fpr, tpr, np.r_[np.inf, sorted_scores[last_of_tie]]


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve: P(a random positive scores above a random negative).

    Computed from ranks (the Mann-Whitney statistic), ties counting one half.

    Parameters
    ----------
    y_true : array of 0/1, shape (n,), both classes present
    scores : array of float, shape (n,)

    Returns
    -------
    float in [0, 1]
    """
    y_true, scores = _check_binary(y_true, scores, "scores")
    n_pos = int(y_true.sum())
    n_neg = y_true.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both classes in y_true")
    values, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    # average 1-based rank of each distinct value (ties share the mean rank)
    ends = np.cumsum(counts)
    mean_rank = ends - (counts - 1) / 2.0
    rank_sum = mean_rank[inverse][y_true == 1].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def most_confident_mistakes(y_true, scores, k: int = 5) -> np.ndarray:
    """Indices of the ``k`` wrong predictions the model was surest about.

    Parameters
    ----------
    y_true : array of 0/1, shape (n,)
    scores : array of float in [0, 1], shape (n,): P(positive)
    k : int
        How many to return (fewer if there are fewer mistakes).

    Returns
    -------
    ndarray of int64, shape (<= k,)
        Most confident first; confidence = ``|score - 0.5|``.
    """
    y_true, scores = _check_binary(y_true, scores, "scores")
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    wrong = np.flatnonzero((scores >= 0.5).astype(np.int64) != y_true)
    confidence = np.abs(scores[wrong] - 0.5)
    return wrong[np.argsort(-confidence, kind="stable")[:k]].astype(np.int64)


def plot_confusion_matrix(
    counts: np.ndarray,
    class_names: Sequence[str] = ("negative", "positive"),
    title: str = "Confusion matrix",
) -> plt.Figure:
    """Draw a 2x2 confusion matrix (rows: true label, columns: predicted) with counts."""
    counts = np.asarray(counts)
    if counts.shape != (2, 2):
        raise ValueError(f"counts must have shape (2, 2), got {counts.shape}")
    fig, ax = plt.subplots(figsize=(4.5, 4))
    image = ax.imshow(counts, cmap="Blues")
    for (i, j), value in np.ndenumerate(counts):
        color = "white" if value > counts.max() / 2 else "black"
        ax.text(j, i, f"{value:,}", ha="center", va="center", color=color, fontsize=12)
    ax.set_xticks([0, 1], labels=list(class_names))
    ax.set_yticks([0, 1], labels=list(class_names))
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="reviews")
    fig.tight_layout()
    return fig


def plot_roc(fpr: np.ndarray, tpr: np.ndarray, auc: float, title: str = "ROC curve") -> plt.Figure:
    """Draw a ROC curve with the chance diagonal."""
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(fpr, tpr, label=f"model (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="chance (AUC = 0.5)")
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate (recall)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig


_CONTRAST = ("but", "however", "although", "though", "yet", "despite")
_NEGATIONS = ("not", "no", "never", "nothing", "isnt", "wasnt", "doesnt", "dont", "didnt")


def mistake_hints(text: str, rating: int, n_tokens: int, maxlen: int) -> list[str]:
    """Checkable reasons why a review may be hard to classify.

    Parameters
    ----------
    text : str
        The raw review.
    rating : int
        Its star rating, 1-10 (4 and 7 are the borderline ratings kept in the dataset).
    n_tokens : int
        Its length in tokens.
    maxlen : int
        How many of its last tokens the model read.

    Returns
    -------
    list of str
        One short phrase per reason that applies (possibly none).
    """
    if not 1 <= rating <= 10:
        raise ValueError(f"rating must be in 1..10, got {rating}")
    words = [w.strip(".,!?;:\"'()").replace("'", "") for w in text.lower().split()]
    hints = []
    if rating in (4, 7):
        hints.append(f"borderline rating ({rating}/10)")
    if n_tokens > maxlen:
        hints.append(f"long: the model read only its last {maxlen} of {n_tokens} tokens")
    n_contrast = sum(w in _CONTRAST for w in words)
    if n_contrast >= 3:
        hints.append(f"mixed: {n_contrast} contrast words (but, however, ...)")
    n_neg = sum(w in _NEGATIONS for w in words)
    if n_neg >= 5:
        hints.append(f"{n_neg} negations to resolve")
    return hints
