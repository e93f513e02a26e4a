"""Tasks where reading the future matters, or doesn't (chapter 3).

*Shift tasks* (per-position labels). Tokens are drawn uniformly from ``1..vocab_size``
(``0`` is kept for padding); a token is *high* when it is in the upper half of the
vocabulary. The label at position :math:`t` is whether the token :math:`s` steps away is
high:

.. math::

    y_t = [\\, x_{t+s} > V/2 \\,]

With ``shift = s > 0`` (:func:`make_future_task`) the answer lies ``s`` tokens *ahead*, like
the word that decides the blank in "the boys go to ___ every morning, school starts at 8";
tokens are independent, so a model that has only read :math:`x_0..x_t` cannot beat 1/2.
With ``s < 0`` (:func:`make_past_task`, the control) the answer was ``|s|`` tokens *back*.
Positions whose partner :math:`t+s` is outside the sequence have no label: their weight
is 0.

*Ends task* (one label per sequence, variable lengths, for the padding experiment):
:func:`make_ends_task` labels a sequence 1 when its first and last tokens sum to more than
``vocab_size + 1``. The first token is what a backward reading ends on, the last what a
forward reading ends on, so both directions' final states are needed. The labels are *not*
balanced: :func:`ends_task_positive_rate` gives P(y = 1), 28/64 for ``vocab_size = 8``.
:func:`pad` pads such
sequences with zeros before (``"pre"``) or after (``"post"``) the tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_vocab(vocab_size: int) -> None:
    _check_positive(vocab_size=vocab_size)
    if vocab_size < 2 or vocab_size % 2:
        raise ValueError(
            f"vocab_size must be even and >= 2 so that exactly half the tokens are high, "
            f"got {vocab_size}"
        )


def is_high(tokens: np.ndarray, vocab_size: int) -> np.ndarray:
    """Whether each token is in the upper half ``vocab_size/2 + 1 .. vocab_size``.

    Parameters
    ----------
    tokens : ndarray of int, any shape
    vocab_size : int
        Even number of real tokens (ids ``1..vocab_size``).

    Returns
    -------
    ndarray of int, same shape as ``tokens``
        1 for a high token, 0 otherwise (padding, id 0, is low).
    """
    _check_vocab(vocab_size)
    return (np.asarray(tokens) > vocab_size // 2).astype(np.int64)


def make_shift_task(
    n: int, length: int, shift: int, vocab_size: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sequences whose label at ``t`` says whether the token at ``t + shift`` is high.

    Parameters
    ----------
    n : int
        Number of sequences.
    length : int
        Tokens per sequence; must be larger than ``|shift|``.
    shift : int
        Non-zero offset of the token that decides the label: > 0 looks ahead, < 0 back.
    vocab_size : int
        Even number of token ids ``1..vocab_size`` (0 is never drawn).
    seed : int
        Seed of the generator; the same seed gives the same arrays.

    Returns
    -------
    x : ndarray of int64, shape (n, length)
        Token ids in ``1..vocab_size``.
    y : ndarray of int64, shape (n, length)
        Labels in {0, 1}; 0 where the position has no label.
    weight : ndarray of float32, shape (n, length)
        1 where ``t + shift`` lies inside the sequence, else 0 (use as ``sample_weight``).
    """
    _check_positive(n=n, length=length)
    _check_vocab(vocab_size)
    if isinstance(shift, bool) or not isinstance(shift, int | np.integer) or shift == 0:
        raise ValueError(f"shift must be a non-zero integer, got {shift!r}")
    if abs(shift) >= length:
        raise ValueError(
            f"|shift| = {abs(shift)} leaves no labelled position in sequences of length "
            f"{length}; use a longer length or a smaller shift"
        )
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab_size + 1, size=(n, length), dtype=np.int64)
    high = is_high(x, vocab_size)
    y = np.zeros_like(x)
    weight = np.zeros((n, length), np.float32)
    if shift > 0:
        y[:, :-shift] = high[:, shift:]
        weight[:, :-shift] = 1.0
    else:
        y[:, -shift:] = high[:, :shift]
        weight[:, -shift:] = 1.0
    return x, y, weight


