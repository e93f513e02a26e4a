"""Model builders for the IMDB chapters (4 and 5).

:func:`build_seed_model` is the seed article's classifier, with the lines its printed
listing lost restored::

    Embedding(10000, 128) -> Bidirectional(LSTM(64)) -> Dropout(0.5) -> Dense(1, sigmoid)

:func:`build_text_classifier` is the general builder the chapters' experiments vary.
"""

from __future__ import annotations

import time

import numpy as np

from bilstm_utils import _checks
from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402

POOLINGS = ("last", "max", "mean")


def build_text_classifier(
    vocab_size: int = 10_000,
    embed_dim: int = 128,
    units: int = 64,
    bidirectional: bool = True,
    pooling: str = "last",
    mask_zero: bool = False,
    dropout: float = 0.5,
    embed_dropout: float = 0.0,
    learning_rate: float = 1e-3,
    name: str | None = None,
) -> keras.Model:
    """Embedding -> (Bi)LSTM -> pooling over time -> Dropout -> Dense(1, sigmoid), compiled.

    Parameters
    ----------
    vocab_size : int
        Number of token ids (id 0 is padding).
    embed_dim : int
        Embedding width.
    units : int
        LSTM units per direction.
    bidirectional : bool
        Wrap the LSTM in ``keras.layers.Bidirectional`` (``merge_mode="concat"``).
    pooling : {"last", "max", "mean"}
        ``"last"``: the final state of each direction (the seed's model);
        ``"max"``/``"mean"``: pool the outputs of every time step.
    mask_zero : bool
        Mask padding (id 0) so the LSTM skips it. Feed **right-padded** ids
        (:func:`bilstm_utils.text.encode`'s default): cuDNN accepts no other mask. A review
        with no token gives zero features, so P(positive) = sigmoid(output bias).
    dropout : float
        Dropout rate before the output layer, in [0, 1).
    embed_dropout : float
        Spatial dropout (whole embedding channels) after the embedding, in [0, 1).
    learning_rate : float
        Adam's learning rate.
    name : str, optional

    Returns
    -------
    keras.Model
        Input: int token ids, shape (batch, time). Output: P(positive), shape (batch, 1).
        Compiled with Adam, binary cross-entropy and accuracy.
    """
    vocab_size = _checks.integer("vocab_size", vocab_size, 2)
    embed_dim, units = _checks.integer("embed_dim", embed_dim), _checks.integer("units", units)
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    for label, rate in (("dropout", dropout), ("embed_dropout", embed_dropout)):
        if not 0 <= rate < 1:
            raise ValueError(f"{label} must be in [0, 1), got {rate}")
    learning_rate = _checks.positive_finite("learning_rate", learning_rate)
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=mask_zero, name="embedding")(inputs)
    if embed_dropout:
        x = keras.layers.SpatialDropout1D(embed_dropout, name="embed_dropout")(x)
    token_mask = PaddingMask(name="padding_mask")(inputs) if mask_zero else None
    if mask_zero:
        x = NonEmptyMask(name="non_empty_mask")(x)
    lstm = keras.layers.LSTM(units, return_sequences=pooling != "last", name="lstm")
    x = keras.layers.Bidirectional(lstm, name="bilstm")(x) if bidirectional else lstm(x)
    if pooling == "max":
        x = MaskedGlobalMaxPooling1D(name="max_pool")(x, mask=token_mask)
    elif pooling == "mean":
        x = MaskedGlobalAveragePooling1D(name="mean_pool")(x, mask=token_mask)
    elif mask_zero:
        x = ZeroEmptyRows(name="zero_empty_rows")(x, token_mask)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="classifier")(x)
    model = keras.Model(inputs, outputs, name=name or "text_classifier")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_seed_model(vocab_size: int = 10_000) -> keras.Model:
    """The seed article's model: Embedding(10000, 128) -> BiLSTM(64) -> Dropout(0.5) -> Dense(1).

    Returns
    -------
    keras.Model
        Compiled with Adam (learning rate 1e-3), binary cross-entropy, accuracy.
    """
    return build_text_classifier(
        vocab_size=vocab_size, embed_dim=128, units=64, bidirectional=True,
        pooling="last", dropout=0.5, name="seed_bilstm",
    )


# ---------------------------------------------------------------------------------------------
# Chapter 4: the pooled BiLSTM, length-bucketed batches, timing, and the raw-string model.
# ---------------------------------------------------------------------------------------------


def _token_mask(ids):
    return keras.ops.not_equal(ids, 0)


