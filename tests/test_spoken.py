"""bilstm_utils.spoken: synthesised spoken digits, frame labels, transcripts and batches."""

import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from bilstm_utils import spoken


def test_synthesize_speaks_a_word_nearly_the_same_way_twice():
    """eSpeak NG carries a little state from call to call, so a word said twice in one process
    differs by a few samples; a fresh process repeats itself exactly (the random seed is set)."""
    wave = spoken.synthesize("seven", "en-us+m3", rate=170, pitch=40)
    assert wave.dtype == np.float32 and wave.ndim == 1
    assert 0.2 * spoken.SAMPLE_RATE < len(wave) < 1.5 * spoken.SAMPLE_RATE
    assert 0.05 < np.abs(wave).max() <= 1.0
    again = spoken.synthesize("seven", "en-us+m3", rate=170, pitch=40)
    assert abs(len(again) - len(wave)) < 0.01 * len(wave)


def test_make_spoken_digits_repeats_itself_in_a_fresh_process():
    code = ("import hashlib, numpy as np; from bilstm_utils import spoken; "
            "d = spoken.make_spoken_digits(20, [3, 4], seed=5); "
            "print(hashlib.sha256(np.concatenate(d.waves).tobytes()).hexdigest())")
    runs = []
    for _ in range(2):  # more than a second apart: eSpeak NG would seed its jitter from the clock
        runs.append(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                   check=True, timeout=300).stdout)
        time.sleep(1.1)
    assert runs[0] == runs[1] and len(runs[0].strip()) == 64


def test_synthesize_rate_changes_duration():
    slow = spoken.synthesize("three one four", "en-us", rate=100)
    fast = spoken.synthesize("three one four", "en-us", rate=300)
    assert len(slow) > 1.5 * len(fast)


@pytest.mark.parametrize("kwargs", [
    {"text": ""}, {"text": "   "}, {"text": None}, {"text": "one", "voice": "xx-nowhere"},
    {"text": "one", "voice": 3}, {"text": "one", "rate": 20}, {"text": "one", "rate": float("nan")},
    {"text": "one", "pitch": 120}, {"text": "one", "pitch": "high"},
])
def test_synthesize_refuses_bad_input(kwargs):
    with pytest.raises(ValueError):
        spoken.synthesize(**kwargs)


def test_every_variant_is_a_voice():
    for variant in spoken.VARIANTS:
        assert len(spoken.synthesize("one", f"en-us+{variant}")) > 0, variant
    for accent in spoken.ACCENTS:
        assert len(spoken.synthesize("one", accent)) > 0, accent


def test_make_spoken_digits_labels_every_sample_and_is_repeatable():
    d = spoken.make_spoken_digits(12, [0, 5, 7], seed=3)
    again = spoken.make_spoken_digits(12, [0, 5, 7], seed=3)
    assert len(d) == 12 and set(d.speakers) == {0, 5, 7}
    for wave, labels, digits, other in zip(d.waves, d.sample_labels, d.digits, again.waves,
                                           strict=True):
        assert len(wave) == len(labels) and np.array_equal(wave, other)
        assert 3 <= len(digits) <= 6 and set(np.unique(labels)) <= set(range(11))
        assert labels[0] == spoken.SILENCE and labels[-1] == spoken.SILENCE
        # the sample labels spell the transcript, equal neighbours included
        assert np.array_equal(spoken.collapse(labels), digits)


