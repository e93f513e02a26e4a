"""Reproducibility: one call that seeds everything the book's code draws from."""

from __future__ import annotations

import os

from bilstm_utils._quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()
import keras  # noqa: E402


def set_seed(seed: int = 42, deterministic: bool = True) -> None:
    """Seed Python's ``random``, NumPy and Keras/TensorFlow, and make ops deterministic.

    Parameters
    ----------
    seed : int
        A non-negative integer. The same seed gives the same initial weights,
        the same shuffles and the same dropout masks on the same machine.
    deterministic : bool
        Also call ``tf.config.experimental.enable_op_determinism()``, so that
        TensorFlow picks deterministic kernels (on CPU this costs little).

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)  # seeds random, numpy and the backend
    if deterministic:
        tf.config.experimental.enable_op_determinism()
