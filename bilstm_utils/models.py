"""Model builders for the IMDB chapters (4 and 5).

:func:`build_seed_model` is the seed article's classifier, with the lines its printed
listing lost restored::

    Embedding(10000, 128) -> Bidirectional(LSTM(64)) -> Dropout(0.5) -> Dense(1, sigmoid)

:func:`build_text_classifier` is the general builder the chapters' experiments vary.
:func:`build_end_to_end` wraps a trained classifier into a model that reads raw review strings
and that can be saved as ``.keras`` or exported as a TensorFlow SavedModel
(:func:`graph_standardize` is the book's standardisation in TensorFlow ops only).
"""

from __future__ import annotations

import functools
import time
import unicodedata
from pathlib import Path

import numpy as np

from bilstm_utils import _checks, text
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


# ---------------------------------------------------------------------------------------------
# The book's standardisation in TensorFlow ops only, so that an exported model carries it.
# ---------------------------------------------------------------------------------------------

#: Planes whose characters the tables below describe. Planes 4 to 13 hold no character in any
#: Unicode version to date and planes 15 and 16 only private-use ones: for those code points
#: every table is empty (no decomposition, no case, no combining class, kept as they are).
_ASSIGNED_PLANES = (range(0, 0xD800), range(0xE000, 0x40000), range(0xE0000, 0xF0000))
_ASCII_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f "  # the ASCII characters for which str.isspace()
_ASCII_SEPARATORS = r"!-&(-/:-@\[-^_{-~"  # ASCII punctuation and symbols but ' and `


@functools.cache
def _unicode_tables() -> dict:
    """What :func:`bilstm_utils.text.normalize_text` needs to know of each code point, read
    from this Python's :mod:`unicodedata` and ``str`` methods (so both agree on the Unicode
    version), as sorted NumPy arrays. About half a second, once per process."""
    decompose, combining, lower, separators = {}, {}, {}, {}
    cased, case_ignorable, space = [], [], []
    for block in _ASSIGNED_PLANES:
        for code in block:
            char = chr(code)
            if (nfkd := unicodedata.normalize("NFKD", char)) != char:
                decompose[code] = [ord(c) for c in nfkd]
            if klass := unicodedata.combining(char):
                combining[code] = klass
            if (low := char.lower()) != char:
                lower[code] = [ord(c) for c in low]
            category = unicodedata.category(char)
            if char in text.APOSTROPHES or category in ("Cf", "Cs"):
                separators[code] = -1  # deleted
            elif category[0] in "PS":
                separators[code] = 32  # a space
            # str.lower() turns a capital sigma after a cased letter (case-ignorable ones
            # skipped) into a final sigma: ask it which characters are which
            if (char + "\u03a3").lower()[-1] == "\u03c2":
                cased.append(code)
            elif ("A" + char + "\u03a3").lower()[-1] == "\u03c2":
                case_ignorable.append(code)
            if char.isspace():
                space.append(code)
    pairs = {}  # primary composites: (first << 21 | second) -> composite
    for code in decompose:
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            first, second = int(parts[0], 16), int(parts[1], 16)
            if (not unicodedata.combining(chr(first))
                    and unicodedata.normalize("NFC", chr(first) + chr(second)) == chr(code)):
                pairs[first << 21 | second] = code
    for lead in range(0x1100, 0x1113):  # Hangul: L + V -> LV, LV + T -> LVT
        for vowel in range(0x1161, 0x1176):
            syllable = 0xAC00 + ((lead - 0x1100) * 21 + vowel - 0x1161) * 28
            pairs[lead << 21 | vowel] = syllable
            for trail in range(0x11A8, 0x11C3):
                pairs[syllable << 21 | trail] = syllable + trail - 0x11A7

    def sequences(mapping):
        keys = np.array(sorted(mapping), dtype=np.int32)
        lengths = np.array([len(mapping[k]) for k in keys], dtype=np.int32)
        flat = np.array([c for k in keys for c in mapping[k]], dtype=np.int32)
        return keys, (np.cumsum(lengths) - lengths).astype(np.int32), lengths, flat

    def values(mapping, dtype=np.int32):
        keys = np.array(sorted(mapping), dtype=dtype)
        return keys, np.array([mapping[k] for k in keys], dtype=np.int32)

    return {
        "decompose": sequences(decompose), "lower": sequences(lower),
        "combining": values(combining), "separators": values(separators),
        "pairs": values(pairs, np.int64),
        "second": np.unique(np.array(list(pairs), dtype=np.int64) & 0x1FFFFF).astype(np.int32),
        "cased": np.array(cased, dtype=np.int32),
        "case_ignorable": np.array(case_ignorable, dtype=np.int32),
        "space": "".join(f"\\x{{{c:x}}}" for c in space),  # an RE2 character class's body
    }