def test_repeated_digits_keep_three_silent_frames_between_them():
    d = spoken.make_spoken_digits(60, [1, 2], seed=0, n_words=(6, 6))
    for labels, digits in zip(d.sample_labels, d.digits, strict=True):
        frames = spoken.frame_labels(labels, 1 + (len(labels) - 882) // 441, 882, 441)
        assert np.array_equal(spoken.collapse(frames, min_frames=3), digits)


@pytest.mark.parametrize("kwargs", [
    {"n": 0, "variants": [0]}, {"n": 2, "variants": []},
    {"n": 2, "variants": [len(spoken.VARIANTS)]}, {"n": 2, "variants": [-1]},
    {"n": 2, "variants": [0.5]}, {"n": 2, "variants": [0], "rate": (200, 100)},
    {"n": 2, "variants": [0], "n_words": (0, 3)},
])
def test_make_spoken_digits_refuses_bad_input(kwargs):
    with pytest.raises(ValueError):
        spoken.make_spoken_digits(seed=0, **kwargs)


def test_frame_labels_take_the_centre_sample():
    labels = np.repeat([10, 3, 10], [5, 10, 5])  # 20 samples
    got = spoken.frame_labels(labels, 5, frame_length=4, frame_step=4)
    assert got.tolist() == [10, 3, 3, 3, 10]
    with pytest.raises(ValueError, match="past the last"):
        spoken.frame_labels(labels, 6, frame_length=4, frame_step=4)
    with pytest.raises(ValueError):
        spoken.frame_labels([], 0, 4, 4)


def test_collapse_merges_runs_drops_silence_and_flicker():
    assert spoken.collapse([10, 3, 3, 3, 10, 1, 1, 4, 4]).tolist() == [3, 1, 4]
    assert spoken.collapse([3, 3, 10, 3, 3]).tolist() == [3, 3]
    assert spoken.collapse([3, 3, 3, 8, 3, 3], min_frames=3).tolist() == [3]
    assert spoken.collapse([3, 3, 3, 8, 3, 3]).tolist() == [3, 8, 3]
    assert spoken.collapse([]).tolist() == []
    with pytest.raises(ValueError):
        spoken.collapse([[1, 2]])
    with pytest.raises(ValueError):
        spoken.collapse([1, 2], min_frames=0)


def test_edit_distance_counts_substitutions_insertions_deletions():
    assert spoken.edit_distance([3, 1, 4], [3, 1, 4]) == 0
    assert spoken.edit_distance([3, 1, 4], [3, 4]) == 1
    assert spoken.edit_distance([3, 1, 4], [8, 1, 4, 4]) == 2
    assert spoken.edit_distance(np.array([1, 2]), []) == 2


def test_word_position_runs_from_zero_to_one_inside_words():
    pos = spoken.word_position([10, 3, 3, 3, 10, 1, 1, 4])
    assert np.isnan(pos[[0, 4, 7]]).all()
    assert pos[1:4].tolist() == [0.0, 0.5, 1.0] and pos[5:7].tolist() == [0.0, 1.0]


def test_delay_targets_shift_labels_and_extend_frames():
    x, y = spoken.delay_targets([np.arange(6.0).reshape(3, 2)], [np.array([1, 2, 3])], 2)
    assert x[0].shape == (5, 2) and (x[0][3:] == x[0][2]).all()
    assert y[0].tolist() == [10, 10, 1, 2, 3]
    with pytest.raises(ValueError):
        spoken.delay_targets([np.zeros((3, 2))], [np.zeros(2)], 1)
    with pytest.raises(ValueError):
        spoken.delay_targets([np.zeros((3, 2))], [np.zeros(3)], -1)


def test_length_batches_pad_right_with_zeros_and_refuse_empty_utterances():
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(n, 3)).astype("float32") + 5 for n in (4, 9, 2, 7, 5)]
    y = [np.full(len(f), 1) for f in x]
    batches = spoken.length_batches(x, y, batch_size=2, seed=0)
    assert len(batches) == 3
    for i in range(len(batches)):
        xb, yb = batches[i]
        mask = xb.any(-1)
        assert mask[:, 0].all() and (np.diff(mask.astype(int), axis=1) <= 0).all()
        assert (yb[~mask] == spoken.SILENCE).all() and (yb[mask] == 1).all()
    with pytest.raises(ValueError, match="no frame"):
        spoken.length_batches([np.zeros((0, 3))], [np.zeros(0)])


def test_predict_frames_drops_the_first_delay_outputs():
    """With a model that echoes its one-hot input, output t is input t: run with a delay of 2,
    each utterance is extended by two copies of its last frame and the first two outputs are
    dropped, so what comes back is the input shifted two frames left."""
    inputs = keras.Input((None, 11))
    model = keras.Model(inputs, inputs)
    x = [np.eye(11, dtype="float32")[[1, 2, 3]], np.eye(11, dtype="float32")[[4, 5]]]
    assert [o.tolist() for o in spoken.predict_frames(model, x)] == [[1, 2, 3], [4, 5]]
    assert [o.tolist() for o in spoken.predict_frames(model, x, delay=2)] == [[3, 3, 3], [5, 5]]
