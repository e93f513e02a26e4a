"""The small modules of bilstm_utils: quiet import, seeding, glue, text, plots, gradients."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import bilstm_utils  # noqa: E402
from bilstm_utils import book, gradients, plots, text  # noqa: E402


def test_import_prints_nothing_on_stderr_even_with_tensorflow_used():
    code = (
        "import bilstm_utils, tensorflow as tf, keras\n"
        "keras.layers.LSTM(2)(tf.zeros((1, 3, 2)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_saving_a_savedmodel_logs_no_info_line_where_the_root_logger_is_at_info():
    """Chapter 4's export printed "INFO:tensorflow:Assets written to /tmp/..." into the
    notebook: a set-up with the root logger at INFO lets TensorFlow's INFO lines through."""
    code = (
        "import logging\nlogging.basicConfig(level=logging.INFO)\n"
        "import bilstm_utils, keras, tempfile\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
        "m.export(tempfile.mkdtemp() + '/x', verbose=False)\n"
        "logging.getLogger('tensorflow').warning('still shown')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "INFO:tensorflow" not in proc.stderr
    assert "still shown" in proc.stderr


def test_quiet_import_still_shows_real_errors():
    from bilstm_utils._quiet import _is_noise

    assert _is_noise("I0000 00:00:1795901254.750689    2731 port.cc:153] oneDNN custom ops")
    assert _is_noise("WARNING: All log messages before absl::InitializeLog() is called are ...")
    assert _is_noise("E0000 00:00:1796014014.749145   28885 cuda_dnn.cc:8579] Unable to register "
                     "cuDNN factory: Attempting to register factory for plugin cuDNN when one "
                     "has already been registered")
    assert not _is_noise("ImportError: libcudart.so.12: cannot open shared object file")
    assert not _is_noise("E0000 00:00:1796014014.749145   28885 session.cc:12] Out of memory")


def test_set_seed_makes_weights_and_draws_repeatable():
    def draw():
        bilstm_utils.set_seed(7)
        layer = keras.layers.Dense(3)
        layer.build((None, 4))
        return layer.kernel.numpy(), np.random.rand(3)  # noqa: NPY002 (the global state)

    (w1, r1), (w2, r2) = draw(), draw()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(r1, r2)
    bilstm_utils.set_seed(8)
    assert not np.array_equal(np.random.rand(3), r1)  # noqa: NPY002


def test_set_seed_accepts_numpy_integers_and_turns_off_tf32():
    import tensorflow as tf

    bilstm_utils.set_seed(np.int64(3))  # the fault: rejected as "not a number"
    a = np.random.rand(2)  # noqa: NPY002
    bilstm_utils.set_seed(3)
    np.testing.assert_array_equal(a, np.random.rand(2))  # noqa: NPY002
    assert not tf.config.experimental.tensor_float_32_execution_enabled()


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True, np.float32(2.0), 2**32])
def test_set_seed_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        bilstm_utils.set_seed(seed)


def test_glue_records_value_and_rejects_bad_names():
    assert bilstm_utils.glue("answer_42", 42) == 42
    assert book.GLUED["answer_42"] == 42
    for bad in ("", "two words", "1st"):
        with pytest.raises(ValueError, match="identifier"):
            bilstm_utils.glue(bad, 1)


@pytest.mark.parametrize("value, expected", [(np.float64(0.123456), 0.123456),
                                             (np.float32(0.5), 0.5), (np.int64(7), 7),
                                             (np.array(2.5), 2.5), (np.bool_(True), True)])
def test_glue_stores_numpy_scalars_as_plain_numbers(value, expected, capsys):
    # the fault: glue of np.float64 stored the text "np.float64(0.123456)"
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()  # myst_nb.glue displays through IPython
    stored = bilstm_utils.glue("numpy_value", value)
    assert type(stored) is type(expected) and stored == expected
    assert type(book.GLUED["numpy_value"]) is type(expected)
    assert "np." not in repr(book.GLUED["numpy_value"])


def test_glue_shows_a_word_without_quote_marks(monkeypatch):
    # the fault: a glued str showed as 'above' (its repr) in {glue:text}
    from IPython.core.formatters import format_display_data

    pytest.importorskip("myst_nb")  # the book's build tool; Colab and `make compat` lack it
    shown = []
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display: shown.append(value),
                        raising=False)
    import myst_nb  # noqa: F401, PLC0415

    assert bilstm_utils.glue("word_value", "above") == "above"
    assert book.GLUED["word_value"] == "above"
    assert format_display_data(shown[0])[0]["text/plain"] == "above"


def test_glue_works_without_myst_nb(monkeypatch):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import fails, as in Colab
    assert bilstm_utils.glue("colab_value", 3.5) == 3.5
    assert book.GLUED["colab_value"] == 3.5


