"""The TF-IDF + logistic regression baseline and the exact McNemar test."""

from __future__ import annotations

from collections import Counter

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


def _brute_ngram_prob(train, history, c, order, n_symbols, discount):
    """P(c | history) by the recursion of ngram_nats, with dictionaries."""
    train = [0] * order + list(train)
    if order == 0:
        counts = Counter(train[0:])
        n = len(train)
        return (max(counts[c] - discount, 0) + discount * len(counts) / n_symbols) / n
    lower = _brute_ngram_prob(train[order:], history[1:], c, order - 1, n_symbols, discount)
    after = Counter(train[t] for t in range(order, len(train))
                    if tuple(train[t - order:t]) == tuple(history))
    total = sum(after.values())
    if total == 0:
        return lower
    return (max(after[c] - discount, 0) + discount * len(after) * lower) / total


def test_ngram_nats_matches_the_recursion_and_normalises():
    from bilstm_utils.baselines import ngram_nats

    rng = np.random.default_rng(0)
    n_symbols, order, discount = 4, 2, 0.75
    train = rng.integers(0, n_symbols, 200)
    test = rng.integers(0, n_symbols, 30)
    ours = ngram_nats(train, test, order, n_symbols, discount)
    padded = [0] * order + list(test)
    for t, c in enumerate(test):
        history = padded[t:t + order]
        expected = _brute_ngram_prob(train, history, int(c), order, n_symbols, discount)
        assert np.isclose(ours[t], -np.log(expected))
    # every context's distribution sums to one, seen or not
    for history in ([0, 0], [1, 3], [3, 3]):
        total = sum(_brute_ngram_prob(train, history, c, order, n_symbols, discount)
                    for c in range(n_symbols))
        assert np.isclose(total, 1.0)
    # one call per candidate symbol after a fixed history gives the same normalised distribution
    probs = [np.exp(-ngram_nats(train, np.array([1, 3, c]), order, n_symbols, discount)[2])
             for c in range(n_symbols)]
    assert np.isclose(sum(probs), 1.0)


def test_ngram_nats_learns_a_deterministic_sequence_and_rejects_bad_input():
    from bilstm_utils.baselines import ngram_nats

    cycle = np.tile([0, 1, 2, 3], 100)
    low, high = ngram_nats(cycle, cycle, 1, 4).mean(), ngram_nats(cycle, cycle, 0, 4).mean()
    assert low < 0.1 < np.log(4) - 0.01 < high  # one symbol of context predicts the cycle
    with pytest.raises(ValueError, match="outside"):
        ngram_nats(cycle, np.array([4]), 1, 4)
    with pytest.raises(ValueError, match="order"):
        ngram_nats(cycle, cycle, -1, 4)
    with pytest.raises(ValueError, match="discount"):
        ngram_nats(cycle, cycle, 1, 4, discount=1.0)
    with pytest.raises(ValueError, match="non-empty"):
        ngram_nats(np.array([], dtype=int), cycle, 1, 4)
    with pytest.raises(ValueError, match="too large"):
        ngram_nats(cycle, cycle, 20, 100)
