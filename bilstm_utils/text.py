"""Turning reviews into token ids and back (chapters 4 and 5).

Standardisation (:func:`normalize_text`, and :func:`standardize` for ``TextVectorization``)
normalises Unicode (NFKC), lower-cases every script, deletes apostrophes inside words
("don't" and "don’t" both give "dont") and turns every other punctuation mark or symbol into
a space, so words joined by punctuation ("good...but", "well-made") become separate words.

Padding: models that **mask** padding get **right-padded** ids (``encode``'s default,
``padding="post"``) while a long review still keeps its *last* ``maxlen`` tokens
(``truncating="pre"``). That is the layout cuDNN needs: with a GPU, Keras's TensorFlow
backend accepts only right-padded masks. The seed article's unmasked model was trained on
front-padded ids (``padding="pre"``), which it keeps.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from bilstm_utils import _checks
from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402

DEFAULT_VOCAB_SIZE = 10_000
DEFAULT_SEQUENCE_LENGTH = 200
#: Characters deleted rather than turned into a space: apostrophes join a contraction.
APOSTROPHES = "'\u2019\u2018\u02bc\u2032`\u00b4"
_HTML_BREAK = re.compile(r"<br\s*/?>", flags=re.IGNORECASE)


class _Separators(dict):
    """``str.translate`` table built lazily: punctuation/symbols -> space; apostrophes,
    invisible format characters (soft hyphen, zero-width space) and lone surrogates ->
    deleted. Control characters are kept as they are."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        if char in APOSTROPHES or category in ("Cf", "Cs"):
            value = ""
        elif category[0] in "PS":
            value = " "
        else:
            value = char
        self[code] = value
        return value


_SEPARATORS = _Separators()


def normalize_text(text: str) -> str:
    """The book's standardisation of one review, in pure Python.

    NFKC normalisation (a decomposed "café" equals the composed one, "ﬁ" becomes "fi"),
    ``<br />`` tags to spaces, lower-casing of every script ("AMÉLIE" -> "amélie"),
    apostrophes deleted ("don’t" -> "dont"), every other Unicode punctuation mark or symbol
    (categories P* and S*) turned into a space ("good...but" -> "good but"; so "3.5" gives
    "3 5"), invisible format characters and lone surrogates dropped, and runs of whitespace
    collapsed to one space. Control characters other than whitespace are kept (the IMDB
    reviews hold 3,347 of them, mostly Windows-1252 dashes and quotes decoded as C1
    controls, such as "\x96").

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        Space-separated words; ``""`` for a text with no word (empty, punctuation only).

    Raises
    ------
    TypeError
        If ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = _HTML_BREAK.sub(" ", unicodedata.normalize("NFKC", text))
    text = unicodedata.normalize("NFKC", text.lower())  # lower() can denormalise ("İ")
    return " ".join(text.translate(_SEPARATORS).split())


def tokenize(text: str) -> list[str]:
    """The words of ``text`` after :func:`normalize_text`: ``[]`` for a text with no word."""
    return normalize_text(text).split()


def _normalize_batch(strings: np.ndarray) -> np.ndarray:
    flat = [normalize_text(s.decode("utf-8", errors="replace")).encode("utf-8")
            for s in np.asarray(strings, dtype=object).reshape(-1)]
    return np.array(flat, dtype=object).reshape(np.shape(strings))


@keras.saving.register_keras_serializable(package="bilstm_utils")
def standardize(text):
    """:func:`normalize_text` as a TensorFlow op, for ``TextVectorization(standardize=...)``.

    Parameters
    ----------
    text : tf.Tensor of dtype string, any shape

    Returns
    -------
    tf.Tensor of dtype string, same shape

    Notes
    -----
    TensorFlow has no Unicode-normalisation op, so this runs Python's :mod:`unicodedata` through
    ``tf.py_function`` (on the CPU, like every ``TextVectorization``). It is registered as
    ``"bilstm_utils>standardize"``, so a saved model that uses it reloads after
    ``import bilstm_utils``.
    """
    out = tf.py_function(_normalize_batch, [text], tf.string)
    out.set_shape(text.shape)
    return out


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not a single string: wrap it in [ ]")
    texts = list(texts)
    if not texts:
        raise ValueError("texts is empty: pass at least one review")
    bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
    if bad:
        value = texts[bad[0]]
        raise ValueError(f"texts must hold only str; texts[{bad[0]}] is a "
                         f"{type(value).__name__}: {value!r:.40}")
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
        (keeping a review's *first* tokens). If omitted, it returns ragged token ids and
        :func:`encode` pads and cuts them (keeping a review's *last* tokens).

    Returns
    -------
    keras.layers.TextVectorization
        Maps a batch of strings, shape (batch,), to ids, shape (batch, sequence_length)
        or ragged (batch, None).
    """
    texts = _check_texts(texts)
    max_tokens = _checks.integer("max_tokens (padding, [UNK] and at least one word)",
                                 max_tokens, 3)
    if sequence_length is not None:
        sequence_length = _checks.integer("sequence_length", sequence_length)
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens,
        standardize=standardize,
        output_sequence_length=sequence_length,
        ragged=sequence_length is None,
    )
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(1024))
    return vectorizer


