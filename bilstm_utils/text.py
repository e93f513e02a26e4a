"""Turning reviews into token ids and back (chapters 4 and 5).

The seed article's preprocessing: keep the 10,000 most frequent words and pad or
truncate each review to 200 tokens **at the front** (the defaults of
``keras.utils.pad_sequences``), so a long review keeps its ending.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402

DEFAULT_VOCAB_SIZE = 10_000
DEFAULT_SEQUENCE_LENGTH = 200
_PUNCTUATION = r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']'


@keras.saving.register_keras_serializable(package="bilstm_utils")
def standardize(text):
    """Lower-case, turn the reviews' ``<br />`` tags into spaces, strip punctuation.

    Parameters
    ----------
    text : tf.Tensor of dtype string, any shape

    Returns
    -------
    tf.Tensor of dtype string, same shape
    """
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, r"<br\s*/?>", " ")
    return tf.strings.regex_replace(text, _PUNCTUATION, "")


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not a single string: wrap it in [ ]")
    texts = list(texts)
    if not texts:
        raise ValueError("texts is empty: pass at least one review")
    return texts


def make_vectorizer(
    texts: Sequence[str],
    max_tokens: int = DEFAULT_VOCAB_SIZE,
    sequence_length: int | None = None,
) -> keras.layers.TextVectorization:
    """A ``TextVectorization`` layer adapted to ``texts``.

    Parameters
    ----------
    texts : sequence of str, length n >= 1
        The training reviews (never the test set: the vocabulary is part of the model).
    max_tokens : int
        Vocabulary size, including id 0 (padding) and id 1 (``[UNK]``, out of vocabulary).
    sequence_length : int, optional
        If given, the layer itself pads or truncates **at the end** to this length
        (what an end-to-end model needs). If omitted, it returns ragged token ids and
        :func:`encode` pads them like the seed article.

    Returns
    -------
    keras.layers.TextVectorization
        Maps a batch of strings, shape (batch,), to ids, shape (batch, sequence_length)
        or ragged (batch, None).
    """
    texts = _check_texts(texts)
    if max_tokens < 3:
        raise ValueError(
            f"max_tokens must be at least 3 (padding, [UNK], one word), got {max_tokens}"
        )
    if sequence_length is not None and sequence_length < 1:
        raise ValueError(f"sequence_length must be positive or None, got {sequence_length}")
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens,
        standardize=standardize,
        output_sequence_length=sequence_length,
        ragged=sequence_length is None,
    )
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(1024))
    return vectorizer


def token_ids(vectorizer: keras.layers.TextVectorization, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, unpadded: a list of n lists of ints."""
    texts = _check_texts(texts)
    out = vectorizer(tf.constant(texts))
    if isinstance(out, tf.RaggedTensor):
        return [list(row) for row in out.to_list()]
    return [[int(i) for i in row if i != 0] for row in out.numpy()]


def encode(
    vectorizer: keras.layers.TextVectorization,
    texts: Sequence[str],
    maxlen: int = DEFAULT_SEQUENCE_LENGTH,
    padding: str = "pre",
    truncating: str = "pre",
) -> np.ndarray:
    """Token ids padded/truncated to ``maxlen``, by default at the front (seed article).

    Parameters
    ----------
    vectorizer : TextVectorization
        From :func:`make_vectorizer`.
    texts : sequence of str, length n >= 1
    maxlen : int
        Output length.
    padding, truncating : {"pre", "post"}
        Where zeros are added and where long reviews are cut.

    Returns
    -------
    ndarray of int32, shape (n, maxlen)
    """
    if maxlen < 1:
        raise ValueError(f"maxlen must be positive, got {maxlen}")
    for name, value in (("padding", padding), ("truncating", truncating)):
        if value not in ("pre", "post"):
            raise ValueError(f"{name} must be 'pre' or 'post', got {value!r}")
    ids = token_ids(vectorizer, texts)
    return keras.utils.pad_sequences(
        ids, maxlen=maxlen, padding=padding, truncating=truncating, dtype="int32"
    )


def decode(vectorizer: keras.layers.TextVectorization, ids: Sequence[int]) -> str:
    """The words of a sequence of token ids, padding (id 0) dropped, ``[UNK]`` kept.

    Parameters
    ----------
    vectorizer : TextVectorization
    ids : sequence of int, shape (length,)

    Returns
    -------
    str
    """
    vocab = vectorizer.get_vocabulary()
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"ids must be one sequence (1-D), got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(vocab)):
        raise ValueError(f"ids must be in [0, {len(vocab) - 1}] for this vocabulary")
    return " ".join(str(vocab[i]) for i in ids if i != 0)


def oov_rate(vectorizer: keras.layers.TextVectorization, texts: Sequence[str]) -> float:
    """Share of tokens in ``texts`` that fall outside the vocabulary (id 1, ``[UNK]``)."""
    ids = token_ids(vectorizer, texts)
    total = sum(len(row) for row in ids)
    if total == 0:
        raise ValueError("texts contain no tokens")
    return sum(row.count(1) for row in ids) / total
