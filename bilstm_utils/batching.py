"""Batches of token ids for training and prediction: length buckets and right padding.

Data preparation for chapters 4 and 5, next to :mod:`bilstm_utils.text`. Reviews of similar
length share a batch, so each batch is padded only to its own longest review; padding is at
the **end**, the layout masked models need (cuDNN rejects any other mask).
"""

from __future__ import annotations

import numpy as np

from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402


def padding_waste(sequences, batch_size: int = 256, maxlen: int = 400) -> dict[str, float]:
    """Share of padding steps with length buckets versus padding every review to ``maxlen``.

    Parameters
    ----------
    sequences : sequence of n int sequences
        Unpadded token ids.
    batch_size, maxlen : int

    Returns
    -------
    dict with ``"bucketed"`` and ``"fixed"``: padding steps / all steps, each in [0, 1].
    """
    lengths = np.array([min(len(s), maxlen) for s in sequences])
    if lengths.size == 0:
        raise ValueError("sequences is empty")
    steps = sum(len(ids) * ids.shape[1] for ids, _ in
                bucketed_batches(sequences, np.zeros(len(lengths)), batch_size, maxlen))
    fixed = len(lengths) * maxlen
    return {"bucketed": 1 - lengths.sum() / steps, "fixed": 1 - lengths.sum() / fixed}


def bucketed_batches(
    sequences,
    labels,
    batch_size: int = 256,
    maxlen: int = 400,
    seed: int | None = None,
):
    """Yield ``(ids, labels)`` batches of reviews of similar length, right-padded.

    Reviews are sorted by length (ties broken at random when ``seed`` is given) and cut
    into consecutive batches, so a batch is padded only to its own longest review; with a
    ``seed`` the batch order is shuffled too. Reviews longer than ``maxlen`` keep their last
    ``maxlen`` tokens, like :func:`bilstm_utils.text.encode`. The ids are padded at the
    end (the only mask layout cuDNN accepts), and a batch is at least one step wide, so a
    review with no token is a row of padding that the book's masked models handle.

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
    ids : ndarray of int32, shape (b, t), 1 <= t <= maxlen, right-padded
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
            ids[row, :len(tail)] = tail
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
