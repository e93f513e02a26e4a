"""Tests of the NumPy LSTM in Keras layout (bilstm_utils.lstm)."""

import numpy as np
import pytest

import bilstm_utils  # noqa: F401  (imports TensorFlow quietly)
from bilstm_utils.lstm import (
    gru_param_count,
    lstm_forward,
    lstm_param_count,
    lstm_step,
    sigmoid,
)


def _random_weights(rng, input_dim, units, scale=0.5):
    return (
        rng.normal(scale=scale, size=(input_dim, 4 * units)).astype("float32"),
        rng.normal(scale=scale, size=(units, 4 * units)).astype("float32"),
        rng.normal(scale=scale, size=(4 * units,)).astype("float32"),
    )


def test_forward_matches_keras_lstm_outputs_and_states():
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 5)).astype("float32")
    layer = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    layer.build((None, 7, 5))
    weights = _random_weights(rng, 5, 4)
    layer.set_weights(list(weights))
    seq, h, c = (t.numpy() for t in layer(x))
    result = lstm_forward(x, *weights)
    np.testing.assert_allclose(result.outputs, seq, atol=1e-5)
    np.testing.assert_allclose(result.h, h, atol=1e-5)
    np.testing.assert_allclose(result.c, c, atol=1e-5)


def test_step_gate_order_is_i_f_c_o():
    units = 2
    kernel = np.zeros((1, 4 * units))
    recurrent = np.zeros((units, 4 * units))
    # Only the forget block (second) gets a large bias: f -> 1, i = o = 0.5, c~ = 0.
    bias = np.zeros(4 * units)
    bias[units : 2 * units] = 50.0
    h, c, gates = lstm_step(np.ones((1, 1)), np.zeros((1, units)), np.full((1, units), 2.0),
                            kernel, recurrent, bias)
    np.testing.assert_allclose(gates["f"], 1.0)
    np.testing.assert_allclose(gates["i"], 0.5)
    np.testing.assert_allclose(gates["c"], 0.0)
    np.testing.assert_allclose(c, 2.0)  # the cell state passes through untouched
    np.testing.assert_allclose(h, 0.5 * np.tanh(2.0))


def test_param_counts_match_keras():
    import keras

    for input_dim, units in ((3, 5), (10, 16)):
        lstm = keras.layers.LSTM(units)
        lstm.build((None, 4, input_dim))
        assert lstm.count_params() == lstm_param_count(input_dim, units)
        for reset_after in (True, False):
            gru = keras.layers.GRU(units, reset_after=reset_after)
            gru.build((None, 4, input_dim))
            assert gru.count_params() == gru_param_count(input_dim, units, reset_after)
    assert gru_param_count(1, 1) == 3 * (1 * 2 + 2)
    with pytest.raises(ValueError):
        gru_param_count(0, 4)


def test_sigmoid_is_stable_for_large_inputs():
    z = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(sigmoid(z), [0.0, 0.5, 1.0])


def test_forward_rejects_bad_shapes():
    rng = np.random.default_rng(1)
    weights = _random_weights(rng, 3, 2)
    with pytest.raises(ValueError, match="x must have shape"):
        lstm_forward(np.zeros((2, 3)), *weights)
    with pytest.raises(ValueError, match="x_t must have shape"):
        lstm_forward(np.zeros((1, 2, 4)), *weights)  # 4 features, the kernel expects 3
    with pytest.raises(ValueError, match="recurrent_kernel"):
        lstm_forward(np.zeros((1, 2, 3)), weights[0], weights[1][:, :4], weights[2])


def test_class_separation():
    from bilstm_utils.lstm import class_separation

    labels = np.array([0, 0, 1, 1])
    values = np.array([[0.0, 1.0, 3.0], [2.0, 1.0, 3.0], [4.0, 2.0, 3.0], [6.0, 2.0, 3.0]])
    # Column 0: means 1 and 5, both standard deviations sqrt(2): d' = 4 / sqrt(2).
    np.testing.assert_allclose(class_separation(values, labels), [4 / np.sqrt(2), np.inf, 0.0])
    with pytest.raises(ValueError, match="at least two"):
        class_separation(values[:3], labels[:3])


