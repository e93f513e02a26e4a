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
    cudnn_mask_ok,
    direction_outputs,
    lstm_read,
    merge,
    one_direction_accuracy,
    plot_task_accuracies,
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
    assert ax.get_xlabel() and [t.get_text() for t in ax.get_yticklabels()] == [
        "forward layer", "merged output", "backward layer"]
    assert len(ax.get_legend().get_texts()) == 3  # forward, backward, reading order
    with pytest.raises(ValueError, match="between 2 and 12"):
        plot_time_alignment(1)


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_return_state_equals_keras(data, merge_mode):
    x, _, _, _ = data
    bi = keras.layers.Bidirectional(keras.layers.LSTM(5, return_state=True), merge_mode=merge_mode)
    keras_out = [np.asarray(t) for t in bi(x)]
    ours = bidirectional_lstm_forward(x, bi.forward_layer.get_weights(),
                                      bi.backward_layer.get_weights(), merge_mode=merge_mode,
                                      return_state=True)
    assert len(ours) == len(keras_out) == (6 if merge_mode is None else 5)
    for a, b in zip(ours, keras_out, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_cudnn_mask_ok_is_the_keras_predicate():
    import importlib

    import tensorflow as tf

    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")

    rng = np.random.default_rng(0)
    masks = [rng.random((4, 6)) < p for p in (0.2, 0.5, 0.9)]
    lengths = rng.integers(1, 7, size=5)
    masks.append(np.arange(6)[None, :] < lengths[:, None])  # right-padded
    masks.append(masks[-1][:, ::-1])  # left-padded
    masks.append(np.vstack([masks[-2], np.zeros((1, 6), bool)]))  # a fully masked row
    masks.append(np.ones((3, 6), bool))
    for mask in masks:
        keras_ok = bool(tf.logical_and(
            tf.logical_not(tf_rnn._has_fully_masked_sequence(tf.constant(mask))),
            tf_rnn._is_sequence_right_padded(tf.constant(mask)),
        ))
        assert cudnn_mask_ok(mask) == keras_ok
    assert [cudnn_mask_ok(m) for m in masks[3:]] == [True, False, False, True]
    with pytest.raises(ValueError, match="batch, time"):
        cudnn_mask_ok(np.ones(5, bool))


def test_chapter_3_masks_post_padding_satisfies_cudnn_pre_padding_does_not():
    from bilstm_utils.tasks import future

    # The chapter's ends-task inputs: post-padded token ids, masked where they are 0.
    for seed, maxlen in ((3, 32), (4, 32), (4, 56)):
        seqs, _ = future.make_ends_task(500, 4, 14, 8, seed=seed)
        assert cudnn_mask_ok(future.pad(seqs, maxlen, "post") != 0)
        assert not cudnn_mask_ok(future.pad(seqs, maxlen, "pre") != 0)


def test_keras_cudnn_rule():
    """Chapter 3's GPU rule, as far as a CPU can check it: the parts of Keras's source it rests
    on. A Keras release that changes them fails here, and the chapter must be re-read."""
    import importlib
    import inspect

    import tensorflow as tf

    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    lstm_source = inspect.getsource(tf_rnn.lstm)
    # an assertion error raised while the cuDNN path runs becomes "not implemented" ...
    assert "except tf.errors.InvalidArgumentError" in lstm_source
    assert "raise NotImplementedError" in lstm_source
    assert "_assert_valid_mask(mask)" in inspect.getsource(tf_rnn._cudnn_lstm)
    # ... which the layer answers by running its generic loop, unless use_cudnn=True
    inner = inspect.getsource(keras.layers.LSTM.inner_loop)
    assert "except NotImplementedError" in inner and "if self.use_cudnn is True" in inner
    assert "if not self.recurrent_dropout" in inner  # recurrent dropout skips cuDNN
    # the argument conditions: tanh, sigmoid, no unroll, a bias
    conditions = inspect.getsource(tf_rnn._do_lstm_arguments_support_cudnn)
    assert all(word in conditions for word in ("tanh", "sigmoid", "not unroll", "use_bias"))

    # Eager: the mask assertion raises at once, inside the call (so Keras can fall back).
    pre_padded = tf.constant([[False, True, True], [True, True, True]])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf_rnn._assert_valid_mask(pre_padded)
    tf_rnn._assert_valid_mask(tf.constant([[True, True, False], [True, True, True]]))
    # Compiled: tracing succeeds, and the error comes only when the graph runs, after the
    # Python code that could have caught it has returned.
    traced = tf.function(tf_rnn._assert_valid_mask).get_concrete_function(
        tf.TensorSpec([None, None], tf.bool))
    with pytest.raises(tf.errors.InvalidArgumentError):
        traced(pre_padded)


def test_bidirectional_keeps_use_cudnn():
    """Keras >= 3.12 copies use_cudnn onto both rebuilt directions (3.10 and 3.11 did not)."""
    for setting in (False, True, "auto"):
        layer = keras.layers.Bidirectional(keras.layers.LSTM(2, use_cudnn=setting))
        assert layer.forward_layer.use_cudnn == setting
        assert layer.backward_layer.use_cudnn == setting


def test_chapter_3_bidirectional_is_the_package_function(data):
    """The dozen lines chapter 3 writes on the page (and the masked version of its exercise 1)
    compute what the package's tested function computes (the d2l-style contract between a
    chapter and its package)."""
    import json
    from pathlib import Path

    nb = json.loads((Path(__file__).parents[1] / "chapters" / "03_bidirectional.ipynb")
                    .read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    namespace = {"np": np, "lstm_forward": lstm_forward}
    for prefix in ("def bidirectional(", "def bidirectional_masked("):
        (source,) = [s for s in sources if s.startswith(prefix)]
        exec(source.split("\n\n\nmask =")[0], namespace)  # noqa: S102 (the definition only)
    x, mask, fw, bw = data
    post_mask = np.ones(mask.shape, bool)
    post_mask[0, 4:] = False
    for merge_mode in MERGE_MODES:
        for return_sequences in (True, False):
            ours = namespace["bidirectional"](x, fw, bw, merge_mode, return_sequences)
            reference = bidirectional_lstm_forward(x, fw, bw, merge_mode, return_sequences)
            for a, b in zip(_as_list(ours), _as_list(reference), strict=True):
                np.testing.assert_allclose(a, b, atol=1e-6)
            for m in (None, mask, post_mask):
                ours = namespace["bidirectional_masked"](x, fw, bw, merge_mode,
                                                         return_sequences, m)
                reference = bidirectional_lstm_forward(x, fw, bw, merge_mode, return_sequences,
                                                       m)
                for a, b in zip(_as_list(ours), _as_list(reference), strict=True):
                    np.testing.assert_allclose(a, b, atol=1e-6)


def test_plot_task_accuracies():
    import matplotlib.pyplot as plt

    acc = {("a", "uni"): [0.5, 0.49, 0.51], ("a", "bi"): [1.0, 1.0, 0.99],
           ("b", "uni"): [1.0, 1.0, 1.0], ("b", "bi"): [0.99, 1.0, 1.0]}
    ax = plot_task_accuracies(acc, {"a": "task a", "b": "task b"}, {"uni": "U", "bi": "B"},
                              (0.49, 0.51))
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    bars = [p for p in ax.patches if p.get_width() < 1]  # the four bars (not the band)
    assert len(bars) == 4
    np.testing.assert_allclose(sorted(b.get_height() for b in bars),
                               sorted([0.5, 2.99 / 3, 1.0, 2.99 / 3]))
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    assert sum(len(d.get_ydata()) for d in dots) == 12  # every seed drawn
    legend_box = ax.get_legend().get_window_extent()
    ax.figure.canvas.draw()
    for bar in bars:  # the legend sits below the axes: it covers no bar
        assert not legend_box.overlaps(bar.get_window_extent())
    with pytest.raises(ValueError, match="no accuracy"):
        plot_task_accuracies({}, {"a": "a"}, {"uni": "U"}, (0.4, 0.6))
    partial = {k: v for k, v in acc.items() if k != ("b", "uni")}  # an arm left out of a task
    ax = plot_task_accuracies(partial, {"a": "task a", "b": "task b"}, {"uni": "U", "bi": "B"},
                              (0.49, 0.51))
    assert len([p for p in ax.patches if p.get_width() < 1]) == 3
    with pytest.raises(ValueError, match="interval"):
        plot_task_accuracies(acc, {"a": "a"}, {"uni": "U"}, (0.6, 0.4))
    with pytest.raises(ValueError, match="no chance band"):
        plot_task_accuracies(acc, {"a": "a", "b": "b"}, {"uni": "U"}, {"a": (0.4, 0.6)})
    ax = plot_task_accuracies(acc, {"a": "a", "b": "b"}, {"uni": "U"},
                              {"a": (0.49, 0.51), "b": (0.45, 0.55)})
    assert len(ax.collections) == 2  # one band per task
    plt.close("all")


def test_keras_facts_chapter_3_teaches(tmp_path):
    """Three behaviours of Keras the chapter states (checked on 3.12 and 3.15): use_cudnn is
    not saved, Bidirectional's weights= argument is ignored, and a hand-built layer matches
    Bidirectional under a mask only with zero_output_for_mask=True."""
    model = keras.Sequential([keras.Input((None, 3)),
                              keras.layers.Bidirectional(keras.layers.LSTM(4, use_cudnn=False))])
    assert model.layers[0].forward_layer.use_cudnn is False
    assert keras.models.clone_model(model).layers[0].forward_layer.use_cudnn == "auto"
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].forward_layer.use_cudnn == "auto"
    assert loaded.layers[0].backward_layer.use_cudnn == "auto"

    reference = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    expected = np.asarray(reference(x, mask=mask))
    ignored = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True),
                                         weights=[np.full(w.shape, 0.1, "float32")
                                                  for w in reference.get_weights()])
    ignored.build((None, 5, 3))
    assert not np.allclose(ignored.get_weights()[0], 0.1)

    import tensorflow as tf

    # On a CPU (the generic loop) a standalone LSTM repeats its last output at masked steps;
    # cuDNN writes zeros there, so on a GPU both settings match.
    on_gpu = bool(tf.config.list_logical_devices("GPU"))
    for zero_output, matches in ((True, True), (False, on_gpu)):
        forward = keras.layers.LSTM(4, return_sequences=True, zero_output_for_mask=zero_output)
        backward = keras.layers.LSTM(4, return_sequences=True, go_backwards=True,
                                     zero_output_for_mask=zero_output)
        forward.build(x.shape), backward.build(x.shape)
        forward.set_weights(reference.forward_layer.get_weights())
        backward.set_weights(reference.backward_layer.get_weights())
        hand = np.concatenate([forward(x, mask=mask), np.flip(backward(x, mask=mask), 1)], -1)
        assert np.allclose(hand, expected, atol=1e-6) == matches


def test_one_direction_accuracy_replaces_one_half_by_its_mean():
    bilstm_utils.set_seed(0)
    model = keras.Sequential([
        keras.Input((None,), dtype="int32"),
        keras.layers.Embedding(9, 4, mask_zero=True),
        keras.layers.Bidirectional(keras.layers.LSTM(3), name="bilstm"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    tokens = np.array([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 1], [2, 2, 0, 0]])
    labels = np.array([1, 0, 1, 0])
    features = direction_outputs(model, tokens)
    assert features.shape == (4, 6)
    dense = model.layers[-1]
    kernel, bias = dense.get_weights()
    only_forward = features.copy()
    only_forward[:, 3:] = features[:, 3:].mean(axis=0)
    expected = ((only_forward @ kernel + bias)[:, 0] > 0) == labels
    result = one_direction_accuracy(model, tokens, labels)
    assert set(result) == {"both", "forward only", "backward only"}
    assert result["forward only"] == pytest.approx(expected.mean())
    full = (np.asarray(model(tokens))[:, 0] > 0.5) == labels
    assert result["both"] == pytest.approx(full.mean())
    with pytest.raises(ValueError, match="entries"):
        one_direction_accuracy(model, tokens, labels[:3])
