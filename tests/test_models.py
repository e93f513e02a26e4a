"""Tests of bilstm_utils.models: the chapter-4/5 classifiers, their custom layers, and the
raw-string model (empty reviews, batch independence, reloading, cuDNN-valid masks)."""

import importlib
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import bilstm_utils  # noqa: E402
from bilstm_utils import batching, models, plots  # noqa: E402
from bilstm_utils.text import encode, make_vectorizer  # noqa: E402


def _sigmoid_bias(model):
    return 1 / (1 + np.exp(-model.get_layer("classifier").get_weights()[1][0]))


def _masked_builders():
    return {
        "pooled": lambda: models.build_pooled_classifier(vocab_size=50, embed_dim=4, units=3),
        "pooled_uni": lambda: models.build_pooled_classifier(vocab_size=50, embed_dim=4, units=3,
                                                             bidirectional=False),
        "bag": lambda: models.build_bag_of_embeddings(vocab_size=50, embed_dim=4),
        **{f"text_{p}": (lambda p=p: models.build_text_classifier(
            vocab_size=50, embed_dim=4, units=3, mask_zero=True, pooling=p))
           for p in models.POOLINGS},
    }


@pytest.mark.parametrize("name", sorted(_masked_builders()))
def test_a_review_with_no_token_gets_sigmoid_of_the_bias_not_nan(name):
    # the fault: build_pooled_classifier(vocab_size=50).predict(np.zeros((1, 5))) was nan
    bilstm_utils.set_seed(0)
    model = _masked_builders()[name]()
    p = model.predict(np.zeros((1, 5), "int32"), verbose=0)
    np.testing.assert_allclose(p, [[_sigmoid_bias(model)]], atol=1e-6)
    also = model.predict(np.array([[0, 0, 0, 0, 0], [5, 7, 9, 0, 0]], "int32"), verbose=0)
    assert np.isfinite(also).all() and also[0, 0] == pytest.approx(p[0, 0], abs=1e-6)


def test_predict_bucketed_handles_an_empty_review():
    bilstm_utils.set_seed(0)
    pooled = models.build_pooled_classifier(vocab_size=50, embed_dim=4, units=3)
    probs = batching.predict_bucketed(pooled, [[5, 7], []])
    assert np.isfinite(probs).all()
    assert probs[1] == pytest.approx(_sigmoid_bias(pooled), abs=1e-6)


@pytest.mark.parametrize("name", ["pooled", "bag", "text_last", "text_mean"])
def test_an_empty_review_in_a_training_batch_keeps_loss_and_weights_finite(name):
    bilstm_utils.set_seed(0)
    model = _masked_builders()[name]()
    rng = np.random.default_rng(0)
    x = np.zeros((64, 8), "int32")
    for r in range(1, 64):  # row 0 has no token; the rest are right-padded
        n = rng.integers(1, 9)
        x[r, :n] = rng.integers(1, 50, n)
    history = model.fit(x, rng.integers(0, 2, 64), batch_size=64, epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_masked_pooling_layers_ignore_padding_and_give_zeros_for_empty_rows():
    x = tf.constant([[[-5.0, 1.0], [-1.0, -2.0], [0.0, 0.0]]])
    mask = tf.constant([[True, True, False]])
    np.testing.assert_allclose(models.MaskedGlobalMaxPooling1D()(x, mask=mask), [[-1.0, 1.0]])
    np.testing.assert_allclose(models.MaskedGlobalMaxPooling1D()(x), [[0.0, 1.0]])
    np.testing.assert_allclose(models.MaskedGlobalAveragePooling1D()(x, mask=mask), [[-3.0, -0.5]])
    empty = tf.zeros((1, 3), tf.bool)
    for layer in (models.MaskedGlobalMaxPooling1D(), models.MaskedGlobalAveragePooling1D()):
        np.testing.assert_allclose(layer(x, mask=empty), [[0.0, 0.0]])


def test_non_empty_mask_sets_only_the_first_step():
    mask = tf.constant([[False, False, False], [True, True, False]])
    out = models.NonEmptyMask().compute_mask(tf.zeros((2, 3, 1)), mask).numpy()
    np.testing.assert_array_equal(out, [[True, False, False], [True, True, False]])


def test_keep_last_tokens_has_a_fixed_width_and_keeps_the_end():
    right_padded = np.array([[5, 6, 7, 0, 0], [1, 2, 3, 4, 9], [8, 0, 0, 0, 0]], dtype=np.int32)
    post = models.KeepLastTokens(4)(right_padded).numpy()
    np.testing.assert_array_equal(post, [[5, 6, 7, 0], [2, 3, 4, 9], [8, 0, 0, 0]])
    pre = models.KeepLastTokens(4, padding="pre")(right_padded).numpy()
    np.testing.assert_array_equal(pre, [[0, 5, 6, 7], [2, 3, 4, 9], [0, 0, 0, 8]])
    wide = models.KeepLastTokens(7)(right_padded[:1]).numpy()
    np.testing.assert_array_equal(wide, [[5, 6, 7, 0, 0, 0, 0]])
    none = models.KeepLastTokens(3)(np.zeros((2, 0), np.int32)).numpy()  # all-empty batch
    np.testing.assert_array_equal(none, np.zeros((2, 3)))
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match="maxlen"):
            models.KeepLastTokens(bad)
    with pytest.raises(ValueError, match="padding"):
        models.KeepLastTokens(3, padding="left")


