"""What a recurrent model has to beat, and how to tell two classifiers apart (chapters 1, 4).

- :func:`build_tfidf_logistic`: logistic regression on TF-IDF word unigrams and bigrams
  (scikit-learn), the classic strong linear baseline for IMDB. Wang & Manning's NBSVM-bi
  (2012, https://aclanthology.org/P12-2018/), a close cousin, reports 0.9122.
- :class:`NBSVM`: Wang & Manning's NB-weighted linear classifier on binarised n-grams, in its
  logistic-regression form (NB-LR; Mesnil et al. 2014, https://arxiv.org/abs/1412.5335).
- :func:`last_words`: keep a review's last ``n`` words, so a linear model reads what a
  truncating recurrent model reads.
- :func:`mcnemar_test`: the exact McNemar test of two classifiers scored on the same
  examples (McNemar, 1947; Dietterich, 1998, https://doi.org/10.1162/089976698300017197),
  by SciPy's binomial test.
- :func:`tfidf_token_scores`: the linear model's logit split exactly over a review's words,
  to compare with a neural model's attributions (chapter 5).
- :func:`ngram_nats`: a smoothed n-gram model's per-symbol loss, the count baseline for a
  character-level language model (chapter 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

__all__ = [
    "NBSVM", "McNemarResult", "build_tfidf_logistic", "last_words", "mcnemar_test", "ngram_nats",
    "tfidf_token_scores",
]


def _default_preprocessor(text: str) -> str:
    from bilstm_utils.text import normalize_text  # noqa: PLC0415  (needs TensorFlow)

    return normalize_text(text)


def build_tfidf_logistic(
    C: float = 30.0,  # noqa: N803  (scikit-learn's name)
    ngram_range: tuple[int, int] = (1, 2),
    min_df: int = 2,
    sublinear_tf: bool = True,
    max_features: int | None = None,
    preprocessor: Callable[[str], str] | None = None,
    seed: int = 0,
) -> Pipeline:
    """An unfitted ``TfidfVectorizer`` -> ``LogisticRegression`` pipeline on raw strings.

    Call ``.fit(train_texts, train_labels)``, then ``.predict_proba(texts)[:, 1]`` for
    P(positive). Tokens are whitespace-separated words after ``preprocessor``, so the
    linear model sees the same words as the book's neural models.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation strength of the logistic regression (> 0); choose it
        on a validation split.
    ngram_range : (int, int)
        Smallest and largest n-gram length in words: ``(1, 2)`` is unigrams + bigrams.
    min_df : int
        Drop n-grams found in fewer training documents than this.
    sublinear_tf : bool
        Use ``1 + log(tf)`` instead of the raw count.
    max_features : int, optional
        Keep only the most frequent n-grams.
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
        If ``C`` is not positive or ``ngram_range`` is not ``(low, high)`` with
        ``1 <= low <= high``.
    """
    if not np.isfinite(C) or C <= 0:
        raise ValueError(f"C must be a positive number, got {C!r}")
    if len(ngram_range) != 2 or not 1 <= ngram_range[0] <= ngram_range[1]:
        raise ValueError(
            f"ngram_range must be (low, high) with 1 <= low <= high, got {ngram_range}"
        )
    tfidf = TfidfVectorizer(
        preprocessor=preprocessor or _default_preprocessor,
        tokenizer=str.split,
        token_pattern=None,
        lowercase=False,
        ngram_range=tuple(ngram_range),
        min_df=min_df,
        sublinear_tf=sublinear_tf,
        max_features=max_features,
        dtype=np.float32,
    )
    logistic = LogisticRegression(C=float(C), solver="liblinear", random_state=seed)
    return Pipeline([("tfidf", tfidf), ("logistic", logistic)])


def last_words(texts: Sequence[str], n: int,
               preprocessor: Callable[[str], str] | None = None) -> list[str]:
    """Each text's last ``n`` words after ``preprocessor``, joined by single spaces.

    Parameters
    ----------
    texts : sequence of str
        Raw reviews.
    n : int
        Words kept per text (>= 1), counted from the end, as ``truncating="pre"`` keeps them.
    preprocessor : callable str -> str, optional
        Default :func:`bilstm_utils.text.normalize_text` (the words the neural models read).

    Returns
    -------
    list of str
        One normalised text of at most ``n`` words per input text.

    Raises
    ------
    ValueError
        For ``n`` below 1, a bare string instead of a sequence of texts, or a non-string text.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string")
    prepare = preprocessor or _default_preprocessor
    out = []
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"texts[{i}] is {type(text).__name__}, not str")
        out.append(" ".join(prepare(text).split()[-int(n):]))
    return out


