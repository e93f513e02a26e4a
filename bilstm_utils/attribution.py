"""Attribution for a trained (Bi)LSTM text classifier (chapter 5): which words drove it?

Everything here works on the book's recurrent classifiers: a model made by
:func:`bilstm_utils.models.build_text_classifier` (any pooling) or by
:func:`bilstm_utils.models.build_pooled_classifier` (the masked BiLSTM with max and mean
pooling over time, with or without its embedding skip), i.e. layers named ``embedding``,
``bilstm`` or ``lstm``, ``classifier`` and, for pooled models, ``max_pool``/``mean_pool``;
and on int token ids of shape ``(n, time)`` with id 0 for padding, right-padded by default.
:func:`logit_from_embeddings` re-runs the layers after the embedding, so gradients with
respect to the embedded words are available for every such model.

Attribution
    :func:`integrated_gradients` (Sundararajan, Taly & Yan 2017,
    https://arxiv.org/abs/1703.01365) on the embedding output, with an all-zero embedding as
    the baseline, by the midpoint rule, Gauss-Legendre, or an adaptive rule that refines
    the path until completeness holds to a tolerance (``method=``);
    :func:`gradient_times_input`; and :func:`occlusion` (delete one word at a time).
Precision
    Models built under a mixed-precision policy (``mixed_float16``) are evaluated in float32
    by every function here (:func:`float32_compute`), so attributions, logits and
    probabilities are those of the float32 model.
Faithfulness
    :func:`comprehensiveness`: the signed drop of the predicted class's probability when the
    top-``k`` words are deleted, for k = 1, 2, ...; :func:`random_comprehensiveness`, its
    random-deletion baseline; :func:`aopc`, the area over that curve (DeYoung et al. 2020,
    ERASER, https://aclanthology.org/2020.acl-main.408/). :func:`deletion_test` is the older
    unsigned ``|Δp|`` version at one ``k``.
Display
    :func:`attribution_html` renders words highlighted by their attribution as self-contained
    HTML (inline styles only).
"""

from __future__ import annotations

import html
import warnings
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from bilstm_utils import _checks
from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402

# ---------------------------------------------------------------------------------------------
# model plumbing


def _check_ids(ids: np.ndarray, name: str = "ids") -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n, time), got {ids.shape}: wrap one review in [ ]"
        )
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{name} must hold integer token ids, got dtype {ids.dtype}")
    if ids.size and ids.min() < 0:
        raise ValueError(f"{name} must be non-negative token ids (0 is padding)")
    if ids.ndim == 2 and ids.shape[1] == 0:
        raise ValueError(f"{name} has no time step (shape {ids.shape}): pad to at least 1")
    return ids


def _layers(model: keras.Model):
    """The embedding, recurrent and classifier layers of one of the book's text classifiers."""
    names = {layer.name: layer for layer in model.layers}
    recurrent = names.get("bilstm", names.get("lstm"))
    if "embedding" not in names or recurrent is None or "classifier" not in names:
        raise ValueError(
            "model must come from bilstm_utils.models.build_text_classifier or "
            "build_pooled_classifier (layers named 'embedding', 'bilstm' or 'lstm', "
            f"'classifier'); its layers are {sorted(names)}"
        )
    return names["embedding"], recurrent, names["classifier"]


def _sublayers(model: keras.Model) -> list:
    """Every layer inside ``model``, nested ones included (a ``Bidirectional``'s two LSTMs and
    their cells), each once."""
    found: dict[int, object] = {}
    stack = list(model.layers)
    while stack:
        layer = stack.pop()
        if id(layer) in found:
            continue
        found[id(layer)] = layer
        flatten = getattr(layer, "_flatten_layers", None)
        if flatten is not None:
            stack.extend(flatten(include_self=False, recursive=True))
        for attr in ("forward_layer", "backward_layer", "layer", "cell"):
            sub = getattr(layer, attr, None)
            if isinstance(sub, keras.layers.Layer):
                stack.append(sub)
    return list(found.values())


_REDUCED = ("float16", "bfloat16")


def uses_reduced_precision(model: keras.Model) -> bool:
    """Whether some layer of ``model`` computes in float16 or bfloat16 (for example after
    ``keras.mixed_precision.set_global_policy("mixed_float16")``)."""
    return any(getattr(layer, "compute_dtype", None) in _REDUCED for layer in _sublayers(model))


@contextmanager
def float32_compute(model: keras.Model) -> Iterator[keras.Model]:
    """Run every layer of ``model`` with float32 compute inside the ``with`` block.

    Under a mixed-precision policy (``mixed_float16``, ``mixed_bfloat16``) a layer casts
    its inputs and weights to the 16-bit compute dtype: the model's logit is then rounded to
    about three significant digits, a probability saturates at 1 for a logit above about 8,
    and a gradient taken through it is too coarse for attribution (completeness fails). The
    attribution functions of this module therefore evaluate the model in float32: the
    weights are float32 variables under a mixed policy, so this is exactly the float32
    model. The layers' own policies are restored on exit (also after an error); a graph
    traced inside the block keeps float32. Layers that compute in float32 (or float64) are
    left alone.

    Parameters
    ----------
    model : keras.Model

    Yields
    ------
    keras.Model
        ``model`` itself.
    """
    changed = [(layer, layer.dtype_policy) for layer in _sublayers(model)
               if getattr(layer, "compute_dtype", None) in _REDUCED]
    try:
        for layer, _ in changed:
            layer.dtype_policy = "float32"
        yield model
    finally:
        for layer, policy in changed:
            layer.dtype_policy = policy


def pooling_of(model: keras.Model) -> tuple[tuple[str, ...], bool]:
    """How a classifier turns the recurrent outputs into the output layer's features.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.

    Returns
    -------
    poolings : tuple of str
        ``("last",)`` (final state of each direction), ``("max",)``, ``("mean",)`` or
        ``("max", "mean")`` (concatenated in that order, as ``build_pooled_classifier`` does).
    skip : bool
        Whether the pooling also sees the embeddings (``build_pooled_classifier``'s
        ``skip_embeddings=True``: features ``[embeddings, lstm outputs]`` per pooling).
    """
    _layers(model)
    names = {layer.name for layer in model.layers}
    poolings = tuple(p for p in ("max", "mean") if f"{p}_pool" in names) or ("last",)
    return poolings, "words_and_context" in names


