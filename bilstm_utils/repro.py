"""Reproducibility: one call that seeds everything the book's code draws from."""

from __future__ import annotations

import numbers
import os

import numpy as np

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
        TensorFlow picks deterministic kernels (on CPU this costs little), and turn off
        TensorFloat-32: on Ampere and newer GPUs it rounds matrix-multiply inputs to a 10-bit
        mantissa, which breaks the book's < 1e-5 NumPy-versus-Keras checks.

    Raises
    ------
    ValueError
        If ``seed`` is not a non-negative integer (Python or NumPy, below 2**32).
    """
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, numbers.Integral) or not (
        0 <= seed < 2**32
    ):
        raise ValueError(f"seed must be a non-negative integer below 2**32, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    keras.utils.set_random_seed(seed)  # seeds random, numpy and the backend
    if deterministic:
        tf.config.experimental.enable_op_determinism()
        tf.config.experimental.enable_tensor_float_32_execution(False)