class NBSVM(ClassifierMixin, BaseEstimator):
    """NBSVM in its logistic-regression form (NB-LR): Naive Bayes log-count ratios as feature
    weights, then an L2-regularised linear classifier (Wang & Manning 2012,
    https://aclanthology.org/P12-2018/; the logistic form as in Mesnil et al. 2014,
    https://arxiv.org/abs/1412.5335).

    Each text becomes a binary vector :math:`\\hat{f}` of the n-grams it contains. With
    :math:`p = \\alpha + \\sum_{i: y_i=1} \\hat{f}_i` and :math:`q = \\alpha +
    \\sum_{i: y_i=0} \\hat{f}_i`, the log-count ratio is :math:`r = \\log
    \\frac{p / \\lVert p \\rVert_1}{q / \\lVert q \\rVert_1}`, and a logistic regression
    reads :math:`r \\odot \\hat{f}`. Wang & Manning's SVM form also interpolates the weights
    towards their mean (beta); the logistic form does without.

    Parameters
    ----------
    C : float
        Inverse L2 regularisation of the logistic regression (> 0); choose on validation.
    alpha : float
        Smoothing count added to every n-gram (> 0).
    ngram_range : (int, int)
        N-gram lengths in words; ``(1, 2)`` is NBSVM-bi.
    min_df : int
        Drop n-grams seen in fewer training texts.
    preprocessor : callable str -> str, optional
        Default :func:`bilstm_utils.text.normalize_text`.
    seed : int
        The solver's random state.

    Attributes
    ----------
    r_ : ndarray of float, shape (n_features,)
        The log-count ratios, after ``fit``.
    classes_ : ndarray, shape (2,)
    """

    def __init__(self, C: float = 1.0, alpha: float = 1.0,  # noqa: N803
                 ngram_range: tuple[int, int] = (1, 2), min_df: int = 2,
                 preprocessor: Callable[[str], str] | None = None, seed: int = 0):
        self.C = C
        self.alpha = alpha
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.preprocessor = preprocessor
        self.seed = seed

    def fit(self, texts: Sequence[str], y) -> NBSVM:
        """Learn the n-grams, their log-count ratios and the linear classifier.

        Raises
        ------
        ValueError
            For a non-positive ``C`` or ``alpha``, labels other than two classes 0/1, or a
            number of labels unlike the number of texts.
        """
        for name in ("C", "alpha"):
            value = getattr(self, name)
            if isinstance(value, bool) or not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if isinstance(texts, str):
            raise ValueError("texts must be a sequence of strings, not one string")
        y = np.asarray(y)
        if y.shape != (len(texts),):
            raise ValueError(f"y must have one label per text ({len(texts)}), got {y.shape}")
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("y must hold both labels, 0 and 1, and nothing else")
        self.vectorizer_ = CountVectorizer(
            preprocessor=self.preprocessor or _default_preprocessor, tokenizer=str.split,
            token_pattern=None, lowercase=False, ngram_range=tuple(self.ngram_range),
            min_df=self.min_df, binary=True, dtype=np.float32)
        features = self.vectorizer_.fit_transform(texts)
        p = self.alpha + np.asarray(features[y == 1].sum(axis=0)).ravel()
        q = self.alpha + np.asarray(features[y == 0].sum(axis=0)).ravel()
        self.r_ = np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)
        self.logistic_ = LogisticRegression(C=float(self.C), solver="liblinear",
                                            random_state=self.seed)
        self._weighted = features.multiply(self.r_).tocsr()
        self._y = y
        self.logistic_.fit(self._weighted, y)
        self.classes_ = self.logistic_.classes_
        return self

    def with_C(self, C: float) -> NBSVM:  # noqa: N802  (scikit-learn's name)
        """A copy refitted with another ``C``, reusing the n-grams and ratios (seconds).

        Raises
        ------
        ValueError
            If this NBSVM is not fitted or ``C`` is not positive.
        """
        import copy  # noqa: PLC0415

        if not hasattr(self, "r_"):
            raise ValueError("this NBSVM is not fitted yet: call fit(texts, y) first")
        if isinstance(C, bool) or not np.isfinite(C) or C <= 0:
            raise ValueError(f"C must be a positive number, got {C!r}")
        other = copy.copy(self)
        other.C = C
        other.logistic_ = LogisticRegression(C=float(C), solver="liblinear",
                                             random_state=self.seed).fit(self._weighted, self._y)
        return other

    def _features(self, texts: Sequence[str]):
        if not hasattr(self, "r_"):
            raise ValueError("this NBSVM is not fitted yet: call fit(texts, y) first")
        if isinstance(texts, str):
            raise ValueError("texts must be a sequence of strings, not one string")
        return self.vectorizer_.transform(texts).multiply(self.r_).tocsr()

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """The logit of P(positive) for each text, shape (n,)."""
        features = self._features(texts)  # checks that the model is fitted
        return self.logistic_.decision_function(features)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(negative), P(positive) for each text, shape (n, 2)."""
        features = self._features(texts)  # checks that the model is fitted
        return self.logistic_.predict_proba(features)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """0/1 label for each text, shape (n,)."""
        features = self._features(texts)  # checks that the model is fitted
        return self.logistic_.predict(features)


@dataclass(frozen=True)
class McNemarResult:
    """The outcome of :func:`mcnemar_test`.

    Attributes
    ----------
    only_a : int
        Examples classifier A gets right and B wrong.
    only_b : int
        Examples B gets right and A wrong.
    pvalue : float
        Two-sided exact p-value: the probability, if A and B were equally accurate, of a
        split of the ``only_a + only_b`` disagreements at least this uneven.
    """

    only_a: int
    only_b: int
    pvalue: float


def mcnemar_test(y_true, pred_a, pred_b) -> McNemarResult:
    """Exact McNemar test: do two classifiers scored on the same examples differ?

    Only the examples on which exactly one of them is right carry information; under
    the null hypothesis each such example is equally likely to favour A or B, so
    ``only_a ~ Binomial(only_a + only_b, 1/2)`` (SciPy's ``binomtest``).

    Parameters
    ----------
    y_true, pred_a, pred_b : array-like of int, shape (n,)
        True labels and the two classifiers' predicted labels.

    Returns
    -------
    McNemarResult
        ``pvalue`` is 1.0 when the two never disagree on correctness.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of one length n >= 1.
    """
    y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    if y_true.ndim != 1 or y_true.shape != pred_a.shape or y_true.shape != pred_b.shape:
        raise ValueError(
            f"y_true, pred_a and pred_b must be 1-D of one length, got shapes "
            f"{y_true.shape}, {pred_a.shape}, {pred_b.shape}"
        )
    if len(y_true) == 0:
        raise ValueError("mcnemar_test needs at least one example")
    right_a, right_b = pred_a == y_true, pred_b == y_true
    only_a = int(np.sum(right_a & ~right_b))
    only_b = int(np.sum(right_b & ~right_a))
    if only_a + only_b == 0:
        return McNemarResult(0, 0, 1.0)
    return McNemarResult(only_a, only_b, float(binomtest(only_a, only_a + only_b, 0.5).pvalue))


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
        A fitted :func:`build_tfidf_logistic` with n-grams of at most two words.
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
    if tfidf.ngram_range[1] > 2:
        raise ValueError(f"only unigrams and bigrams are split over words, got n-grams up to "
                         f"{tfidf.ngram_range[1]}")
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


def _encode_contexts(ids: np.ndarray, order: int, n_symbols: int) -> np.ndarray:
    """Integer code of the ``order`` symbols before each position of ``ids`` (padded with 0)."""
    padded = np.concatenate([np.zeros(order, dtype=np.int64), ids.astype(np.int64)])
    code = np.zeros(len(ids), dtype=np.int64)
    for j in range(order):  # oldest symbol first
        code = code * n_symbols + padded[j: j + len(ids)]
    return code


def ngram_nats(
    train_ids,
    test_ids,
    order: int,
    n_symbols: int,
    discount: float = 0.75,
) -> np.ndarray:
    """Per-symbol loss of a smoothed n-gram model: interpolated absolute discounting.

    The model predicts each symbol from the ``order`` symbols before it, counted in the
    training stream, and interpolates with the model of one order less down to a uniform
    distribution (Ney, Essen and Kneser, 1994, https://doi.org/10.1006/csla.1994.1001):

    .. math::

        P_k(c \\mid h) =
        \\frac{\\max(n(h, c) - D, 0) + D\\, N_{1+}(h)\\, P_{k-1}(c \\mid h')}{n(h)},

    where :math:`h'` drops the oldest symbol of :math:`h`, :math:`N_{1+}(h)` is the number of
    distinct symbols seen after :math:`h`, and an unseen context uses :math:`P_{k-1}` alone.
    Both streams are padded on the left with symbol 0, so the first symbols have short
    histories. The classic count baseline for a character-level language model.

    Parameters
    ----------
    train_ids, test_ids : array_like of int, shape (n_train,), (n_test,)
        Symbol streams, values in ``[0, n_symbols)``.
    order : int
        Context length, 0 (unigram) or more; ``n_symbols ** (order + 1)`` must fit in int64.
    n_symbols : int
        Alphabet size, at least 2.
    discount : float
        The discount :math:`D`, in (0, 1).

    Returns
    -------
    ndarray of float, shape (n_test,)
        :math:`-\\ln P(\\text{test symbol} \\mid \\text{its history})` in nats.

    Raises
    ------
    ValueError
        For symbols out of range, an empty stream, a bad order, alphabet size or discount.
    """
    train = np.asarray(train_ids)
    test = np.asarray(test_ids)
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 0:
        raise ValueError(f"order must be a non-negative integer, got {order!r}")
    if isinstance(n_symbols, bool) or not isinstance(n_symbols, int | np.integer) or n_symbols < 2:
        raise ValueError(f"n_symbols must be an integer >= 2, got {n_symbols!r}")
    if not 0 < discount < 1:
        raise ValueError(f"discount must be in (0, 1), got {discount!r}")
    if float(n_symbols) ** (order + 1) >= 2.0**62:
        raise ValueError(f"n_symbols ** (order + 1) is too large for int64 codes: order {order}")
    for name, stream in (("train_ids", train), ("test_ids", test)):
        if stream.ndim != 1 or stream.size == 0 or not np.issubdtype(stream.dtype, np.integer):
            raise ValueError(f"{name} must be a non-empty 1-D integer array")
        if stream.min() < 0 or stream.max() >= n_symbols:
            raise ValueError(f"{name} has symbols outside [0, {n_symbols})")
    # Order 0 interpolates with the uniform distribution.
    counts = np.bincount(train, minlength=n_symbols).astype(float)
    seen = np.count_nonzero(counts)
    prob = (np.maximum(counts[test] - discount, 0) + discount * seen / n_symbols) / len(train)
    for k in range(1, order + 1):
        h_train = _encode_contexts(train, k, n_symbols)
        h_test = _encode_contexts(test, k, n_symbols)
        pairs, pair_counts = np.unique(h_train * n_symbols + train, return_counts=True)
        contexts, first = np.unique(pairs // n_symbols, return_index=True)
        context_total = np.add.reduceat(pair_counts, first).astype(float)
        context_types = np.diff(np.append(first, len(pairs))).astype(float)
        at = np.minimum(np.searchsorted(contexts, h_test), len(contexts) - 1)
        known = contexts[at] == h_test
        wanted = h_test * n_symbols + test
        at_pair = np.minimum(np.searchsorted(pairs, wanted), len(pairs) - 1)
        n_hc = np.where(pairs[at_pair] == wanted, pair_counts[at_pair], 0).astype(float)
        total, types = context_total[at], context_types[at]
        mixed = (np.maximum(n_hc - discount, 0) + discount * types * prob) / total
        prob = np.where(known, mixed, prob)
    return -np.log(prob)