def _find(keys, x):
    """(index, found): where each of ``x`` is in the sorted 1-D array ``keys``."""
    keys = tf.constant(keys)
    index = tf.minimum(tf.searchsorted(keys, x), tf.size(keys) - 1)
    return index, tf.equal(tf.gather(keys, index), x)


def _look_up(table, x, default):
    keys, values = table
    index, found = _find(keys, x)
    return tf.where(found, tf.gather(tf.constant(values), index), default), found


def _replace_each(table, codes, rows):
    """Each code point of the flat ``codes`` (row ``rows``) by its sequence in ``table``."""
    keys, starts, lengths, flat = table
    index, found = _find(keys, codes)
    counts = tf.where(found, tf.gather(tf.constant(lengths), index), 1)
    source = tf.repeat(tf.range(tf.size(codes)), counts)
    offset = tf.range(tf.size(source)) - tf.repeat(tf.cumsum(counts, exclusive=True), counts)
    hit = tf.gather(found, source)
    at = tf.where(hit, tf.gather(tf.constant(starts), tf.gather(index, source)) + offset, 0)
    return (tf.where(hit, tf.gather(tf.constant(flat), at), tf.gather(codes, source)),
            tf.gather(rows, source))


def _last_before(flags):
    """For each position i, the last j < i with ``flags[j]``, else -1."""
    where = tf.concat([[-1], tf.where(flags)[:, 0]], 0)
    return tf.gather(where, tf.cumsum(tf.cast(flags, tf.int64), exclusive=True))


def _first_after(flags):
    """For each position i, the first j > i with ``flags[j]``, else -1."""
    where = tf.concat([tf.where(flags)[:, 0], [-1]], 0)
    return tf.gather(where, tf.cumsum(tf.cast(flags, tf.int64)))


def _row_starts(rows):
    return tf.concat([tf.ones_like(rows[:1], tf.bool), tf.not_equal(rows[1:], rows[:-1])], 0)


