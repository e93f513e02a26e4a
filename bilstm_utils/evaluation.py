"""Evaluating a binary classifier beyond accuracy (chapters 4 and 5), with scikit-learn's
metrics and SciPy's bootstrap; the plotting wrappers add labels and titles.

Labels are 0 (negative) and 1 (positive); scores are P(positive) in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn import metrics

from bilstm_utils import _checks
from bilstm_utils.text import tokenize


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
    if np.issubdtype(y_other.dtype, np.number) and not np.isfinite(y_other).all():
        bad = np.flatnonzero(~np.isfinite(y_other))
        raise ValueError(
            f"{other_name} must be finite: {bad.size} non-finite value(s), first at index "
            f"{bad[0]} ({y_other[bad[0]]})"
        )
    return y_true.astype(np.int64), y_other


def _check_scores(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    y_true, scores = _check_binary(y_true, scores, "scores")
    if not np.issubdtype(scores.dtype, np.number):
        raise ValueError(f"scores must be numbers, got dtype {scores.dtype}")
    if y_true.min() == y_true.max():
        raise ValueError("the ROC curve needs both classes in y_true")
    return y_true, scores.astype(np.float64)


def confusion_matrix(y_true, y_pred) -> np.ndarray:
    """Counts of (true label, predicted label), by ``sklearn.metrics.confusion_matrix``.

    Parameters
    ----------
    y_true, y_pred : array of 0/1, shape (n,)

    Returns
    -------
    ndarray of int64, shape (2, 2)
        ``[[TN, FP], [FN, TP]]``: row = true label, column = predicted label.

    Raises
    ------
    ValueError
        For mismatched lengths, no example, or labels other than 0 and 1.
    """
    y_true, y_pred = _check_binary(y_true, y_pred, "y_pred")
    if not np.isin(y_pred, (0, 1)).all():
        raise ValueError("y_pred must contain only 0 and 1: threshold the scores first")
    return metrics.confusion_matrix(y_true, y_pred.astype(np.int64), labels=[0, 1]).astype(
        np.int64
    )


def precision_recall_f1(y_true, y_pred) -> dict[str, float]:
    """Accuracy, and precision, recall and F1 of the positive class (scikit-learn).

    Parameters
    ----------
    y_true, y_pred : array of 0/1, shape (n,)

    Returns
    -------
    dict
        ``accuracy``, ``precision`` = TP/(TP+FP), ``recall`` = TP/(TP+FN),
        ``f1`` = their harmonic mean (0 where undefined).
    """
    y_true, y_pred = _check_binary(y_true, y_pred, "y_pred")
    if not np.isin(y_pred, (0, 1)).all():
        raise ValueError("y_pred must contain only 0 and 1: threshold the scores first")
    precision, recall, f1, _ = metrics.precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label=1, zero_division=0
    )
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


def roc_curve(y_true, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False- and true-positive rates as the threshold sweeps down through the scores.

    ``sklearn.metrics.roc_curve`` with every distinct score kept as a threshold.

    Parameters
    ----------
    y_true : array of 0/1, shape (n,), both classes present
    scores : array of float, shape (n,), finite

    Returns
    -------
    fpr, tpr : ndarray of float, shape (k + 1,)
        Starting at (0, 0) and ending at (1, 1); k = number of distinct scores.
    thresholds : ndarray of float, shape (k + 1,)
        ``+inf`` first, then the distinct scores in decreasing order; point i predicts
        positive for ``scores >= thresholds[i]``.

    Raises
    ------
    ValueError
        For a non-finite score (NaN, inf), one class only, or mismatched lengths.
    """
    y_true, scores = _check_scores(y_true, scores)
    fpr, tpr, thresholds = metrics.roc_curve(y_true, scores, drop_intermediate=False)
    thresholds = thresholds.astype(np.float64)
    thresholds[0] = np.inf  # scikit-learn >= 1.3 does this too; older ones used max + 1
    return fpr, tpr, thresholds


def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve: P(a random positive scores above a random negative),
    ties counting one half (``sklearn.metrics.roc_auc_score``).

    Parameters
    ----------
    y_true : array of 0/1, shape (n,), both classes present
    scores : array of float, shape (n,), finite

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        For a non-finite score (NaN, inf), one class only, or mismatched lengths.
    """
    y_true, scores = _check_scores(y_true, scores)
    return float(metrics.roc_auc_score(y_true, scores))


def bootstrap_ci(
    values: np.ndarray, level: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Bootstrap confidence interval of the mean of ``values`` (``scipy.stats.bootstrap``,
    percentile method), e.g. of per-review correctness: it covers the choice of reviews,
    not the training seed.

    Parameters
    ----------
    values : array of float, shape (n,), n >= 2, finite
    level : float in (0, 1)
    n_boot : int
        Resamples.
    seed : int
        Seeds the resampling.

    Returns
    -------
    (low, high) : tuple of float
    """
    values = np.asarray(values, float)
    if values.ndim != 1:
        raise ValueError(f"values must be one-dimensional (n,), got shape {values.shape}")
    n_boot = _checks.integer("n_boot", n_boot)
    if values.size < 2:
        raise ValueError(f"need at least 2 values for a bootstrap, got {values.size}")
    if not np.isfinite(values).all():
        raise ValueError("values must be finite")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if values.min() == values.max():  # every resample has the same mean
        return float(values[0]), float(values[0])
    result = stats.bootstrap((values,), np.mean, confidence_level=level, n_resamples=n_boot,
                             method="percentile", random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def most_confident_mistakes(y_true, scores, k: int = 5) -> np.ndarray:
    """Indices of the ``k`` wrong predictions the model was surest about.

    Parameters
    ----------
    y_true : array of 0/1, shape (n,)
    scores : array of float in [0, 1], shape (n,): P(positive)
    k : int
        How many to return (fewer if there are fewer mistakes), >= 1.

    Raises
    ------
    ValueError
        For scores outside [0, 1] or not finite, labels other than 0/1, or ``k < 1``.

    Returns
    -------
    ndarray of int64, shape (<= k,)
        Most confident first; confidence = ``|score - 0.5|``.
    """
    y_true, scores = _check_binary(y_true, scores, "scores")
    k = _checks.integer("k", k)
    if not np.issubdtype(scores.dtype, np.number) or scores.min() < 0 or scores.max() > 1:
        raise ValueError("scores must be probabilities P(positive) in [0, 1], not logits")
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
    fig, ax = plt.subplots(figsize=(5.5, 4.2), layout="constrained")  # room for the colour bar
    image = ax.imshow(counts, cmap="Blues")
    for (i, j), value in np.ndenumerate(counts):
        color = "white" if value > counts.max() / 2 else "black"
        ax.text(j, i, f"{value:,}", ha="center", va="center", color=color, fontsize=12)
    ax.set_xticks([0, 1], labels=list(class_names))
    ax.set_yticks([0, 1], labels=list(class_names))
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title, wrap=True)
    fig.colorbar(image, ax=ax, label="reviews")
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
    if _checks.integer("rating", rating) > 10:
        raise ValueError(f"rating must be an integer in 1..10, got {rating}")
    words = tokenize(text)
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
