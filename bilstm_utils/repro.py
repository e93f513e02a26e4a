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


def _signature(model: keras.Model) -> str:
    """What must match for two compiled models to share one traced training step."""
    import json

    def strip(config):
        if isinstance(config, dict):
            return {k: strip(v) for k, v in config.items() if k != "name"}
        if isinstance(config, list):
            return [strip(v) for v in config]
        return config

    layers = [(type(layer).__name__, strip(layer.get_config())) for layer in model.layers]
    compiled = {
        "input": [list(t.shape) for t in model.inputs] if model.inputs else None,
        "compile": strip(model.get_compile_config()),
    }
    return json.dumps([type(model).__name__, layers, compiled], sort_keys=True, default=str)


_RUNNERS: dict[str, tuple[keras.Model, list[np.ndarray]]] = {}


def fit_reusing_trace(model: keras.Model, *args, **kwargs) -> keras.callbacks.History:
    """``model.fit(*args, **kwargs)``, run through a stored copy of the same architecture.

    The first ``fit`` of a Keras model traces its training step, which for the book's small
    recurrent models costs about a second on two CPU cores, often as much as the training
    itself. This function keeps one compiled copy (a *runner*) of each architecture it sees:
    it copies ``model``'s weights and optimizer state into the runner (for an optimizer that has
    not run yet, the runner's initial optimizer state), fits the runner, and copies the weights
    and optimizer state back into ``model``. The training step is traced once per architecture,
    and the result is the same as ``model.fit`` (bit for bit on one machine: the same graph,
    starting values and batches; ``tests/test_repro.py`` checks it). A later call with the same
    ``model`` continues its training, optimizer state included.

    Parameters
    ----------
    model : keras.Model
        A compiled model. Models share a runner when their layers' configurations (names
        aside), input shapes and compile arguments (optimizer configuration, loss, metrics,
        ``steps_per_execution``) match.
    *args, **kwargs
        Passed to ``fit``. Callbacks see the runner, not ``model``.

    Returns
    -------
    keras.callbacks.History
        The runner's history of this call.

    Raises
    ------
    ValueError
        If ``model`` is not compiled.
    """
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        raise ValueError("fit_reusing_trace needs a compiled model (call model.compile first)")
    key = _signature(model)
    if key not in _RUNNERS:
        runner = keras.models.clone_model(model)
        runner.compile_from_config(model.get_compile_config())
        runner.optimizer.build(runner.trainable_variables)
        initial = [keras.ops.convert_to_numpy(v).copy() for v in runner.optimizer.variables]
        _RUNNERS[key] = (runner, initial)
    runner, initial_state = _RUNNERS[key]
    runner.set_weights(model.get_weights())
    if model.optimizer.built:
        state = [keras.ops.convert_to_numpy(v).copy() for v in model.optimizer.variables]
    else:
        model.optimizer.build(model.trainable_variables)
        state = initial_state
    for variable, value in zip(runner.optimizer.variables, state, strict=True):
        variable.assign(value)
    history = runner.fit(*args, **kwargs)
    model.set_weights(runner.get_weights())
    for variable, value in zip(model.optimizer.variables, runner.optimizer.variables, strict=True):
        variable.assign(value)
    return history
