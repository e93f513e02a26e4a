"""Saving and exporting the raw-string model (models.build_end_to_end) and the TensorFlow-only
standardisation (models.graph_standardize) that lets a SavedModel carry it.

The fault: ``e2e.export(path)`` succeeded, but ``tf.saved_model.load(path).serve(...)`` failed
in every other process with "Could not find callback with key=pyfunc_... in the registry"
(the standardisation ran Python through ``tf.py_function``, which a SavedModel cannot hold;
tensorflow/tensorflow#51623), and ``e2e.save("x.h5")`` wrote a file ``load_model`` could not
parse.
"""

import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import bilstm_utils
from bilstm_utils import models, text
from bilstm_utils.text import encode, make_vectorizer


def _in_new_process(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _numbers(stdout: str) -> list[float]:
    return [float(v) for v in stdout.split()]


@pytest.fixture(scope="module")
def reproducer():
    """The bug report's model, exactly."""
    bilstm_utils.set_seed(0)
    vec = text.make_vectorizer(["a good film", "a bad film", "great film"], max_tokens=20)
    classifier = models.build_pooled_classifier(vocab_size=20, embed_dim=4, units=3)
    return models.build_end_to_end(vec, classifier, maxlen=5)


@pytest.mark.parametrize("import_line", ["import bilstm_utils", "pass  # TensorFlow alone"])
def test_exported_raw_string_model_serves_in_a_new_process(reproducer, tmp_path, import_line):
    path = tmp_path / "review_sentiment"
    reproducer.export(path, verbose=False)
    expected = reproducer.predict(tf.constant(["great film"]), verbose=0)[0, 0]
    code = (f"{import_line}\nimport tensorflow as tf\n"
            f"m = tf.saved_model.load({str(path)!r})\n"
            "print(float(m.serve(tf.constant(['great film']))[0, 0]))\n")
    assert _numbers(_in_new_process(code)) == pytest.approx([expected], abs=1e-6)


def test_exported_model_standardises_like_the_training_vectorizer(tmp_path):
    # Unicode forms, case (final sigma too), <br />, apostrophes, fractions, empty: the
    # exported model must read each review as encode() (Python's standardisation) does
    bilstm_utils.set_seed(0)
    vec = make_vectorizer(["amélie was épic", "a café film", "fine dont", "οδος great film",
                           "a bad bad film", "1 2 stars"], max_tokens=30)
    classifier = models.build_pooled_classifier(vocab_size=30, embed_dim=4, units=3)
    texts = ["AMÉLIE was ÉPIC", "a cafe\u0301 ﬁlm", "ﬁne don´t don’t", "", "!!!",
             "ΟΔΟΣ<br />GREAT film", "a bad bad film", "½ stars", "Ｇｒｅａｔ\u00a0film"]
    expected = classifier.predict(encode(vec, texts, maxlen=5), verbose=0)[:, 0]
    e2e = models.build_end_to_end(vec, classifier, maxlen=5)
    np.testing.assert_allclose(e2e.predict(tf.constant(texts), verbose=0)[:, 0], expected,
                               atol=1e-6)
    path = tmp_path / "review_sentiment"
    e2e.export(path, verbose=False)
    code = ("import tensorflow as tf\n"
            f"m = tf.saved_model.load({str(path)!r})\n"
            f"print(*m.serve(tf.constant({texts!r})).numpy()[:, 0])\n")
    np.testing.assert_allclose(_numbers(_in_new_process(code)), expected, atol=1e-6)


def test_keras_file_reloads_in_a_new_process_and_the_reloaded_model_exports(reproducer,
                                                                            tmp_path):
    # .keras -> load_model after `import bilstm_utils` in a new process; that model's export
    # then serves in yet another process
    path, exported = tmp_path / "review_sentiment.keras", tmp_path / "exported"
    reproducer.save(path)
    texts = ["great film", "AMÉLIE was ÉPIC", ""]
    expected = reproducer.predict(tf.constant(texts), verbose=0)[:, 0]
    code = ("import bilstm_utils\nimport keras, tensorflow as tf\n"
            f"m = keras.saving.load_model({str(path)!r})\n"
            f"print(*m.predict(tf.constant({texts!r}), verbose=0)[:, 0])\n"
            f"m.export({str(exported)!r}, verbose=False)\n")
    np.testing.assert_allclose(_numbers(_in_new_process(code)), expected, atol=1e-6)
    code = ("import tensorflow as tf\n"
            f"served = tf.saved_model.load({str(exported)!r})\n"  # keep a reference
            f"print(*served.serve(tf.constant({texts!r})).numpy()[:, 0])\n")
    np.testing.assert_allclose(_numbers(_in_new_process(code)), expected, atol=1e-6)


def test_raw_string_model_refuses_legacy_hdf5(reproducer, tmp_path):
    # the fault: the .h5 file saved (with a legacy warning) and load_model failed on it
    for name in ("review_sentiment.h5", "review_sentiment.HDF5"):
        with pytest.raises(ValueError, match=r"HDF5.*\.keras"):
            reproducer.save(tmp_path / name)
        assert not (tmp_path / name).exists()


def _python_standardize(strings):
    out = tf.py_function(lambda s: tf.strings.lower(s), [strings], tf.string)
    out.set_shape(strings.shape)
    return out


def test_export_refuses_a_model_whose_graph_runs_python(tmp_path):
    # a vectorizer whose standardize is a tf.py_function: the SavedModel could load nowhere
    # else, so export must stop, before writing anything, and say why and what works
    vec = tf.keras.layers.TextVectorization(standardize=_python_standardize,
                                            vocabulary=["good", "film"])
    e2e = models.build_end_to_end(vec, models.build_pooled_classifier(vocab_size=4, embed_dim=4,
                                                                      units=3), maxlen=5)
    path = tmp_path / "review_sentiment"
    with pytest.raises(ValueError, match=r"runs Python.*py_function.*\.keras"):
        e2e.export(path, verbose=False)
    assert not path.exists()


_TRICKY = [
    "AMÉLIE was ÉPIC", "ΚΑΛΌ film", "good...but", "good…but", "well-made", "don't", "don’t",
    "don´t", "“great”", "«great» — ¡sí!", "cafe\u0301", "ﬁne", "ＧＯＯＤ", "a<br />b<BR>c",
    "<br\u3000/>x<Br\t>", "", "!!! ...", "soft\u00adhyphen zero\u200bwidth", "½ x¨y Ⅻ",
    "ΟΔΟΣ Σ ΑΣ. AΣ\u0301b Σa", "\u1100\u1161\u11a8 \u1100\u1161", "a\u0323\u0302 e\u0302\u0323",
    "x\u0308\u0301", "İstanbul İ\u0323", "\u0f71\u0f72 a\u0f71\u0f72", "\x96dash\x00nul\x1ca",
    " \u00a0 \u2028\u0085 lead and trail \t ", "emoji 😀 and 𝐁𝐨𝐥𝐝",
]


def test_graph_standardize_gives_normalize_texts_strings():
    rng = random.Random(0)
    pool = ("aeiouAEIOUΣσİıé<>/ brBR'’`´¨½ﬁＧ\u0301\u0308\u0323\u0302\u0307\u0345"
            "\u1100\u1161\u11a8\u00a0\u3000\u200b.-!")
    texts = _TRICKY + ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12)))
                       for _ in range(3000)]
    graph = tf.function(models.graph_standardize)
    out = [s.decode() for s in graph(tf.constant(texts)).numpy()]
    assert out == [text.normalize_text(t) for t in texts]
    shaped = models.graph_standardize(tf.constant([["A.B", "ÉÉ"], ["", "x"]]))
    assert shaped.shape == (2, 2) and shaped.numpy()[0, 1].decode() == "éé"


