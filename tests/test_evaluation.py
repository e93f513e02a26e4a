"""Tests for bilstm_utils.evaluation (chapter 4)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bilstm_utils import evaluation  # noqa: E402


def test_confusion_matrix_counts_each_cell():
    y_true = np.array([0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 1, 0, 1, 1])
    np.testing.assert_array_equal(evaluation.confusion_matrix(y_true, y_pred), [[1, 2], [1, 3]])


def test_precision_recall_f1_by_hand():
    y_true = np.array([0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 1, 0, 1, 1])
    m = evaluation.precision_recall_f1(y_true, y_pred)
    assert m["precision"] == pytest.approx(3 / 5)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35)
    assert m["accuracy"] == pytest.approx(4 / 7)


def test_precision_is_zero_when_nothing_predicted_positive():
    m = evaluation.precision_recall_f1([0, 1], [0, 0])
    assert m["precision"] == 0.0 and m["recall"] == 0.0 and m["f1"] == 0.0


@pytest.mark.parametrize("bad", [[0, 2], [0.5, 1]])
def test_labels_must_be_binary(bad):
    with pytest.raises(ValueError, match="only 0 and 1"):
        evaluation.confusion_matrix(bad, [0, 1])


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="one entry per example"):
        evaluation.roc_auc([0, 1, 1], [0.1, 0.2])


def test_roc_auc_perfect_reversed_and_ties():
    y = np.array([0, 0, 1, 1])
    assert evaluation.roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert evaluation.roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert evaluation.roc_auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5


def test_roc_auc_matches_pairwise_definition_and_trapezoid_area():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300) + 0.3 * y, 2)  # rounded: many ties
    pos, neg = scores[y == 1], scores[y == 0]
    pairwise = ((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean()
    assert evaluation.roc_auc(y, scores) == pytest.approx(pairwise)
    fpr, tpr, thresholds = evaluation.roc_curve(y, scores)
    assert fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.all(np.diff(thresholds[1:]) < 0)
    area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)
    assert area == pytest.approx(pairwise)


def test_roc_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        evaluation.roc_auc([1, 1], [0.2, 0.3])


def test_most_confident_mistakes_order():
    y = np.array([1, 0, 1, 0, 1])
    p = np.array([0.9, 0.6, 0.05, 0.99, 0.4])
    np.testing.assert_array_equal(evaluation.most_confident_mistakes(y, p, k=10), [3, 2, 1, 4])
    np.testing.assert_array_equal(evaluation.most_confident_mistakes(y, p, k=2), [3, 2])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        evaluation.most_confident_mistakes(y, p, k=0)


def test_plots_have_titles_and_labels():
    fig = evaluation.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), title="cm")
    ax = fig.axes[0]
    assert ax.get_title() == "cm" and ax.get_xlabel() == "predicted label"
    fpr, tpr, _ = evaluation.roc_curve([0, 1, 1, 0], [0.1, 0.9, 0.6, 0.7])
    fig = evaluation.plot_roc(fpr, tpr, 0.75, title="roc")
    assert fig.axes[0].get_title() == "roc" and fig.axes[0].get_legend() is not None
    with pytest.raises(ValueError, match="shape"):
        evaluation.plot_confusion_matrix(np.zeros((3, 3)))


def test_mistake_hints():
    text = "Not bad, but not good. However it was never dull, though no classic, but not awful."
    hints = evaluation.mistake_hints(text, rating=4, n_tokens=500, maxlen=400)
    assert hints[0] == "borderline rating (4/10)"
    assert "last 400 of 500" in hints[1]
    assert hints[2].startswith("mixed: 4 contrast words")
    assert hints[3] == "5 negations to resolve"
    assert evaluation.mistake_hints("Great film.", rating=10, n_tokens=2, maxlen=400) == []
    with pytest.raises(ValueError, match="rating"):
        evaluation.mistake_hints("x", rating=0, n_tokens=1, maxlen=5)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_scores_are_an_error_not_a_number(bad):
    # the fault: scores [.2, .9, NaN, .6] gave roc_auc 0.5 while its ROC curve had area 1.0
    y, scores = [0, 1, 0, 1], [0.2, 0.9, bad, 0.6]
    for metric in (evaluation.roc_auc, evaluation.roc_curve):
        with pytest.raises(ValueError, match="finite.*index 2"):
            metric(y, scores)
    with pytest.raises(ValueError, match="finite"):
        evaluation.most_confident_mistakes(y, scores)


def test_bootstrap_ci_is_scipys_percentile_interval():
    rng = np.random.default_rng(0)
    v = rng.normal(1.0, 1.0, 400)
    lo, hi = evaluation.bootstrap_ci(v)
    assert lo < v.mean() < hi
    assert 0.15 < hi - lo < 0.25  # about 2 * 1.96 / sqrt(400) = 0.196
    assert evaluation.bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    with pytest.raises(ValueError, match="at least 2"):
        evaluation.bootstrap_ci([1.0])
    with pytest.raises(ValueError, match="finite"):
        evaluation.bootstrap_ci([1.0, np.nan])