def _nfkc(codes, rows):
    """``unicodedata.normalize("NFKC", ...)`` of every row of flat code points: compatibility
    decomposition, canonical ordering, then canonical composition (Unicode annex 15)."""
    tables = _unicode_tables()
    codes, rows = _replace_each(tables["decompose"], codes, rows)
    klass, _ = _look_up(tables["combining"], codes, 0)
    row_start = _row_starts(rows)

    def reorder():  # a stable sort of each run of combining marks by combining class
        run = tf.cumsum(tf.cast(tf.equal(klass, 0) | row_start, tf.int64))
        order = tf.argsort(run * 256 + tf.cast(klass, tf.int64), stable=True)
        return tf.gather(codes, order), tf.gather(klass, order)

    unordered = tf.reduce_any((klass[1:] > 0) & (klass[:-1] > klass[1:]) & ~row_start[1:])
    codes, klass = tf.cond(unordered, reorder, lambda: (codes, klass))
    # Composition. A starter that nothing composes into begins a segment that no composition
    # crosses; within its segment, the k-th character that can be a pair's second is tried
    # at step k against the segment's last starter, in every segment at once.
    second = _find(tables["second"], codes)[1]
    starter = tf.equal(klass, 0)
    boundary = row_start | (starter & ~second)
    segment = tf.cumsum(tf.cast(boundary, tf.int64)) - 1
    segment_start = tf.where(boundary)[:, 0]
    n_segments = tf.size(segment_start, out_type=tf.int64)
    has_lead = tf.gather(starter & ~second, segment_start)
    lead_at = tf.where(has_lead, segment_start, -1)
    lead = tf.where(has_lead, tf.gather(codes, segment_start), -1)
    at = tf.where(second)[:, 0]  # the candidates
    at_segment = tf.gather(segment, at)
    n_at = tf.size(at, out_type=tf.int64)
    rank = tf.range(n_at) - tf.gather(
        tf.math.unsorted_segment_min(tf.range(n_at), at_segment, n_segments), at_segment)
    fixed_before = tf.gather(_last_before(~second), at)  # never removed
    fixed_before = tf.where(fixed_before >= tf.gather(segment_start, at_segment), fixed_before, -1)
    n_steps = tf.reduce_max(tf.concat([rank + 1, tf.zeros([1], tf.int64)], 0))

    def step(k, lead_at, lead, kept_at, codes, removed):
        pick = tf.where(tf.equal(rank, k))[:, 0]
        j, seg = tf.gather(at, pick), tf.gather(at_segment, pick)
        code, code_class = tf.gather(codes, j), tf.gather(klass, j)
        seg_lead_at, seg_lead = tf.gather(lead_at, seg), tf.gather(lead, seg)
        seg_kept_at = tf.gather(kept_at, seg)
        before = tf.maximum(seg_kept_at, tf.gather(fixed_before, pick))  # last one left
        unblocked = (seg_lead_at >= 0) & (
            tf.equal(before, seg_lead_at)
            | ((code_class > 0) & (tf.gather(klass, tf.maximum(before, 0)) < code_class)))
        composite, found = _look_up(
            tables["pairs"],
            tf.bitwise.bitwise_or(tf.bitwise.left_shift(tf.cast(seg_lead, tf.int64), 21),
                                  tf.cast(code, tf.int64)),
            -1)
        join = unblocked & found
        new_lead = ~join & tf.equal(code_class, 0)
        seg = seg[:, None]
        lead = tf.tensor_scatter_nd_update(
            lead, seg, tf.where(join, composite, tf.where(new_lead, code, seg_lead)))
        lead_at = tf.tensor_scatter_nd_update(lead_at, seg, tf.where(new_lead, j, seg_lead_at))
        kept_at = tf.tensor_scatter_nd_update(kept_at, seg, tf.where(join, seg_kept_at, j))
        codes = tf.tensor_scatter_nd_update(codes, tf.boolean_mask(seg_lead_at, join)[:, None],
                                            tf.boolean_mask(composite, join))
        gone = tf.boolean_mask(j, join)
        removed = tf.tensor_scatter_nd_update(removed, gone[:, None],
                                              tf.ones_like(gone, tf.bool))
        return k + 1, lead_at, lead, kept_at, codes, removed

    *_, codes, removed = tf.while_loop(
        lambda k, *_: k < n_steps, step,
        (tf.constant(0, tf.int64), lead_at, lead, tf.fill([n_segments], tf.constant(-1, tf.int64)),
         codes, tf.zeros_like(codes, tf.bool)))
    return tf.boolean_mask(codes, ~removed), tf.boolean_mask(rows, ~removed)


def _lower(codes, rows, n_rows):
    """``str.lower()`` of every row, final sigma included."""
    tables = _unicode_tables()
    ignorable = _find(tables["case_ignorable"], codes)[1]
    cased = _find(tables["cased"], codes)[1]
    splits = tf.searchsorted(rows, tf.range(n_rows + 1), out_type=tf.int64)
    before, after = _last_before(~ignorable), _first_after(~ignorable)
    cased_before = (before >= tf.gather(splits, rows)) & tf.gather(cased, tf.maximum(before, 0))
    cased_after = ((after >= 0) & (after < tf.gather(splits[1:], rows))
                   & tf.gather(cased, tf.maximum(after, 0)))
    codes = tf.where(tf.equal(codes, 0x3A3) & cased_before & ~cased_after, 0x3C2, codes)
    return _replace_each(tables["lower"], codes, rows)


def _decode(strings):
    codes = tf.strings.unicode_decode(strings, "UTF-8", errors="replace",
                                      replacement_char=0xFFFD)
    return codes.flat_values, codes.value_rowids()


def _encode(codes, rows, n_rows):
    return tf.strings.unicode_encode(tf.RaggedTensor.from_value_rowids(codes, rows, n_rows),
                                     "UTF-8")


def _standardize_ascii(strings):
    """:func:`bilstm_utils.text.normalize_text` of ASCII strings (NFKC changes none)."""
    strings = tf.strings.regex_replace(strings, f"<[Bb][Rr][{_ASCII_SPACE}]*/?>", " ")
    strings = tf.strings.regex_replace(tf.strings.lower(strings), "['`]", "")
    strings = tf.strings.regex_replace(strings, f"[{_ASCII_SEPARATORS}]", " ")
    strings = tf.strings.regex_replace(strings, f"[{_ASCII_SPACE}]+", " ")
    return tf.strings.regex_replace(strings, "^ | $", "")


