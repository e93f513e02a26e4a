"""Attribution for a trained (Bi)LSTM text classifier (chapter 5): which words drove it?

Everything here works on a model made by :func:`bilstm_utils.models.build_text_classifier`
with ``pooling="last"`` (layers named ``embedding``, ``bilstm`` or ``lstm``, ``classifier``)
and on int token ids of shape ``(n, time)`` with id 0 for padding, right-padded by default.

Attribution
    :func:`integrated_gradients` (Sundararajan, Taly & Yan 2017,
    https://arxiv.org/abs/1703.01365) on the embedding output, with an all-zero embedding as
    the baseline, and :func:`occlusion` (delete one word at a time).
Faithfulness
    :func:`deletion_test`: does deleting the ``k`` words an attribution ranks highest change
    the prediction more than deleting ``k`` random words?
Display
    :func:`attribution_html` renders words highlighted by their attribution as self-contained
    HTML (inline styles only).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
    return ids


def _layers(model: keras.Model):
    """The embedding, recurrent and classifier layers of a ``build_text_classifier`` model."""
    names = {layer.name: layer for layer in model.layers}
    recurrent = names.get("bilstm", names.get("lstm"))
    if "embedding" not in names or recurrent is None or "classifier" not in names:
        raise ValueError(
            "model must come from bilstm_utils.models.build_text_classifier (layers named "
            f"'embedding', 'bilstm' or 'lstm', 'classifier'); its layers are {sorted(names)}"
        )
    if getattr(recurrent, "return_sequences", False) or (
        hasattr(recurrent, "forward_layer") and recurrent.forward_layer.return_sequences
    ):
        raise ValueError("only pooling='last' models are supported (one final state per direction)")
    return names["embedding"], recurrent, names["classifier"]


def embed(model: keras.Model, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Embedding vectors and padding mask of ``ids``.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` with ``pooling="last"``.
    ids : ndarray of int, shape (n, time)

    Returns
    -------
    embeddings : ndarray of float32, shape (n, time, embed_dim)
    mask : ndarray of bool, shape (n, time)
        ``ids != 0`` if the embedding has ``mask_zero=True``, else all ``True``.
    """
    ids = _check_ids(ids)
    embedding, _, _ = _layers(model)
    vectors = np.asarray(embedding.embeddings)[ids]
    mask = ids != 0 if embedding.mask_zero else np.ones(ids.shape, bool)
    return vectors.astype(np.float32), mask


def logit_from_embeddings(model: keras.Model, embeddings, mask) -> tf.Tensor:
    """The classifier's logit (pre-sigmoid output) computed from the embedding output.

    Dropout layers are skipped (inference). Differentiable with ``tf.GradientTape``.

    Parameters
    ----------
    model : keras.Model
        From ``build_text_classifier`` with ``pooling="last"``.
    embeddings : array or tf.Tensor, shape (n, time, embed_dim)
    mask : array of bool, shape (n, time)
        Right-padded (``True`` then ``False``), as the model was fed.

    Returns
    -------
    tf.Tensor, shape (n,)
    """
    _, recurrent, classifier = _layers(model)
    mask = tf.cast(mask, tf.bool) if tf.is_tensor(mask) else tf.constant(np.asarray(mask, bool))
    # as in the model: the LSTM never sees a fully masked row, and an empty review's
    # features are zeros (see bilstm_utils.models.NonEmptyMask and ZeroEmptyRows)
    first_step = tf.range(tf.shape(mask)[1])[None, :] == 0
    features = recurrent(embeddings, mask=tf.logical_or(mask, first_step), training=False)
    features *= tf.cast(tf.reduce_any(mask, axis=1, keepdims=True), features.dtype)
    return tf.squeeze(tf.matmul(features, classifier.kernel) + classifier.bias, axis=-1)


def predict_proba(model: keras.Model, ids: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """P(positive) for each row of ``ids``: ndarray of float, shape (n,)."""
    ids = _check_ids(ids)
    return np.asarray(model.predict(ids, batch_size=batch_size, verbose=0)).reshape(-1)


# ---------------------------------------------------------------------------------------------
# attribution


@dataclass
class Attribution:
    """What :func:`integrated_gradients` returns.

    Attributes
    ----------
    scores : ndarray, shape (n, time)
        Attribution of each token to the logit (positive: pushes towards "positive review");
        0 at padding.
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
        From ``build_text_classifier`` with ``pooling="last"``.
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
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
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
        pos = np.asarray(pos, dtype=np.int64).reshape(-1)
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
    direction : ndarray, shape (n,)
        +1 to pick the words that push towards "positive", -1 for "negative".
    k : int

    Returns
    -------
    list of n integer arrays of length ``min(k, real tokens)``
    """
    ids = _check_ids(ids)
    scores = np.asarray(scores, float)
    if scores.shape != ids.shape:
        raise ValueError(f"scores must have the shape of ids {ids.shape}, got {scores.shape}")
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
    if k < 1 or n_random < 1:
        raise ValueError(f"k and n_random must be at least 1, got k={k}, n_random={n_random}")
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
    scale = float(np.abs(scores).max()) if scale is None else float(scale)
    if scale < 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
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
