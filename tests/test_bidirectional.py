"""Tests of the NumPy bidirectional LSTM against keras.layers.Bidirectional."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bilstm_utils  # noqa: E402, F401
from bilstm_utils.bidirectional import (  # noqa: E402
    MERGE_MODES,
    bidirectional_lstm_forward,
    build_recurrent_model,
    last_read_positions,
    lstm_read,
    merge,
    plot_time_alignment,
)
from bilstm_utils.lstm import lstm_forward  # noqa: E402


def _random_weights(rng, input_dim, units):
    return [
        rng.normal(scale=0.5, size=(input_dim, 4 * units)).astype("float32"),
        rng.normal(scale=0.5, size=(units, 4 * units)).astype("float32"),
        rng.normal(scale=0.5, size=(4 * units,)).astype("float32"),
    ]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False  # post-padding
    mask[1, :2] = False  # pre-padding
    return x, mask, _random_weights(rng, 4, 5), _random_weights(rng, 4, 5)


def _as_list(y):
    return [np.asarray(t) for t in y] if isinstance(y, list | tuple) else [np.asarray(y)]


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("masked", [False, True])
def test_equals_keras(data, merge_mode, return_sequences, masked):
    x, mask, fw, bw = data
    layer = keras.layers.Bidirectional(
        keras.layers.LSTM(5, return_sequences=return_sequences), merge_mode=merge_mode
    )
    layer.build(x.shape)
    layer.forward_layer.set_weights(fw)
    layer.backward_layer.set_weights(bw)
    m = mask if masked else None
    expected = _as_list(layer(x, mask=m))
    got = _as_list(bidirectional_lstm_forward(x, fw, bw, merge_mode, return_sequences, mask=m))
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, atol=1e-5)


def test_backward_is_reversed_and_realigned(data):
    x, _, fw, bw = data
    fwd, bwd = bidirectional_lstm_forward(x, fw, bw, None, return_sequences=True)
    reversed_run = lstm_forward(x[:, ::-1], *bw).outputs
    np.testing.assert_allclose(bwd, reversed_run[:, ::-1], atol=1e-6)
    np.testing.assert_allclose(fwd, lstm_forward(x, *fw).outputs, atol=1e-6)
    # the final backward state sits at position 0 of the sequence output
    last_f, last_b = bidirectional_lstm_forward(x, fw, bw, None, return_sequences=False)
    np.testing.assert_allclose(last_b, bwd[:, 0], atol=1e-6)
    np.testing.assert_allclose(last_f, fwd[:, -1], atol=1e-6)


def test_mask_ignores_extra_padding(data):
    x, _, fw, bw = data
    short = x[:, :4]
    padded = np.concatenate([np.zeros((3, 3, 4), "float32"), short], axis=1)
    mask = np.concatenate([np.zeros((3, 3), bool), np.ones((3, 4), bool)], axis=1)
    np.testing.assert_allclose(
        bidirectional_lstm_forward(padded, fw, bw, mask=mask),
        bidirectional_lstm_forward(short, fw, bw),
        atol=1e-6,
    )
    # without the mask the zeros are read, and the output changes
    assert np.abs(
        bidirectional_lstm_forward(padded, fw, bw) - bidirectional_lstm_forward(short, fw, bw)
    ).max() > 1e-3


def test_masked_steps_output_zero_and_carry_state(data):
    x, mask, fw, _ = data
    out, h = lstm_read(x, fw, mask=mask)
    assert np.all(out[~mask] == 0)
    np.testing.assert_allclose(h[0], out[0, 3], atol=1e-7)  # state after last real step


def test_merge_modes_values():
    a, b = np.array([[1.0, 2.0]]), np.array([[3.0, 5.0]])
    np.testing.assert_allclose(merge(a, b, "concat"), [[1, 2, 3, 5]])
    np.testing.assert_allclose(merge(a, b, "sum"), [[4, 7]])
    np.testing.assert_allclose(merge(a, b, "mul"), [[3, 10]])
    np.testing.assert_allclose(merge(a, b, "ave"), [[2, 3.5]])
    assert merge(a, b, None)[1] is b


def test_last_read_positions():
    assert last_read_positions(7) == {"forward": 6, "backward": 0}
    with pytest.raises(ValueError, match="positive"):
        last_read_positions(0)


def test_bad_arguments(data):
    x, _, fw, bw = data
    with pytest.raises(ValueError, match="merge_mode"):
        bidirectional_lstm_forward(x, fw, bw, merge_mode="max")
    with pytest.raises(ValueError, match="three arrays"):
        bidirectional_lstm_forward(x, fw[:2], bw)
    with pytest.raises(ValueError, match="mask must have shape"):
        bidirectional_lstm_forward(x, fw, bw, mask=np.ones((3, 5), bool))
    with pytest.raises(ValueError, match="batch, time, input_dim"):
        bidirectional_lstm_forward(x[0], fw, bw)
    with pytest.raises(ValueError, match="same number of units"):
        bidirectional_lstm_forward(x, fw, _random_weights(np.random.default_rng(0), 4, 3))
    with pytest.raises(ValueError, match="same shape"):
        merge(np.zeros((1, 2)), np.zeros((1, 3)), "sum")


def test_plot_time_alignment():
    ax = plot_time_alignment(4)
    assert ax.get_title()
    assert ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 2
    with pytest.raises(ValueError, match="between 2 and 12"):
        plot_time_alignment(1)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_build_recurrent_model(bidirectional):
    from bilstm_utils.lstm import lstm_param_count

    tagger = build_recurrent_model(6, 4, bidirectional, return_sequences=True)
    tokens = np.array([[1, 2, 3, 0, 0]])
    assert tagger.predict(tokens, verbose=0).shape == (1, 5, 1)
    n_dir = 2 if bidirectional else 1
    assert tagger.get_layer("recurrent").count_params() == n_dir * lstm_param_count(8, 4)
    clf = build_recurrent_model(6, 4, bidirectional, False, mask_zero=True, hidden=3)
    assert clf.predict(tokens, verbose=0).shape == (1, 1)
    assert clf.get_layer("hidden").units == 3
    # with the mask, extra padding does not change the prediction
    longer = np.array([[1, 2, 3, 0, 0, 0, 0, 0]])
    np.testing.assert_allclose(clf.predict(longer, verbose=0), clf.predict(tokens, verbose=0),
                               atol=1e-6)
    with pytest.raises(ValueError, match="units"):
        build_recurrent_model(6, 0, bidirectional, True)
    with pytest.raises(ValueError, match="hidden"):
        build_recurrent_model(6, 2, bidirectional, True, hidden=-1)
