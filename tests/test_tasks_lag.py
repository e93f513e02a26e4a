"""bilstm_utils.tasks.lag: the data generator, the classifier and the plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bilstm_utils._quiet import import_tensorflow_quietly
from bilstm_utils.tasks import lag

import_tensorflow_quietly()
import keras  # noqa: E402


def test_shapes_dtypes_and_label_is_first_step():
    x, y = lag.make_lag_task(10, 7, seed=0)
    assert x.shape == (10, 8, 1) and x.dtype == np.float32
    assert y.shape == (10,) and y.dtype == np.int64
    np.testing.assert_array_equal(x[:, 0, 0], 2.0 * y - 1.0)
    assert set(np.unique(y)) == {0, 1}


def test_labels_are_balanced_and_shuffled():
    _, y = lag.make_lag_task(1000, 3, seed=1)
    assert y.sum() == 500
    assert not np.array_equal(y, np.arange(1000) % 2 == 0)  # not in the generating order
    _, y_odd = lag.make_lag_task(7, 3, seed=1)
    assert y_odd.sum() == 4


def test_noise_steps_carry_no_label_information():
    x, y = lag.make_lag_task(20000, 5, noise=1.0, seed=2)
    noise = x[:, 1:, 0]
    assert abs(noise.mean()) < 0.02 and abs(noise.std() - 1.0) < 0.02
    for label in (0, 1):  # same distribution whatever the label
        assert abs(noise[y == label].mean()) < 0.03
    assert np.corrcoef(noise[:, -1], y)[0, 1] ** 2 < 1e-3
    quiet, _ = lag.make_lag_task(5, 4, noise=0.0, seed=2)
    np.testing.assert_array_equal(quiet[:, 1:], 0.0)


def test_seed_gives_the_same_data_and_other_seeds_differ():
    a = lag.make_lag_task(50, 10, seed=[3, 10, 0])
    b = lag.make_lag_task(50, 10, seed=[3, 10, 0])
    c = lag.make_lag_task(50, 10, seed=[3, 10, 1])
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_lag_zero_is_the_signal_alone():
    x, y = lag.make_lag_task(6, 0, seed=0)
    assert x.shape == (6, 1, 1)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0, "lag": 3}, "n_samples"),
        ({"n_samples": 2.5, "lag": 3}, "n_samples"),
        ({"n_samples": 4, "lag": -1}, "lag"),
        ({"n_samples": 4, "lag": True}, "lag"),
        ({"n_samples": 4, "lag": 3, "noise": -0.1}, "noise"),
        ({"n_samples": 4, "lag": 3, "noise": float("nan")}, "noise"),
    ],
)
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lag.make_lag_task(**kwargs)


def test_classifier_shape_and_compilation():
    model = lag.build_lag_classifier(keras.layers.SimpleRNN(4))
    x, _ = lag.make_lag_task(3, 9, seed=0)
    assert model.predict(x, verbose=0).shape == (3, 1)
    assert model.loss == "binary_crossentropy"
    with pytest.raises(ValueError, match="learning_rate"):
        lag.build_lag_classifier(keras.layers.SimpleRNN(4), learning_rate=0)


def test_fit_learns_a_short_lag_and_is_seeded():
    """A tiny budget suffices at lag 1; the same seed gives the same accuracy."""
    kwargs = {"n_train": 512, "n_test": 256, "epochs": 4, "batch_size": 32, "seed": 5}
    first = lag.fit_lag_task(lambda: keras.layers.SimpleRNN(8), 1, **kwargs)
    assert first.lag == 1
    assert first.test_accuracy >= 0.9
    assert len(first.history["accuracy"]) == 4
    again = lag.fit_lag_task(lambda: keras.layers.SimpleRNN(8), 1, **kwargs)
    assert again.test_accuracy == first.test_accuracy
    with pytest.raises(ValueError, match="epochs"):
        lag.fit_lag_task(lambda: keras.layers.SimpleRNN(8), 1, epochs=0)


def test_plots_are_labelled():
    ax = lag.plot_accuracy_vs_lag(
        {"SimpleRNN": ([5, 20, 60], [1.0, 0.9, 0.5])}, points={"seed 1": ([5, 60], [1.0, 0.5])}
    )
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["SimpleRNN", "seed 1", "chance (0.5)"]
    line, dots = ax.get_lines()[:2]
    assert line.get_linestyle() == "-" and dots.get_linestyle() == "None"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="empty"):
        lag.plot_accuracy_vs_lag({})
    with pytest.raises(ValueError, match="equal length"):
        lag.plot_accuracy_vs_lag({"a": ([5, 60], [1.0])})

    x, y = lag.make_lag_task(5, 6, seed=0)
    ax = lag.plot_lag_examples(x, y, n=3)
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    assert len(ax.get_legend().get_texts()) == 4
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="n must be"):
        lag.plot_lag_examples(x, y, n=6)


def test_build_lag_classifier_clipping_and_forget_bias():
    model = lag.build_lag_classifier(keras.layers.LSTM(3), global_clipnorm=1.0, forget_bias=4.0)
    assert model.optimizer.global_clipnorm == 1.0
    bias = model.layers[0].get_weights()[2]
    np.testing.assert_array_equal(bias[3:6], 4.0)
    np.testing.assert_array_equal(bias[:3], 0.0)
    with pytest.raises(ValueError, match="LSTM only"):
        lag.build_lag_classifier(keras.layers.SimpleRNN(3), forget_bias=4.0)
    with pytest.raises(ValueError, match="global_clipnorm"):
        lag.build_lag_classifier(keras.layers.SimpleRNN(3), global_clipnorm=0.0)


def test_plot_accuracy_and_gradient_draws_both_axes_and_rejects_bad_input():
    ax, twin = lag.plot_accuracy_and_gradient(
        [5, 20], {"seed 0": [1.0, 0.5], "seed 1": [0.9, 0.6]}, {"ratio": [0.1, 1e-3]}
    )
    assert ax.get_xlabel() and ax.get_ylabel() and twin.get_ylabel() and ax.get_title()
    assert twin.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [0.95, 0.55])  # the mean line
    plt.close("all")
    with pytest.raises(ValueError, match="positive"):
        lag.plot_accuracy_and_gradient([5], {"a": [1.0]}, {"r": [0.0]})
    with pytest.raises(ValueError, match="lags"):
        lag.plot_accuracy_and_gradient([5, 6], {"a": [1.0]}, {"r": [0.1, 0.2]})
