"""Chapter 6's span task, the operating-point helpers, window features, sliding-window inference,
and the chapter's own CRF code against the package's."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from seqeval.metrics import f1_score as seqeval_f1

from bilstm_utils import crf, spans, tagging


# ---------------------------------------------------------------- spans
def test_name_tags_follow_casing_and_sentence_starts():
    words, tags = spans.words_and_name_tags(
        "I saw it. Then Tom Hanks and Meg Ryan, no: Ryan! The DVD<br />Later Anna")
    assert words[:4] == ["i", "saw", "it", "then"]
    names = [(w, spans.BIO_TAGS[t]) for w, t in zip(words, tags, strict=True) if t]
    # a sentence opener ("Then", "The", "Later" after <br />), "I" and "DVD" are not names;
    # a comma splits "Ryan, no: Ryan" into two spans
    assert names == [("tom", "B-NAME"), ("hanks", "I-NAME"), ("meg", "B-NAME"),
                     ("ryan", "I-NAME"), ("ryan", "B-NAME"), ("anna", "B-NAME")]
    assert spans.words_and_name_tags("") == ([], [])
    with pytest.raises(TypeError):
        spans.words_and_name_tags(None)


def test_pronoun_contractions_are_not_names():
    _, tags = spans.words_and_name_tags("so I'm sure I've seen Jaws")
    assert tags == [0, 0, 0, 0, 0, 1]


def test_allowed_transitions_bio():
    trans, start = spans.allowed_transitions(("O", "B-PER", "I-PER", "B-LOC", "I-LOC"))
    assert trans[1, 2] and trans[2, 2] and not trans[0, 2] and not trans[3, 2]
    assert trans[3, 4] and not trans[1, 4]
    assert start.tolist() == [True, True, False, True, False]
    with pytest.raises(ValueError, match="BIO tags"):
        spans.allowed_transitions(("O", "NAME"))


def test_illegal_span_share_counts_i_after_o_and_at_start():
    assert spans.illegal_span_share([[0, 1, 2, 0, 2], [2, 2, 0]]) == pytest.approx(2 / 3)
    assert spans.illegal_span_share([[0, 0]]) == 0.0


def test_span_counts_match_seqeval_and_groups():
    gold = [[0, 1, 2, 0, 1], [1, 0, 0], [0, 0, 0]]
    pred = [[0, 2, 2, 0, 1], [1, 2, 0], [1, 0, 0]]
    counts = spans.span_counts(gold, pred, [0, 1, 1], n_groups=3)
    assert counts.shape == (3, 3) and counts[2].sum() == 0
    total = counts.sum(0)
    expected = seqeval_f1(spans.tag_strings(gold), spans.tag_strings(pred))
    assert tagging.f1_from_counts(total) == pytest.approx(expected)
    with pytest.raises(ValueError, match="n_groups"):
        spans.span_counts(gold, pred, [0, 1, 1], n_groups=1)
    with pytest.raises(ValueError, match="tag ids"):
        spans.span_counts([[0, 3]], [[0, 0]], [0])


def test_span_counts_agree_with_seqeval_on_random_tags_of_several_types():
    from seqeval.metrics.sequence_labeling import get_entities

    rng = np.random.default_rng(1)
    for tags in (spans.BIO_TAGS, ("O", "B-PER", "I-PER", "B-LOC", "I-LOC")):
        for _ in range(200):
            lengths = rng.integers(0, 7, rng.integers(0, 8))
            gold = [rng.integers(0, len(tags), n) for n in lengths]
            pred = [rng.integers(0, len(tags), n) for n in lengths]
            groups = rng.integers(0, 3, len(lengths))
            expected = np.zeros((3, 3), np.int64)
            for g, p, group in zip(spans.tag_strings(gold, tags), spans.tag_strings(pred, tags),
                                   groups, strict=True):
                g, p = set(get_entities(g)), set(get_entities(p))
                expected[group] += (len(g & p), len(p - g), len(g - p))
            counts = spans.span_counts(gold, pred, groups, n_groups=3, tags=tags)
            assert counts.tolist() == expected.tolist()
    assert spans.span_counts([], [], [], n_groups=2).tolist() == [[0, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="same length"):
        spans.span_counts([[0, 1]], [[0]], [0])


def test_span_counts_errors_name_the_argument_and_the_real_id():
    # a new user's probe: a uint64 id wrapped to -1 in the message, and errors did not say
    # whether gold or pred was at fault
    huge = np.array([0, 2**64 - 1], np.uint64)
    with pytest.raises(ValueError, match=r"gold: .* 0\.\.18446744073709551615 in sequence 0"):
        spans.span_counts([huge], [[0, 1]], [0])
    with pytest.raises(ValueError, match=r"pred: tag ids .* 3\.\.3 in sequence 1"):
        spans.span_counts([[0], [1]], [[0], [3]], [0, 0])


# ---------------------------------------------------------------- thresholds and counts
def test_tune_o_bias_is_the_best_grid_point_by_punct_f1():
    rng = np.random.default_rng(0)
    y = rng.choice(5, size=3000, p=[0.85, 0.06, 0.06, 0.015, 0.015])
    log_probs = np.log(rng.dirichlet(np.ones(5), 3000)) + 1.5 * np.eye(5)[y]
    log_probs[:, 0] += 2.0  # an over-cautious tagger: the best bias is negative
    grid = np.arange(-4, 2.01, 0.25)
    bias, f1 = tagging.tune_o_bias(log_probs, y, grid)
    brute = [tagging.punct_f1(y, tagging.apply_o_bias(log_probs, d)) for d in grid]
    assert f1 == pytest.approx(max(brute))
    assert f1 == pytest.approx(tagging.punct_f1(y, tagging.apply_o_bias(log_probs, bias)))
    assert bias < 0


def test_tune_o_bias_refuses_bad_input():
    with pytest.raises(ValueError, match="shape"):
        tagging.tune_o_bias(np.zeros((3, 4)), [0, 1, 2])
    with pytest.raises(ValueError, match="finite"):
        tagging.tune_o_bias(np.full((2, 5), -np.inf), [0, 1])
    with pytest.raises(ValueError, match="label ids"):
        tagging.tune_o_bias(np.zeros((2, 5)), [0, 7])
    with pytest.raises(ValueError, match="bias"):
        tagging.apply_o_bias(np.zeros((2, 5)), float("nan"))


def test_f1_counts_sum_to_punct_f1():
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 5, 500), rng.integers(0, 5, 500)
    groups = rng.integers(0, 7, 500)
    counts = tagging.f1_counts(y, p, groups, n_groups=9)
    assert counts.shape == (9, 3) and counts[7:].sum() == 0
    assert tagging.f1_from_counts(counts.sum(0)) == pytest.approx(tagging.punct_f1(y, p))
    assert tagging.f1_from_counts(np.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="n_groups"):
        tagging.f1_counts(y, p, groups, n_groups=3)
    with pytest.raises(ValueError, match="groups"):
        tagging.f1_counts(y, p, -groups - 1)


def test_window_features_one_hot_neighbours():
    a = tagging.windows([np.array([3, 4, 5]), np.array([6])], [[0, 1, 0], [2]], window=2)
    x = tagging.window_features(a, vocab_size=10).toarray()
    assert x.shape == (4, 30) and (x.sum(1) == 3).all()
    # word 4 (second of its window): previous 3, next beyond the window -> END
    assert x[1, 3] == 1 and x[1, 10 + 4] == 1 and x[1, 20 + tagging.END_ID] == 1
    with pytest.raises(ValueError, match="lookahead"):
        tagging.window_features(tagging.windows([np.array([3])], [[0]], lookahead=1), 10)
    with pytest.raises(ValueError, match="below vocab_size"):
        tagging.window_features(a, vocab_size=5)


class MarkAfterFive(keras.Model):
    """A fake tagger: a PERIOD after word id 5, O elsewhere; records the windows it saw."""

    def call(self, x):
        period = keras.ops.cast(keras.ops.equal(x, 5), "float32")[..., None]
        return keras.ops.concatenate([1 - period, 0 * period, period, 0 * period, 0 * period],
                                     axis=-1) * 0.98 + 0.004


def test_punctuate_labels_every_word_once_from_overlapping_windows():
    vocab = {"<pad>": 0, "<oov>": 1, "<end>": 2, "a": 3, "b": 4, "end": 5}
    text = " ".join(["a b"] * 30 + ["end"] + ["a"] * 40 + ["end"])
    out = tagging.punctuate(text, MarkAfterFive(), vocab, window=20, stride=7)
    words = out.split()
    assert len(words) == 102 and words.count("end.") == 2
    assert tagging.punctuate("", MarkAfterFive(), vocab) == ""
    assert tagging.punctuate("end", MarkAfterFive(), vocab, window=20, stride=20) == "end."
    with pytest.raises(ValueError, match="stride"):
        tagging.punctuate(text, MarkAfterFive(), vocab, window=10, stride=11)


# ---------------------------------------------------------------- the chapter's CRF code
def _chapter_function(name: str):
    nb = json.loads((Path(__file__).parents[1] / "chapters" / "06_sequence_labelling.ipynb")
                    .read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    (source,) = [s for s in sources if s.startswith(f"def {name}(")]
    namespace = {"keras": keras, "np": np}
    exec(source.split("\n\n\ntoy_mask")[0], namespace)  # noqa: S102 (the definition only)
    return namespace[name]


def test_chapter_6_crf_code_is_the_package_crf():
    """The forward algorithm and Viterbi that chapter 6 writes on the page compute what the
    package's tested functions compute."""
    log_partition, viterbi = _chapter_function("crf_log_partition"), _chapter_function("viterbi")
    rng = np.random.default_rng(3)
    em = rng.normal(size=(5, 7, 4)).astype("float32")
    a, b, e = (rng.normal(size=s).astype("float32") for s in ((4, 4), 4, 4))
    mask = np.arange(7)[None, :] < np.array([7, 6, 3, 2, 1])[:, None]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(log_partition(em, a, b, e, mask)),
                               keras.ops.convert_to_numpy(crf.crf_log_partition(em, a, b, e, mask)),
                               atol=1e-5)
    full = np.ones((5, 7), bool)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(viterbi(em, a, b, e)),
                                  keras.ops.convert_to_numpy(crf.viterbi_decode(em, a, b, e, full)))


