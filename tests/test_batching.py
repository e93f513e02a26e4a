"""Tests of bilstm_utils.batching: length buckets, right padding, prediction order."""

import numpy as np
import pytest

import bilstm_utils
from bilstm_utils import batching, models


def _sequences(n=103, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.integers(1, 50, rng.integers(0, 30)) for _ in range(n)]  # some are empty


def test_bucketed_batches_cover_everything_once_right_padded_and_pad_little():
    seqs = _sequences()
    labels = np.arange(103) % 2
    batches = list(batching.bucketed_batches(seqs, labels, batch_size=10, maxlen=20, seed=3))
    assert len(batches) == 11 and sum(len(b[1]) for b in batches) == 103
    assert all(1 <= ids.shape[1] <= 20 for ids, _ in batches)
    seen = set()
    for ids, ys in batches:
        for row, y in zip(ids, ys, strict=True):
            n = int((row != 0).sum())
            assert np.all(row[:n] != 0) and np.all(row[n:] == 0)  # right-padded
            matches = [i for i, s in enumerate(seqs) if np.array_equal(s[-20:], row[:n])]
            assert matches and any(labels[i] == y for i in matches)  # last tokens kept
            seen.update(matches)
    assert len(seen) == 103
    waste = batching.padding_waste(seqs, batch_size=10, maxlen=20)
    assert waste["bucketed"] < 0.1 < waste["fixed"]
    again = list(batching.bucketed_batches(seqs, labels, batch_size=10, maxlen=20, seed=3))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again, strict=True))


def test_bucketed_batches_bad_arguments():
    with pytest.raises(ValueError, match="labels"):
        list(batching.bucketed_batches([[1, 2]], [0, 1]))
    with pytest.raises(ValueError, match="positive"):
        list(batching.bucketed_batches([[1, 2]], [0], batch_size=0))


def test_predict_bucketed_keeps_input_order_and_matches_predict():
    bilstm_utils.set_seed(0)
    model = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3)
    seqs = [np.array([4, 5, 6]), np.arange(1, 12), np.array([7]), np.array([], int)]
    probs = batching.predict_bucketed(model, seqs, batch_size=2, maxlen=8)
    for s, p in zip(seqs, probs, strict=True):
        ids = np.zeros((1, 8), np.int32)
        ids[0, :len(s[-8:])] = s[-8:]
        np.testing.assert_allclose(p, model.predict(ids, verbose=0)[0, 0], rtol=1e-5, atol=1e-6)


def test_bucketed_dataset_yields_every_review_per_epoch():
    seqs = _sequences(n=25)
    ds = batching.bucketed_dataset(seqs, np.arange(25) % 2, batch_size=8, maxlen=10, seed=0)
    assert ds.cardinality().numpy() == 4
    first = [y for _, ys in ds for y in ys.numpy()]
    assert len(first) == 25