@pytest.fixture(scope="module")
def vectorizer():
    texts = ["a good film<br />really good", "a bad bad film", "not good at all", "great film"]
    return make_vectorizer(texts, max_tokens=20)


def test_raw_string_model_answer_does_not_depend_on_its_batch(vectorizer):
    # the fault: the seed model on "great film" gave 0.5112 through encode(maxlen=200),
    # 0.5008 alone through build_end_to_end and 0.5112 batched with a 120-word review
    bilstm_utils.set_seed(0)
    seed = models.build_seed_model(vocab_size=20)
    e2e = models.build_end_to_end(vectorizer, seed, maxlen=200, padding="pre")
    reference = seed.predict(encode(vectorizer, ["great film"], maxlen=200, padding="pre"),
                             verbose=0)[0, 0]
    alone = e2e.predict(tf.constant(["great film"]), verbose=0)[0, 0]
    batched = e2e.predict(tf.constant(["great film", "good " * 120]), verbose=0)[0, 0]
    assert alone == pytest.approx(reference, abs=1e-6)
    assert batched == pytest.approx(reference, abs=1e-6)


@pytest.mark.parametrize("batch", [[""], ["", "!!!", "…"], ["", "great film"]])
def test_raw_string_model_answers_token_less_reviews(vectorizer, batch):
    # the fault: e2e.predict(tf.constant([""])) crashed ("Tried to stack elements of an
    # empty list"): the batch had zero width
    bilstm_utils.set_seed(0)
    model = models.build_pooled_classifier(vocab_size=20, embed_dim=4, units=3)
    e2e = models.build_end_to_end(vectorizer, model, maxlen=5)
    p = e2e.predict(tf.constant(batch), verbose=0)[:, 0]
    assert p.shape == (len(batch),) and np.isfinite(p).all()
    for text, value in zip(batch, p, strict=True):
        if text != "great film":
            assert value == pytest.approx(_sigmoid_bias(model), abs=1e-6)