def make_future_task(
    n: int, length: int, shift: int = 3, vocab_size: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`make_shift_task` looking ``shift`` (> 0) tokens ahead."""
    if shift <= 0:
        raise ValueError(f"the future task looks ahead: shift must be > 0, got {shift}")
    return make_shift_task(n, length, shift, vocab_size, seed)


def make_past_task(
    n: int, length: int, shift: int = 3, vocab_size: int = 8, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The control: :func:`make_shift_task` looking ``shift`` (> 0) tokens *back*."""
    if shift <= 0:
        raise ValueError(f"give the distance back as a positive shift, got {shift}")
    return make_shift_task(n, length, -shift, vocab_size, seed)


def chance_level(vocab_size: int) -> float:
    """Best accuracy of any guess that ignores the deciding token: the high-token rate.

    Tokens are uniform and independent, so without reading :math:`x_{t+s}` the best one can
    do is always answer the more frequent class, which is right a fraction
    ``max(p, 1 - p)`` of the time with ``p`` the share of high tokens (exactly 1/2).
    """
    _check_vocab(vocab_size)
    p = (vocab_size // 2) / vocab_size
    return max(p, 1.0 - p)


def weighted_accuracy(y: np.ndarray, prob: np.ndarray, weight: np.ndarray) -> float:
    """Accuracy of thresholding ``prob`` at 0.5, over the positions with weight > 0.

    Parameters
    ----------
    y : ndarray of {0, 1}, shape (n, length)
    prob : ndarray of float, shape (n, length) or (n, length, 1)
        Predicted probability of label 1.
    weight : ndarray, shape (n, length)

    Returns
    -------
    float
    """
    prob = np.asarray(prob)
    if prob.ndim == 3 and prob.shape[-1] == 1:
        prob = prob[..., 0]
    y, weight = np.asarray(y), np.asarray(weight)
    if not y.shape == prob.shape == weight.shape:
        raise ValueError(
            f"y, prob and weight must have the same shape, got {y.shape}, {prob.shape}, "
            f"{weight.shape}"
        )
    keep = weight > 0
    if not keep.any():
        raise ValueError("weight is zero everywhere: no position to score")
    return float(((prob[keep] > 0.5) == (y[keep] == 1)).mean())


def make_ends_task(
    n: int, min_length: int = 4, max_length: int = 20, vocab_size: int = 8, seed: int = 0
) -> tuple[list[np.ndarray], np.ndarray]:
    """Variable-length sequences labelled 1 when their first and last tokens sum to more than
    ``vocab_size + 1``: :math:`y = [\\, x_0 + x_{L-1} > V + 1 \\,]`.

    Parameters
    ----------
    n : int
        Number of sequences.
    min_length, max_length : int
        Lengths are drawn uniformly from ``min_length..max_length`` (``2 <= min <= max``).
    vocab_size : int
        Even number of token ids ``1..vocab_size``.
    seed : int

    Returns
    -------
    sequences : list of n ndarrays of int64, each of shape (length_i,)
        Unpadded token ids in ``1..vocab_size``.
    y : ndarray of int64, shape (n,)
        Labels in {0, 1}; P(y = 1) is :func:`ends_task_positive_rate` (below 1/2), so
        always answering 0 beats a coin flip.
    """
    _check_positive(n=n, min_length=min_length, max_length=max_length)
    _check_vocab(vocab_size)
    if not 2 <= min_length <= max_length:
        raise ValueError(
            f"need 2 <= min_length <= max_length, got min_length={min_length}, "
            f"max_length={max_length}"
        )
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length + 1, size=n)
    sequences = [rng.integers(1, vocab_size + 1, size=int(k), dtype=np.int64) for k in lengths]
    y = np.array([int(s[0] + s[-1] > vocab_size + 1) for s in sequences], dtype=np.int64)
    return sequences, y


def ends_task_positive_rate(vocab_size: int = 8) -> float:
    """P(y = 1) in :func:`make_ends_task`: the share of token pairs with ``a + b > V + 1``.

    With ``a, b`` uniform and independent on ``1..V``, the pairs with ``a + b > V + 1`` number
    :math:`V(V - 1)/2`, so the rate is :math:`(V - 1) / (2V)` (28/64 = 0.4375 for ``V = 8``)
    and the majority class (label 0) scores :math:`(V + 1) / (2V)`.

    Parameters
    ----------
    vocab_size : int
        Even number of token ids ``1..vocab_size``.

    Returns
    -------
    float
    """
    _check_vocab(vocab_size)
    tokens = np.arange(1, vocab_size + 1)
    return float((tokens[:, None] + tokens[None, :] > vocab_size + 1).mean())


def pad(sequences: Sequence[np.ndarray], length: int, side: str = "post") -> np.ndarray:
    """Pad token sequences with 0 to a common ``length``.

    Parameters
    ----------
    sequences : sequence of 1-D int arrays
        Token ids (no zeros inside: 0 means padding).
    length : int
        Padded length, at least the longest sequence (nothing is truncated).
    side : {"pre", "post"}
        Put the zeros before the tokens (``"pre"``, Keras's ``pad_sequences`` default) or
        after them (``"post"``).

    Returns
    -------
    ndarray of int64, shape (len(sequences), length)
    """
    if side not in ("pre", "post"):
        raise ValueError(f"side must be 'pre' or 'post', got {side!r}")
    _check_positive(length=length)
    longest = max((len(s) for s in sequences), default=0)
    if longest > length:
        raise ValueError(
            f"length={length} is shorter than the longest sequence ({longest}); "
            f"pad to at least {longest}"
        )
    return keras.utils.pad_sequences(sequences, maxlen=length, padding=side, dtype="int64")