@keras.saving.register_keras_serializable(package="bilstm_utils")
class PaddingMask(keras.layers.Layer):
    """Int token ids (batch, time) -> bool mask (batch, time): ``True`` at real tokens (id != 0).

    A row with no token (an empty or punctuation-only review) gives an all-``False`` row.
    """

    def call(self, ids):
        return _token_mask(ids)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@keras.saving.register_keras_serializable(package="bilstm_utils")
class NonEmptyMask(keras.layers.Layer):
    """Pass the input through; its mask gets its **first** step set to ``True``.

    cuDNN (Keras's TensorFlow backend on a GPU) rejects a fully masked row, and a masked
    mean over zero steps is 0/0. With right-padded ids the mask ``ids != 0`` is of the form
    ``1...1 0...0``; forcing step 0 keeps that form and gives an empty review one (padding)
    step, whose output the pooling layers below then ignore, because they are given the true
    :class:`PaddingMask`.

    Input: (batch, time, channels) with a mask (batch, time). Output: the same tensor.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return inputs

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        mask = keras.ops.cast(mask, "bool")
        return keras.ops.concatenate([keras.ops.ones_like(mask[:, :1]), mask[:, 1:]], axis=1)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class _MaskedPooling1D(keras.layers.Layer):
    """(batch, time, channels) with an optional mask -> (batch, channels); no mask out."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="bilstm_utils")
class MaskedGlobalMaxPooling1D(_MaskedPooling1D):
    """Maximum over time of the **unmasked** steps, per channel.

    Keras's ``GlobalMaxPooling1D`` ignores the mask, so padded steps could win the maximum.
    This layer gives masked steps ``-inf`` first.

    Input: (batch, time, channels) with an optional mask (batch, time).
    Output: (batch, channels). A row with no unmasked step gives zeros.
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return keras.ops.max(inputs, axis=1)
        keep = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)
        pooled = keras.ops.max(keras.ops.where(keep, inputs, float("-inf")), axis=1)
        return keras.ops.where(keras.ops.any(keep, axis=1), pooled, 0.0)


@keras.saving.register_keras_serializable(package="bilstm_utils")
class MaskedGlobalAveragePooling1D(_MaskedPooling1D):
    """Mean over time of the **unmasked** steps, per channel; zeros for a row with none.

    Keras's ``GlobalAveragePooling1D`` divides by the number of unmasked steps, which is 0/0
    (NaN) for an empty review and poisons training. Here the divisor is at least 1.

    Input: (batch, time, channels) with an optional mask (batch, time).
    Output: (batch, channels).
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return keras.ops.mean(inputs, axis=1)
        weights = keras.ops.expand_dims(keras.ops.cast(mask, inputs.dtype), -1)
        total = keras.ops.sum(inputs * weights, axis=1)
        return total / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)


@keras.saving.register_keras_serializable(package="bilstm_utils")
class ZeroEmptyRows(keras.layers.Layer):
    """Features (batch, d) times "does the row have a token" from a mask (batch, time).

    The final state of an LSTM that read only the one padding step :class:`NonEmptyMask`
    gives an empty review is replaced by zeros, like the pooled features of an empty review.
    """

    def call(self, features, token_mask):
        has_token = keras.ops.any(keras.ops.cast(token_mask, "bool"), axis=1, keepdims=True)
        return features * keras.ops.cast(has_token, features.dtype)

    def compute_output_shape(self, features_shape, token_mask_shape=None):
        return tuple(features_shape)


@keras.saving.register_keras_serializable(package="bilstm_utils")
class KeepLastTokens(keras.layers.Layer):
    """Right-padded token ids -> each row's last ``maxlen`` tokens, padded to exactly ``maxlen``.

    ``TextVectorization`` pads at the end, to the batch's longest review (width 0 for a batch
    of empty reviews). This layer keeps what :func:`bilstm_utils.text.encode` keeps (the last
    ``maxlen`` tokens) with a fixed width, so a model's answer for a review never depends on
    the other reviews in its batch. ``padding="post"`` (right-padded, for masked models and
    cuDNN) or ``"pre"`` (front-padded, the seed article's unmasked model).

    Input: int (batch, time), id 0 = padding (right-padded as ``TextVectorization`` gives it,
    but any layout works: the tokens are taken in order), ``time >= 0``.
    Output: int32 (batch, maxlen).
    """

    def __init__(self, maxlen: int, padding: str = "post", **kwargs):
        super().__init__(**kwargs)
        maxlen = _checks.integer("maxlen", maxlen)
        if padding not in ("pre", "post"):
            raise ValueError(f"padding must be 'pre' or 'post', got {padding!r}")
        self.maxlen = int(maxlen)
        self.padding = padding

    def call(self, ids):
        ops = keras.ops
        ids = ops.pad(ops.cast(ids, "int32"), [[0, 0], [0, self.maxlen]])  # width >= maxlen
        # move the tokens to the front, in order, whatever the input's padding (stable sort)
        width = ops.shape(ids)[1]
        step = ops.expand_dims(ops.arange(width, dtype="int32"), 0)
        order = ops.argsort(ops.where(ops.not_equal(ids, 0), step, step + width), axis=1)
        ids = ops.take_along_axis(ids, order, axis=1)
        lengths = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1, keepdims=True)
        kept = ops.minimum(lengths, self.maxlen)
        position = ops.expand_dims(ops.arange(self.maxlen, dtype="int32"), 0)
        if self.padding == "post":
            source, valid = lengths - kept + position, position < kept
        else:
            source = lengths - self.maxlen + position
            valid = position >= self.maxlen - kept
        source = ops.clip(source, 0, ops.shape(ids)[1] - 1)
        return ops.where(valid, ops.take_along_axis(ids, source, axis=1), 0)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.maxlen)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "padding": self.padding}