# ---------------------------------------------------------------- a new user's odd inputs
def test_new_user_odd_inputs_get_a_clear_error_or_the_right_answer():
    """The inputs a fresh user's probe found answered silently wrong or with a bare error."""
    rng = np.random.default_rng(0)
    lp = np.log(rng.dirichlet(np.ones(5), 6))
    y = np.array([0, 1, 2, 0, 3, 0])
    with pytest.raises(ValueError, match="1-D"):
        tagging.tune_o_bias(lp, y[:, None])  # was a silently wrong F1 (0.889 for 0.4)
    tie = np.array([[-3.0, -2.9, -50, -50, -50]])  # O + 0.1 == the mark's score, exactly
    bias, f1 = tagging.tune_o_bias(tie, [1], grid=[0.1])
    assert f1 == tagging.punct_f1([1], tagging.apply_o_bias(tie, bias))
    with pytest.raises(ValueError, match="NaN"):
        tagging.apply_o_bias([[0, np.nan, -1, -1, -1]], 0)
    for bad in (None, "1", np.ones(2), True):
        with pytest.raises(ValueError, match="bias"):
            tagging.apply_o_bias(np.zeros((1, 5)), bad)
    with pytest.raises(ValueError, match="labels"):
        tagging.apply_o_bias(3.0, 0)
    floats = tagging.TaggedArrays(x=np.array([[3.5, 4]]), y=np.zeros((1, 2), int),
                                  mask=np.ones((1, 2), bool), weight=np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="integer word ids"):
        tagging.window_features(floats, 10)
    assert tagging.f1_counts([], [], []).shape == (0, 3)
    for bad in ([1, -1, 0], [1, 2, 3, 4], [np.nan, 0, 0], [1, 2]):
        with pytest.raises(ValueError, match="counts|sums"):
            tagging.f1_from_counts(bad)
    assert spans.words_and_name_tags("saw \u201cTom\u201d Hanks")[1] == [0, 1, 1]
    assert spans.words_and_name_tags("fine\u2026 Then it")[1] == [0, 0, 0]
    assert spans.allowed_transitions([])[1].dtype == bool
    with pytest.raises(ValueError, match="BIO tags"):
        spans.allowed_transitions(["O", 1])
    for bad in ([[0, 1.7]], [0, 1, 2]):
        with pytest.raises(ValueError, match="tag ids"):
            spans.tag_strings(bad)
    for bad in ([[-1]], [[2.9]], [[3]]):
        with pytest.raises(ValueError, match="tag ids"):
            spans.illegal_span_share(bad)
    with pytest.raises(ValueError, match="tag ids"):
        spans.span_counts([[1]], [[1.5]], [0])
    with pytest.raises(ValueError, match="one entry per sequence"):
        spans.span_counts([[1]], [[1]], 0)


def test_punctuate_refuses_a_model_that_does_not_output_probabilities():
    vocab = {"<pad>": 0, "<oov>": 1, "<end>": 2, "a": 3}

    class Logits(keras.Model):
        def call(self, x):
            return keras.ops.ones((*keras.ops.shape(x), 5)) * 3.0

    with pytest.raises(ValueError, match="probabilities"):
        tagging.punctuate("a a a", Logits(), vocab, window=2, stride=1)