@pytest.fixture(scope="module")
def vectorizer():
    return text.make_vectorizer(
        ["A good film.<br /><br />Good acting!", "A bad film, bad bad plot", "good"],
        max_tokens=6,
    )


@pytest.mark.parametrize("raw, expected", [
    ("AMÉLIE was ÉPIC", "amélie was épic"),  # every script's capitals are lower-cased
    ("ΚΑΛΌ film", "καλό film"),
    ("good...but", "good but"),  # punctuation separates words
    ("good…but", "good but"),
    ("well-made", "well made"),
    ("don't", "dont"),  # apostrophes join a contraction, ASCII or typographic
    ("don’t", "dont"),
    ("“great”", "great"),
    ("«great» — ¡sí!", "great sí"),
    ("cafe\u0301", "café"),  # decomposed = composed (NFKC)
    ("ﬁne", "fine"),
    ("ＧＯＯＤ", "good"),  # full-width letters
    ("a<br />b<BR>c", "a b c"),
    ("", ""),
    ("!!! ...", ""),
    ("soft\u00adhyphen zero\u200bwidth", "softhyphen zerowidth"),
])
def test_normalize_text_and_the_tensorflow_standardize_agree(raw, expected):
    assert text.normalize_text(raw) == expected
    assert text.standardize(tf.constant([raw])).numpy()[0].decode() == expected
    assert text.tokenize(raw) == expected.split()


def test_vocabulary_has_one_entry_per_word_whatever_its_case_or_form():
    vec = text.make_vectorizer(["AMÉLIE was ÉPIC", "amélie was épic", "cafe\u0301 café"],
                               max_tokens=20)
    vocab = [str(w) for w in vec.get_vocabulary()]
    assert "épic" in vocab and "Épic" not in vocab
    assert vocab.count("café") == 1


def test_vectorizer_strips_html_and_punctuation_and_ranks_by_frequency(vectorizer):
    vocab = [str(w) for w in vectorizer.get_vocabulary()]
    assert vocab[:4] == ["", "[UNK]", "good", "bad"]
    assert "br" not in vocab and "film." not in vocab


def test_encode_keeps_the_last_tokens_right_padded_by_default(vectorizer):
    ids = text.encode(vectorizer, ["good bad", "bad bad bad good good"], maxlen=4)
    assert ids.shape == (2, 4) and ids.dtype == np.int32
    assert ids[0].tolist() == [2, 3, 0, 0]
    assert ids[1].tolist() == [3, 3, 2, 2]  # the first token was cut
    pre = text.encode(vectorizer, ["good bad"], maxlen=4, padding="pre")
    assert pre[0].tolist() == [0, 0, 2, 3]
    empty = text.encode(vectorizer, ["", "...", "good"], maxlen=3)
    assert empty.tolist() == [[0, 0, 0], [0, 0, 0], [2, 0, 0]]


def test_decode_inverts_encode_and_marks_unknown_words(vectorizer):
    ids = text.encode(vectorizer, ["Good zebra, bad!"], maxlen=5)
    assert text.decode(vectorizer, ids[0]) == "good [UNK] bad"
    assert text.oov_rate(vectorizer, ["good zebra"]) == pytest.approx(0.5)


def test_text_helpers_reject_bad_input(vectorizer):
    with pytest.raises(ValueError, match="empty"):
        text.make_vectorizer([])
    with pytest.raises(ValueError, match="single string"):
        text.encode(vectorizer, "good")
    with pytest.raises(ValueError, match="only str"):
        text.encode(vectorizer, ["good", None])
    with pytest.raises(ValueError, match="max_tokens"):
        text.make_vectorizer(["a"], max_tokens=2)
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match="maxlen"):
            text.encode(vectorizer, ["good"], maxlen=bad)
    with pytest.raises(ValueError, match="padding"):
        text.encode(vectorizer, ["good"], padding="middle")
    with pytest.raises(ValueError, match="ids must be"):
        text.decode(vectorizer, [0, 99])
    with pytest.raises(ValueError, match="no tokens"):
        text.oov_rate(vectorizer, ["", "!!"])
    with pytest.raises(TypeError, match="str"):
        text.normalize_text(b"bytes")
    with pytest.raises(ValueError, match="max_tokens"):
        text.make_vectorizer(["a"], max_tokens=1e4)
    for bad in (np.array([1.0, 2.0]), np.array([True])):
        with pytest.raises(ValueError, match="integer"):
            text.decode(vectorizer, bad)
    assert text.normalize_text("a\ud800b c\u200bd") == "ab cd"  # lone surrogates, format chars


