"""Tests of bilstm_utils.baselines (chapter 5 part): the TF-IDF linear model and its per-word logit
shares."""

from __future__ import annotations

import numpy as np
import pytest

from bilstm_utils import baselines

TEXTS = ["a great film", "great acting, great story", "a dull film", "dull and boring!",
         "boring plot", "a great story", "not great, dull", "wonderful great fun",
         "boring dull mess", "fun film"] * 3
LABELS = np.array([1, 1, 0, 0, 0, 1, 0, 1, 0, 1] * 3)


def test_tfidf_logistic_fits_and_uses_the_book_standardisation():
    model = baselines.build_tfidf_logistic(C=10, min_df=1).fit(TEXTS, LABELS)
    assert (model.predict(TEXTS) == LABELS).mean() == 1.0
    vocab = model.named_steps["tfidf"].vocabulary_
    assert "great" in vocab and "great acting" in vocab and "acting," not in vocab
    p = model.predict_proba(["GREAT!!! Wonderful…", "Dull. Boring."])[:, 1]
    assert p[0] > 0.5 > p[1]


def test_token_scores_add_up_to_the_logit():
    model = baselines.build_tfidf_logistic(C=10, min_df=1).fit(TEXTS, LABELS)
    tokens = ["a", "great", "film", "[UNK]", "not", "dull", "great"]
    scores = baselines.tfidf_token_scores(model, tokens)
    assert scores.shape == (7,) and scores[3] == 0
    logit = model.decision_function(["a great film not dull great"])[0]
    intercept = model.named_steps["logistic"].intercept_[0]
    np.testing.assert_allclose(scores.sum(), logit - intercept, atol=1e-5)
    assert scores[1] > 0 and scores[5] < 0
    unigrams = baselines.build_tfidf_logistic(C=10, min_df=1, ngram_range=(1, 1)).fit(TEXTS, LABELS)
    s1 = baselines.tfidf_token_scores(unigrams, tokens)
    assert s1[1] == pytest.approx(s1[6])  # one unigram feature, shared by its occurrences
    assert np.all(baselines.tfidf_token_scores(model, ["[UNK]", "[UNK]"]) == 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="C must"):
        baselines.build_tfidf_logistic(C=0)
    with pytest.raises(ValueError, match="ngram_range"):
        baselines.build_tfidf_logistic(ngram_range=(2, 1))
    trigrams = baselines.build_tfidf_logistic(C=10, min_df=1, ngram_range=(1, 3))
    with pytest.raises(ValueError, match="unigrams and bigrams"):
        baselines.tfidf_token_scores(trigrams.fit(TEXTS, LABELS), ["a"])
    with pytest.raises(ValueError, match="not fitted"):
        baselines.tfidf_token_scores(baselines.build_tfidf_logistic(), ["a"])
