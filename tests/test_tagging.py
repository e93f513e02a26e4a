"""Tests of the punctuation-restoration data, arrays, metrics and taggers (chapter 6)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bilstm_utils  # noqa: E402, F401
from bilstm_utils import tagging  # noqa: E402
from bilstm_utils.tagging import END_ID, OOV_ID, PAD_ID  # noqa: E402

O, COMMA, PERIOD, QUESTION, EXCLAM = range(5)  # noqa: E741 (the label's name)


def test_words_and_labels_reads_the_mark_after_each_word():
    words, labels = tagging.words_and_labels(
        "Great film; I <br /><br />LOVED it!!! Didn't you? Well: 3.5 stars, \u201cfine\u201d."
    )
    assert words == ["great", "film", "i", "loved", "it", "didn't", "you", "well", "3", "5",
                     "stars", "fine"]
    assert labels == [O, COMMA, O, O, EXCLAM, O, QUESTION, COMMA, PERIOD, O, COMMA, PERIOD]


def test_words_and_labels_edge_cases():
    assert tagging.words_and_labels("") == ([], [])
    assert tagging.words_and_labels("?!... ,") == ([], [])
    assert tagging.words_and_labels("...hello") == (["hello"], [O])  # leading marks dropped
    assert tagging.words_and_labels("why?! no.") == (["why", "no"], [QUESTION, PERIOD])
    assert tagging.words_and_labels("Café\u2019s déjà-vu") == (["café's", "déjà", "vu"], [O, O, O])
    with pytest.raises(TypeError):
        tagging.words_and_labels(None)


def test_label_shares_and_vocabulary():
    shares = tagging.label_shares([[0, 0, 1], [2]])
    assert shares == {"O": 0.5, "COMMA": 0.25, "PERIOD": 0.25, "QUESTION": 0.0, "EXCLAM": 0.0}
    with pytest.raises(ValueError):
        tagging.label_shares([[], []])
    vocab = tagging.build_vocabulary([["b", "a", "b"], ["c", "b", "a"]], max_size=5)
    assert vocab == {"<pad>": PAD_ID, "<oov>": OOV_ID, "<end>": END_ID, "b": 3, "a": 4}
    ids = tagging.encode_words([["a", "c", "b"]], vocab)
    assert ids[0].tolist() == [4, OOV_ID, 3]
    with pytest.raises(ValueError):
        tagging.build_vocabulary([["a"]], max_size=3)


def _lists(lengths, seed=0):
    rng = np.random.default_rng(seed)
    ids = [rng.integers(3, 50, n).astype(np.int32) for n in lengths]
    labels = [rng.integers(0, 5, n) for n in lengths]
    return ids, labels


@pytest.mark.parametrize("lookahead", [0, 1, 3])
def test_windows_are_right_padded_and_keep_every_label(lookahead):
    ids, labels = _lists([7, 0, 1, 12, 5])
    arrays = tagging.windows(ids, labels, window=5, lookahead=lookahead)
    assert arrays.x.shape == (7, 5 + lookahead)  # 7 -> 5+2, 1, 12 -> 5+5+2, 5
    assert tagging.is_right_padded(arrays.mask)
    for start in range(0, len(arrays), 4):  # every batch too
        assert tagging.is_right_padded(arrays.mask[start:start + 4])
    # each window reads its words, then `lookahead` END steps; labels move `lookahead` later
    assert arrays.x[0, :5].tolist() == ids[0][:5].tolist()
    assert (arrays.x[1, 2:2 + lookahead] == END_ID).all()
    assert arrays.y[0, lookahead:lookahead + 5].tolist() == list(labels[0][:5])
    assert (arrays.weight[:, :lookahead] == 0).all()
    assert arrays.labels().tolist() == np.concatenate(labels).tolist()
    assert arrays.weight.sum() == 25 and arrays.mask.sum() == 25 + 7 * lookahead


def test_windows_errors():
    ids, labels = _lists([3])
    for kwargs in ({"window": 0}, {"lookahead": -1}, {"window": 2.5}):
        with pytest.raises(ValueError):
            tagging.windows(ids, labels, **kwargs)
    with pytest.raises(ValueError):
        tagging.windows(ids, [labels[0][:2]])
    with pytest.raises(ValueError):
        tagging.windows([np.array([], dtype=np.int32)], [[]])
    arrays = tagging.windows(ids, labels, window=4)
    with pytest.raises(ValueError):
        arrays.labels(np.zeros((1, 2)))


def test_is_right_padded_rejects_left_padding_holes_and_empty_rows():
    assert tagging.is_right_padded(np.array([[1, 1, 0], [1, 0, 0]]))
    assert not tagging.is_right_padded(np.array([[0, 1, 1]]))  # left-padded
    assert not tagging.is_right_padded(np.array([[1, 0, 1]]))  # a hole
    assert not tagging.is_right_padded(np.array([[1, 1], [0, 0]]))  # a fully masked row
    assert not tagging.is_right_padded(np.ones(3))


def test_class_weights_and_f1():
    y = np.array([[0, 0, 0, 0, 1, 2, 2, 3, 4, 0]])
    w = np.ones_like(y, dtype=np.float32)
    cw = tagging.class_weights(y, w, power=1.0)
    np.testing.assert_allclose(cw, [1, 5, 2.5, 5, 5])
    np.testing.assert_allclose(tagging.class_weights(y, w, power=0.0), np.ones(5))
    with pytest.raises(ValueError):
        tagging.class_weights(np.zeros((1, 3), dtype=int), np.ones((1, 3)))
    gold = np.array([0, 1, 2, 0, 3, 0])
    pred = np.array([0, 1, 1, 2, 0, 0])
    # marks: tp 1 (COMMA); fp: COMMA for PERIOD, PERIOD for O -> 2; fn: PERIOD, QUESTION -> 2
    assert tagging.punct_f1(gold, pred) == pytest.approx(2 * 1 / (2 * 1 + 2 + 2))
    assert tagging.punct_f1(gold, np.zeros_like(gold)) == 0.0  # always-O finds nothing


def test_restored_text_and_html():
    words = ["great", "film", "<b>"]
    assert tagging.restored_text(words, [1, 2, 4]) == "great, film. <b>!"
    page = tagging.restored_html(words, gold=[1, 0, 2], pred=[1, 3, 0])
    assert "&lt;b&gt;" in page and "<b>" not in page
    assert page.count("#1a7f37") == 1 and page.count("#cf222e") == 1  # right comma, bad ?
    assert page.count("<s ") == 1  # the missed period
    with pytest.raises(ValueError):
        tagging.restored_html(words, [0], [0])


def test_build_tagger_budget_and_masked_outputs():
    fwd = tagging.build_tagger(30, "forward", units=8, embed_dim=4)
    bi = tagging.build_tagger(30, "bi", units=8, embed_dim=4)
    assert fwd.get_layer("lstm_0").units == 8
    assert bi.get_layer("bilstm_0").forward_layer.units == 4
    x = np.array([[5, 6, 7, 0, 0]], dtype=np.int32)
    probs = bi.predict(x, verbose=0)
    assert probs.shape == (1, 5, 5)
    np.testing.assert_allclose(probs.sum(-1), 1, rtol=1e-5)
    # the BiLSTM's outputs on the words do not depend on what the padding holds
    other = bi.predict(np.array([[5, 6, 7]], dtype=np.int32), verbose=0)
    np.testing.assert_allclose(probs[:, :3], other, atol=1e-6)
    # the forward tagger's output at step 0 does not see step 1; the BiLSTM's does
    x2 = np.array([[5, 9, 7, 0, 0]], dtype=np.int32)
    np.testing.assert_allclose(fwd.predict(x, verbose=0)[0, 0], fwd.predict(x2, verbose=0)[0, 0],
                               atol=1e-6)
    assert np.abs(bi.predict(x2, verbose=0)[0, 0] - probs[0, 0]).max() > 1e-6
    with pytest.raises(ValueError):
        tagging.build_tagger(30, "backward")
    with pytest.raises(ValueError):
        tagging.build_tagger(30, "bi", units=7)
