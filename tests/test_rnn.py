"""bilstm_utils.rnn: the NumPy SimpleRNN against Keras, and BPTT against autodiff."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bilstm_utils._quiet import import_tensorflow_quietly
from bilstm_utils.rnn import (
    RNNGradients,
    plot_unrolled_rnn,
    rnn_backward,
    rnn_forward,
    rnn_param_count,
    rnn_step,
)

tf = import_tensorflow_quietly()
import keras  # noqa: E402

BATCH, TIME, FEATURES, UNITS = 3, 7, 4, 5


def _weights(rng, features=FEATURES, units=UNITS, dtype=np.float64):
    return (
        (0.5 * rng.standard_normal((features, units))).astype(dtype),
        (0.5 * rng.standard_normal((units, units))).astype(dtype),
        (0.1 * rng.standard_normal(units)).astype(dtype),
    )


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_step_is_the_equation(rng):
    w, u, b = _weights(rng)
    x_t = rng.standard_normal((BATCH, FEATURES))
    h_prev = rng.standard_normal((BATCH, UNITS))
    expected = np.tanh(x_t @ w + h_prev @ u + b)
    np.testing.assert_allclose(rnn_step(x_t, h_prev, w, u, b), expected)


def test_forward_shapes_and_last_state(rng):
    w, u, b = _weights(rng)
    x = rng.standard_normal((BATCH, TIME, FEATURES))
    result = rnn_forward(x, w, u, b)
    assert result.outputs.shape == (BATCH, TIME, UNITS)
    assert result.h.shape == (BATCH, UNITS)
    np.testing.assert_array_equal(result.h, result.outputs[:, -1])
    assert np.all(np.abs(result.outputs) < 1)


def test_forward_first_step_starts_from_zero_or_h0(rng):
    w, u, b = _weights(rng)
    x = rng.standard_normal((BATCH, TIME, FEATURES))
    np.testing.assert_allclose(rnn_forward(x, w, u, b).outputs[:, 0], np.tanh(x[:, 0] @ w + b))
    h0 = rng.standard_normal((BATCH, UNITS))
    np.testing.assert_allclose(
        rnn_forward(x, w, u, b, h0=h0).outputs[:, 0], np.tanh(x[:, 0] @ w + h0 @ u + b)
    )


def test_forward_is_causal(rng):
    """Changing a later input never changes an earlier output."""
    w, u, b = _weights(rng)
    x = rng.standard_normal((BATCH, TIME, FEATURES))
    y = x.copy()
    y[:, 4] += 1.0
    a, c = rnn_forward(x, w, u, b).outputs, rnn_forward(y, w, u, b).outputs
    np.testing.assert_array_equal(a[:, :4], c[:, :4])
    assert not np.allclose(a[:, 4:], c[:, 4:])


@pytest.mark.parametrize("return_sequences", [True, False])
def test_forward_matches_keras(rng, return_sequences):
    w, u, b = _weights(rng, dtype=np.float32)
    x = rng.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    layer = keras.layers.SimpleRNN(UNITS, return_sequences=return_sequences, return_state=True)
    layer.build((None, None, FEATURES))
    layer.set_weights([w, u, b])
    out, state = (np.asarray(a) for a in layer(x))
    ours = rnn_forward(x, w, u, b)
    np.testing.assert_allclose(out, ours.outputs if return_sequences else ours.h, atol=1e-5)
    np.testing.assert_allclose(state, ours.h, atol=1e-5)


def _loss(x, w, u, b, g_seq, g_last, h0):
    result = rnn_forward(x, w, u, b, h0=h0)
    return float(np.sum(result.outputs * g_seq) + np.sum(result.h * g_last))


def test_backward_matches_finite_differences(rng):
    """Central differences in float64 on every entry of W, U, b, x and h0."""
    w, u, b = _weights(rng)
    x = rng.standard_normal((BATCH, TIME, FEATURES))
    h0 = 0.3 * rng.standard_normal((BATCH, UNITS))
    g_seq = rng.standard_normal((BATCH, TIME, UNITS))
    g_last = rng.standard_normal((BATCH, UNITS))
    grads = rnn_backward(x, w, u, b, d_outputs=g_seq, d_h=g_last, h0=h0)
    assert isinstance(grads, RNNGradients)
    arrays = {"kernel": w, "recurrent_kernel": u, "bias": b, "x": x, "h0": h0}
    eps = 1e-6
    for name, array in arrays.items():
        numeric = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            old = array[idx]
            array[idx] = old + eps
            plus = _loss(x, w, u, b, g_seq, g_last, h0)
            array[idx] = old - eps
            minus = _loss(x, w, u, b, g_seq, g_last, h0)
            array[idx] = old
            numeric[idx] = (plus - minus) / (2 * eps)
        analytic = getattr(grads, name)
        assert analytic.shape == array.shape, name
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7, err_msg=name)


def test_backward_matches_gradient_tape(rng):
    w, u, b = _weights(rng, dtype=np.float32)
    x = rng.standard_normal((BATCH, TIME, FEATURES)).astype(np.float32)
    g_seq = rng.standard_normal((BATCH, TIME, UNITS)).astype(np.float32)
    layer = keras.layers.SimpleRNN(UNITS, return_sequences=True)
    layer.build((None, None, FEATURES))
    layer.set_weights([w, u, b])
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(layer(xt) * g_seq)
    variables = [layer.cell.kernel, layer.cell.recurrent_kernel, layer.cell.bias]
    d_x, d_w, d_u, d_b = tape.gradient(loss, [xt, *variables])
    ours = rnn_backward(x, w, u, b, d_outputs=g_seq)
    for theirs, mine in [(d_x, ours.x), (d_w, ours.kernel), (d_u, ours.recurrent_kernel),
                         (d_b, ours.bias)]:
        np.testing.assert_allclose(np.asarray(theirs), mine, atol=1e-4)


def test_backward_last_state_only_equals_sequence_gradient_on_last_step(rng):
    w, u, b = _weights(rng)
    x = rng.standard_normal((BATCH, TIME, FEATURES))
    g = rng.standard_normal((BATCH, UNITS))
    g_seq = np.zeros((BATCH, TIME, UNITS))
    g_seq[:, -1] = g
    a = rnn_backward(x, w, u, b, d_h=g)
    c = rnn_backward(x, w, u, b, d_outputs=g_seq)
    for name in ("kernel", "recurrent_kernel", "bias", "x", "h0"):
        np.testing.assert_allclose(getattr(a, name), getattr(c, name), err_msg=name)


def test_backward_gradient_vanishes_with_small_recurrent_kernel(rng):
    """With ||U|| < 1 the gradient of h_T reaching x_0 is smaller than the one reaching x_T."""
    w, u, b = _weights(rng)
    u = 0.3 * u / np.linalg.norm(u, 2)
    x = rng.standard_normal((BATCH, 30, FEATURES))
    d_x = rnn_backward(x, w, u, b, d_h=np.ones((BATCH, UNITS))).x
    per_step = np.linalg.norm(d_x, axis=(0, 2))
    assert per_step[0] < 1e-10 * per_step[-1]


def test_param_count_matches_keras():
    layer = keras.layers.SimpleRNN(UNITS)
    layer.build((None, None, FEATURES))
    assert rnn_param_count(FEATURES, UNITS) == layer.count_params() == 5 * (4 + 5) + 5
    with pytest.raises(ValueError, match="positive"):
        rnn_param_count(0, 3)


@pytest.mark.parametrize(
    ("kernel_shape", "recurrent_shape", "bias_shape", "match"),
    [
        ((FEATURES, UNITS), (UNITS, UNITS + 1), (UNITS,), "recurrent_kernel"),
        ((FEATURES, UNITS + 1), (UNITS, UNITS), (UNITS,), "kernel"),
        ((FEATURES, UNITS), (UNITS, UNITS), (UNITS + 1,), "bias"),
    ],
)
def test_bad_weight_shapes_are_refused(kernel_shape, recurrent_shape, bias_shape, match):
    x = np.zeros((BATCH, TIME, FEATURES))
    with pytest.raises(ValueError, match=match):
        rnn_forward(x, np.zeros(kernel_shape), np.zeros(recurrent_shape), np.zeros(bias_shape))


def test_bad_inputs_are_refused(rng):
    w, u, b = _weights(rng)
    with pytest.raises(ValueError, match="batch, time, input_dim"):
        rnn_forward(np.zeros((TIME, FEATURES)), w, u, b)
    with pytest.raises(ValueError, match="no time steps"):
        rnn_forward(np.zeros((BATCH, 0, FEATURES)), w, u, b)
    with pytest.raises(ValueError, match="features"):
        rnn_forward(np.zeros((BATCH, TIME, FEATURES + 1)), w, u, b)
    with pytest.raises(ValueError, match="h0"):
        rnn_forward(np.zeros((BATCH, TIME, FEATURES)), w, u, b, h0=np.zeros((BATCH, UNITS + 1)))
    x = np.zeros((BATCH, TIME, FEATURES))
    with pytest.raises(ValueError, match="d_outputs, d_h"):
        rnn_backward(x, w, u, b)
    with pytest.raises(ValueError, match="d_outputs must have shape"):
        rnn_backward(x, w, u, b, d_outputs=np.zeros((BATCH, TIME + 1, UNITS)))
    with pytest.raises(ValueError, match="d_h must have shape"):
        rnn_backward(x, w, u, b, d_h=np.zeros((BATCH + 1, UNITS)))


def test_plot_unrolled_rnn_draws_every_step():
    ax = plot_unrolled_rnn(3, batch="32", input_dim="8", units="16")
    assert ax.get_title() == "A SimpleRNN unrolled over 3 time steps"
    assert ax.get_xlabel() and ax.get_ylabel()
    texts = [t.get_text() for t in ax.texts]
    assert sum("tanh" == t for t in texts) == 3
    assert any("(32, 8)" in t for t in texts) and any("(32, 16)" in t for t in texts)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="steps"):
        plot_unrolled_rnn(0)


def test_log_tanh_derivative_matches_float64_and_stays_finite_when_saturated():
    from bilstm_utils.rnn import log_tanh_derivative

    a = np.linspace(-15, 15, 301)
    np.testing.assert_allclose(np.exp(log_tanh_derivative(a)), 1 / np.cosh(a) ** 2, rtol=1e-9)
    near = np.linspace(-3, 3, 61)  # where 1 - tanh^2 has not lost its digits yet
    np.testing.assert_allclose(np.exp(log_tanh_derivative(near)), 1 - np.tanh(near) ** 2, rtol=1e-9)
    assert log_tanh_derivative(0.0) == pytest.approx(0.0, abs=1e-15)
    big = log_tanh_derivative(np.array([19.28, -400.0]))  # tanh rounds to +-1 here
    assert np.all(np.isfinite(big))
    np.testing.assert_allclose(big, np.log(4) - 2 * np.abs([19.28, -400.0]), rtol=1e-12)
    with pytest.raises(ValueError, match="finite"):
        log_tanh_derivative(np.array([np.inf]))
