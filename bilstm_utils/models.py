"""Model builders for the IMDB chapters (4 and 5).

:func:`build_seed_model` is the seed article's classifier, with the lines its printed
listing lost restored::

    Embedding(10000, 128) -> Bidirectional(LSTM(64)) -> Dropout(0.5) -> Dense(1, sigmoid)

:func:`build_text_classifier` is the general builder the chapters' experiments vary.
"""

from __future__ import annotations

import time

import numpy as np

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
        Let the embedding emit a mask so the LSTM skips padding (id 0).
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
    if vocab_size < 2 or embed_dim < 1 or units < 1:
        raise ValueError(
            f"vocab_size >= 2, embed_dim >= 1 and units >= 1 are required, "
            f"got {vocab_size}, {embed_dim}, {units}"
        )
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    for label, rate in (("dropout", dropout), ("embed_dropout", embed_dropout)):
        if not 0 <= rate < 1:
            raise ValueError(f"{label} must be in [0, 1), got {rate}")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=mask_zero, name="embedding")(inputs)
    if embed_dropout:
        x = keras.layers.SpatialDropout1D(embed_dropout, name="embed_dropout")(x)
    lstm = keras.layers.LSTM(units, return_sequences=pooling != "last", name="lstm")
    x = keras.layers.Bidirectional(lstm, name="bilstm")(x) if bidirectional else lstm(x)
    if pooling == "max":
        x = keras.layers.GlobalMaxPooling1D(name="max_pool")(x)
    elif pooling == "mean":
        x = keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)
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