def _standardize_unicode(strings):
    """:func:`bilstm_utils.text.normalize_text` of a 1-D tensor of any UTF-8 strings."""
    tables = _unicode_tables()
    n_rows = tf.size(strings, out_type=tf.int64)
    strings = _encode(*_nfkc(*_decode(strings)), n_rows)
    strings = tf.strings.regex_replace(strings, f"<[Bb][Rr][{tables['space']}]*/?>", " ")
    codes, rows = _nfkc(*_lower(*_decode(strings), n_rows))
    codes, _ = _look_up(tables["separators"], codes, codes)
    kept = tf.not_equal(codes, -1)
    strings = _encode(tf.boolean_mask(codes, kept), tf.boolean_mask(rows, kept), n_rows)
    strings = tf.strings.regex_replace(strings, f"[{tables['space']}]+", " ")
    return tf.strings.regex_replace(strings, "^ | $", "")


@keras.saving.register_keras_serializable(package="bilstm_utils")
def graph_standardize(strings):
    """:func:`bilstm_utils.text.standardize` in TensorFlow ops only, for models that are
    exported (a SavedModel cannot carry the Python that ``tf.py_function`` runs).

    The same strings as :func:`bilstm_utils.text.normalize_text`: NFKC, ``<br />`` tags,
    lower-casing (final sigma included), apostrophes, punctuation and symbols, whitespace.
    NFKC, the case mappings and the character categories come from tables read, on the first
    call, from this Python's :mod:`unicodedata`; a string of ASCII characters only takes a
    shorter, regex-only route. Slower than the Python version (on a CPU core, about 1 ms
    more per IMDB review that is not pure ASCII, and about 2 s to build the tables and trace
    the graph once), so ``make_vectorizer`` (``adapt`` on every training review) keeps using
    that one; :func:`build_end_to_end` uses this one. Registered as
    ``"bilstm_utils>graph_standardize"``.

    Parameters
    ----------
    strings : tf.Tensor of dtype string, any shape
        UTF-8 strings; invalid bytes are read as U+FFFD, which becomes a space (as in
        ``text.standardize``).

    Returns
    -------
    tf.Tensor of dtype string, same shape
    """
    strings = tf.convert_to_tensor(strings, tf.string)
    flat = tf.reshape(strings, [-1])
    unicode_rows = tf.where(~tf.strings.regex_full_match(flat, r"[\x00-\x7f]*"))[:, 0]
    out = tf.tensor_scatter_nd_update(
        _standardize_ascii(flat), unicode_rows[:, None],
        _standardize_unicode(tf.gather(flat, unicode_rows)))
    out = tf.reshape(out, tf.shape(strings))
    out.set_shape(strings.shape)
    return out


_PY_FUNCTION_OPS = frozenset({"EagerPyFunc", "PyFunc", "PyFuncStateless"})


def _python_callbacks(model: keras.Model) -> list[str]:
    """The ``tf.py_function``/``tf.numpy_function`` ops in the graph ``model`` runs."""
    specs = [tf.TensorSpec(x.shape, x.dtype) for x in model.inputs]
    function = tf.function(lambda *inputs: model(*inputs, training=False))
    graph_def = function.get_concrete_function(*specs).graph.as_graph_def()
    nodes = list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]
    return sorted({n.name for n in nodes if n.op in _PY_FUNCTION_OPS})