def token_ids(vectorizer: keras.layers.TextVectorization, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, unpadded: a list of n lists of ints (``[]`` for a text with no
    word).

    Raises
    ------
    ValueError
        For a single string, no text, a non-``str`` item, or a vectorizer made with
        ``sequence_length`` (it would already have cut each review to its *first* tokens).
    """
    texts = _check_texts(texts)
    if vectorizer.get_config().get("output_sequence_length") is not None:
        raise ValueError("the vectorizer cuts reviews itself (sequence_length): make it with "
                         "make_vectorizer(texts) and let encode(..., maxlen) cut them")
    out = vectorizer(tf.constant(texts))
    if isinstance(out, tf.RaggedTensor):
        return [list(row) for row in out.to_list()]
    return [[int(i) for i in row if i != 0] for row in out.numpy()]


def encode(
    vectorizer: keras.layers.TextVectorization,
    texts: Sequence[str],
    maxlen: int = DEFAULT_SEQUENCE_LENGTH,
    padding: str = "post",
    truncating: str = "pre",
) -> np.ndarray:
    """Token ids cut to each review's last ``maxlen`` tokens and padded to ``maxlen``.

    The default, ``padding="post"``, is what a model that masks padding needs (and the only
    layout cuDNN accepts); ``padding="pre"`` gives the seed article's front-padded ids for its
    unmasked model.

    Parameters
    ----------
    vectorizer : TextVectorization
        From :func:`make_vectorizer`.
    texts : sequence of str, length n >= 1
        A review with no word (empty, punctuation only) gives a row of zeros.
    maxlen : int
        Output length, >= 1.
    padding, truncating : {"pre", "post"}
        Where zeros are added, and where long reviews are cut (``"pre"``: keep the end).

    Returns
    -------
    ndarray of int32, shape (n, maxlen)

    Raises
    ------
    ValueError
        For ``maxlen < 1``, an unknown ``padding``/``truncating``, a single string or no text.
    """
    maxlen = _checks.integer("maxlen", maxlen)
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
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be integer token ids, got dtype {ids.dtype}")
    if ids.ndim != 1:
        raise ValueError(f"ids must be one sequence (1-D), got shape {ids.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= len(vocab)):
        raise ValueError(f"ids must be in [0, {len(vocab) - 1}] for this vocabulary")
    return " ".join(str(vocab[i]) for i in ids if i != 0)


def oov_rate(vectorizer: keras.layers.TextVectorization, texts: Sequence[str]) -> float:
    """Share of tokens in ``texts`` that fall outside the vocabulary (id 1, ``[UNK]``).

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        If ``texts`` hold no token at all (nothing to take a share of).
    """
    ids = token_ids(vectorizer, texts)
    total = sum(len(row) for row in ids)
    if total == 0:
        raise ValueError("texts contain no tokens")
    return sum(row.count(1) for row in ids) / total