def test_graph_standardize_agrees_on_every_code_point():
    codes = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    strings = ["Ab" + chr(c) + "Σ" for c in codes]
    out = models.graph_standardize(tf.constant(strings)).numpy()
    bad = [hex(c) for c, s, o in zip(codes, strings, out, strict=True)
           if o.decode() != text.normalize_text(s)]
    assert bad == []


@pytest.mark.parametrize("batch", [[], [""], ["…"], ["", "!!!", "…"], ["\u0301"], [".Σ."],
                                   ["\u1161"], ["😀"], [b"\xff"], ["a\u0323\u0302"]])
def test_graph_standardize_reads_any_batch_in_a_graph(batch):
    # the fault: a batch whose characters were all case-ignorable ("…" -> "...") gathered
    # from an empty tensor in a graph ("indices[0] = -1 is not in [0, 0)")
    graph = tf.function(models.graph_standardize,
                        input_signature=[tf.TensorSpec([None], tf.string)])
    out = [s.decode() for s in graph(tf.constant(batch, tf.string)).numpy()]
    assert out == [text.normalize_text(s.decode("utf-8", "replace") if isinstance(s, bytes)
                                       else s) for s in batch]
    for review in _TRICKY:
        assert graph(tf.constant([review])).numpy()[0].decode() == text.normalize_text(review)