@keras.saving.register_keras_serializable(package="bilstm_utils")
class RawStringModel(keras.Model):
    """The functional model :func:`build_end_to_end` returns: a ``keras.Model`` whose
    ``export`` refuses a graph that runs Python and whose ``save`` refuses legacy HDF5.

    ``export`` writes a TensorFlow SavedModel, which holds graphs and weights but no Python:
    a model whose graph calls ``tf.py_function`` (a ``TextVectorization`` with a Python
    ``standardize``, say) exports silently and then fails in any other process with "Could not
    find callback with key=pyfunc_... in the registry" (TensorFlow issue 51623). Here the
    export stops first with a ``ValueError``. HDF5 (``.h5``) files cannot store a
    ``TextVectorization``'s ``standardize`` function at all: ``save`` refuses them.
    """

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None,
               **kwargs):
        """``keras.Model.export``, after checking that the graph runs no Python.

        Raises
        ------
        ValueError
            If the graph calls ``tf.py_function`` or ``tf.numpy_function``.
        """
        callbacks = _python_callbacks(self)
        if callbacks:
            raise ValueError(
                f"{self.name} cannot be exported: its graph runs Python ({', '.join(callbacks)}:"
                " tf.py_function, e.g. a TextVectorization whose standardize or split calls "
                "Python), which a SavedModel cannot carry, so it would fail to load in any "
                "other process ('Could not find callback with key=pyfunc_...'). Use a "
                "standardize written in TensorFlow ops (models.graph_standardize, which "
                "build_end_to_end puts in place of text.standardize), or save the model as "
                "'.keras' and reload it with keras.saving.load_model after importing the "
                "module that registers the function (import bilstm_utils)")
        return super().export(filepath, format=format, verbose=verbose,
                              input_signature=input_signature, **kwargs)

    def save(self, filepath, *args, **kwargs):
        """``keras.Model.save``; a ``.keras`` file only.

        Raises
        ------
        ValueError
            For a legacy ``.h5``/``.hdf5`` file, which cannot hold the ``TextVectorization``'s
            ``standardize`` function (the file would save but never load).
        """
        if Path(str(filepath)).suffix.lower() in (".h5", ".hdf5"):
            raise ValueError(
                f"{self.name} cannot be saved as HDF5 ({filepath}): the legacy format cannot "
                "store its TextVectorization's standardize function, so load_model would fail. "
                "Save it as '.keras' (keras.saving.load_model after import bilstm_utils) or "
                "export it (model.export(path), then tf.saved_model.load(path).serve)")
        return super().save(filepath, *args, **kwargs)


def build_end_to_end(vectorizer, model: keras.Model, maxlen: int = 400,
                     padding: str = "post") -> RawStringModel:
    """A model that takes raw review strings: vectorise -> keep last ``maxlen`` -> ``model``.

    Parameters
    ----------
    vectorizer : TextVectorization
        The training vectorizer (its vocabulary and ``standardize`` are copied; the book's
        :func:`bilstm_utils.text.standardize`, which runs Python, is replaced by its
        TensorFlow twin :func:`graph_standardize`, which gives the same strings).
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
    RawStringModel
        A functional ``keras.Model``. Input: a ``tf.constant`` of strings, shape (batch,), any
        batch size; a review with no word (empty, punctuation only) is a row of padding.
        Output: P(positive), shape (batch, 1). Not compiled (it is for inference).
        Two ways to save it:

        * ``e2e.save("review_sentiment.keras")``, then ``keras.saving.load_model`` in a
          process that has run ``import bilstm_utils`` (which registers the custom layers).
        * ``e2e.export("review_sentiment")``, a TensorFlow SavedModel, then
          ``served = tf.saved_model.load("review_sentiment")`` and
          ``served.serve(tf.constant([...]))`` in any process, even one without
          ``bilstm_utils`` (or TF Serving): it holds only TensorFlow ops. Keep the loaded
          object in a variable: ``tf.saved_model.load(path).serve(...)`` in one expression
          frees its weights before the call (true of any SavedModel). If the vectorizer's
          ``standardize`` (or ``split``) runs Python (``tf.py_function``), ``export``
          raises ``ValueError`` instead of writing a SavedModel that would load nowhere else.

        Legacy HDF5 (``.h5``) cannot store the ``standardize`` function: ``save`` refuses it.
    """
    if not isinstance(vectorizer, keras.layers.TextVectorization):
        raise ValueError(f"vectorizer must be a TextVectorization, got {type(vectorizer).__name__}")
    config = vectorizer.get_config()
    if config.get("output_sequence_length") is not None:
        raise ValueError("vectorizer must not cut reviews itself (output_sequence_length): "
                         "make it with make_vectorizer(texts) and pass maxlen here")
    standardize = config["standardize"]
    if standardize is text.standardize:  # Python (tf.py_function): no SavedModel can hold it
        standardize = graph_standardize
    strings_to_ids = keras.layers.TextVectorization(
        standardize=standardize,
        vocabulary=vectorizer.get_vocabulary(),
        name="vectorize",
    )
    inputs = keras.Input(shape=(), dtype="string", name="review")
    ids = KeepLastTokens(maxlen, padding=padding, name="keep_last_tokens")(strings_to_ids(inputs))
    # the same layers and weights without the training state: a compiled inner model would
    # save its optimizer, and reloading it would warn that the optimizer's variables differ
    classifier = keras.Model(model.inputs, model.outputs, name=model.name)
    return RawStringModel(inputs, classifier(ids), name="review_sentiment")