@keras.saving.register_keras_serializable(package="bilstm_utils")
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """Maximum over time of the **unmasked** steps, per channel.

    Keras's ``GlobalMaxPooling1D`` ignores the mask, so padded steps (whose LSTM outputs
    are zeros) could win the maximum. This layer gives masked steps ``-inf`` first.

    Input: (batch, time, channels) with an optional mask (batch, time).
    Output: (batch, channels). A row with no unmasked step gives zeros.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return tf.reduce_max(inputs, axis=1)
        keep = tf.cast(mask, tf.bool)[:, :, tf.newaxis]
        very_small = tf.constant(float("-inf"), dtype=inputs.dtype)
        pooled = tf.reduce_max(tf.where(keep, inputs, very_small), axis=1)
        return tf.where(tf.math.is_finite(pooled), pooled, tf.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


@keras.saving.register_keras_serializable(package="bilstm_utils")
class KeepLastTokens(keras.layers.Layer):
    """Right-padded token ids -> the last ``maxlen`` tokens of each row, padded at the front.

    ``TextVectorization`` pads at the end; the book's models were trained like the seed
    article, on reviews padded and truncated **at the front**. This layer turns one
    layout into the other inside a model, so a raw-string model sees exactly what
    :func:`bilstm_utils.text.encode` gives (id 0 is padding, no real token is 0).

    Input: int (batch, time). Output: int (batch, min(time, maxlen)).
    """

    def __init__(self, maxlen: int, **kwargs):
        super().__init__(**kwargs)
        if maxlen < 1:
            raise ValueError(f"maxlen must be positive, got {maxlen}")
        self.maxlen = int(maxlen)

    def call(self, ids):
        ids = tf.cast(ids, tf.int32)
        lengths = tf.math.count_nonzero(ids, axis=1, dtype=tf.int32)
        reversed_rows = tf.reverse_sequence(ids, lengths, seq_axis=1, batch_axis=0)
        left_padded = tf.reverse(reversed_rows, axis=[1])
        return left_padded[:, -self.maxlen:]

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen}


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
    how much padding its batch needed. With ``skip_embeddings`` the pooling also sees
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
    if vocab_size < 2 or embed_dim < 1 or units < 1:
        raise ValueError(
            f"vocab_size >= 2, embed_dim >= 1 and units >= 1 are required, "
            f"got {vocab_size}, {embed_dim}, {units}"
        )
    for label, rate in (("dropout", dropout), ("embed_dropout", embed_dropout)):
        if not 0 <= rate < 1:
            raise ValueError(f"{label} must be in [0, 1), got {rate}")
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    if decay_steps is not None and decay_steps < 1:
        raise ValueError(f"decay_steps must be a positive step count or None, got {decay_steps}")
    if embeddings is not None and np.shape(embeddings) != (vocab_size, embed_dim):
        raise ValueError(
            f"embeddings must have shape (vocab_size, embed_dim) = {(vocab_size, embed_dim)}, "
            f"got {np.shape(embeddings)}"
        )
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    embedding = keras.layers.Embedding(
        vocab_size, embed_dim, mask_zero=True, trainable=train_embeddings, name="embedding"
    )
    x = embedding(inputs)
    if embeddings is not None:
        embedding.set_weights([np.asarray(embeddings, dtype="float32")])
    if embed_dropout:
        x = keras.layers.SpatialDropout1D(embed_dropout, name="embed_dropout")(x)
    lstm = keras.layers.LSTM(units, return_sequences=True, name="lstm")
    h = keras.layers.Bidirectional(lstm, name="bilstm")(x) if bidirectional else lstm(x)
    if skip_embeddings:
        h = keras.layers.Concatenate(name="words_and_context")([x, h])
    pooled = keras.layers.Concatenate(name="max_and_mean")([
        MaskedGlobalMaxPooling1D(name="max_pool")(h),
        keras.layers.GlobalAveragePooling1D(name="mean_pool")(h),
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
    if vocab_size < 2 or embed_dim < 1 or learning_rate <= 0:
        raise ValueError(
            f"need vocab_size >= 2, embed_dim >= 1, learning_rate > 0; "
            f"got {vocab_size}, {embed_dim}, {learning_rate}"
        )
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")(inputs)
    x = keras.layers.GlobalAveragePooling1D(name="mean_pool")(x)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="classifier")(x)
    model = keras.Model(inputs, outputs, name="bag_of_embeddings")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


@keras.saving.register_keras_serializable(package="bilstm_utils")
class TakeLastSteps(keras.layers.Layer):
    """The last ``steps`` steps of front-padded ids: (batch, time) -> (batch, <= steps)."""

    def __init__(self, steps: int, **kwargs):
        super().__init__(**kwargs)
        if steps < 1:
            raise ValueError(f"steps must be positive, got {steps}")
        self.steps = int(steps)

    def call(self, ids):
        return ids[:, -self.steps:]

    def get_config(self):
        return {**super().get_config(), "steps": self.steps}


def build_average_ensemble(members, name: str = "ensemble", maxlens=None) -> keras.Model:
    """One model whose output is the mean of the members' outputs (probabilities).

    Parameters
    ----------
    members : sequence of keras.Model
        At least two models with the same input (int ids, (batch, time)) and output
        shape (batch, 1).
    name : str
    maxlens : sequence of (int or None), optional
        One per member: that member reads only the last ``maxlen`` steps of the
        (front-padded) input; ``None`` reads all of it.

    Returns
    -------
    keras.Model
        Input: int ids (batch, time). Output: mean P(positive), (batch, 1). Compiled
        (binary cross-entropy, accuracy) so that ``evaluate`` works; not meant for ``fit``.
    """
    members = list(members)
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least two members, got {len(members)}")
    maxlens = [None] * len(members) if maxlens is None else list(maxlens)
    if len(maxlens) != len(members):
        raise ValueError(f"maxlens needs one entry per member: {len(members)}, got {len(maxlens)}")
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    outputs = keras.layers.Average(name="average")([
        member(inputs if n is None else TakeLastSteps(n, name=f"last_{n}_of_{i}")(inputs))
        for i, (member, n) in enumerate(zip(members, maxlens, strict=True))
    ])
    model = keras.Model(inputs, outputs, name=name)
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    return model


def bucketed_batches(
    sequences,
    labels,
    batch_size: int = 256,
    maxlen: int = 400,
    seed: int | None = None,
):
    """Yield ``(ids, labels)`` batches of reviews of similar length, padded at the front.

    Reviews are sorted by length (ties broken at random when ``seed`` is given) and cut
    into consecutive batches, so a batch is padded only to its own longest review; with a
    ``seed`` the batch order is shuffled too. Reviews longer than ``maxlen`` keep their last
    ``maxlen`` tokens, like :func:`bilstm_utils.text.encode`.

    Parameters
    ----------
    sequences : sequence of n int sequences
        Unpadded token ids (from :func:`bilstm_utils.text.token_ids`).
    labels : array of shape (n,)
    batch_size, maxlen : int
    seed : int, optional
        Shuffle seed; ``None`` gives one fixed order (for evaluation).

    Yields
    ------
    ids : ndarray of int32, shape (b, t), t <= maxlen
    labels : ndarray of float32, shape (b,)
    """
    labels = np.asarray(labels)
    if len(sequences) != len(labels):
        raise ValueError(f"{len(sequences)} sequences but {len(labels)} labels")
    if batch_size < 1 or maxlen < 1:
        raise ValueError(f"batch_size and maxlen must be positive, got {batch_size}, {maxlen}")
    rng = np.random.default_rng(seed) if seed is not None else None
    lengths = np.array([min(len(s), maxlen) for s in sequences])
    ties = rng.random(len(lengths)) if rng is not None else np.zeros(len(lengths))
    order = np.lexsort((ties, lengths))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    for index in batches:
        width = max(1, int(lengths[index].max()))
        ids = np.zeros((len(index), width), dtype=np.int32)
        for row, i in enumerate(index):
            tail = np.asarray(sequences[i], dtype=np.int32)[-maxlen:]
            if len(tail):
                ids[row, width - len(tail):] = tail
        yield ids, labels[index].astype(np.float32)


def bucketed_dataset(sequences, labels, batch_size: int = 256, maxlen: int = 400,
                     seed: int | None = None):
    """:func:`bucketed_batches` as a ``tf.data.Dataset`` for ``model.fit``/``evaluate``.

    With a ``seed``, every pass over the data (epoch) draws a new, reproducible order.
    ``len(sequences)`` reviews, ``ceil(n / batch_size)`` batches of shapes
    ((b, t) int32, (b,) float32).
    """
    rng = np.random.default_rng(seed) if seed is not None else None
    list(bucketed_batches(sequences[:1], np.asarray(labels)[:1], batch_size, maxlen))  # validate
    if len(sequences) != len(labels):
        raise ValueError(f"{len(sequences)} sequences but {len(labels)} labels")

    def generate():
        epoch_seed = None if rng is None else int(rng.integers(2**31))
        yield from bucketed_batches(sequences, labels, batch_size, maxlen, epoch_seed)

    dataset = tf.data.Dataset.from_generator(
        generate,
        output_signature=(
            tf.TensorSpec((None, None), tf.int32),
            tf.TensorSpec((None,), tf.float32),
        ),
    )
    n_batches = -(-len(sequences) // batch_size)
    return dataset.apply(tf.data.experimental.assert_cardinality(n_batches))


def predict_bucketed(model: keras.Model, sequences, batch_size: int = 512,
                     maxlen: int = 400) -> np.ndarray:
    """P(positive) for each review, shape (n,), in the order of ``sequences``.

    Batches reviews by length (fast) and puts the predictions back in input order.
    """
    lengths = np.array([min(len(s), maxlen) for s in sequences])
    order = np.lexsort((np.zeros(len(lengths)), lengths))
    probs = np.empty(len(sequences), dtype=np.float32)
    start = 0
    for ids, _ in bucketed_batches(sequences, np.zeros(len(sequences)), batch_size, maxlen):
        index = order[start:start + len(ids)]
        probs[index] = model.predict_on_batch(ids).reshape(-1)
        start += len(ids)
    return probs


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


def build_end_to_end(vectorizer, model: keras.Model, maxlen: int = 400) -> keras.Model:
    """A model that takes raw review strings: vectorise -> keep last ``maxlen`` -> ``model``.

    Parameters
    ----------
    vectorizer : TextVectorization
        The training vectorizer (its vocabulary and ``standardize`` are copied).
    model : keras.Model
        Takes int ids (batch, time), front-padded.
    maxlen : int
        Longest tail of a review the model sees, as in training.

    Returns
    -------
    keras.Model
        Input: strings, shape (batch,). Output: P(positive), shape (batch, 1).
        Not compiled (it is for inference).
    """
    config = vectorizer.get_config()
    strings_to_ids = keras.layers.TextVectorization(
        standardize=config["standardize"],
        vocabulary=vectorizer.get_vocabulary(),
        name="vectorize",
    )
    inputs = keras.Input(shape=(), dtype="string", name="review")
    ids = KeepLastTokens(maxlen, name="keep_last_tokens")(strings_to_ids(inputs))
    return keras.Model(inputs, model(ids), name="review_sentiment")