def build_pooled_classifier(
    vocab_size: int = 20_000,
    embed_dim: int = 32,
    units: int = 32,
    bidirectional: bool = True,
    embed_dropout: float = 0.3,
    dropout: float = 0.5,
    skip_embeddings: bool = True,
    learning_rate: float = 3e-3,
    decay_steps: int | None = None,
    embeddings: np.ndarray | None = None,
    train_embeddings: bool = True,
    name: str | None = None,
) -> keras.Model:
    """Embedding -> SpatialDropout -> (Bi)LSTM -> [max, mean] over time -> Dropout -> Dense.

    The model masks padding (id 0), so its prediction for a review does not depend on
    how much padding its batch needed. Feed it right-padded ids (cuDNN accepts no other
    mask); a review with no token gives zero pooled features, P = sigmoid(output bias).
    With ``skip_embeddings`` the pooling also sees
    the (dropped-out) embeddings next to the LSTM outputs, a shortcut that lets words
    count directly while the LSTM adds their context.

    Parameters
    ----------
    vocab_size, embed_dim, units : int
        Token ids (0 is padding), embedding width, LSTM units per direction.
    bidirectional : bool
        ``Bidirectional`` (concatenated directions) or a forward-only LSTM.
    embed_dropout : float
        ``SpatialDropout1D`` rate on the embeddings, in [0, 1).
    dropout : float
        Dropout before the output layer, in [0, 1).
    skip_embeddings : bool
        Pool ``concat([embeddings, lstm_outputs])`` instead of the LSTM outputs alone.
    learning_rate : float
        Adam's (initial) learning rate.
    decay_steps : int, optional
        If given, the learning rate follows a cosine decay to 5 % over this many steps.
    embeddings : ndarray of float, shape (vocab_size, embed_dim), optional
        Initial embedding matrix (e.g. from :func:`build_bag_of_embeddings`).
    train_embeddings : bool
        ``False`` freezes the embedding, so only the LSTM and the output layer learn.
    name : str, optional

    Returns
    -------
    keras.Model
        Input: int ids (batch, time). Output: P(positive), (batch, 1). Compiled with
        Adam, binary cross-entropy and accuracy.
    """
    vocab_size = _checks.integer("vocab_size", vocab_size, 2)
    embed_dim, units = _checks.integer("embed_dim", embed_dim), _checks.integer("units", units)
    for label, rate in (("dropout", dropout), ("embed_dropout", embed_dropout)):
        if not 0 <= rate < 1:
            raise ValueError(f"{label} must be in [0, 1), got {rate}")
    learning_rate = _checks.positive_finite("learning_rate", learning_rate)
    if decay_steps is not None:
        decay_steps = _checks.integer("decay_steps", decay_steps)
    if embeddings is not None:
        if np.shape(embeddings) != (vocab_size, embed_dim):
            raise ValueError(
                f"embeddings must have shape (vocab_size, embed_dim) = "
                f"{(vocab_size, embed_dim)}, got {np.shape(embeddings)}"
            )
        if not np.isfinite(embeddings).all():
            raise ValueError("embeddings must be finite (no NaN or inf)")
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    token_mask = PaddingMask(name="padding_mask")(inputs)
    embedding = keras.layers.Embedding(
        vocab_size, embed_dim, mask_zero=True, trainable=train_embeddings, name="embedding"
    )
    x = embedding(inputs)
    if embeddings is not None:
        embedding.set_weights([np.asarray(embeddings, dtype="float32")])
    if embed_dropout:
        x = keras.layers.SpatialDropout1D(embed_dropout, name="embed_dropout")(x)
    lstm = keras.layers.LSTM(units, return_sequences=True, name="lstm")
    recurrent = keras.layers.Bidirectional(lstm, name="bilstm") if bidirectional else lstm
    h = recurrent(NonEmptyMask(name="non_empty_mask")(x))
    if skip_embeddings:
        h = keras.layers.Concatenate(name="words_and_context")([x, h])
    pooled = keras.layers.Concatenate(name="max_and_mean")([
        MaskedGlobalMaxPooling1D(name="max_pool")(h, mask=token_mask),
        MaskedGlobalAveragePooling1D(name="mean_pool")(h, mask=token_mask),
    ])
    if dropout:
        pooled = keras.layers.Dropout(dropout, name="dropout")(pooled)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="classifier")(pooled)
    default = "pooled_bilstm" if bidirectional else "pooled_lstm"
    model = keras.Model(inputs, outputs, name=name or default)
    rate = learning_rate
    if decay_steps is not None:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps, alpha=0.05)
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def build_bag_of_embeddings(
    vocab_size: int = 20_000, embed_dim: int = 32, learning_rate: float = 3e-3
) -> keras.Model:
    """Embedding -> mean over the (unmasked) words -> Dense(1, sigmoid): word order ignored.

    Fast (no recurrence) and hard to overfit; its trained ``"embedding"`` layer gives
    word vectors that :func:`build_pooled_classifier` can start from.

    Returns
    -------
    keras.Model
        Input: int ids (batch, time), 0 = padding. Output: P(positive), (batch, 1).
        Compiled with Adam, binary cross-entropy and accuracy.
    """
    vocab_size = _checks.integer("vocab_size", vocab_size, 2)
    embed_dim = _checks.integer("embed_dim", embed_dim)
    learning_rate = _checks.positive_finite("learning_rate", learning_rate)
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")(inputs)
    x = MaskedGlobalAveragePooling1D(name="mean_pool")(x)  # an empty review: zeros
    outputs = keras.layers.Dense(1, activation="sigmoid", name="classifier")(x)
    model = keras.Model(inputs, outputs, name="bag_of_embeddings")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


