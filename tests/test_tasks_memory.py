"""Tests of the long-memory task (bilstm_utils.tasks.memory)."""

import numpy as np
import pytest

from bilstm_utils.tasks import memory


def test_shapes_and_dtypes():
    x, y = memory.generate(7, delay=100, n_distractors=3, seed=1)
    assert x.shape == (7, 101, 5)
    assert x.dtype == np.float32
    assert y.shape == (7,)
    assert y.dtype == np.int64


def test_label_is_the_first_symbol_and_nothing_later_reveals_it():
    x, y = memory.generate(500, delay=120, seed=3)
    symbols = memory.decode(x)
    np.testing.assert_array_equal(symbols[:, 0], y)
    # After the marker only distractor symbols (2, 3) appear: the marker channels are zero.
    assert (symbols[:, 1:] >= memory.N_MARKERS).all()
    assert x[:, 1:, : memory.N_MARKERS].sum() == 0
    # Distractors are independent of the label: their frequency is the same in both classes.
    freq = [(symbols[y == k, 1:] == 2).mean() for k in (0, 1)]
    assert abs(freq[0] - freq[1]) < 0.02


def test_labels_are_balanced_so_chance_is_one_half():
    _, y = memory.generate(4000, delay=5, seed=0)
    assert memory.CHANCE == 0.5
    assert abs(y.mean() - 0.5) < 0.03


def test_same_seed_same_data_other_seed_other_data():
    a, ya = memory.generate(20, delay=10, seed=5)
    b, yb = memory.generate(20, delay=10, seed=5)
    c, _ = memory.generate(20, delay=10, seed=6)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c)


def test_input_dim():
    assert memory.input_dim(2) == 4
    assert memory.input_dim(1) == 3


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_sequences": 0},
        {"n_sequences": 2.5},
        {"delay": 0},
        {"n_distractors": 0},
        {"seed": -1},
        {"delay": True},
    ],
)
def test_bad_arguments_raise(kwargs):
    args = {"n_sequences": 3, "delay": 4, "n_distractors": 2, "seed": 0} | kwargs
    with pytest.raises(ValueError):
        memory.generate(**args)


def test_decode_rejects_non_one_hot():
    with pytest.raises(ValueError, match="one-hot"):
        memory.decode(np.full((1, 2, 3), 0.5))
    with pytest.raises(ValueError, match="shape"):
        memory.decode(np.zeros((2, 3)))
