"""The linear baseline of the IMDB chapters and its word weights (chapters 4 and 5).

:func:`tfidf_logistic` is scikit-learn's ``TfidfVectorizer`` -> ``LogisticRegression`` on the
book's standardised words (:func:`bilstm_utils.text.normalize_text`), the classic strong
IMDB baseline (Wang & Manning's NBSVM-bi, a close cousin, reports 0.9122:
https://aclanthology.org/P12-2018/). :func:`tfidf_token_scores` splits its logit exactly
over the words of a review, so it can be compared with attributions of a neural model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

__all__ = ["tfidf_logistic", "tfidf_token_scores"]


def _normalize(text: str) -> str:
    from bilstm_utils.text import normalize_text  # noqa: PLC0415  (imports TensorFlow)

    return normalize_text(text)


def tfidf_logistic(
    C: float = 30.0,  # noqa: N803  (scikit-learn's name)
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int = 2,
    sublinear_tf: bool = True,
    preprocessor: Callable[[str], str] | None = None,
    seed: int = 0,
) -> Pipeline:
    """An unfitted TF-IDF -> logistic regression pipeline on raw review strings.

    Fit with ``.fit(texts, labels)``; ``.predict_proba(texts)[:, 1]`` is P(positive). Words
    are the whitespace-separated tokens of ``preprocessor(text)``, so the linear model reads
    the same words as the book's neural models.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength (> 0); choose it on a validation split.
    ngram_range : (int, int)
        Smallest and largest n-gram in words, ``1 <= low <= high <= 2`` (``(1, 2)``:
        unigrams and bigrams; :func:`tfidf_token_scores` handles up to bigrams).
    min_df : int
        Drop n-grams seen in fewer training reviews.
    sublinear_tf : bool
        ``1 + log(count)`` instead of the count.
    preprocessor : callable str -> str, optional
        Default :func:`bilstm_utils.text.normalize_text`.
    seed : int
        The solver's random state.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``"tfidf"`` and ``"logistic"``.

    Raises
    ------
    ValueError
        For a non-positive ``C`` or an ``ngram_range`` outside the above.
    """
    if not np.isfinite(C) or C <= 0:
        raise ValueError(f"C must be a positive number, got {C!r}")
    if len(ngram_range) != 2 or not 1 <= ngram_range[0] <= ngram_range[1] <= 2:
        raise ValueError(f"ngram_range must be (low, high) with 1 <= low <= high <= 2, "
                         f"got {ngram_range}")
    tfidf = TfidfVectorizer(preprocessor=preprocessor or _normalize, tokenizer=str.split,
                            token_pattern=None, lowercase=False, ngram_range=tuple(ngram_range),
                            min_df=min_df, sublinear_tf=sublinear_tf, dtype=np.float32)
    logistic = LogisticRegression(C=float(C), solver="liblinear", random_state=seed)
    return Pipeline([("tfidf", tfidf), ("logistic", logistic)])


def tfidf_token_scores(pipeline: Pipeline, tokens: Sequence[str],
                       skip: Sequence[str] = ("[UNK]",)) -> np.ndarray:
    """Each word's share of the linear model's logit on a review given as words.

    The logit is :math:`b + \\sum_j w_j x_j` over the review's TF-IDF features :math:`x_j`.
    A unigram feature's term :math:`w_j x_j` is split equally over the word's occurrences;
    a bigram's over its occurrences and then half to each of its two words. So the scores
    add up to the logit minus the intercept, and a word that weighs for "positive" in this
    review gets a positive score.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        A fitted :func:`tfidf_logistic`.
    tokens : sequence of str, length T
        The review's words, already standardised (e.g. a BiLSTM's vocabulary entries for its
        token ids); the linear model reads them joined by spaces, without ``skip`` tokens.
    skip : sequence of str
        Tokens the linear model does not read (score 0), e.g. the out-of-vocabulary marker.

    Returns
    -------
    ndarray of float, shape (T,)
    """
    tfidf, logistic = pipeline.named_steps["tfidf"], pipeline.named_steps["logistic"]
    if not hasattr(logistic, "coef_"):
        raise ValueError("the pipeline is not fitted: call .fit(texts, labels) first")
    tokens = [str(t) for t in tokens]
    scores = np.zeros(len(tokens))
    kept = [t for t, tok in enumerate(tokens) if tok not in set(skip)]
    if not kept:
        return scores
    words = [tokens[t] for t in kept]
    low, high = tfidf.ngram_range
    grams = {}
    if low <= 1:
        grams.update({(t,): w for t, w in zip(kept, words, strict=True)})
    if high >= 2:
        grams.update({(a, b): f"{words[i]} {words[i + 1]}"
                      for i, (a, b) in enumerate(zip(kept[:-1], kept[1:], strict=True))})
    row = tfidf.transform([" ".join(words)])  # the preprocessor leaves standard words as they are
    index = tfidf.vocabulary_
    term = dict(zip(row.indices, row.data * logistic.coef_[0, row.indices], strict=True))
    counts = Counter(grams.values())
    for positions, gram in grams.items():
        j = index.get(gram)
        if j is None or j not in term:
            continue
        share = term[j] / counts[gram] / len(positions)
        for t in positions:
            scores[t] += share
    return scores
