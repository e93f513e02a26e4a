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
    the baseline; :func:`gradient_times_input`; and :func:`occlusion` (delete one word at a
    time).
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
from collections.abc import Sequence
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
    ``tf.GradientTape``.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.
    embeddings : array or tf.Tensor, shape (n, time, embed_dim)
    mask : array of bool, shape (n, time)
        Right-padded (``True`` then ``False``), as the model was fed.

    Returns
    -------
    tf.Tensor, shape (n, features)
        What the layer named ``classifier`` reads.
    """
    _, recurrent, _ = _layers(model)
    poolings, skip = pooling_of(model)
    mask = tf.cast(mask, tf.bool) if tf.is_tensor(mask) else tf.constant(np.asarray(mask, bool))
    # as in the model: the LSTM never sees a fully masked row, and an empty review's
    # features are zeros (see bilstm_utils.models.NonEmptyMask and ZeroEmptyRows)
    first_step = tf.range(tf.shape(mask)[1])[None, :] == 0
    outputs = recurrent(embeddings, mask=tf.logical_or(mask, first_step), training=False)
    if poolings == ("last",):
        return outputs * tf.cast(tf.reduce_any(mask, axis=1, keepdims=True), outputs.dtype)
    if skip:
        outputs = tf.concat([tf.cast(embeddings, outputs.dtype), outputs], axis=-1)
    return tf.concat([model.get_layer(f"{p}_pool")(outputs, mask=mask) for p in poolings],
                     axis=-1)


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

    Dropout layers are skipped (inference). Differentiable with ``tf.GradientTape``.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.
    embeddings : array or tf.Tensor, shape (n, time, embed_dim)
    mask : array of bool, shape (n, time)
        Right-padded (``True`` then ``False``), as the model was fed.

    Returns
    -------
    tf.Tensor, shape (n,)
    """
    _, _, classifier = _layers(model)
    features = features_from_embeddings(model, embeddings, mask)
    return tf.squeeze(tf.matmul(features, classifier.kernel) + classifier.bias, axis=-1)


def predict_proba(model: keras.Model, ids: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """P(positive) for each row of ``ids``: ndarray of float, shape (n,).

    For a model that masks padding, rows are batched by length and each batch is cut to its
    longest row (trailing padding changes nothing there, and costs time on a CPU); the
    result is in the order of ``ids``.
    """
    ids = _check_ids(ids)
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    names = {layer.name: layer for layer in model.layers}
    masked = "embedding" in names and getattr(names["embedding"], "mask_zero", False)
    lengths = (ids != 0).sum(axis=1)
    right_padded = ids.size == 0 or bool(
        np.all((ids != 0) == (np.arange(ids.shape[1])[None, :] < lengths[:, None])))
    if not (masked and right_padded) or len(ids) == 0:
        return np.asarray(model.predict(ids, batch_size=batch_size, verbose=0)).reshape(-1)
    order = np.argsort(lengths, kind="stable")
    out = np.empty(len(ids), np.float32)
    for start in range(0, len(ids), batch_size):
        rows = order[start:start + batch_size]
        width = max(1, int(lengths[rows].max()))
        out[rows] = np.asarray(model.predict_on_batch(ids[rows, :width])).reshape(-1)
    return out


# ---------------------------------------------------------------------------------------------
# attribution


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
    """

    scores: np.ndarray
    logit: np.ndarray
    baseline_logit: np.ndarray

    @property
    def completeness_gap(self) -> np.ndarray:
        """``scores.sum(1) - (logit - baseline_logit)``, shape (n,): 0 for exact IG."""
        return self.scores.sum(axis=1) - (self.logit - self.baseline_logit)


def integrated_gradients(
    model: keras.Model, ids: np.ndarray, steps: int = 32, batch_size: int = 512
) -> Attribution:
    """Integrated gradients of the logit with respect to the embedding output.

    With :math:`x` the embedded review, baseline :math:`x' = 0` and :math:`F` the logit,

    .. math::

        \\mathrm{IG}_t = \\sum_d (x_{t,d} - x'_{t,d}) \\frac{1}{m}\\sum_{j=1}^{m}
        \\frac{\\partial F}{\\partial x_{t,d}}\\Big(x' + \\tfrac{j - 1/2}{m}(x - x')\\Big)

    (midpoint rule with ``m = steps``). The scores of a review add up to
    :math:`F(x) - F(x')` up to the quadrature error (see ``Attribution.completeness_gap``).

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` or ``build_pooled_classifier``.
    ids : ndarray of int, shape (n, time)
    steps : int
        Number of points on the straight path, >= 1.
    batch_size : int
        How many interpolated sequences go through the model at once.

    Returns
    -------
    Attribution
    """
    ids = _check_ids(ids)
    steps = _checks.integer("steps", steps)
    batch_size = _checks.integer("batch_size", batch_size)
    x, mask = embed(model, ids)
    n, time, dim = x.shape
    alphas = tf.constant(((np.arange(steps) + 0.5) / steps).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, None, dim], tf.float32),
                                  tf.TensorSpec([None, None], tf.bool)], reduce_retracing=True)
    def mean_gradient(xs, ms):  # (b, t, dim), (b, t) -> (b, t, dim)
        b, t = tf.shape(xs)[0], tf.shape(xs)[1]
        path = tf.reshape(alphas[None, :, None, None] * xs[:, None], (-1, t, dim))
        path_mask = tf.repeat(ms, steps, axis=0)
        with tf.GradientTape() as tape:
            tape.watch(path)
            out = logit_from_embeddings(model, path, path_mask)
        grads = tf.reshape(tape.gradient(out, path), (b, steps, t, dim))
        return tf.reduce_mean(grads, axis=1)

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
    scores = np.where(mask, scores, 0.0)
    logit_fn = tf.function(lambda xs, ms: logit_from_embeddings(model, xs, ms),
                           input_signature=mean_gradient.input_signature)
    logit = logit_fn(tf.constant(x), tf.constant(mask)).numpy()
    baseline = logit_fn(tf.constant(np.zeros_like(x)), tf.constant(mask)).numpy()
    return Attribution(scores=scores, logit=logit, baseline_logit=baseline)


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

    @tf.function(input_signature=[tf.TensorSpec([None, None, dim], tf.float32),
                                  tf.TensorSpec([None, None], tf.bool)], reduce_retracing=True)
    def gradient(xs, ms):
        with tf.GradientTape() as tape:
            tape.watch(xs)
            out = logit_from_embeddings(model, xs, ms)
        return tape.gradient(out, xs)

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
