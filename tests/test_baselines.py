"""The TF-IDF + logistic regression baseline and the exact McNemar test."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from bilstm_utils.baselines import build_tfidf_logistic, mcnemar_test


def test_tfidf_logistic_learns_bigrams_a_bag_of_words_cannot():
    # "not good" is negative and "good" positive: only the bigram tells them apart
    texts = ["a good film", "not good at all", "good fun", "it was not good",
             "so good", "not good"] * 10
    labels = np.array([1, 0, 1, 0, 1, 0] * 10)
    model = build_tfidf_logistic(C=10.0, min_df=1, preprocessor=str.lower)
    model.fit(texts, labels)
    assert model.score(texts, labels) == 1.0
    assert "not good" in model.named_steps["tfidf"].vocabulary_
    probs = model.predict_proba(["good", "not good"])[:, 1]
    assert probs[0] > 0.5 > probs[1]


def test_tfidf_uses_the_preprocessors_tokens():
    model = build_tfidf_logistic(min_df=1, ngram_range=(1, 1),
                                 preprocessor=lambda s: s.lower().replace(".", " "))
    model.fit(["Good...but LONG", "bad.film"], [1, 0])
    assert sorted(model.named_steps["tfidf"].vocabulary_) == ["bad", "but", "film", "good", "long"]


@pytest.mark.parametrize(("kwargs", "fragment"), [({"C": 0}, "C must"),
                                                  ({"C": float("nan")}, "C must"),
                                                  ({"ngram_range": (2, 1)}, "ngram_range")])
def test_tfidf_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        build_tfidf_logistic(**kwargs)


def test_mcnemar_counts_and_exact_pvalue():
    y = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    a = y.copy()  # A right everywhere
    b = y.copy()
    b[:10] = 0  # B wrong on the first ten
    result = mcnemar_test(y, a, b)
    assert (result.only_a, result.only_b) == (10, 0)
    assert result.pvalue == pytest.approx(2 * 0.5**10)  # two-sided, all ten favour A


def test_mcnemar_matches_statsmodels():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    a = np.where(rng.random(500) < 0.85, y, 1 - y)
    b = np.where(rng.random(500) < 0.80, y, 1 - y)
    ours = mcnemar_test(y, a, b)
    ra, rb = a == y, b == y
    table = [[np.sum(ra & rb), np.sum(ra & ~rb)], [np.sum(~ra & rb), np.sum(~ra & ~rb)]]
    assert ours.pvalue == pytest.approx(mcnemar(table, exact=True).pvalue, rel=1e-9)
    assert mcnemar_test(y, b, a).pvalue == pytest.approx(ours.pvalue)  # symmetric


def test_mcnemar_without_disagreement_and_bad_shapes():
    y = np.array([0, 1, 1])
    assert mcnemar_test(y, y, y).pvalue == 1.0
    with pytest.raises(ValueError, match="one length"):
        mcnemar_test(y, y[:2], y)
    with pytest.raises(ValueError, match="at least one"):
        mcnemar_test([], [], [])