def features_from_embeddings(model: keras.Model, embeddings, mask) -> tf.Tensor:
    """The output layer's input features computed from the embedding output (inference).

    Re-runs the recurrent layer and the pooling exactly as the model does (dropout is off at
    inference): for ``pooling="last"`` the final state of each direction; for pooled models
    the masked maximum and/or mean over time of the (Bi)LSTM outputs (preceded by the
    embeddings when the model has the embedding skip). Differentiable with
    ``tf.GradientTape``. Always computed in float32, also for a model built under a
    mixed-precision policy (see :func:`float32_compute`).

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.
    embeddings : array or tf.Tensor, shape (n, time, embed_dim)
    mask : array of bool, shape (n, time)
        Right-padded (``True`` then ``False``), as the model was fed.

    Returns
    -------
    tf.Tensor of float32, shape (n, features)
        What the layer named ``classifier`` reads.
    """
    _, recurrent, _ = _layers(model)
    poolings, skip = pooling_of(model)
    mask = tf.cast(mask, tf.bool) if tf.is_tensor(mask) else tf.constant(np.asarray(mask, bool))
    embeddings = tf.cast(embeddings, tf.float32)
    # as in the model: the LSTM never sees a fully masked row, and an empty review's
    # features are zeros (see bilstm_utils.models.NonEmptyMask and ZeroEmptyRows)
    first_step = tf.range(tf.shape(mask)[1])[None, :] == 0
    with float32_compute(model):
        outputs = recurrent(embeddings, mask=tf.logical_or(mask, first_step), training=False)
        outputs = tf.cast(outputs, tf.float32)
        if poolings == ("last",):
            return outputs * tf.cast(tf.reduce_any(mask, axis=1, keepdims=True), outputs.dtype)
        if skip:
            outputs = tf.concat([embeddings, outputs], axis=-1)
        pooled = [model.get_layer(f"{p}_pool")(outputs, mask=mask) for p in poolings]
    return tf.cast(tf.concat(pooled, axis=-1), tf.float32)


