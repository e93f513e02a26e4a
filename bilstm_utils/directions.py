"""Direction analysis of a trained BiLSTM classifier (chapter 5): what does each half know?

:func:`direction_features` splits the final ``Bidirectional`` state into its forward and
backward halves; :func:`fit_logistic` re-fits a logistic output layer on any feature set with
scikit-learn's ``LogisticRegression``, its regularisation chosen by cross-validation (the same
procedure for each set), so the two halves are compared fairly.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from bilstm_utils._quiet import import_tensorflow_quietly
from bilstm_utils.attribution import _check_ids, _layers

tf = import_tensorflow_quietly()
import keras  # noqa: E402


def direction_features(
    model: keras.Model, ids: np.ndarray, batch_size: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """The final forward and backward states the classifier's output layer sees.

    Parameters
    ----------
    model : keras.Model
        A bidirectional ``build_text_classifier`` model with ``pooling="last"``.
    ids : ndarray of int, shape (n, time)

    Returns
    -------
    forward, backward : ndarray, shape (n, units) each
        :math:`\\overrightarrow{h}` after the last word and :math:`\\overleftarrow{h}` after
        the first word (the two halves of ``Bidirectional``'s concatenated output).
    """
    ids = _check_ids(ids)
    _, recurrent, _ = _layers(model)
    if not hasattr(recurrent, "forward_layer"):
        raise ValueError("model has a one-directional LSTM: build it with bidirectional=True")
    sub = keras.Model(model.inputs, recurrent.output)
    features = np.asarray(sub.predict(ids, batch_size=batch_size, verbose=0))
    units = features.shape[1] // 2
    return features[:, :units], features[:, units:]


def fit_logistic(x: np.ndarray, y: np.ndarray, cv: int = 5, seed: int = 0) -> Pipeline:
    """A re-fitted ``Dense(1, sigmoid)``: standardised features -> L2 logistic regression, its
    regularisation strength chosen by ``cv``-fold cross-validation (scikit-learn).

    Parameters
    ----------
    x : ndarray, shape (n, d)
        Features (e.g. one direction's final states), finite.
    y : ndarray of 0/1, shape (n,), both classes present
    cv : int
        Folds for choosing ``C`` among 9 values from 1e-4 to 1e4 by log-loss, >= 2.
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
