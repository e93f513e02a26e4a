"""Word vectors from unlabelled text (gensim word2vec) laid out for a Keras Embedding."""

from __future__ import annotations

import numpy as np
import pytest

from bilstm_utils.embeddings import embedding_matrix, train_word_vectors


def _corpus(n: int = 300, seed: int = 0) -> list[str]:
    """'good' and 'great' share every context; 'bad' and 'awful' share another."""
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n):
        if rng.random() < 0.5:
            texts.append(f"the film was {rng.choice(['good', 'great'])} and i loved it")
        else:
            texts.append(f"the plot was {rng.choice(['bad', 'awful'])} so i hated it")
    return texts


def test_words_in_the_same_contexts_get_similar_vectors():
    kv = train_word_vectors(_corpus(), vector_size=16, window=2, min_count=2, epochs=20,
                            workers=1, seed=0, tokenize=str.split)
    assert kv.vector_size == 16 and "good" in kv.key_to_index
    assert kv.similarity("good", "great") > kv.similarity("good", "awful")
    assert kv.similarity("bad", "awful") > kv.similarity("bad", "great")


def test_one_worker_and_a_seed_repeat_exactly():
    kw = dict(vector_size=8, window=2, min_count=2, epochs=3, workers=1, seed=5, tokenize=str.split)
    a, b = train_word_vectors(_corpus(), **kw), train_word_vectors(_corpus(), **kw)
    np.testing.assert_array_equal(a.vectors, b.vectors)


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [(("a review",), {}, "single string"),
     (([],), {}, "empty"),
     ((["x y"],), {"vector_size": 0}, "vector_size"),
     ((["x y"],), {"epochs": 2.5}, "epochs"),
     ((["x y"],), {"min_count": 5}, "no word occurs"),
     ((["x y"],), {"seed": -1}, "seed")],
)
def test_bad_arguments_raise(args, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        train_word_vectors(*args, tokenize=str.split, **kwargs)


def test_default_tokenizer_is_the_books_standardisation():
    normalize_text = pytest.importorskip("bilstm_utils.text").__dict__.get("normalize_text")
    if normalize_text is None:
        pytest.skip("bilstm_utils.text.normalize_text not available yet")
    texts = ["GOOD...film<br />good film", "Good film, good FILM!"] * 5
    kv = train_word_vectors(texts, vector_size=4, min_count=1, epochs=1, workers=1)
    assert set(kv.key_to_index) == {w for t in texts for w in normalize_text(t).split()}
    assert "good" in kv.key_to_index and "GOOD" not in kv.key_to_index


def test_embedding_matrix_rows_follow_the_vocabulary():
    kv = train_word_vectors(_corpus(), vector_size=8, min_count=2, epochs=2, workers=1,
                            tokenize=str.split)
    vocabulary = ["", "[UNK]", "great", "zebra", "bad"]
    matrix, coverage = embedding_matrix(kv, vocabulary, seed=0, mean_norm=None)
    assert matrix.shape == (5, 8) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[0], 0)  # padding
    np.testing.assert_array_equal(matrix[2], kv["great"])
    np.testing.assert_array_equal(matrix[4], kv["bad"])
    assert coverage == pytest.approx(2 / 3)  # 'zebra' has no vector
    for row in (1, 3):  # [UNK] and the missing word: random, on the vectors' scale
        assert np.all(matrix[row] != 0)
        assert 0.1 < np.std(matrix[row]) / np.mean(kv.vectors.std(axis=0)) < 5
    again, _ = embedding_matrix(kv, vocabulary, seed=0, mean_norm=None)
    np.testing.assert_array_equal(again, matrix)
    scaled, _ = embedding_matrix(kv, vocabulary, seed=0)  # default: mean norm 1
    np.testing.assert_allclose(np.linalg.norm(scaled[[2, 4]], axis=1).mean(), 1.0, rtol=1e-5)
    factor = scaled[2, 0] / matrix[2, 0]
    np.testing.assert_allclose(scaled, matrix * factor, rtol=1e-5, atol=1e-7)  # one factor
    with pytest.raises(ValueError, match="mean_norm"):
        embedding_matrix(kv, vocabulary, mean_norm=0)


def test_embedding_matrix_needs_a_real_vocabulary():
    kv = train_word_vectors(_corpus(), vector_size=4, min_count=2, epochs=1, workers=1,
                            tokenize=str.split)
    with pytest.raises(ValueError, match="at least one word"):
        embedding_matrix(kv, ["", "[UNK]"])


def test_reliability_diagram_and_its_errors():
    import matplotlib

    matplotlib.use("Agg")
    from bilstm_utils.plots import plot_reliability

    rng = np.random.default_rng(0)
    probs = rng.random(2000)
    y = (rng.random(2000) < probs).astype(int)  # calibrated by construction
    fig = plot_reliability(y, probs, title="t")
    model_line = fig.axes[0].lines[1]
    np.testing.assert_allclose(model_line.get_ydata(), model_line.get_xdata(), atol=0.08)
    with pytest.raises(ValueError, match="finite probabilities"):
        plot_reliability([0, 1], [0.2, np.nan])
    with pytest.raises(ValueError, match="one length"):
        plot_reliability([0, 1], [0.2])
