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


def _signature(model: keras.Model) -> str | None:
    """What must match for two compiled models to share one traced training step.

    None for a model this module does not reuse a trace for (it falls back to ``model.fit``):
    anything but a built ``Sequential`` model of built-in Keras layers, losses and metrics; a
    preprocessing layer (its adapted state is not a weight); a stateful RNN.
    """
    import json

    if type(model) is not keras.Sequential or not model.built or not model.inputs:
        return None
    for layer in model.layers:
        module = type(layer).__module__
        if not module.startswith("keras.") or ".preprocessing." in module:
            return None
        if getattr(layer, "stateful", False):
            return None
    compile_config = model.get_compile_config()
    losses = compile_config.get("loss")
    for item in [losses] + list(compile_config.get("metrics") or []):
        if item is not None and not isinstance(item, str | dict):
            return None
        if isinstance(item, dict) and not str(item.get("module", "")).startswith("keras"):
            return None

    def strip(config):
        if isinstance(config, dict):
            return {k: strip(v) for k, v in config.items() if k != "name"}
        if isinstance(config, list):
            return [strip(v) for v in config]
        return config

    layers = [(type(layer).__name__, strip(layer.get_config())) for layer in model.layers]
    trainable = [bool(v.trainable) for v in model.variables]
    compiled = {"input": [list(t.shape) for t in model.inputs], "compile": strip(compile_config),
                "trainable": trainable}
    return json.dumps([layers, compiled], sort_keys=True, default=str)


_RUNNERS: dict[str, tuple[keras.Model, list[np.ndarray]]] = {}


def _values(variables) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v).copy() for v in variables]


def _assign(variables, values) -> None:
    for variable, value in zip(variables, values, strict=True):
        variable.assign(value)


def fit_reusing_trace(model: keras.Model, *args, **kwargs) -> keras.callbacks.History:
    """``model.fit(*args, **kwargs)``, run through a stored copy of the same architecture.

    The first ``fit`` of a Keras model traces its training step, which for the book's small
    recurrent models costs about a second on two CPU cores, often as much as the training
    itself. This function keeps one compiled copy (a *runner*) of each architecture it sees:
    it copies ``model``'s state (every variable: weights, non-trainable statistics and the
    random-seed state of dropout) and its optimizer state (for an optimizer that has not run
    yet, the runner's initial optimizer state) into the runner, fits the runner, and copies
    both back into ``model``. The training step is traced once per architecture, and the result
    is the same as ``model.fit`` (bit for bit on one machine: the same graph, starting values
    and batches; ``tests/test_repro.py`` checks it). A later call with the same ``model``
    continues its training, optimizer state included.

    Where a runner could differ from the model, it simply calls ``model.fit``: for anything
    but a built ``keras.Sequential`` model of built-in layers, losses and metrics; for
    preprocessing layers (``Normalization``, ``TextVectorization``, ...) and stateful RNNs;
    when ``callbacks`` are passed (they would see the runner); and when the model's optimizer
    state does not line up with the runner's.

    Parameters
    ----------
    model : keras.Model
        A compiled model. Models share a runner when their layers' configurations (names
        aside), input shapes, which variables are trainable, and compile arguments (optimizer
        configuration, loss, metrics, ``steps_per_execution``) match.
    *args, **kwargs
        Passed to ``fit``.

    Returns
    -------
    keras.callbacks.History
        The history of this call; ``model.history`` is set to it, as ``fit`` does.

    Raises
    ------
    ValueError
        If ``model`` is not compiled.
    """
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        raise ValueError("fit_reusing_trace needs a compiled model (call model.compile first)")
    key = None if kwargs.get("callbacks") else _signature(model)
    if key is None:
        return model.fit(*args, **kwargs)
    if key not in _RUNNERS:
        runner = keras.models.clone_model(model)
        runner.compile_from_config(model.get_compile_config())
        runner.optimizer.build(runner.trainable_variables)
        _RUNNERS[key] = (runner, _values(runner.optimizer.variables))
    runner, initial_state = _RUNNERS[key]
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
        state = initial_state
    else:
        state = _values(model.optimizer.variables)
    if len(state) != len(runner.optimizer.variables) or len(model.variables) != len(
        runner.variables
    ):
        return model.fit(*args, **kwargs)
    _assign(runner.variables, _values(model.variables))
    _assign(runner.optimizer.variables, state)
    history = runner.fit(*args, **kwargs)
    _assign(model.variables, _values(runner.variables))
    _assign(model.optimizer.variables, _values(runner.optimizer.variables))
    model.history = history
    return history