def test_set_forget_bias_on_a_keras_layer():
    import keras

    from bilstm_utils.lstm import set_forget_bias

    layer = keras.layers.LSTM(3)
    layer.build((None, 5, 2))
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(3), np.ones(3), np.zeros(6)])  # Keras
    set_forget_bias(layer, 4.0)
    np.testing.assert_array_equal(layer.get_weights()[2], np.r_[np.zeros(3), 4 * np.ones(3),
                                                                np.zeros(6)])
    unbuilt = keras.layers.LSTM(3)
    with pytest.raises(ValueError, match="build"):
        set_forget_bias(unbuilt, 4.0)


def test_masked_lstm_forward_equals_reading_only_the_real_steps():
    from bilstm_utils.lstm import lstm_forward

    rng = np.random.default_rng(3)
    kernel, recurrent, bias = (rng.normal(size=s) * 0.5 for s in ((3, 16), (4, 16), (16,)))
    x = rng.normal(size=(2, 6, 3))
    mask = np.array([[1, 1, 0, 1, 0, 0], [0, 0, 1, 1, 1, 1]], dtype=bool)
    result = lstm_forward(x, kernel, recurrent, bias, mask=mask, zero_output_for_mask=True)
    for row in range(2):
        real = lstm_forward(x[row : row + 1, mask[row]], kernel, recurrent, bias)
        np.testing.assert_allclose(result.h[row], real.h[0], rtol=1e-12)
        np.testing.assert_allclose(result.c[row], real.c[0], rtol=1e-12)
        np.testing.assert_allclose(result.outputs[row, mask[row]], real.outputs[0], rtol=1e-12)
        assert np.all(result.outputs[row, ~mask[row]] == 0)
    with pytest.raises(ValueError, match="mask must have shape"):
        lstm_forward(x, kernel, recurrent, bias, mask=mask[:, :5])


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masked_outputs_match_a_standalone_keras_lstm(zero_output_for_mask):
    import keras

    from bilstm_utils.lstm import lstm_forward

    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 6, 2)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]], dtype=bool)
    layer = keras.layers.LSTM(4, return_sequences=True,
                              zero_output_for_mask=zero_output_for_mask)
    layer.build((None, None, 2))
    theirs = layer(x, mask=mask).numpy()
    ours = lstm_forward(x, *layer.get_weights(), mask=mask,
                        zero_output_for_mask=zero_output_for_mask)
    np.testing.assert_allclose(ours.outputs, theirs, atol=1e-5)
    if not zero_output_for_mask:  # Keras's default: the previous output is repeated
        np.testing.assert_allclose(theirs[0, 2], theirs[0, 1], atol=1e-6)
        assert np.abs(theirs[0, 2]).max() > 0
        np.testing.assert_array_equal(theirs[1, :2], 0.0)  # nothing to repeat yet


def test_chrono_forget_bias():
    from bilstm_utils.lstm import chrono_forget_bias

    b_f = chrono_forget_bias(1000, t_max=50, seed=0)
    assert b_f.shape == (1000,) and b_f.dtype == np.float32
    u = np.exp(b_f.astype(float))
    assert u.min() >= 1 - 1e-5 and u.max() <= 49 + 1e-4
    assert abs(u.mean() - 25) < 1.5  # uniform on [1, 49]
    np.testing.assert_array_equal(b_f, chrono_forget_bias(1000, t_max=50, seed=0))
    with pytest.raises(ValueError, match="t_max"):
        chrono_forget_bias(4, t_max=2)
    with pytest.raises(ValueError, match="units"):
        chrono_forget_bias(0, t_max=10)
