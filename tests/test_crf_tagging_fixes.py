"""Regression tests for the CRF and tagging faults of bug hunt 3 (items 2, 3, 5 and "Further
observations"): each test uses the input that exposed the fault and fails on the unfixed code."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import bilstm_utils  # noqa: F401  (registers the custom objects for load_model)
from bilstm_utils import crf, tagging

# the bug report's batch: two right-padded windows, 5 tags
X = np.array([[5, 6, 7, 0], [8, 9, 0, 0]], "int32")
Y = np.array([[0, 2, 0, 0], [1, 0, 0, 0]], "int32")


def _tagger(num_tags=5):
    return crf.CRFTagger(tagging.build_tagger(20, units=4, embed_dim=4, softmax=False), num_tags)


def _params(c=3, seed=0):
    rng = np.random.default_rng(seed)
    trans = rng.normal(size=(c, c)).astype("float32")
    start, end = rng.normal(size=(2, c)).astype("float32")
    return trans, start, end


# 1. mixed precision (report item 2) ----------------------------------------------------------

def test_crf_tagger_trains_and_decodes_under_mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        bilstm_utils.set_seed(0)
        model = _tagger()
        model.compile(optimizer="adam")
        history = model.fit(X, Y, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        assert np.isfinite(model.evaluate(X, Y, verbose=0))
        tags = model.predict_tags(X)
        assert tags.shape == X.shape and tags.dtype == np.int32
        assert ((tags >= 0) & (tags < 5)).all()
        # the CRF computes in float32 from the float16 emissions
        emissions = model(X)
        assert keras.backend.standardize_dtype(emissions.dtype) == "float16"
        ll = model.crf.log_likelihood(emissions, Y, X != 0)
        assert keras.backend.standardize_dtype(ll.dtype) == "float32"
        assert keras.backend.standardize_dtype(model.crf.log_partition(emissions).dtype) == (
            "float32")
    finally:
        keras.mixed_precision.set_global_policy("float32")


# 2. sample_weight / class_weight (report item 3) ---------------------------------------------

def test_crf_tagger_refuses_sample_weight():
    model = _tagger()
    model.compile(optimizer="adam")
    for weights in (np.zeros(X.shape), np.array([1.0, 0.0])):
        with pytest.raises(ValueError, match="sample_weight"):
            model.evaluate(X, Y, sample_weight=weights, verbose=0)
        with pytest.raises(ValueError, match="sample_weight"):
            model.fit(X, Y, sample_weight=weights, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(X, Y, validation_data=(X, Y, np.ones(X.shape)), verbose=0)
    # the loss itself refuses weights too (what a weighted tf.data.Dataset reaches)
    with pytest.raises(ValueError, match="no per-token"):
        model.compute_loss(X, Y, model(X), sample_weight=np.ones(X.shape, "float32"))


def test_crf_tagger_refuses_class_weight():
    model = _tagger()
    model.compile(optimizer="adam")
    class_weight = {0: 1, 1: 1, 2: 100, 3: 1, 4: 1}
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(X, Y, class_weight=class_weight, verbose=0)
    # Keras turns class_weight into sample_weight before compute_loss: refused there as well
    with pytest.raises(ValueError, match="class_weight"):
        keras.Model.fit(model, X, Y, class_weight=class_weight, epochs=1, verbose=0)


# 3. NumPy integer num_tags (report item 5) ---------------------------------------------------

def test_numpy_integer_num_tags_is_accepted_and_saved_as_int(tmp_path):
    y = np.array([[0, 2, 4]])
    model = _tagger(y.max() + 1)  # np.int64(5)
    assert type(model.num_tags) is int and model.num_tags == 5
    assert type(model.crf.num_tags) is int
    layer = crf.LinearChainCRF(np.int64(5))
    assert type(layer.num_tags) is int and layer.num_tags == 5
    json.dumps(model.get_config())
    json.dumps(layer.get_config())
    tags = model.predict_tags(X)
    path = tmp_path / "numpy_num_tags.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.num_tags == 5
    np.testing.assert_array_equal(loaded.predict_tags(X), tags)
    for bad in (True, 5.0, np.int64(1), "5"):
        with pytest.raises(ValueError, match="num_tags"):
            crf.LinearChainCRF(bad)


# 4. out-of-range tag ids ("Further observations") --------------------------------------------

def test_out_of_range_tags_are_refused():
    model = _tagger()
    model.compile(optimizer="adam")
    for bad in (7, -1):
        y = Y.copy()
        y[0, 1] = bad
        with pytest.raises(ValueError, match=r"\[0, 5\)"):
            model.evaluate(X, y, verbose=0)
        with pytest.raises(ValueError, match=r"\[0, 5\)"):
            model.fit(X, y, verbose=0)
        with pytest.raises(ValueError, match=r"\[0, 5\)"):
            model.fit(X, Y, validation_data=(X, y), verbose=0)
    with pytest.raises(ValueError, match="shape"):
        model.evaluate(X, Y[..., None], verbose=0)
    # the free function too; tags on masked steps are still free (not used)
    em = np.zeros((1, 3, 5), "float32")
    trans, start, end = _params(5)
    mask = np.array([[1, 1, 0]], bool)
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        crf.crf_sequence_score(em, np.array([[0, 7, 0]]), trans, start, end, mask)
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        crf.crf_log_likelihood(em, np.array([[-1, 0, 0]]), trans, start, end)
    with pytest.raises(ValueError, match="whole"):
        crf.crf_sequence_score(em, np.array([[0, 1.5, 0]]), trans, start, end, mask)
    score = crf.crf_sequence_score(em, np.array([[0, 1, 99]]), trans, start, end, mask)
    assert np.asarray(score)[0] == pytest.approx(start[0] + trans[0, 1] + end[1])


# 5. left-padded masks ("Further observations") -----------------------------------------------

def test_left_padded_or_holed_masks_are_refused():
    rng = np.random.default_rng(0)
    em = rng.normal(size=(1, 3, 3)).astype("float32")
    trans, start, end = _params()
    tags = np.zeros((1, 3), "int32")
    for mask in (np.array([[0, 1, 1]]), np.array([[1, 0, 1]])):
        with pytest.raises(ValueError, match="right-padded"):
            crf.crf_log_partition(em, trans, start, end, mask)
        with pytest.raises(ValueError, match="right-padded"):
            crf.viterbi_decode(em, trans, start, end, mask)
        with pytest.raises(ValueError, match="right-padded"):
            crf.crf_sequence_score(em, tags, trans, start, end, mask)
        with pytest.raises(ValueError, match="right-padded"):
            crf.crf_log_likelihood(em, tags, trans, start, end, keras.ops.convert_to_tensor(mask))
    # a right-padded mask (length-1 rows included) still matches brute force
    mask = np.array([[1, 1, 0]])
    logz = keras.ops.convert_to_numpy(crf.crf_log_partition(em, trans, start, end, mask))
    assert logz[0] == pytest.approx(
        crf.brute_force_log_partition(em[0], trans, start, end, 2), abs=1e-5)
    em1 = rng.normal(size=(2, 1, 3)).astype("float32")
    best = keras.ops.convert_to_numpy(crf.viterbi_decode(em1, trans, start, end, np.ones((2, 1))))
    for b in range(2):
        np.testing.assert_array_equal(best[b], crf.brute_force_best(em1[b], trans, start, end))


def test_crf_tagger_refuses_left_padded_ids():
    seqs = [[5, 6, 7], [8, 9], [10, 11, 12, 13], [14]]
    pre = keras.utils.pad_sequences(seqs, maxlen=4)  # padding="pre", the Keras default
    post = keras.utils.pad_sequences(seqs, maxlen=4, padding="post")
    labels = np.where(post > 0, post % 5, 0).astype("int32")
    model = _tagger()
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="right-padded"):
        model.evaluate(pre, labels, verbose=0)
    with pytest.raises(ValueError, match="right-padded"):
        model.fit(pre, labels, verbose=0)
    with pytest.raises(ValueError, match="right-padded"):
        model.predict(pre, verbose=0)
    with pytest.raises(ValueError, match="right-padded"):
        model.predict_tags(pre)
    with pytest.raises(ValueError, match="right-padded"):
        model.train_on_batch(pre, labels)
    # the right-padded ids still go through
    assert model.predict_tags(post).shape == post.shape


# 6. all-masked rows ("Further observations") -------------------------------------------------

def test_all_masked_rows_are_refused_everywhere():
    em = np.zeros((2, 3, 4), "float32")
    trans, start, end = _params(4)
    mask = np.array([[1, 1, 0], [0, 0, 0]], bool)
    with pytest.raises(ValueError, match="empty row"):
        crf.viterbi_decode(em, trans, start, end, mask)
    with pytest.raises(ValueError, match="empty row"):
        crf.crf_log_partition(em, trans, start, end, mask)
    with pytest.raises(ValueError, match="empty row"):
        crf.crf_log_partition(em, trans, start, end, keras.ops.convert_to_tensor(mask))
    model = _tagger()
    model.compile(optimizer="adam")
    x = np.array([[5, 6, 0], [0, 0, 0]], "int32")
    with pytest.raises(ValueError, match="empty row"):
        model.predict_tags(x)
    with pytest.raises(ValueError, match="empty row"):
        model.evaluate(x, np.zeros_like(x), verbose=0)
    with pytest.raises(ValueError, match="empty row"):
        model.fit(x, np.zeros_like(x), verbose=0)


# 7. class_weights ("Further observations") ---------------------------------------------------

def test_class_weights_checks_power_and_labels():
    y = np.array([[0, 0, 0, 0, 1, 2, 2, 3, 4, 0]])
    w = np.ones(y.shape, "float32")
    for power in (float("nan"), -1, float("inf"), True, "0.5"):
        with pytest.raises(ValueError, match="power"):
            tagging.class_weights(y, w, power=power)
    # whole float labels give the int labels' weights; others are refused clearly
    np.testing.assert_array_equal(tagging.class_weights(y.astype(float), w),
                                  tagging.class_weights(y, w))
    with pytest.raises(ValueError, match="whole"):
        tagging.class_weights(y + 0.5, w)
    for bad in (7, -1):
        y_bad = y.copy()
        y_bad[0, 3] = bad
        with pytest.raises(ValueError, match=r"\[0, 5\)"):
            tagging.class_weights(y_bad, w)
        # a bad label on a step with weight 0 is not a label
        np.testing.assert_array_equal(tagging.class_weights(y_bad, np.where(y_bad == bad, 0, w)),
                                      tagging.class_weights(np.delete(y, 3, 1),
                                                            np.delete(w, 3, 1)))
    with pytest.raises(ValueError, match="same shape"):
        tagging.class_weights(y, w[:, :5])


# 8. label ids in restored_text / restored_html / label_shares ("Further observations") -------

def test_restored_text_html_and_label_shares_refuse_bad_labels():
    for bad in (-1, 7, 2.5):
        with pytest.raises(ValueError, match="labels"):
            tagging.restored_text(["a"], [bad])
        with pytest.raises(ValueError, match="gold"):
            tagging.restored_html(["a"], [bad], [0])
        with pytest.raises(ValueError, match="pred"):
            tagging.restored_html(["a"], [0], [bad])
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        tagging.restored_text(["a"], [-1])
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        tagging.label_shares([[0, 7]])
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        tagging.label_shares([[0, -1]])
    # NumPy integers and whole floats are still label ids
    assert tagging.restored_text(["a", "b"], np.array([2, 4])) == "a. b!"
    assert tagging.restored_text(["a"], [3.0]) == "a?"
    assert tagging.label_shares([np.array([0, 1]), [2.0, 0]])["O"] == 0.5


# 9. integer arguments of build_tagger / build_vocabulary ("Further observations") ------------

def test_build_tagger_validates_integer_sizes():
    for kwargs, name in (({"units": 8.0}, "units"), ({"embed_dim": 4.0}, "embed_dim"),
                         ({"vocab_size": 30.0}, "vocab_size"), ({"layers": 1.5}, "layers"),
                         ({"n_labels": True}, "n_labels"), ({"units": "8"}, "units"),
                         ({"embed_dim": 0}, "embed_dim")):
        args = {"vocab_size": 30, "units": 4, "embed_dim": 4, **kwargs}
        with pytest.raises(ValueError, match=name):
            tagging.build_tagger(args.pop("vocab_size"), **args)
    model = tagging.build_tagger(np.int64(30), units=np.int64(4), embed_dim=np.int32(4),
                                 n_labels=np.int64(5), layers=np.int64(1))
    assert model.output_shape == (None, None, 5)
    vocab = tagging.build_vocabulary([["a", "b"]], max_size=np.int64(5))
    assert len(vocab) == 5
