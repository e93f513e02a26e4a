"""Tests of the .ts reader, the Japanese Vowels loader and right padding (chapter 7)."""

from __future__ import annotations

import numpy as np
import pytest

from bilstm_utils.speech import archive_file, load_japanese_vowels, pad_right, read_ts

TS = """# a comment
@problemName tiny
@univariate false
@dimensions 2
@equalLength false
@classLabel true a b
@data
1,2,3:4,5,6:a
7,?:8,9:b
"""


def test_read_ts_parses_dimensions_lengths_labels_and_missing(tmp_path):
    path = tmp_path / "tiny.ts"
    path.write_text(TS)
    series, labels = read_ts(path)
    assert labels.tolist() == ["a", "b"]
    np.testing.assert_array_equal(series[0], [[1, 4], [2, 5], [3, 6]])  # (time, dims)
    assert series[1].shape == (2, 2)
    assert np.isnan(series[1][1, 0]) and series[1][1, 1] == 9


@pytest.mark.parametrize(
    "body, message",
    [
        ("@dimensions 1\n1,2:a\n", "no @data"),
        ("@data\n", "no series"),
        ("@data\n1,2:3:\n", "label"),
        ("@data\n1,2:3:a\n", "unequal length"),
        ("@data\n1:2:a\n1:b\n", "dimensions, expected"),
    ],
)
def test_read_ts_rejects_malformed_files(tmp_path, body, message):
    path = tmp_path / "bad.ts"
    path.write_text(body)
    with pytest.raises(ValueError, match=message):
        read_ts(path)


def test_read_ts_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_ts(tmp_path / "absent.ts")


def test_archive_file_checks_split():
    with pytest.raises(ValueError, match="TRAIN"):
        archive_file("JapaneseVowels", "valid")
    with pytest.raises(FileNotFoundError):
        archive_file("NoSuchDataset", "TRAIN")


def test_japanese_vowels_has_the_documented_shape():
    train, y_train = load_japanese_vowels("train")
    test, y_test = load_japanese_vowels("TEST")
    assert (len(train), len(test)) == (270, 370)
    lengths = [len(u) for u in train + test]
    assert (min(lengths), max(lengths)) == (7, 29)
    assert {u.shape[1] for u in train + test} == {12}
    assert np.bincount(y_train).tolist() == [30] * 9  # 9 speakers, 30 utterances each
    assert set(y_test) == set(range(9))


def test_pad_right_puts_padding_at_the_end_with_no_empty_row():
    x, mask = pad_right([np.ones((2, 3)), 2 * np.ones((4, 3))], maxlen=5, value=-1)
    assert x.shape == (2, 5, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(mask, [[1, 1, 0, 0, 0], [1, 1, 1, 1, 0]])
    np.testing.assert_array_equal(x[0, :, 0], [1, 1, -1, -1, -1])
    # the cuDNN rule: each mask row is a run of True then False, and no row is all False
    assert mask[:, 0].all()
    assert (np.diff(mask.astype(int), axis=1) <= 0).all()


@pytest.mark.parametrize(
    "sequences, maxlen, message",
    [
        ([], None, "no sequences"),
        ([np.ones((0, 2))], None, "fully masked"),
        ([np.ones((3, 2))], 2, "longer than maxlen"),
        ([np.ones((1, 2)), np.ones((1, 3))], None, "feature counts"),
        ([np.ones(3)], None, "2-D"),
    ],
)
def test_pad_right_rejects_bad_input(sequences, maxlen, message):
    with pytest.raises(ValueError, match=message):
        pad_right(sequences, maxlen)


def test_speaker_classifier_ignores_padded_frames():
    import bilstm_utils  # noqa: F401  (quiet TensorFlow first)
    from bilstm_utils.speech import build_speaker_classifier

    bilstm_utils.set_seed(0)
    x, mask = pad_right([np.ones((3, 12)), np.ones((5, 12))], maxlen=6)
    noisy = x.copy()
    noisy[~mask] = 7.0  # garbage in the padding must not change the prediction
    for bidirectional in (False, True):
        model = build_speaker_classifier(units=4, bidirectional=bidirectional, n_frames=6)
        p = model.predict([x, mask], verbose=0)
        assert p.shape == (2, 9)
        np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
        np.testing.assert_allclose(p, model.predict([noisy, mask], verbose=0), atol=1e-6)
