"""Tests of the keras.ops linear-chain CRF against brute-force enumeration."""

from __future__ import annotations

import keras  # noqa: F401
import numpy as np
import pytest

import bilstm_utils  # noqa: F401
from bilstm_utils import crf, tagging


def _random_crf(seed=0, batch=4, time=5, tags=3):
    rng = np.random.default_rng(seed)
    em = rng.normal(size=(batch, time, tags)).astype("float32")
    trans = rng.normal(size=(tags, tags)).astype("float32")
    start, end = rng.normal(size=(2, tags)).astype("float32")
    lengths = np.array([time, 3, 1, time - 1])[:batch]
    mask = np.arange(time)[None, :] < lengths[:, None]
    return em, trans, start, end, lengths, mask


def test_log_partition_matches_brute_force():
    em, trans, start, end, lengths, mask = _random_crf()
    logz = keras.ops.convert_to_numpy(crf.crf_log_partition(em, trans, start, end, mask))
    brute = [crf.brute_force_log_partition(em[b], trans, start, end, lengths[b])
             for b in range(len(em))]
    assert np.abs(logz - brute).max() < 1e-5


def test_log_likelihood_is_score_minus_log_partition_and_normalised():
    em, trans, start, end, lengths, mask = _random_crf(seed=1, batch=2, time=4, tags=2)
    # the probabilities of all 2**n tag sequences of each row sum to 1
    for b in range(2):
        n = lengths[b]
        paths = np.array(np.meshgrid(*[[0, 1]] * n, indexing="ij")).reshape(n, -1).T
        tags = np.zeros((len(paths), 4), dtype=np.int32)
        tags[:, :n] = paths
        ll = crf.crf_log_likelihood(np.repeat(em[b:b + 1], len(paths), 0), tags, trans, start,
                                    end, np.repeat(mask[b:b + 1], len(paths), 0))
        assert np.exp(keras.ops.convert_to_numpy(ll)).sum() == pytest.approx(1, abs=1e-5)
    # one score by hand: b_y1 + sum E + sum A + e_yn over the 3 valid steps of row 1
    t = np.array([[1, 0, 1, 1], [1, 1, 0, 0]])
    score = keras.ops.convert_to_numpy(crf.crf_sequence_score(em, t, trans, start, end, mask))
    p = t[1, :lengths[1]]
    by_hand = (start[p[0]] + end[p[-1]] + sum(em[1, i, p[i]] for i in range(len(p)))
               + sum(trans[p[i - 1], p[i]] for i in range(1, len(p))))
    assert score[1] == pytest.approx(by_hand, abs=1e-5)


def test_viterbi_matches_brute_force():
    for seed in range(3):
        em, trans, start, end, lengths, mask = _random_crf(seed=seed, tags=4)
        best = keras.ops.convert_to_numpy(crf.viterbi_decode(em, trans, start, end, mask))
        for b in range(len(em)):
            n = lengths[b]
            np.testing.assert_array_equal(
                best[b, :n], crf.brute_force_best(em[b], trans, start, end, n))


def test_brute_force_refuses_big_problems():
    with pytest.raises(ValueError):
        crf.brute_force_log_partition(np.zeros((20, 5)), np.zeros((5, 5)), np.zeros(5),
                                      np.zeros(5))


def test_crf_tagger_trains_saves_and_loads(tmp_path):
    bilstm_utils.set_seed(0)
    rng = np.random.default_rng(0)
    ids = [rng.integers(3, 20, n).astype(np.int32) for n in (6, 4, 6, 5)]
    labels = [(i % 2 == 0).astype(int) * 2 for i in ids]  # even id -> PERIOD: learnable
    arrays = tagging.windows(ids, labels, window=6)
    encoder = tagging.build_tagger(20, "bi", units=8, embed_dim=8, softmax=False)
    model = crf.CRFTagger(encoder, 5)
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    history = model.fit(arrays.x, arrays.y, epochs=30, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    tags = model.predict_tags(arrays.x)
    assert tags.shape == arrays.x.shape
    assert (arrays.labels(tags) == arrays.labels()).mean() > 0.9
    path = tmp_path / "crf.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict_tags(arrays.x), tags)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded.crf.transitions),
        keras.ops.convert_to_numpy(model.crf.transitions))


def test_layer_rejects_bad_num_tags():
    with pytest.raises(ValueError):
        crf.LinearChainCRF(1)


def test_sequence_score_rejects_an_empty_row():
    em = np.zeros((2, 3, 4), "float32")
    a, b, e = np.zeros((4, 4), "float32"), np.zeros(4, "float32"), np.zeros(4, "float32")
    tags = np.zeros((2, 3), "int32")
    mask = np.array([[1, 1, 0], [0, 0, 0]], bool)
    with pytest.raises(ValueError, match="empty row"):
        crf.crf_sequence_score(em, tags, a, b, e, mask)
    # a valid mask still works
    mask[1, 0] = True
    assert np.asarray(crf.crf_sequence_score(em, tags, a, b, e, mask)).shape == (2,)
