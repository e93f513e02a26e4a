"""Tests of bilstm_utils.directions (chapter 5): per-direction features and re-fit."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bilstm_utils  # noqa: E402
from bilstm_utils import directions, gates  # noqa: E402
from bilstm_utils.models import build_text_classifier  # noqa: E402
from conftest import padded_ids, tiny_classifier  # noqa: E402


def test_fit_logistic_is_scikit_learns_cross_validated_logistic_regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x @ np.array([2.0, -1.0, 0.0]) + 0.3 + rng.normal(0, 0.5, 400) > 0).astype(int)
    model = directions.fit_logistic(x, y)
    w = model[-1].best_estimator_.coef_[0]
    assert w[0] > 1 and w[1] < -0.5 and abs(w[2]) < 0.3 * w[0]
    correct = directions.per_example_correct(model, x, y)
    assert correct.shape == (400,) and set(np.unique(correct)) <= {0.0, 1.0}
    assert correct.mean() > 0.85
    # label noise only: the cross-validated fit keeps the weights small
    noise = directions.fit_logistic(x, rng.integers(0, 2, 400))
    assert np.abs(noise[-1].best_estimator_.coef_).sum() < 0.3 * np.abs(w).sum()
    with pytest.raises(ValueError, match="0 and 1"):
        directions.fit_logistic(x, y * 2)
    with pytest.raises(ValueError, match="both present"):
        directions.fit_logistic(x, np.ones(400, int))
    with pytest.raises(ValueError, match="finite"):
        directions.fit_logistic(np.where(x > 2.5, np.nan, x), y)


def test_direction_tools_reject_unidirectionaltiny_classifier():
    bilstm_utils.set_seed(0)
    model = build_text_classifier(vocab_size=30, embed_dim=6, units=4, bidirectional=False)
    with pytest.raises(ValueError, match="bidirectional"):
        directions.direction_features(model, padded_ids())
    with pytest.raises(ValueError, match="bidirectional"):
        gates.direction_gates(model, padded_ids()[0])


def test_direction_features_of_an_empty_review_are_the_zeros_the_classifier_sees():
    model = tiny_classifier()
    fwd, bwd = directions.direction_features(model, np.array([[0, 0, 0], [4, 5, 0]], "int32"))
    assert np.all(fwd[0] == 0) and np.all(bwd[0] == 0) and np.any(fwd[1] != 0)