def test_plot_history_draws_two_labelled_panels_and_marks_the_best_epoch():
    hist = {"loss": [0.6, 0.4, 0.3], "accuracy": [0.7, 0.8, 0.9],
            "val_loss": [0.5, 0.45, 0.5], "val_accuracy": [0.75, 0.85, 0.8]}
    fig = plots.plot_history(hist, title="t")
    ax_loss, ax_acc = fig.axes
    assert ax_loss.get_ylabel().startswith("loss") and ax_acc.get_ylabel().startswith("accuracy")
    assert ax_loss.get_xlabel() == ax_acc.get_xlabel() == "epoch"
    labels = [t.get_text() for t in ax_acc.get_legend().get_texts()]
    assert "best epoch (2)" in labels and "validation accuracy" in labels
    assert plots.best_epoch(hist, "val_loss") == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="accuracy"):
        plots.plot_history({"loss": [1.0]})


def test_plot_seed_curves_draws_a_mean_and_a_band_per_arm():
    curves = {"masked": [[0.6, 0.9, 1.0], [0.7, 0.95, 1.0]], "unmasked": [[0.5, 0.6, 0.8]] * 3}
    ax = plots.plot_seed_curves(curves, ylabel="validation accuracy (share)", title="t")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.65, 0.925, 1.0])
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1, 2, 3])
    assert len(ax.collections) == 2  # one band per arm
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel()
    assert ax.get_title().startswith("t\n") and "mean of 2 seeds" in ax.get_title()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["masked", "unmasked"]
    plt.close("all")
    with pytest.raises(ValueError, match="no curves"):
        plots.plot_seed_curves({}, "y", "t")
    with pytest.raises(ValueError, match="n_seeds, n_points"):
        plots.plot_seed_curves({"a": [0.5, 0.6]}, "y", "t")


def test_gradient_norms_match_a_linear_recurrence():
    # h_T = sum_t x_t * a**(T-1-t) for a linear "RNN": the norm decays as a**d exactly.
    a = 0.5

    def encoder(x):
        h = 0.0 * x[:, 0, :]
        for t in range(x.shape[1]):
            h = a * h + x[:, t, :]
        return h

    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    norms = gradients.gradient_norms(encoder, x)
    np.testing.assert_allclose(norms, np.sqrt(3) * a ** np.arange(6), rtol=1e-6)
    assert gradients.gradient_ratio(norms, 2) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="distance"):
        gradients.gradient_ratio(norms, 6)
    ax = gradients.plot_gradient_norms({"linear": norms})
    assert ax.get_yscale() == "log" and ax.get_legend() is not None
    ax = gradients.plot_gradient_norms({"linear": norms}, relative=True)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), a ** np.arange(6), rtol=1e-6)
    assert "relative to $d = 0$" in ax.get_ylabel()
    with pytest.raises(ValueError, match="d = 0"):
        gradients.plot_gradient_norms({"zero": np.zeros(3)}, relative=True)
    plt.close("all")


def test_gradient_norms_resolve_tiny_gradients():
    # Entries of 1e-33 are representable in float32, but their float32 squares underflow to 0:
    # the norms must still come out as sqrt(3) * a**d (chapter 2's b_f = 0 row printed zeros).
    a = 1e-3

    def encoder(x):
        h = 0.0 * x[:, 0, :]
        for t in range(x.shape[1]):
            h = a * h + x[:, t, :]
        return h

    x = np.ones((1, 12, 3), dtype="float32")
    norms = gradients.gradient_norms(encoder, x)
    np.testing.assert_allclose(norms, np.sqrt(3) * a ** np.arange(12), rtol=1e-5)
    assert norms[-1] > 0


def test_gradient_norms_of_a_keras_lstm_match_an_eager_jacobian():
    # gradient_norms traces the Jacobian in a tf.function; it must equal the eager one.
    import keras
    import tensorflow as tf

    layer = keras.layers.LSTM(3)
    x = np.random.default_rng(1).normal(size=(2, 5, 4)).astype("float32")
    layer.build((None, None, 4))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        h = layer(xt)
    jac = tape.batch_jacobian(h, xt).numpy()
    expected = np.sqrt((jac**2).sum(axis=(1, 3))).mean(axis=0)[::-1]
    np.testing.assert_allclose(gradients.gradient_norms(layer, x), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="batch, units"):
        gradients.gradient_norms(keras.layers.LSTM(3, return_sequences=True), x)


def test_package_builds_a_wheel_with_every_module(tmp_path):
    import shutil
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    source = tmp_path / "source"  # build from a copy: setuptools writes build/ into its source
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    shutil.copytree(root / "bilstm_utils", source / "bilstm_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
         str(source)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("bilstm_utils-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(root).as_posix() for p in (root / "bilstm_utils").rglob("*.py")}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
