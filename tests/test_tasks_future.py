"""Tests of the chapter-3 tasks (future / past shift tasks, ends task, padding)."""

from __future__ import annotations

import numpy as np
import pytest

from bilstm_utils.tasks import future


def test_future_labels_look_ahead():
    x, y, w = future.make_future_task(50, 12, shift=3, vocab_size=8, seed=1)
    assert x.shape == y.shape == w.shape == (50, 12)
    assert x.min() >= 1 and x.max() <= 8
    np.testing.assert_array_equal(y[:, :9], (x[:, 3:] > 4).astype(int))
    np.testing.assert_array_equal(w[:, :9], 1)
    np.testing.assert_array_equal(w[:, 9:], 0)
    np.testing.assert_array_equal(y[:, 9:], 0)


def test_past_labels_look_back():
    x, y, w = future.make_past_task(50, 12, shift=2, vocab_size=6, seed=1)
    np.testing.assert_array_equal(y[:, 2:], (x[:, :-2] > 3).astype(int))
    np.testing.assert_array_equal(w[:, :2], 0)
    np.testing.assert_array_equal(w[:, 2:], 1)


def test_future_labels_independent_of_past():
    # the label at t is independent of the tokens up to t: agreement with x_t's class ~ 1/2
    x, y, w = future.make_future_task(4000, 10, shift=1, seed=3)
    keep = w > 0
    agree = (future.is_high(x, 8)[keep] == y[keep]).mean()
    assert abs(agree - 0.5) < 0.02
    assert abs(y[keep].mean() - 0.5) < 0.02


def test_reproducible_and_seed_dependent():
    a = future.make_future_task(5, 8, seed=4)
    b = future.make_future_task(5, 8, seed=4)
    c = future.make_future_task(5, 8, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_chance_level():
    assert future.chance_level(8) == 0.5
    with pytest.raises(ValueError, match="even"):
        future.chance_level(7)


def test_weighted_accuracy():
    y = np.array([[1, 0, 1]])
    prob = np.array([[0.9, 0.8, 0.1]])
    assert future.weighted_accuracy(y, prob, np.array([[1, 1, 0]])) == 0.5
    assert future.weighted_accuracy(y, prob[..., None], np.array([[1, 0, 0]])) == 1.0
    with pytest.raises(ValueError, match="zero everywhere"):
        future.weighted_accuracy(y, prob, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="same shape"):
        future.weighted_accuracy(y, prob[:, :2], np.ones((1, 3)))


def test_ends_task_labels():
    seqs, y = future.make_ends_task(300, 3, 9, vocab_size=8, seed=2)
    lengths = [len(s) for s in seqs]
    assert min(lengths) >= 3 and max(lengths) <= 9
    assert all(s.min() >= 1 for s in seqs)
    expected = [int(s[0] + s[-1] > 9) for s in seqs]
    np.testing.assert_array_equal(y, expected)
    assert 0.3 < y.mean() < 0.6


def test_ends_task_positive_rate_is_exact_and_matches_the_data():
    assert future.ends_task_positive_rate(8) == 28 / 64
    assert future.ends_task_positive_rate(4) == pytest.approx(3 / 8)
    _, y = future.make_ends_task(20000, 2, 9, vocab_size=8, seed=5)
    assert abs(y.mean() - 28 / 64) < 0.015
    with pytest.raises(ValueError):
        future.ends_task_positive_rate(7)


def test_pad_sides():
    seqs = [np.array([1, 2, 3]), np.array([4])]
    np.testing.assert_array_equal(future.pad(seqs, 4, "post"), [[1, 2, 3, 0], [4, 0, 0, 0]])
    np.testing.assert_array_equal(future.pad(seqs, 4, "pre"), [[0, 1, 2, 3], [0, 0, 0, 4]])


def test_bad_arguments():
    with pytest.raises(ValueError, match="non-zero"):
        future.make_shift_task(3, 5, 0)
    with pytest.raises(ValueError, match="no labelled position"):
        future.make_shift_task(3, 5, 5)
    with pytest.raises(ValueError, match="shift must be > 0"):
        future.make_future_task(3, 5, shift=-1)
    with pytest.raises(ValueError, match="positive integer"):
        future.make_shift_task(0, 5, 1)
    with pytest.raises(ValueError, match="min_length"):
        future.make_ends_task(3, 5, 4)
    with pytest.raises(ValueError, match="shorter than the longest"):
        future.pad([np.array([1, 2, 3])], 2)
    with pytest.raises(ValueError, match="'pre' or 'post'"):
        future.pad([np.array([1])], 2, side="left")
