"""Direction analysis of a trained BiLSTM classifier (chapter 5): what does each half know?

:func:`direction_features` splits the features the output layer reads into the forward and
backward direction's halves (the final states for ``pooling="last"``; the pooled maxima and
means of each direction's outputs for pooled models, see :func:`direction_columns`);
:func:`fit_logistic` re-fits a logistic output layer on any feature set with scikit-learn's
``LogisticRegression``, its regularisation chosen by cross-validation (the same procedure for
each set), so the two halves are compared fairly.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from bilstm_utils._quiet import import_tensorflow_quietly
from bilstm_utils.attribution import _check_ids, _layers, pooling_of

tf = import_tensorflow_quietly()
import keras  # noqa: E402


def direction_columns(model: keras.Model) -> tuple[np.ndarray, np.ndarray]:
    """Which columns of the output layer's input belong to each direction.

    ``Bidirectional`` concatenates ``[forward, backward]`` (``units`` each); a pooled model
    concatenates one such block per pooling (max, then mean).

    Parameters
    ----------
    model : keras.Model
        A bidirectional ``build_text_classifier`` (any pooling) or ``build_pooled_classifier``
        model without the embedding skip.

    Returns
    -------
    forward, backward : ndarray of int, shape (units * poolings,) each
        Column indices into the features (and rows of the ``classifier`` kernel).

    Raises
    ------
    ValueError
        For a one-directional LSTM, or a model whose pooling also sees the embeddings
        (``skip_embeddings=True``): those channels belong to neither direction.
    """
    _, recurrent, _ = _layers(model)
    if not hasattr(recurrent, "forward_layer"):
        raise ValueError("model has a one-directional LSTM: build it with bidirectional=True")
    poolings, skip = pooling_of(model)
    if skip:
        raise ValueError("the model pools the embeddings too (skip_embeddings=True): those "
                         "features belong to neither direction; use skip_embeddings=False")
    units = recurrent.forward_layer.units
    blocks = np.arange(len(poolings))[:, None] * 2 * units
    forward = (blocks + np.arange(units)).reshape(-1)
    return forward, forward + units


def direction_features(
    model: keras.Model, ids: np.ndarray, batch_size: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """The features the classifier's output layer reads, split by direction.

    Parameters
    ----------
    model : keras.Model
        As in :func:`direction_columns`.
    ids : ndarray of int, shape (n, time)
        Token ids, 0 for padding. For a masked model (``mask_zero=True``) reviews are batched
        by length and trailing padding is cut per batch (the features do not change).
    batch_size : int
        Reviews per forward pass.

    Returns
    -------
    forward, backward : ndarray, shape (n, units * poolings) each
        For ``pooling="last"``: :math:`\\overrightarrow{h}` after the last word and
        :math:`\\overleftarrow{h}` after the first word. For pooled models: each direction's
        maximum over time then its mean over time (columns :func:`direction_columns`).
    """
    ids = _check_ids(ids)
    forward, backward = direction_columns(model)
    sub = keras.Model(model.inputs, model.get_layer("classifier").input)
    embedding, _, _ = _layers(model)
    if not getattr(embedding, "mask_zero", False) or len(ids) == 0:
        features = np.asarray(sub.predict(ids, batch_size=batch_size, verbose=0))
        return features[:, forward], features[:, backward]
    # A masked model ignores padding, so reviews of similar length are batched together and
    # the columns that are padding in every row of a batch are cut: the same features, faster.
    nonzero = ids != 0
    lengths = np.where(nonzero.any(axis=1), ids.shape[1] - np.argmax(nonzero[:, ::-1], axis=1), 0)
    order = np.argsort(lengths, kind="stable")
    features = None
    for start in range(0, len(ids), batch_size):
        rows = order[start:start + batch_size]
        out = np.asarray(sub.predict_on_batch(ids[rows, : max(1, int(lengths[rows].max()))]))
        if features is None:
            features = np.empty((len(ids), out.shape[1]), out.dtype)
        features[rows] = out
    return features[:, forward], features[:, backward]


def fit_logistic(x: np.ndarray, y: np.ndarray, cv: int = 5, seed: int = 0) -> Pipeline:
    """A re-fitted ``Dense(1, sigmoid)``: standardised features -> L2 logistic regression, its
    regularisation strength chosen by ``cv``-fold cross-validation (scikit-learn).

    Parameters
    ----------
    x : ndarray, shape (n, d)
        Features (e.g. one direction's final states), finite.
    y : ndarray of 0/1, shape (n,), both classes present
    cv : int
        Folds for choosing ``C`` among 9 values from 1e-4 to 1e4 by log-loss, >= 2. A
        candidate that stops at the solver's 2,000 iterations is scored as it is (its
        ``ConvergenceWarning`` is silenced).
    seed : int
        Seeds the solver (the objective is convex: the result barely depends on it).

    Returns
    -------
    sklearn.pipeline.Pipeline
        Fitted; ``predict``/``predict_proba`` take (m, d) features; ``model[-1].best_params_``
        is the chosen ``C`` and ``model[-1].best_estimator_`` the refitted regression.

    Raises
    ------
    ValueError
        For mismatched shapes, labels other than 0/1, one class only, or non-finite features.
    """
    x = np.asarray(x, float)
    y = np.asarray(y).reshape(-1)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (n, d) and y (n,), got {x.shape} and {y.shape}")
    if not np.isin(y, (0, 1)).all() or np.unique(y).size != 2:
        raise ValueError("y must hold 0 and 1, both present")
    if not np.isfinite(x).all():
        raise ValueError("x must be finite")
    if cv < 2:
        raise ValueError(f"cv must be at least 2, got {cv}")
    search = GridSearchCV(LogisticRegression(max_iter=2000, random_state=seed),
                          {"C": np.logspace(-4, 4, 9)}, cv=cv, scoring="neg_log_loss")
    model = make_pipeline(StandardScaler(), search)
    # one BLAS thread: these problems are small, and on a busy machine (or next to
    # TensorFlow's threads) multi-threaded BLAS spins and runs ~100 times slower.
    # The weakest regularisations of the grid may stop at max_iter on collinear features
    # (e.g. max- and mean-pooled outputs of the same unit); cross-validation scores them as
    # they are, so their ConvergenceWarning is not shown.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(x, y.astype(int))


def per_example_correct(model: Pipeline, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """1.0 where ``model`` (from :func:`fit_logistic`) classifies a row of ``x`` right, else 0.0.

    Returns an ndarray of float, shape (n,): its mean is the accuracy, and it pairs reviews
    for a bootstrap of a difference between two feature sets.
    """
    x = np.asarray(x, float)
    y = np.asarray(y).reshape(-1)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (n, d) and y (n,), got {x.shape} and {y.shape}")
    return (model.predict(x) == y).astype(float)


def cross_validated_accuracy(model: Pipeline, x: np.ndarray, y: np.ndarray, cv: int = 5) -> float:
    """``cv``-fold cross-validated accuracy of :func:`fit_logistic`'s model at its chosen ``C``.

    The regression with the ``C`` that ``model`` chose is refitted on each training fold
    (standardisation included) and scored on the held-out fold. ``C`` was chosen on the same
    data, so this is slightly optimistic, the same way for every feature set.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        Fitted by :func:`fit_logistic`.
    x : ndarray, shape (n, d)
    y : ndarray of 0/1, shape (n,)
    cv : int
        Folds, >= 2.

    Returns
    -------
    float
        Mean accuracy over the folds, in [0, 1].
    """
    x = np.asarray(x, float)
    y = np.asarray(y).reshape(-1)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"x must be (n, d) and y (n,), got {x.shape} and {y.shape}")
    if cv < 2:
        raise ValueError(f"cv must be at least 2, got {cv}")
    fixed = make_pipeline(StandardScaler(), clone(model[-1].best_estimator_))
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # as in fit_logistic
        return float(cross_val_score(fixed, x, y.astype(int), cv=cv).mean())
