"""Tests for the chapter-4 additions to bilstm_utils.models and plots."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import bilstm_utils  # noqa: E402,F401
from bilstm_utils import models, plots  # noqa: E402
from bilstm_utils.text import encode, make_vectorizer  # noqa: E402


def test_masked_max_pool_ignores_padding():
    x = tf.constant([[[-5.0, 1.0], [-1.0, -2.0], [0.0, 0.0]]])
    mask = tf.constant([[True, True, False]])
    out = models.MaskedGlobalMaxPooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(out, [[-1.0, 1.0]])  # the padded zero does not win
    np.testing.assert_allclose(models.MaskedGlobalMaxPooling1D()(x).numpy(), [[0.0, 1.0]])
    empty = models.MaskedGlobalMaxPooling1D()(x, mask=tf.zeros((1, 3), tf.bool)).numpy()
    np.testing.assert_allclose(empty, [[0.0, 0.0]])


def test_keep_last_tokens_matches_pre_padding():
    right_padded = np.array([[5, 6, 7, 0, 0], [1, 2, 3, 4, 9], [8, 0, 0, 0, 0]], dtype=np.int32)
    out = models.KeepLastTokens(4)(right_padded).numpy()
    np.testing.assert_array_equal(out, [[0, 5, 6, 7], [2, 3, 4, 9], [0, 0, 0, 8]])
    with pytest.raises(ValueError, match="maxlen"):
        models.KeepLastTokens(0)


def test_bucketed_batches_cover_everything_once_and_pad_little():
    rng = np.random.default_rng(1)
    seqs = [rng.integers(1, 50, rng.integers(1, 30)) for _ in range(103)]
    labels = np.arange(103) % 2
    batches = list(models.bucketed_batches(seqs, labels, batch_size=10, maxlen=20, seed=3))
    assert len(batches) == 11 and sum(len(b[1]) for b in batches) == 103
    widths = [ids.shape[1] for ids, _ in batches]
    assert max(widths) <= 20
    # each row keeps the last tokens, front-padded, and its label travels with it
    seen = set()
    for ids, ys in batches:
        for row, y in zip(ids, ys, strict=True):
            tail = row[row != 0]
            matches = [i for i, s in enumerate(seqs) if np.array_equal(s[-20:], tail)]
            assert matches and any(labels[i] == y for i in matches)
            seen.update(matches)
    assert len(seen) == 103
    # padding is far below padding every review to the longest one
    total_cells = sum(ids.size for ids, _ in batches)
    assert total_cells < 1.1 * sum(min(len(s), 20) for s in seqs) < 0.8 * 103 * 20
    again = list(models.bucketed_batches(seqs, labels, batch_size=10, maxlen=20, seed=3))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again, strict=True))


def test_bucketed_batches_bad_arguments():
    with pytest.raises(ValueError, match="labels"):
        list(models.bucketed_batches([[1, 2]], [0, 1]))
    with pytest.raises(ValueError, match="positive"):
        list(models.bucketed_batches([[1, 2]], [0], batch_size=0))


def test_pooled_classifier_ignores_padding_and_predict_bucketed_keeps_order():
    bilstm_utils.set_seed(0)
    model = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3, dropout=0.0,
                                           embed_dropout=0.0)
    short = np.array([[0, 0, 0, 4, 5, 6]], dtype=np.int32)
    p_padded = model.predict(short, verbose=0)
    p_bare = model.predict(short[:, 3:], verbose=0)
    np.testing.assert_allclose(p_padded, p_bare, rtol=1e-5, atol=1e-6)
    seqs = [np.array([4, 5, 6]), np.arange(1, 12), np.array([7])]
    probs = models.predict_bucketed(model, seqs, batch_size=2, maxlen=8)
    for s, p in zip(seqs, probs, strict=True):
        np.testing.assert_allclose(p, model.predict(s[None, -8:], verbose=0)[0, 0], rtol=1e-5)
    uni = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3,
                                         bidirectional=False)
    assert uni.count_params() < model.count_params()
    with pytest.raises(ValueError, match="embed_dropout"):
        models.build_pooled_classifier(embed_dropout=1.0)


def test_end_to_end_model_matches_ids_and_survives_saving(tmp_path):
    bilstm_utils.set_seed(0)
    texts = ["a good film<br />really good", "a bad bad film", "not good at all", "fine"]
    vec = make_vectorizer(texts, max_tokens=20)
    model = models.build_pooled_classifier(vocab_size=20, embed_dim=4, units=3)
    e2e = models.build_end_to_end(vec, model, maxlen=3)
    p = e2e.predict(tf.constant(texts), verbose=0)
    ids = encode(vec, texts, maxlen=3)
    np.testing.assert_allclose(p, model.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)
    path = tmp_path / "e2e.keras"
    e2e.save(path)
    again = keras.saving.load_model(path)
    np.testing.assert_array_equal(again.predict(tf.constant(texts), verbose=0), p)


def test_epoch_timer_records_each_epoch():
    timer = models.EpochTimer()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((4, 2)), np.zeros(4), epochs=3, verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 3 and all(s > 0 for s in timer.seconds)


def test_length_histogram():
    fig = plots.plot_length_histogram([10, 250, 300, 50], cut=200, title="t")
    ax = fig.axes[0]
    assert ax.get_title() == "t" and "50.0%" in ax.get_legend().get_texts()[1].get_text()
    with pytest.raises(ValueError, match="cut"):
        plots.plot_length_histogram([1, 2], cut=2000)


def test_average_ensemble_is_the_mean_of_its_members():
    bilstm_utils.set_seed(0)
    a = models.build_bag_of_embeddings(vocab_size=30, embed_dim=4)
    b = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3)
    ids = np.array([[0, 3, 4, 5], [6, 7, 8, 9]], dtype=np.int32)
    both = models.build_average_ensemble([a, b])
    expected = (a.predict(ids, verbose=0) + b.predict(ids, verbose=0)) / 2
    np.testing.assert_allclose(both.predict(ids, verbose=0), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="at least two"):
        models.build_average_ensemble([a])
    short = models.build_average_ensemble([a, b], maxlens=[None, 2])
    expected = (a.predict(ids, verbose=0) + b.predict(ids[:, -2:], verbose=0)) / 2
    np.testing.assert_allclose(short.predict(ids, verbose=0), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="one entry per member"):
        models.build_average_ensemble([a, b], maxlens=[3])
    with pytest.raises(ValueError, match="vocab_size"):
        models.build_bag_of_embeddings(vocab_size=1)