def test_raw_string_model_matches_ids(vectorizer):
    bilstm_utils.set_seed(0)
    texts = ["a good film<br />really good", "a bad bad film", "not good at all", "fine"]
    model = models.build_pooled_classifier(vocab_size=20, embed_dim=4, units=3)
    e2e = models.build_end_to_end(vectorizer, model, maxlen=3)
    np.testing.assert_allclose(e2e.predict(tf.constant(texts), verbose=0),
                               model.predict(encode(vectorizer, texts, maxlen=3), verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("import_line", ["import bilstm_utils", "import bilstm_utils.models"])
def test_saved_raw_string_model_reloads_after_importing_the_package(vectorizer, tmp_path,
                                                                    import_line):
    # the fault: "TextVectorization could not be deserialized" unless bilstm_utils.text
    # had been imported; and a warning about the optimizer's variables on loading
    bilstm_utils.set_seed(0)
    model = models.build_pooled_classifier(vocab_size=20, embed_dim=4, units=3)
    ids = encode(vectorizer, ["a good film", "a bad bad film"], maxlen=5)
    model.fit(ids, np.array([1, 0]), epochs=1, verbose=0)  # the optimizer has state
    e2e = models.build_end_to_end(vectorizer, model, maxlen=5)
    path = tmp_path / "review_sentiment.keras"
    e2e.save(path)
    texts = ["AMÉLIE was ÉPIC", "", "a bad bad film"]
    expected = e2e.predict(tf.constant(texts), verbose=0)[:, 0]
    code = (
        f"{import_line}\nimport keras, tensorflow as tf, warnings\n"
        "warnings.simplefilter('error')\n"
        f"m = keras.saving.load_model({str(path)!r})\n"
        f"print(*m.predict(tf.constant({texts!r}), verbose=0)[:, 0])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Skipping variable loading" not in proc.stderr
    np.testing.assert_allclose([float(v) for v in proc.stdout.split()], expected, atol=1e-6)


def test_every_mask_the_package_gives_an_lstm_passes_the_cudnn_check(vectorizer, monkeypatch):
    """Keras's TensorFlow backend asserts, on a GPU, that an LSTM's mask is right-padded with
    no fully masked row. Run that same check (keras.src.backend.tensorflow.rnn) on every mask
    that reaches an LSTM here, on the CPU, for each kind of batch the package makes."""
    from keras.src import backend

    tf_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")  # the module

    checked = []

    def spy(inputs, initial_state_h, initial_state_c, mask, *args, **kwargs):
        if mask is not None:
            tf_rnn._assert_valid_mask(mask)  # raises InvalidArgumentError when invalid
            checked.append(mask.shape[0])
        raise NotImplementedError  # then Keras runs its generic (non-cuDNN) kernel

    monkeypatch.setattr(backend, "lstm", spy)
    bilstm_utils.set_seed(0)
    texts = ["a good film<br />really good", "", "!!!", "a bad bad film", "great film"]
    pooled = models.build_pooled_classifier(vocab_size=20, embed_dim=4, units=3)
    last = models.build_text_classifier(vocab_size=20, embed_dim=4, units=3, mask_zero=True)
    for model in (pooled, last):
        model(encode(vectorizer, texts, maxlen=4), training=False)
        sequences = [list(row[row != 0]) for row in encode(vectorizer, texts, maxlen=6)]
        for ids, _ in batching.bucketed_batches(sequences, np.zeros(len(texts)), batch_size=2):
            model(ids, training=False)
        model.fit(encode(vectorizer, texts, maxlen=4), np.array([1, 0, 0, 0, 1]), epochs=1,
                  verbose=0)
        e2e = models.build_end_to_end(vectorizer, model, maxlen=4)
        e2e(tf.constant(texts), training=False)
        e2e(tf.constant([""]), training=False)
    assert len(checked) >= 2 * 2 * 5  # both models, both directions, every batch kind

    # and the check does catch what the package used to produce
    with pytest.raises(tf.errors.InvalidArgumentError, match="right-padded"):
        pooled(np.array([[0, 0, 3, 4]], "int32"), training=False)


def test_builders_reject_bad_arguments():
    with pytest.raises(ValueError, match="embed_dropout"):
        models.build_pooled_classifier(embed_dropout=1.0)
    with pytest.raises(ValueError, match="vocab_size"):
        models.build_bag_of_embeddings(vocab_size=1)
    with pytest.raises(ValueError, match="pooling"):
        models.build_text_classifier(pooling="attention")


def test_pooled_classifier_ignores_padding():
    bilstm_utils.set_seed(0)
    model = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3, dropout=0.0,
                                           embed_dropout=0.0)
    short = np.array([[4, 5, 6, 0, 0, 0]], dtype=np.int32)
    np.testing.assert_allclose(model.predict(short, verbose=0),
                               model.predict(short[:, :3], verbose=0), rtol=1e-5, atol=1e-6)
    uni = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3,
                                         bidirectional=False)
    assert uni.count_params() < model.count_params()


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


def test_keep_last_tokens_reads_any_padding_layout():
    # the fault: KeepLastTokens(3)([[0, 0, 5, 6]]) gave [[0, 0, 0]], the review was lost
    np.testing.assert_array_equal(models.KeepLastTokens(3)(np.array([[0, 0, 5, 6]])), [[5, 6, 0]])
    np.testing.assert_array_equal(models.KeepLastTokens(2)(np.array([[0, 4, 5, 6]])), [[5, 6]])


def test_raw_string_model_refuses_a_vectorizer_that_keeps_the_first_tokens():
    # the fault: with sequence_length=3 the vectorizer kept the first three tokens, so
    # encode and build_end_to_end disagreed
    texts = ["awful awful awful great great great great", "fine"]
    fixed = make_vectorizer(texts, max_tokens=30, sequence_length=3)
    model = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3)
    with pytest.raises(ValueError, match="sequence_length"):
        encode(fixed, texts, maxlen=3)
    with pytest.raises(ValueError, match="output_sequence_length"):
        models.build_end_to_end(fixed, model, maxlen=3)
    with pytest.raises(ValueError, match="TextVectorization"):
        models.build_end_to_end(None, model, maxlen=3)


@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": float("nan")}, "learning_rate"),
    ({"learning_rate": float("inf")}, "learning_rate"),
    ({"vocab_size": 2.5}, "vocab_size"),
    ({"units": 0}, "units"),
])
def test_builders_reject_non_finite_rates_and_non_integer_sizes(kwargs, match):
    for build in (models.build_text_classifier, models.build_pooled_classifier):
        with pytest.raises(ValueError, match=match):
            build(**kwargs)
    with pytest.raises(ValueError, match="decay_steps"):
        models.build_pooled_classifier(decay_steps=2.5)
    with pytest.raises(ValueError, match="finite"):
        models.build_pooled_classifier(vocab_size=3, embed_dim=2,
                                       embeddings=np.full((3, 2), np.nan))


def test_builders_accept_numpy_integers():
    # the fault: vocab_size=np.int64(30) gave Keras's "input_dim must be a positive integer"
    for build in (models.build_text_classifier, models.build_pooled_classifier):
        model = build(vocab_size=np.int64(30), embed_dim=np.int32(4), units=np.int64(3))
        assert model.get_layer("embedding").input_dim == 30
    assert models.build_bag_of_embeddings(vocab_size=np.int64(30), embed_dim=np.int64(4))
