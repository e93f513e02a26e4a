"""Word vectors learned without labels, for an embedding layer (chapter 4).

The IMDB dataset ships 50,000 unlabelled reviews for exactly this (Maas et al., 2011,
https://aclanthology.org/P11-1015/). :func:`train_word_vectors` fits word2vec
(Mikolov et al., 2013, https://arxiv.org/abs/1310.4546) on them with gensim
(Řehůřek & Sojka, 2010, https://radimrehurek.com/gensim/), and
:func:`embedding_matrix` lays the vectors out in a vectorizer's id order, so that a
Keras ``Embedding`` can start from them. No label is used anywhere, so a model that
starts from these vectors has seen no answer it is later scored on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

__all__ = ["embedding_matrix", "train_word_vectors"]


def _default_tokenize(text: str) -> list[str]:
    from bilstm_utils.text import normalize_text  # noqa: PLC0415  (needs TensorFlow)

    return normalize_text(text).split()


class _Corpus:
    """Re-iterable tokenised texts (gensim reads the corpus once per epoch, plus once)."""

    def __init__(self, texts: Sequence[str], tokenize: Callable[[str], list[str]]):
        self.tokens = [tokenize(text) for text in texts]

    def __iter__(self):
        return iter(self.tokens)


def train_word_vectors(
    texts: Sequence[str],
    vector_size: int = 100,
    window: int = 5,
    min_count: int = 5,
    epochs: int = 5,
    skip_gram: bool = False,
    workers: int = 2,
    seed: int = 0,
    tokenize: Callable[[str], list[str]] | None = None,
):
    """Word2vec vectors (gensim's ``Word2Vec``) learned from raw ``texts``.

    Parameters
    ----------
    texts : sequence of str, length n >= 1
        Raw reviews; no labels are used. For IMDB: the unlabelled and the training
        reviews, never the validation or test ones.
    vector_size : int
        Dimension of each word vector.
    window : int
        Context words on each side.
    min_count : int
        Words seen fewer times than this get no vector.
    epochs : int
        Passes over the corpus.
    skip_gram : bool
        Skip-gram (predict the context from the word; better for rare words, about
        four times slower) instead of CBOW (predict the word from its averaged context).
    workers : int
        Threads. With more than one, thread scheduling makes the vectors differ
        slightly from run to run; ``workers=1`` with the same ``seed`` repeats exactly.
    seed : int
        Seeds the initial vectors and the sampling.
    tokenize : callable str -> list of str, optional
        Default: :func:`bilstm_utils.text.normalize_text` then ``str.split``, the same
        tokens the book's ``TextVectorization`` layers produce.

    Returns
    -------
    gensim.models.KeyedVectors
        ``len(kv)`` words, each a float32 vector of shape (vector_size,).

    Raises
    ------
    ValueError
        If ``texts`` is a single string or empty, an integer argument is out of range,
        or no word occurs ``min_count`` times.
    """
    from gensim.models import Word2Vec  # noqa: PLC0415  (import only when used)

    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not a single string")
    for name, value, low in (("vector_size", vector_size, 1), ("window", window, 1),
                             ("min_count", min_count, 1), ("epochs", epochs, 1),
                             ("workers", workers, 1), ("seed", seed, 0)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
                or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    corpus = _Corpus(list(texts), tokenize or _default_tokenize)
    if not corpus.tokens:
        raise ValueError("texts is empty: pass at least one review")
    counts: dict[str, int] = {}
    for tokens in corpus.tokens:
        for token in tokens:
            counts[token] = counts.get(token, 0) + 1
    if not any(n >= min_count for n in counts.values()):
        raise ValueError(f"no word occurs min_count={min_count} times in texts")
    model = Word2Vec(
        corpus, vector_size=int(vector_size), window=int(window), min_count=int(min_count),
        sg=int(bool(skip_gram)), workers=int(workers), epochs=int(epochs), seed=int(seed),
    )
    return model.wv


def embedding_matrix(
    word_vectors, vocabulary: Iterable[str], seed: int = 0, mean_norm: float | None = 1.0
) -> tuple[np.ndarray, float]:
    """Word vectors in a vectorizer's id order, for ``keras.layers.Embedding``.

    Row ``i`` is the vector of ``vocabulary[i]``. Row 0 (padding, ``""``) is zero; a
    word without a vector (``"[UNK]"``, or one rarer than ``min_count`` in the vector
    corpus) gets a random normal vector with the vectors' own per-dimension spread,
    so it starts neither at zero nor out of scale. With ``mean_norm``, every vector is
    then multiplied by one common factor so that the learned vectors' mean L2 norm is
    ``mean_norm``: directions and relative lengths are kept, but word2vec's raw vectors
    (norms of several units) no longer saturate an LSTM's gates at the first step.

    Parameters
    ----------
    word_vectors : gensim.models.KeyedVectors
        From :func:`train_word_vectors`.
    vocabulary : sequence of str, length V
        ``vectorizer.get_vocabulary()``: index 0 is padding, index 1 the OOV token.
    seed : int
        Seeds the vectors drawn for missing words.
    mean_norm : float or None
        Target mean L2 norm of the rows that have a learned vector (> 0); ``None`` keeps
        gensim's scale.

    Returns
    -------
    matrix : ndarray of float32, shape (V, vector_size)
    coverage : float
        Share of the vocabulary's words (padding and ``[UNK]`` excluded) that have a
        learned vector, in [0, 1].

    Raises
    ------
    ValueError
        If the vocabulary has fewer than 3 entries (padding, OOV and one word), or
        ``mean_norm`` is not positive.
    """
    vocabulary = list(vocabulary)
    if len(vocabulary) < 3:
        raise ValueError(
            f"vocabulary must hold padding, the OOV token and at least one word, "
            f"got {len(vocabulary)} entries"
        )
    if mean_norm is not None and not mean_norm > 0:
        raise ValueError(f"mean_norm must be positive or None, got {mean_norm!r}")
    vectors = np.asarray(word_vectors.vectors, dtype=np.float32)
    spread = vectors.std(axis=0) if len(vectors) > 1 else np.ones(vectors.shape[1], np.float32)
    rng = np.random.default_rng(seed)
    matrix = (rng.standard_normal((len(vocabulary), vectors.shape[1])) * spread).astype(np.float32)
    matrix[0] = 0.0
    has_vector = np.zeros(len(vocabulary), dtype=bool)
    for i, word in enumerate(vocabulary[2:], start=2):
        index = word_vectors.key_to_index.get(word)
        if index is not None:
            matrix[i] = vectors[index]
            has_vector[i] = True
    if mean_norm is not None and has_vector.any():
        matrix *= mean_norm / np.linalg.norm(matrix[has_vector], axis=1).mean()
    return matrix, float(has_vector.sum() / (len(vocabulary) - 2))
