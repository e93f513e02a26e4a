"""The long-memory task of chapter 2: remember the first symbol for ``delay`` steps.

Every sequence has ``delay + 1`` steps of one-hot symbols:

* step 0 shows the **marker**, symbol ``0`` or ``1``; it *is* the label;
* steps ``1 .. delay`` show **distractors**, symbols ``2 .. 2 + n_distractors - 1``
  drawn uniformly at random, independently of the label.

A model reads the whole sequence and answers at the end, so the only evidence for the
label is ``delay`` steps in the past. Labels are balanced coin flips: guessing scores
:data:`CHANCE` ``= 0.5``.

Example
-------
>>> x, y = generate(4, delay=100, seed=0)
>>> x.shape, y.shape
((4, 101, 4), (4,))
"""

from __future__ import annotations

import numpy as np

#: Accuracy of a model that guesses (the two labels are equally likely).
CHANCE = 0.5

#: Number of marker symbols (the labels 0 and 1).
N_MARKERS = 2


def input_dim(n_distractors: int = 2) -> int:
    """Width of the one-hot inputs: the two markers plus ``n_distractors`` symbols."""
    if isinstance(n_distractors, bool) or not isinstance(n_distractors, (int, np.integer)):
        raise ValueError(f"n_distractors must be an integer >= 1, got {n_distractors!r}")
    if n_distractors < 1:
        raise ValueError(f"n_distractors must be >= 1, got {n_distractors}")
    return N_MARKERS + int(n_distractors)


def generate(
    n_sequences: int,
    delay: int = 100,
    n_distractors: int = 2,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n_sequences`` sequences of the long-memory task.

    Parameters
    ----------
    n_sequences : int
        How many sequences (``>= 1``).
    delay : int
        Number of distractor steps after the marker (``>= 1``); the marker is ``delay``
        steps before the last step, so the answer depends on an input seen ``delay``
        steps earlier.
    n_distractors : int
        Size of the distractor alphabet (``>= 1``).
    seed : int
        Seed of the NumPy generator: the same seed gives the same sequences.

    Returns
    -------
    x : ndarray of float32, shape (n_sequences, delay + 1, 2 + n_distractors)
        One-hot symbols. ``x[:, 0]`` is the marker, ``x[:, 1:]`` the distractors.
    y : ndarray of int64, shape (n_sequences,)
        The labels, equal to the marker symbol (0 or 1).

    Raises
    ------
    ValueError
        If a size is not a positive integer or ``seed`` is negative.
    """
    for name, value in (("n_sequences", n_sequences), ("delay", delay)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    width = input_dim(n_distractors)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_MARKERS, size=n_sequences)
    symbols = np.empty((n_sequences, delay + 1), dtype=np.int64)
    symbols[:, 0] = y
    symbols[:, 1:] = N_MARKERS + rng.integers(0, n_distractors, size=(n_sequences, delay))
    x = np.eye(width, dtype=np.float32)[symbols]
    return x, y.astype(np.int64)


def decode(x: np.ndarray) -> np.ndarray:
    """Symbols of one-hot sequences: the inverse of the one-hot encoding of :func:`generate`.

    Parameters
    ----------
    x : ndarray, shape (batch, time, width)
        One-hot sequences.

    Returns
    -------
    ndarray of int64, shape (batch, time)
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, width), got {x.shape}")
    if not np.allclose(x.sum(axis=-1), 1.0) or not np.isin(x, (0.0, 1.0)).all():
        raise ValueError("x is not one-hot: every step must hold exactly one 1 and zeros")
    return x.argmax(axis=-1).astype(np.int64)