def embed(model: keras.Model, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Embedding vectors and padding mask of ``ids``.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.
    ids : ndarray of int, shape (n, time)

    Returns
    -------
    embeddings : ndarray of float32, shape (n, time, embed_dim)
    mask : ndarray of bool, shape (n, time)
        ``ids != 0`` if the embedding has ``mask_zero=True``, else all ``True``.
    """
    ids = _check_ids(ids)
    embedding, _, _ = _layers(model)
    if ids.size and ids.max() >= embedding.input_dim:
        raise ValueError(f"ids must be below the vocabulary size {embedding.input_dim}, "
                         f"got {ids.max()}")
    vectors = np.asarray(embedding.embeddings)[ids]
    mask = ids != 0 if embedding.mask_zero else np.ones(ids.shape, bool)
    return vectors.astype(np.float32), mask


def logit_from_embeddings(model: keras.Model, embeddings, mask) -> tf.Tensor:
    """The classifier's logit (pre-sigmoid output) computed from the embedding output.

    Dropout layers are skipped (inference). Differentiable with ``tf.GradientTape``. Computed
    in float32 whatever the model's dtype policy (see :func:`float32_compute`).

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.
    embeddings : array or tf.Tensor, shape (n, time, embed_dim)
    mask : array of bool, shape (n, time)
        Right-padded (``True`` then ``False``), as the model was fed.

    Returns
    -------
    tf.Tensor of float32, shape (n,)
    """
    _, _, classifier = _layers(model)
    features = features_from_embeddings(model, embeddings, mask)
    kernel = tf.cast(tf.convert_to_tensor(classifier.kernel), tf.float32)
    bias = tf.cast(tf.convert_to_tensor(classifier.bias), tf.float32)
    return tf.squeeze(tf.matmul(features, kernel) + bias, axis=-1)


def _float32_predictor(model: keras.Model):
    """``batch -> P(positive)`` with the model run in float32 (see :func:`float32_compute`);
    its graph is built once per model (:func:`_graph_functions`)."""
    run = _graph_functions(model, ("float32_predict",), _build_float32_run)

    def predict(batch: np.ndarray) -> np.ndarray:
        with float32_compute(model):
            return np.asarray(run(tf.constant(batch)), np.float32).reshape(-1)

    return predict


def _build_float32_run(model_ref):
    @tf.function(reduce_retracing=True)
    def run(batch):
        return model_ref()(batch, training=False)

    return run


def predict_proba(model: keras.Model, ids: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """P(positive) for each row of ``ids``: ndarray of float32, shape (n,).

    For a model that masks padding, rows are batched by length and each batch is cut to its
    longest row (trailing padding changes nothing there, and costs time on a CPU); the
    result is in the order of ``ids``. A model built under a mixed-precision policy is run
    in float32 here (:func:`float32_compute`), so its probabilities are those of the float32
    model, consistent with the logits the attribution functions compute, instead of
    16-bit values rounded to about three digits.
    """
    ids = _check_ids(ids)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    names = {layer.name: layer for layer in model.layers}
    masked = "embedding" in names and getattr(names["embedding"], "mask_zero", False)
    lengths = (ids != 0).sum(axis=1)
    right_padded = ids.size == 0 or bool(
        np.all((ids != 0) == (np.arange(ids.shape[1])[None, :] < lengths[:, None])))
    reduced = uses_reduced_precision(model)
    predict = (_float32_predictor(model) if reduced
               else lambda batch: np.asarray(model.predict_on_batch(batch)).reshape(-1))
    if not (masked and right_padded) or len(ids) == 0:
        if not reduced or len(ids) == 0:
            return np.asarray(model.predict(ids, batch_size=batch_size, verbose=0)).reshape(-1)
        return np.concatenate([predict(ids[start:start + batch_size])
                               for start in range(0, len(ids), batch_size)])
    order = np.argsort(lengths, kind="stable")
    out = np.empty(len(ids), np.float32)
    for start in range(0, len(ids), batch_size):
        rows = order[start:start + batch_size]
        width = max(1, int(lengths[rows].max()))
        out[rows] = predict(ids[rows, :width])
    return out


# ---------------------------------------------------------------------------------------------
# attribution


IG_METHODS = ("midpoint", "gauss-legendre", "adaptive")
"""The quadrature rules :func:`integrated_gradients` offers (its ``method``)."""

_ADAPTIVE_NODES = 4  # Gauss-Legendre nodes per subinterval of the adaptive rule
_MARK = 0.5  # share of a review's error whose subintervals are halved in one round
_MIN_WIDTH = 2.0 ** -20  # narrowest subinterval it makes (float32 resolves about 6e-8 of alpha)


@dataclass
class Attribution:
    """What :func:`integrated_gradients` returns.

    Attributes
    ----------
    scores : ndarray, shape (n, time)
        Attribution of each token to the logit (positive: pushes towards "positive review");
        0 at padding for a masked model (an unmasked one reads padding, which then gets a
        score like any other token).
    logit : ndarray, shape (n,)
        The logit of each review.
    baseline_logit : ndarray, shape (n,)
        The logit when every embedding vector is replaced by the zero vector (mask unchanged).
    gradient_evaluations : ndarray of int, shape (n,), optional
        Points of the path at which the gradient was taken for each review: ``steps`` for the
        fixed rules, what the refinement spent for ``method="adaptive"``.
    """

    scores: np.ndarray
    logit: np.ndarray
    baseline_logit: np.ndarray
    gradient_evaluations: np.ndarray | None = None

    @property
    def completeness_gap(self) -> np.ndarray:
        """``scores.sum(1) - (logit - baseline_logit)``, shape (n,): 0 for exact IG."""
        return self.scores.sum(axis=1) - (self.logit - self.baseline_logit)


_GRAPHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _graph_functions(model: keras.Model, key: tuple, build):
    """``build(model_ref)`` once per model and ``key``, then the same graph functions again.

    A chapter calls the attribution functions many times on one model; building new
    ``tf.function`` objects each time retraces them every call (slow, and TensorFlow warns).
    The functions hold the model through a weak reference, so the cache keeps no model alive.
    """
    per_model = _GRAPHS.setdefault(model, {})
    if key not in per_model:
        per_model[key] = build(weakref.ref(model))
    return per_model[key]


def _path_functions(model: keras.Model, dim: int):
    """Two graph functions of ``(xs (b, t, dim), ms (b, t), alphas (b,))`` on the path
    :math:`\\alpha x`: the integrand ``sum_d x_{t,d} dF/dx_{t,d}(alpha x)``, shape (b, t),
    and the logit ``F(alpha x)``, shape (b,). Built once per model and ``dim``."""
    return _graph_functions(model, ("path", dim), lambda ref: _build_path_functions(ref, dim))


def _build_path_functions(model_ref, dim: int):
    spec = [tf.TensorSpec([None, None, dim], tf.float32), tf.TensorSpec([None, None], tf.bool),
            tf.TensorSpec([None], tf.float32)]

    @tf.function(input_signature=spec, reduce_retracing=True)
    def integrand(xs, ms, alphas):
        path = alphas[:, None, None] * xs
        with tf.GradientTape() as tape:
            tape.watch(path)
            out = logit_from_embeddings(model_ref(), path, ms)
        return tf.reduce_sum(xs * tape.gradient(out, path), axis=-1)

    @tf.function(input_signature=spec, reduce_retracing=True)
    def logits(xs, ms, alphas):
        return logit_from_embeddings(model_ref(), alphas[:, None, None] * xs, ms)

    return integrand, logits


def _on_path(fn, x, mask, rows, alphas, batch_size, weights=None, buckets=None, n_buckets=0):
    """``fn`` (from :func:`_path_functions`) at the points ``(rows[k], alphas[k])`` of the
    paths, ``batch_size`` points at a time, points of reviews of similar length together and
    columns that are padding in a whole batch skipped.

    Without ``weights``: the value at each point, shape (P,). With them: the weighted values
    summed into ``buckets[k]``, shape (n_buckets, time).
    """
    time = x.shape[1]
    order = np.argsort(mask.sum(axis=1)[rows], kind="stable")
    out = np.zeros(len(rows) if weights is None else (n_buckets, time))
    for start in range(0, len(rows), batch_size):
        chunk = order[start:start + batch_size]
        r, m = rows[chunk], mask[rows[chunk]]
        used = np.flatnonzero(m.any(axis=0))
        lo, hi = (0, time) if m.all() or used.size == 0 else (used[0], used[-1] + 1)
        value = fn(tf.constant(x[r, lo:hi]), tf.constant(m[:, lo:hi]),
                   tf.constant(alphas[chunk], tf.float32)).numpy()
        if weights is None:
            out[chunk] = value
        else:
            np.add.at(out, (buckets[chunk][:, None], np.arange(lo, hi)[None, :]),
                      weights[chunk][:, None] * value)
    return out


def _build_mean_gradient(model_ref, dim: int, steps: int):
    alphas = tf.constant(((np.arange(steps) + 0.5) / steps).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, None, dim], tf.float32),
                                  tf.TensorSpec([None, None], tf.bool)], reduce_retracing=True)
    def mean_gradient(xs, ms):  # (b, t, dim), (b, t) -> (b, t, dim)
        b, t = tf.shape(xs)[0], tf.shape(xs)[1]
        path = tf.reshape(alphas[None, :, None, None] * xs[:, None], (-1, t, dim))
        path_mask = tf.repeat(ms, steps, axis=0)
        with tf.GradientTape() as tape:
            tape.watch(path)
            out = logit_from_embeddings(model_ref(), path, path_mask)
        grads = tf.reshape(tape.gradient(out, path), (b, steps, t, dim))
        return tf.reduce_mean(grads, axis=1)

    return mean_gradient


def _midpoint_scores(model, x, mask, steps, batch_size):
    """The midpoint rule exactly as the book's first version computed it (same numbers)."""
    n, time, dim = x.shape
    mean_gradient = _graph_functions(model, ("midpoint", dim, steps),
                                     lambda ref: _build_mean_gradient(ref, dim, steps))

    per_chunk = max(1, batch_size // steps)
    order = np.argsort(mask.sum(axis=1), kind="stable")  # similar lengths share a chunk
    scores = np.zeros((n, time), np.float32)
    for start in range(0, n, per_chunk):
        rows = order[start:start + per_chunk]
        # columns that are padding in every row of the chunk are skipped (masked models only)
        used = np.flatnonzero(mask[rows].any(axis=0))
        lo, hi = (0, time) if mask[rows].all() or used.size == 0 else (used[0], used[-1] + 1)
        xs, ms = x[rows, lo:hi], mask[rows, lo:hi]
        grads = mean_gradient(tf.constant(xs), tf.constant(ms)).numpy()
        scores[rows, lo:hi] = (xs * grads).sum(axis=-1)
    return scores


def _adaptive_scores(integrand, logits, x, mask, f0, f1, steps, rtol, atol, max_steps,
                     batch_size):
    """Composite Gauss-Legendre rule refined by bisection until each review is complete.

    Each subinterval ``[a, b]`` of a review's path knows its exact integral of the summed
    integrand, ``F(b x) - F(a x)`` (two forward passes), so its error is measured, not
    estimated. Each round halves, in every review whose errors add up to more than its
    ``tol``, the worst subintervals (Doerfler marking: the fewest whose errors make up
    ``_MARK`` of the total), batched over all reviews. Returns the scores (n, time), the
    gradient evaluations (n,), the summed errors (n,) and the tolerances (n,).
    """
    n, time = mask.shape
    q = _ADAPTIVE_NODES
    nodes, node_weights = np.polynomial.legendre.leggauss(q)
    nodes, node_weights = (nodes + 1) / 2, node_weights / 2

    def integrate(row, a, b):  # (I,) subintervals -> their attributions, (I, time)
        width = b - a
        return _on_path(integrand, x, mask, np.repeat(row, q),
                        (a[:, None] + width[:, None] * nodes).reshape(-1), batch_size,
                        weights=(width[:, None] * node_weights).reshape(-1),
                        buckets=np.repeat(np.arange(len(a)), q), n_buckets=len(a))

    k0 = max(1, min(-(-steps // q), max_steps // q))
    edges = np.linspace(0.0, 1.0, k0 + 1)
    f_edges = np.empty((n, k0 + 1))
    f_edges[:, 0], f_edges[:, -1] = f0, f1
    if k0 > 1:
        f_edges[:, 1:-1] = _on_path(logits, x, mask, np.repeat(np.arange(n), k0 - 1),
                                    np.tile(edges[1:-1], n), batch_size).reshape(n, k0 - 1)
    row = np.repeat(np.arange(n), k0)
    a, b = np.tile(edges[:-1], n), np.tile(edges[1:], n)
    fa, fb = f_edges[:, :-1].reshape(-1), f_edges[:, 1:].reshape(-1)
    parts = integrate(row, a, b)
    evaluations = np.full(n, k0 * q)
    tol = np.maximum(atol, rtol * np.abs(np.asarray(f1, float) - f0))
    while True:
        err = np.abs(parts.sum(axis=1) - (fb - fa))
        total = np.bincount(row, err, minlength=n)
        # Doerfler marking: in each review still above its tolerance, halve its worst
        # subintervals, the fewest whose errors make up _MARK of its total, within budget
        split = np.flatnonzero((total[row] > tol[row]) & (b - a > 2 * _MIN_WIDTH))
        split = split[np.lexsort((-err[split], row[split]))]
        first = np.searchsorted(row[split], row[split])
        before = np.cumsum(err[split]) - err[split]
        before -= before[first]  # errors of the worse subintervals of the same review
        rank = np.arange(split.size) - first
        split = split[(before < _MARK * total[row[split]])
                      & (rank < (max_steps - evaluations[row[split]]) // (2 * q))]
        if split.size == 0:
            break
        mid = (a[split] + b[split]) / 2
        f_mid = _on_path(logits, x, mask, row[split], mid, batch_size)
        new = (np.concatenate([row[split], row[split]]), np.concatenate([a[split], mid]),
               np.concatenate([mid, b[split]]), np.concatenate([fa[split], f_mid]),
               np.concatenate([f_mid, fb[split]]))
        new_parts = integrate(new[0], new[1], new[2])
        evaluations += 2 * q * np.bincount(row[split], minlength=n)
        keep = np.ones(len(a), bool)
        keep[split] = False
        row, a, b, fa, fb = (np.concatenate([old[keep], fresh])
                             for old, fresh in zip((row, a, b, fa, fb), new, strict=True))
        parts = np.concatenate([parts[keep], new_parts])
    scores = np.zeros((n, time))
    np.add.at(scores, row, parts)
    return scores, evaluations, total, tol


def integrated_gradients(
    model: keras.Model,
    ids: np.ndarray,
    steps: int = 32,
    batch_size: int = 512,
    *,
    method: str = "midpoint",
    rtol: float = 0.01,
    atol: float = 0.01,
    max_steps: int = 1024,
) -> Attribution:
    """Integrated gradients of the logit with respect to the embedding output.

    With :math:`x` the embedded review, baseline :math:`x' = 0` and :math:`F` the logit,
    integrated gradients (Sundararajan, Taly & Yan 2017, "Axiomatic attribution for deep
    networks", https://arxiv.org/abs/1703.01365) are

    .. math::

        \\mathrm{IG}_t = \\sum_d (x_{t,d} - x'_{t,d}) \\int_0^1
        \\frac{\\partial F}{\\partial x_{t,d}}\\big(x' + \\alpha (x - x')\\big)\\, d\\alpha ,

    and the scores of a review add up to :math:`F(x) - F(x')` (completeness) up to the error
    of the quadrature rule that replaces the integral (``Attribution.completeness_gap``):

    ``"midpoint"`` (default, the book's original numbers)
        :math:`\\frac{1}{m}\\sum_{j=1}^{m} g\\big(\\tfrac{j - 1/2}{m}\\big)` with
        ``m = steps`` and :math:`g(\\alpha)` the integrand.
    ``"gauss-legendre"``
        ``steps``-point Gauss-Legendre nodes and weights on [0, 1]
        (``numpy.polynomial.legendre.leggauss``): far more accurate on a smooth path, but
        no cure for a near-jump.
    ``"adaptive"``
        Gauss-Legendre with 4 nodes on each subinterval of [0, 1], starting from
        ``ceil(steps / 4)`` equal ones. The error of a subinterval :math:`[a, b]` is
        measured, not estimated: its summed scores should equal :math:`F(b x) - F(a x)`
        (two forward passes). Round after round, the worst subintervals of each review
        (the fewest whose errors make up half of its total) are halved, until its errors
        add up to at most ``tol = max(atol, rtol * |F(x) - F(x')|)`` or it has used
        ``max_steps`` points.
        Use it when the gap must be small: a trained BiLSTM's logit can change by several
        units within 1e-3 of :math:`\\alpha` (its recurrent state flips from the
        baseline's regime to the review's), which the fixed rules resolve only with
        thousands of points.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``; a model under a
        mixed-precision policy is evaluated in float32 (see :func:`float32_compute`).
    ids : ndarray of int, shape (n, time)
        Token ids, 0 = padding (right-padded for a masked model).
    steps : int
        Points on the path, >= 1: ``m`` of the fixed rules; the initial points of
        ``"adaptive"`` (rounded up to a multiple of 4).
    batch_size : int
        How many interpolated sequences go through the model at once (``"midpoint"``
        puts all ``steps`` points of a review in one batch even when ``steps`` is larger).
    method : {"midpoint", "gauss-legendre", "adaptive"}
        The quadrature rule (keyword only).
    rtol, atol : float
        ``"adaptive"`` only: the tolerance on each review's ``|completeness_gap|``, relative
        to ``|F(x) - F(x')|`` and absolute (in logit units), >= 0, not both 0.
    max_steps : int
        ``"adaptive"`` only: most gradient evaluations per review, >= ``steps``.

    Returns
    -------
    Attribution
        ``scores`` (n, time) in logit units, ``logit`` and ``baseline_logit`` (n,), and
        ``gradient_evaluations`` (n,), the points spent per review.

    Raises
    ------
    ValueError
        For ids that are not a 2-d array of non-negative integers below the vocabulary size,
        a non-integer or non-positive ``steps``, ``batch_size`` or ``max_steps``, an unknown
        ``method``, or negative / non-finite tolerances.

    Warns
    -----
    RuntimeWarning
        ``"adaptive"`` only, when some reviews still miss the tolerance after ``max_steps``
        points (their scores are returned all the same; raise ``max_steps``).

    Examples
    --------
    >>> att = integrated_gradients(model, ids, method="adaptive")   # doctest: +SKIP
    >>> rel = np.abs(att.completeness_gap) / np.abs(att.logit - att.baseline_logit)
    >>> att.gradient_evaluations.mean(), rel.max()                  # doctest: +SKIP
    """
    ids = _check_ids(ids)
    steps = _checks.integer("steps", steps)
    batch_size = _checks.integer("batch_size", batch_size)
    if method not in IG_METHODS:
        raise ValueError(f"method must be one of {IG_METHODS}, got {method!r}")
    if method == "adaptive":
        max_steps = _checks.integer("max_steps", max_steps, steps)
        for name, value in (("rtol", rtol), ("atol", atol)):
            if isinstance(value, bool) or not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if rtol == 0 and atol == 0:
            raise ValueError("rtol and atol cannot both be 0")
    x, mask = embed(model, ids)
    n, time, dim = x.shape
    _, path_logit = _path_functions(model, dim)  # F(alpha x): alpha = 1 the review, 0 the baseline
    logit = path_logit(tf.constant(x), tf.constant(mask), tf.ones([n])).numpy()
    baseline = path_logit(tf.constant(x), tf.constant(mask), tf.zeros([n])).numpy()
    evaluations = np.full(n, steps)
    if method == "midpoint":
        scores = _midpoint_scores(model, x, mask, steps, batch_size)
    elif method == "gauss-legendre":
        nodes, weights = np.polynomial.legendre.leggauss(steps)
        integrand, _ = _path_functions(model, dim)
        scores = _on_path(integrand, x, mask, np.repeat(np.arange(n), steps),
                          np.tile((nodes + 1) / 2, n), batch_size, weights=np.tile(weights / 2, n),
                          buckets=np.repeat(np.arange(n), steps), n_buckets=n)
    else:
        integrand, logits = _path_functions(model, dim)
        scores, evaluations, error, tol = _adaptive_scores(
            integrand, logits, x, mask, baseline, logit, steps, rtol, atol, max_steps,
            batch_size)
        missed = np.flatnonzero(error > tol)
        if missed.size:
            warnings.warn(
                f"integrated_gradients: {missed.size} of {n} reviews (rows "
                f"{missed[:10].tolist()}{' ...' if missed.size > 10 else ''}) still miss the "
                f"tolerance after max_steps={max_steps} points; raise max_steps",
                RuntimeWarning, stacklevel=2)
    scores = np.where(mask, scores, 0.0).astype(np.float32)
    return Attribution(scores=scores, logit=logit, baseline_logit=baseline,
                       gradient_evaluations=evaluations)


def _build_gradient(model_ref, dim: int):
    @tf.function(input_signature=[tf.TensorSpec([None, None, dim], tf.float32),
                                  tf.TensorSpec([None, None], tf.bool)], reduce_retracing=True)
    def gradient(xs, ms):
        with tf.GradientTape() as tape:
            tape.watch(xs)
            out = logit_from_embeddings(model_ref(), xs, ms)
        return tape.gradient(out, xs)

    return gradient


def gradient_times_input(model: keras.Model, ids: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Gradient × input: :math:`\\sum_d x_{t,d}\\, \\partial F / \\partial x_{t,d}` at the review.

    The first-order (Taylor) share of word ``t`` in the logit :math:`F`; the cheapest
    gradient attribution, one backward pass per review (Shrikumar et al. 2016,
    https://arxiv.org/abs/1605.01713). Unlike integrated gradients its scores need not add
    up to anything: a saturated unit gives a small gradient for a word that matters.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.
    ids : ndarray of int, shape (n, time)
    batch_size : int
        Reviews per backward pass.

    Returns
    -------
    ndarray of float32, shape (n, time)
        Positive: pushes towards "positive review"; 0 at padding.
    """
    ids = _check_ids(ids)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    x, mask = embed(model, ids)
    n, time, dim = x.shape

    gradient = _graph_functions(model, ("gradient", dim), lambda ref: _build_gradient(ref, dim))
    order = np.argsort(mask.sum(axis=1), kind="stable")
    scores = np.zeros((n, time), np.float32)
    for start in range(0, n, batch_size):
        rows = order[start:start + batch_size]
        used = np.flatnonzero(mask[rows].any(axis=0))
        lo, hi = (0, time) if mask[rows].all() or used.size == 0 else (used[0], used[-1] + 1)
        xs = x[rows, lo:hi]
        grads = gradient(tf.constant(xs), tf.constant(mask[rows, lo:hi])).numpy()
        scores[rows, lo:hi] = (xs * grads).sum(axis=-1)
    return np.where(mask, scores, 0.0).astype(np.float32)


def path_logits(model: keras.Model, ids: np.ndarray,
                points: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """The logit along integrated gradients' straight path, :math:`F(\\alpha x)` for
    :math:`\\alpha` from 0 (the all-zero baseline) to 1 (the review).

    A large completeness gap that does not shrink with more steps means that :math:`F`
    changes abruptly somewhere on the path; this shows where.

    Parameters
    ----------
    model : keras.Model
    ids : ndarray of int, shape (n, time)
    points : int
        Values of :math:`\\alpha`, evenly spaced, >= 2.

    Returns
    -------
    alphas : ndarray, shape (points,)
    logits : ndarray, shape (n, points)
    """
    ids = _check_ids(ids)
    if points < 2:
        raise ValueError(f"points must be at least 2, got {points}")
    x, mask = embed(model, ids)
    alphas = np.linspace(0.0, 1.0, points).astype(np.float32)
    logits = np.stack([
        logit_from_embeddings(model, alphas[:, None, None] * row[None],
                              np.repeat(m[None], points, axis=0)).numpy()
        for row, m in zip(x, mask, strict=True)
    ])
    return alphas, logits


def plot_path_logits(alphas: np.ndarray, logits: np.ndarray, labels: Sequence[str]):
    """Draw :func:`path_logits`' curves: the logit against :math:`\\alpha`, one line per review.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415

    logits = np.atleast_2d(logits)
    if logits.shape[1] != len(alphas) or len(labels) != len(logits):
        raise ValueError(f"need logits of shape (len(labels), len(alphas)) = "
                         f"({len(labels)}, {len(alphas)}), got {logits.shape}")
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for row, label in zip(logits, labels, strict=True):
        ax.plot(alphas, row, label=label)
    ax.set_xlabel(r"$\alpha$ (0: all-zero embeddings, 1: the review)")
    ax.set_ylabel(r"logit $F(\alpha x)$")
    ax.set_title("The logit along the integrated-gradients path")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def delete_tokens(ids: np.ndarray, positions: Sequence[np.ndarray],
                  padding: str = "post") -> np.ndarray:
    """Delete tokens from each review and pad again.

    A real deletion (the remaining words close up), so it means the same for models with and
    without ``mask_zero``.

    Parameters
    ----------
    ids : ndarray of int, shape (n, time)
        Padded token ids (id 0 = padding).
    positions : sequence of n integer arrays
        ``positions[r]``: the positions (0 <= p < time) to delete from row ``r``.
    padding : {"post", "pre"}
        Where the result is padded: ``"post"`` for masked models (cuDNN), ``"pre"`` for the
        seed article's unmasked model.

    Returns
    -------
    ndarray, shape (n, time), same dtype as ``ids``
    """
    ids = _check_ids(ids)
    if padding not in ("pre", "post"):
        raise ValueError(f"padding must be 'pre' or 'post', got {padding!r}")
    if len(positions) != len(ids):
        raise ValueError(
            f"positions needs one array per row: {len(ids)} rows, got {len(positions)}"
        )
    out = np.zeros_like(ids)
    time = ids.shape[1]
    for r, (row, pos) in enumerate(zip(ids, positions, strict=True)):
        pos = np.asarray(pos).reshape(-1)
        if pos.size and not np.issubdtype(pos.dtype, np.integer):
            raise ValueError(f"positions of row {r} must be integers, got dtype {pos.dtype}")
        if pos.size and (pos.min() < 0 or pos.max() >= time):
            raise ValueError(f"positions of row {r} must be in [0, {time - 1}], got {pos}")
        keep = np.ones(time, bool)
        keep[pos] = False
        kept = row[keep & (row != 0)]
        if padding == "post":
            out[r, :kept.size] = kept
        elif kept.size:
            out[r, time - kept.size:] = kept
    return out


def occlusion(model: keras.Model, ids: np.ndarray, batch_size: int = 512,
              padding: str = "post") -> np.ndarray:
    """Occlusion attribution: how much the logit falls when each word alone is deleted.

    Parameters
    ----------
    model : keras.Model
    ids : ndarray of int, shape (1, time)
        One padded review.
    padding : {"post", "pre"}
        How the model was fed (see :func:`delete_tokens`).

    Returns
    -------
    ndarray, shape (1, time)
        ``logit(review) - logit(review without word t)`` at each real token, 0 at padding.
    """
    ids = _check_ids(ids)
    if len(ids) != 1:
        raise ValueError(f"occlusion takes one review, shape (1, time); got {ids.shape}")
    real = np.flatnonzero(ids[0])
    variants = delete_tokens(np.repeat(ids, len(real) + 1, axis=0),
                             [np.array([], int)] + [np.array([p]) for p in real], padding)
    p = np.clip(predict_proba(model, variants, batch_size), 1e-7, 1 - 1e-7)
    logit = np.log(p) - np.log1p(-p)
    scores = np.zeros(ids.shape, float)
    scores[0, real] = logit[0] - logit[1:]
    return scores


# ---------------------------------------------------------------------------------------------
# faithfulness


@dataclass
class DeletionResult:
    """What :func:`deletion_test` returns; every array has shape (n,).

    Attributes
    ----------
    k : int
        Words deleted per review.
    p : ndarray
        P(positive) of the intact reviews.
    topk_drop : ndarray
        ``|p - p(without the k top-attributed words)|``.
    random_drop : ndarray
        ``|p - p(without k random words)|``, averaged over the random draws.
    """

    k: int
    p: np.ndarray
    topk_drop: np.ndarray
    random_drop: np.ndarray


def top_k_positions(ids: np.ndarray, scores: np.ndarray, direction: np.ndarray, k: int):
    """The ``k`` real-token positions of each row with the largest ``scores * direction``.

    Parameters
    ----------
    ids, scores : ndarray, shape (n, time)
    direction : ndarray, shape (n,), or a scalar for every row
        +1 to pick the words that push towards "positive", -1 for "negative".
    k : int
        >= 1.

    Returns
    -------
    list of n integer arrays of length ``min(k, real tokens)``
    """
    ids = _check_ids(ids)
    k = _checks.integer("k", k)
    scores = np.asarray(scores, float)
    if scores.shape != ids.shape:
        raise ValueError(f"scores must have the shape of ids {ids.shape}, got {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite (no NaN or inf)")
    direction = np.broadcast_to(np.asarray(direction, float), (len(ids),))
    signed = np.where(ids != 0, scores * np.asarray(direction, float)[:, None], -np.inf)
    order = np.argsort(-signed, axis=1, kind="stable")
    n_real = (ids != 0).sum(axis=1)
    return [order[r, : min(k, n_real[r])] for r in range(len(ids))]


def deletion_test(
    model: keras.Model,
    ids: np.ndarray,
    scores: np.ndarray,
    k: int,
    n_random: int = 5,
    seed: int = 0,
    batch_size: int = 512,
    padding: str = "post",
) -> DeletionResult:
    """Delete the ``k`` words that attribution says support the prediction most, versus ``k``
    random words, and measure how much P(positive) moves.

    The "top" words of a review predicted positive are those with the largest scores; for a
    review predicted negative, those with the most negative scores.

    Parameters
    ----------
    model : keras.Model
    ids : ndarray of int, shape (n, time)
    scores : ndarray, shape (n, time)
        Attribution of each token, positive towards "positive review".
    k : int
        Words deleted per review, >= 1 (every review should have more than ``k`` words).
    n_random : int
        Random draws of ``k`` words per review, averaged.
    seed : int
        Seeds the random draws.
    padding : {"post", "pre"}
        How the model was fed (see :func:`delete_tokens`).

    Returns
    -------
    DeletionResult
    """
    ids = _check_ids(ids)
    k, n_random = _checks.integer("k", k), _checks.integer("n_random", n_random)
    if np.shape(scores) != ids.shape or not np.isfinite(scores).all():
        raise ValueError(f"scores must be finite, with the shape of ids {ids.shape}")
    n_real = (ids != 0).sum(axis=1)
    if n_real.min() <= k:
        raise ValueError(
            f"every review needs more than k={k} words; the shortest has {n_real.min()}"
        )
    p = predict_proba(model, ids, batch_size)
    direction = np.where(p >= 0.5, 1.0, -1.0)
    top = delete_tokens(ids, top_k_positions(ids, scores, direction, k), padding)
    rng = np.random.default_rng(seed)
    real = [np.flatnonzero(row) for row in ids]
    random_rows = [
        delete_tokens(ids, [rng.choice(real[r], k, replace=False) for r in range(len(ids))],
                      padding)
        for _ in range(n_random)
    ]
    p_top = predict_proba(model, top, batch_size)
    p_random = predict_proba(model, np.concatenate(random_rows), batch_size).reshape(n_random, -1)
    return DeletionResult(
        k=k, p=p, topk_drop=np.abs(p - p_top), random_drop=np.abs(p - p_random).mean(axis=0)
    )


def _predicted_class_probability(model, ids, batch_size):
    p = predict_proba(model, ids, batch_size)
    return p, np.where(p >= 0.5, 1.0, -1.0)


def comprehensiveness(
    model: keras.Model,
    ids: np.ndarray,
    scores: np.ndarray,
    ks: Sequence[int] = tuple(range(1, 11)),
    batch_size: int = 512,
    padding: str = "post",
) -> np.ndarray:
    """Signed comprehensiveness: how much the predicted class's probability drops when the
    ``k`` words that ``scores`` credit most for that class are deleted, for each ``k``.

    For a review predicted positive (:math:`p \\ge 0.5`) the top words are those with the
    largest scores and the drop is :math:`p - p_{\\setminus k}`; for one predicted negative,
    the most negative scores and :math:`(1 - p) - (1 - p_{\\setminus k})`. Positive: the
    deletion hurt the prediction; negative: it made the model *more* sure (an attribution
    that ranks words wrongly can do that). Unlike ``|Δp|`` it does not reward a deletion
    that pushes the prediction further the same way. The ranking is fixed on the intact
    review, so the deleted sets are nested (ERASER's comprehensiveness, DeYoung et al. 2020,
    https://aclanthology.org/2020.acl-main.408/, with ``k`` in words instead of a share of
    the tokens).

    Parameters
    ----------
    model : keras.Model
    ids : ndarray of int, shape (n, time)
        Every review must have more than ``max(ks)`` words.
    scores : ndarray, shape (n, time)
        Attribution of each token, positive towards "positive review".
    ks : sequence of int
        Numbers of words to delete, each >= 1.
    padding : {"post", "pre"}
        How the model was fed (see :func:`delete_tokens`).

    Returns
    -------
    ndarray of float, shape (len(ks), n)
        The drop for each ``k`` and review.
    """
    ids = _check_ids(ids)
    ks = [int(k) for k in ks]
    if not ks or min(ks) < 1:
        raise ValueError(f"ks must be a non-empty list of positive word counts, got {ks}")
    scores = np.asarray(scores, float)
    if scores.shape != ids.shape:
        raise ValueError(f"scores must have the shape of ids {ids.shape}, got {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    n_real = (ids != 0).sum(axis=1)
    if len(ids) and n_real.min() <= max(ks):
        raise ValueError(
            f"every review needs more than max(ks)={max(ks)} words; the shortest has "
            f"{n_real.min()}"
        )
    p, direction = _predicted_class_probability(model, ids, batch_size)
    ranked = top_k_positions(ids, scores, direction, max(ks))
    deleted = np.concatenate([delete_tokens(ids, [r[:k] for r in ranked], padding) for k in ks])
    p_deleted = predict_proba(model, deleted, batch_size).reshape(len(ks), len(ids))
    return (p[None, :] - p_deleted) * direction[None, :]


def random_comprehensiveness(
    model: keras.Model,
    ids: np.ndarray,
    ks: Sequence[int] = tuple(range(1, 11)),
    n_random: int = 3,
    seed: int = 0,
    batch_size: int = 512,
    padding: str = "post",
) -> np.ndarray:
    """:func:`comprehensiveness` of a random ranking of the words, averaged over ``n_random``
    rankings: the baseline an attribution must beat.

    Returns
    -------
    ndarray of float, shape (len(ks), n)
    """
    ids = _check_ids(ids)
    if n_random < 1:
        raise ValueError(f"n_random must be at least 1, got {n_random}")
    rng = np.random.default_rng(seed)
    return np.mean([comprehensiveness(model, ids, rng.random(ids.shape), ks, batch_size, padding)
                    for _ in range(n_random)], axis=0)


def aopc(curve: np.ndarray) -> np.ndarray:
    """Area over the perturbation curve: the mean of a comprehensiveness curve over its ``k``.

    Parameters
    ----------
    curve : ndarray, shape (len(ks), n)
        From :func:`comprehensiveness` (ERASER's AOPC averages over bins of 1, 5, 10, 20 and
        50 % of the tokens; here over the ``ks`` given there).

    Returns
    -------
    ndarray, shape (n,)
        One AOPC per review; its mean is the method's AOPC.
    """
    curve = np.asarray(curve, float)
    if curve.ndim != 2 or curve.shape[0] < 1:
        raise ValueError(f"curve must have shape (len(ks), n), got {curve.shape}")
    return curve.mean(axis=0)


def plot_comprehensiveness(ks: Sequence[int], curves: dict[str, np.ndarray], level: float = 0.95):
    """Comprehensiveness curves of several rankings, with bootstrap intervals of the mean.

    Parameters
    ----------
    ks : sequence of int, length K
        Words deleted, the x axis.
    curves : dict name -> ndarray, shape (K, n)
        From :func:`comprehensiveness` or :func:`random_comprehensiveness`, on the same reviews.
    level : float
        Confidence level of the error bars (``scipy.stats.bootstrap`` over the reviews, via
        :func:`bilstm_utils.evaluation.bootstrap_ci`).

    Returns
    -------
    matplotlib.figure.Figure
        Mean drop of the predicted class's probability against ``k``, one line per ranking,
        AOPC in the legend.
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from bilstm_utils.evaluation import bootstrap_ci  # noqa: PLC0415

    ks = np.asarray(ks)
    if not curves:
        raise ValueError("curves is empty")
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for name, curve in curves.items():
        curve = np.asarray(curve, float)
        if curve.ndim != 2 or curve.shape[0] != len(ks):
            raise ValueError(f"curves[{name!r}] must have shape (len(ks), n), got {curve.shape}")
        means = curve.mean(axis=1)
        cis = np.array([bootstrap_ci(row, level=level) for row in curve])
        ax.errorbar(ks, means, yerr=[means - cis[:, 0], cis[:, 1] - means], marker="o",
                    ms=4, capsize=2, label=f"{name} (AOPC {aopc(curve).mean():.3f})")
    ax.axhline(0, color="gray", lw=0.6)
    ax.set_xlabel("k, words deleted per review")
    ax.set_ylabel("drop of P(predicted class)")
    ax.set_title(f"Comprehensiveness on {curve.shape[1]} reviews ({level:.0%} bootstrap intervals)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# display


def attribution_html(
    words: Sequence[str], scores: np.ndarray, title: str | None = None, scale: float | None = None
) -> str:
    """Words with a background colour by attribution: green pushes towards "positive",
    red towards "negative", the stronger the more saturated. Inline styles only.

    Parameters
    ----------
    words : sequence of str, length T
    scores : ndarray, shape (T,)
    title : str, optional
        A heading line above the text (escaped).
    scale : float, optional
        The score that gets full colour; default ``max |scores|``.

    Returns
    -------
    str
        An HTML fragment (one ``<div>``); show it with ``IPython.display.HTML``.
    """
    words = list(words)
    scores = np.asarray(scores, float).reshape(-1)
    if len(words) != scores.size:
        raise ValueError(f"need one score per word: {len(words)} words, {scores.size} scores")
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite")
    if scale is None:
        scale = float(np.abs(scores).max()) if scores.size else 0.0
    elif not (np.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be a finite number >= 0, got {scale}")
    spans = []
    for word, s in zip(words, scores, strict=True):
        alpha = 0.0 if scale == 0 else min(abs(s) / scale, 1.0)
        rgb = "0,150,60" if s > 0 else "215,40,40"
        spans.append(
            f'<span style="background-color:rgba({rgb},{alpha:.2f});padding:1px 2px;'
            f'border-radius:3px" title="{s:+.3f}">{html.escape(word)}</span>'
        )
    head = (f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>'
            if title else "")
    return (
        '<div style="font-family:sans-serif;line-height:1.9;border:1px solid #ccc;'
        f'padding:8px;margin:6px 0;color:#111;background:#fff">{head}{" ".join(spans)}</div>'
    )
