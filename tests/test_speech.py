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
        # no @classLabel line, 2 dimensions declared, lines without labels
        ("@dimensions 2\n@data\n1,2,3:4,5,6\n", "line 3: 1 dimensions, expected 2"),
        ("@univariate true\n@data\n1,2:3,4:a\n", "2 dimensions, expected 1"),
        ("@classLabel true a b\n@data\n1,2:c\n", "label 'c' is not one of"),
        ("@classLabel maybe\n@data\n1,2:a\n", "line 1: @classLabel must be 'true' or 'false'"),
        ("@dimensions two\n@data\n1,2:a\n", "@dimensions must be an integer"),
        ("@equalLength true\n@seriesLength 3\n@data\n1,2:a\n", "@seriesLength is 3"),
        ("@classLabel false\n@data\n1,2:a\n", "line 3, dimension 2: 'a' is not a number"),
        ("@data\n1,2,:3,4,5:a\n", "line 2, dimension 1: '' is not a number"),  # trailing comma
        ("@timestamps true\n@data\n(2007-01-01 00:00:00,1.0):a\n", "line 1: timestamped"),
        ("@data\n(2007-01-01 00:00:00,1.0):a\n", "line 2: timestamped values"),
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


# Bug hunt 3 (#8, #9 and "Further observations"): the header decides, and no NaN reaches training.

UNLABELLED = "@problemName x\n@dimensions 2\n@classLabel false\n@data\n1,2,3:4,5,6\n7,8:9,10\n"


def test_read_ts_unlabelled_file_keeps_every_dimension(tmp_path):
    path = tmp_path / "unlabelled.ts"
    path.write_text(UNLABELLED)
    series, labels = read_ts(path)
    assert labels is None  # was ['4,5,6', '9,10']: the second dimension taken as a label
    assert [s.shape for s in series] == [(3, 2), (2, 2)]
    np.testing.assert_array_equal(series[1], [[7, 9], [8, 10]])


def test_read_ts_regression_targets_are_labels(tmp_path):
    path = tmp_path / "target.ts"
    path.write_text("@targetLabel true\n@classLabel false\n@data\n1,2:0.5\n3,4:1.5\n")
    series, labels = read_ts(path)
    assert labels.astype(float).tolist() == [0.5, 1.5] and series[0].shape == (2, 1)


@pytest.mark.parametrize(
    "data",
    [
        b"# caf\xe9 (Latin-1)\n@data\n1,2:a\n",  # was UnicodeDecodeError (locale's encoding)
        b"\xef\xbb\xbf@data\n1,2:a\n",  # a UTF-8 byte-order mark: was 'no @data section'
        "# caf\u00e9\r\n@data\r\n1,2:a\r\n".encode(),  # UTF-8, Windows line ends
    ],
)
def test_read_ts_does_not_depend_on_the_locale_encoding(tmp_path, data):
    path = tmp_path / "enc.ts"
    path.write_bytes(data)
    series, labels = read_ts(path)
    assert labels.tolist() == ["a"] and series[0][:, 0].tolist() == [1, 2]


def test_read_ts_latin1_labels(tmp_path):
    path = tmp_path / "latin1.ts"
    path.write_bytes(b"@classLabel true caf\xe9 th\xe9\n@data\n1,2:caf\xe9\n")
    assert read_ts(path)[1].tolist() == ["caf\u00e9"]


def test_load_japanese_vowels_refuses_an_unlabelled_file(tmp_path, monkeypatch):
    from bilstm_utils import speech

    path = tmp_path / "unlabelled.ts"
    path.write_text(UNLABELLED)
    monkeypatch.setattr(speech, "archive_file", lambda name, split: path)
    with pytest.raises(ValueError, match="no class labels"):
        speech.load_japanese_vowels("TRAIN")


def _utterances():  # the bug hunt's four utterances of 3, 5, 6 and 4 frames
    return [np.random.default_rng(i).normal(size=(n, 12)) for i, n in enumerate((3, 5, 6, 4))]


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e40, "x", None])
def test_pad_right_refuses_padding_that_is_not_finite(value):
    with pytest.raises(ValueError, match="value must be a finite number"):
        pad_right(_utterances(), maxlen=6, value=value)


def test_pad_right_refuses_nan_in_a_sequence():
    seqs = _utterances()
    seqs[2][4, 7] = np.nan  # such as a '?' read from a .ts file
    with pytest.raises(ValueError, match="sequence 2 holds 1 values that are NaN"):
        pad_right(seqs, maxlen=6)


@pytest.mark.parametrize("maxlen", [0, 6.5, True, "6"])
def test_pad_right_refuses_maxlen_that_is_not_a_whole_number(maxlen):
    with pytest.raises(ValueError, match="maxlen must be an integer >= 1"):
        pad_right(_utterances(), maxlen)


def test_pad_right_numpy_integer_maxlen_and_float32_padding_value():
    x, mask = pad_right(_utterances(), np.int64(7), value=np.float32(-1.0))
    assert x.shape == (4, 7, 12) and (x[~mask] == -1).all()


def test_archive_file_names_the_argument_that_is_not_a_string():
    with pytest.raises(TypeError, match="split must be the string 'TRAIN' or 'TEST', got None"):
        archive_file("JapaneseVowels", None)
    with pytest.raises(TypeError, match="name must be a string"):
        archive_file(None, "TRAIN")
    with pytest.raises(ValueError, match="name must be"):
        archive_file("../JapaneseVowels", "TRAIN")