class EpochTimer(keras.callbacks.Callback):
    """Record the wall seconds of every training epoch in ``self.seconds`` (a list)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        """Start the clock."""
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        """Append the epoch's wall seconds to ``self.seconds``."""
        self.seconds.append(time.perf_counter() - self._start)


def build_end_to_end(vectorizer, model: keras.Model, maxlen: int = 400,
                     padding: str = "post") -> keras.Model:
    """A model that takes raw review strings: vectorise -> keep last ``maxlen`` -> ``model``.

    Parameters
    ----------
    vectorizer : TextVectorization
        The training vectorizer (its vocabulary and ``standardize`` are copied).
    model : keras.Model
        Takes int ids (batch, time), laid out as in training.
    maxlen : int
        The number of tokens ``model`` was trained on: every review becomes exactly
        ``maxlen`` ids (its last ``maxlen`` tokens), whatever else is in the batch, so the
        answer for a review matches ``model.predict(encode(vectorizer, [review], maxlen,
        padding))``.
    padding : {"post", "pre"}
        ``"post"`` for a model that masks padding (and cuDNN), ``"pre"`` for the seed
        article's unmasked model, trained on front-padded ids.

    Raises
    ------
    ValueError
        If ``vectorizer`` is not a ``TextVectorization`` without ``output_sequence_length``
        (such a layer keeps a review's *first* tokens), or ``maxlen``/``padding`` are invalid.

    Returns
    -------
    keras.Model
        Input: a ``tf.constant`` of strings, shape (batch,), any batch size; a review with
        no word (empty, punctuation only) is a row of padding. Output: P(positive), shape
        (batch, 1). Not compiled (it is for inference). Saved as ``.keras``, it reloads after
        ``import bilstm_utils``.
    """
    if not isinstance(vectorizer, keras.layers.TextVectorization):
        raise ValueError(f"vectorizer must be a TextVectorization, got {type(vectorizer).__name__}")
    config = vectorizer.get_config()
    if config.get("output_sequence_length") is not None:
        raise ValueError("vectorizer must not cut reviews itself (output_sequence_length): "
                         "make it with make_vectorizer(texts) and pass maxlen here")
    strings_to_ids = keras.layers.TextVectorization(
        standardize=config["standardize"],
        vocabulary=vectorizer.get_vocabulary(),
        name="vectorize",
    )
    inputs = keras.Input(shape=(), dtype="string", name="review")
    ids = KeepLastTokens(maxlen, padding=padding, name="keep_last_tokens")(strings_to_ids(inputs))
    # the same layers and weights without the training state: a compiled inner model would
    # save its optimizer, and reloading it would warn that the optimizer's variables differ
    classifier = keras.Model(model.inputs, model.outputs, name=model.name)
    return keras.Model(inputs, classifier(ids), name="review_sentiment")
