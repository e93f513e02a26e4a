"""Spoken digit strings, synthesised with eSpeak NG, with the digit behind every audio sample.

No recorded speech corpus installs from a package, so chapter 7 makes its own: each utterance is
3-6 English digit words ("three one four ...") said by a *synthetic* voice of eSpeak NG
(https://github.com/espeak-ng/espeak-ng, a formant synthesiser), at a random rate and pitch, with
a random pause after each word and white noise at a random signal-to-noise ratio. The words are
synthesised one at a time and joined, so the sample where each word starts and ends is known
exactly: every audio sample carries a label, a digit 0-9 or :data:`SILENCE`. The library and its
voice data come in the ``espeakng-loader`` wheel (``pip install espeakng-loader``); nothing is
downloaded at run time.

Synthetic voices are cleaner and more alike than people: numbers measured here are not numbers
for recorded speech. What they can show is what the chapter asks of them: where in a word a
model that reads only the past can tell which digit it hears.
"""

from __future__ import annotations

import ctypes
import functools
import numbers
from dataclasses import dataclass

import numpy as np

from bilstm_utils import _checks

#: eSpeak NG's output rate, samples per second.
SAMPLE_RATE = 22_050
#: The ten words, in the order of their labels 0-9.
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: The label of a sample (or frame) between words.
SILENCE = 10
#: English accents of eSpeak NG (its pronunciation rules); any can go with any variant.
ACCENTS = ("en-us", "en", "en-029", "en-gb-scotland", "en-gb-x-rp", "en-us-nyc")
#: The eSpeak NG voice variants used as speakers (a variant sets pitch, formants, breathiness):
#: the 62 of its 104 whose first three formants lie within 85-125 % of the base voice's
#: frequencies, a human range; robotic, whispered and strongly shifted voices are left out. A
#: split by variant keeps a speaker's timbre out of the other splits.
VARIANTS = (
    "Alex", "Andrea", "Denis", "Diogo", "Gene", "Gene2", "Henrique", "Hugo", "Mario", "Mike",
    "Nguyen", "RicishayMax", "RicishayMax2", "RicishayMax3", "Storm", "adam", "anika",
    "announcer", "antonio", "benjamin", "caleb", "ed", "edward", "edward2", "f1", "f2", "f5",
    "fast", "grandpa", "iven", "iven2", "iven3", "iven4", "john", "klatt", "klatt2", "klatt3",
    "klatt4", "klatt5", "klatt6", "m1", "m2", "m3", "m4", "m6", "m7", "m8", "max", "michel",
    "miguel", "mike2", "pablo", "paul", "pedro", "quincy", "rob", "robert", "sandro", "steph",
    "steph2", "steph3", "victor",
)

_ESPEAK_RATE, _ESPEAK_PITCH = 1, 3  # espeak_PARAMETER values (speak_lib.h)
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_chunks: list[np.ndarray] = []


@_CALLBACK
def _collect(wav, n_samples, events):  # eSpeak NG hands over the audio in chunks
    if n_samples > 0:
        _chunks.append(np.ctypeslib.as_array(wav, shape=(n_samples,)).copy())
    return 0


@functools.cache
def _espeak() -> ctypes.CDLL:
    try:
        import espeakng_loader
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise ImportError("chapter 7 needs eSpeak NG: pip install espeakng-loader") from err
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    rate = lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0)  # synchronous
    if rate != SAMPLE_RATE:
        raise RuntimeError(f"eSpeak NG failed to start (it returned {rate})")
    lib.espeak_SetSynthCallback(_collect)
    lib.espeak_ng_SetRandSeed(0)  # eSpeak NG seeds its random jitter from the clock otherwise
    return lib


def synthesize(text: str, voice: str = "en-us", rate: float = 175, pitch: float = 50) -> np.ndarray:
    """Speak ``text`` with eSpeak NG.

    Parameters
    ----------
    text : str
        What to say (non-empty).
    voice : str
        An eSpeak NG voice: an accent, optionally ``+`` a variant, e.g. ``"en-us+f3"``.
    rate : float
        Speaking rate in words per minute, 80-450.
    pitch : float
        Base pitch on eSpeak NG's scale, 0-99.

    Returns
    -------
    numpy.ndarray, shape (n_samples,), float32
        The waveform in [-1, 1] at :data:`SAMPLE_RATE` samples per second.

    Raises
    ------
    ValueError
        For empty text, a voice eSpeak NG does not have, or a rate or pitch out of range.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}")
    for name, value, low, high in (("rate", rate, 80, 450), ("pitch", pitch, 0, 99)):
        if not isinstance(value, numbers.Real) or not low <= value <= high:
            raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    lib = _espeak()
    if not isinstance(voice, str) or lib.espeak_SetVoiceByName(voice.encode()) != 0:
        raise ValueError(f"eSpeak NG has no voice {voice!r}; try 'en-us' or 'en-us+f3'")
    lib.espeak_SetParameter(_ESPEAK_RATE, int(round(rate)), 0)
    lib.espeak_SetParameter(_ESPEAK_PITCH, int(round(pitch)), 0)
    _chunks.clear()
    data = text.encode()
    if lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 0, None, None) != 0:
        raise RuntimeError(f"eSpeak NG could not speak {text!r}")
    lib.espeak_Synchronize()
    wave = np.concatenate(_chunks) if _chunks else np.zeros(0, np.int16)
    _chunks.clear()
    return wave.astype(np.float32) / 32768


def _trim(wave: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(wave) > threshold)
    return wave[loud[0] : loud[-1] + 1] if loud.size else wave[:0]


@functools.cache
def _word(word: str, voice: str, rate: int, pitch: int) -> np.ndarray:
    return _trim(synthesize(word, voice, rate, pitch))


@dataclass
class SpokenDigits:
    """Utterances of digit strings, each with the label of every sample.

    Attributes
    ----------
    waves : list of numpy.ndarray, each (n_samples,), float32
        The noisy waveforms at :data:`SAMPLE_RATE`.
    sample_labels : list of numpy.ndarray, each (n_samples,), int
        The digit being said at each sample, or :data:`SILENCE`.
    digits : list of numpy.ndarray, each (n_words,), int
        The transcript: the digits said, in order.
    speakers : numpy.ndarray, shape (n_utterances,), int
        Index into :data:`VARIANTS` of each utterance's voice variant.
    """

    waves: list[np.ndarray]
    sample_labels: list[np.ndarray]
    digits: list[np.ndarray]
    speakers: np.ndarray

    def __len__(self) -> int:
        return len(self.waves)


def make_spoken_digits(
    n: int,
    variants: tuple[int, ...] | list[int] | np.ndarray,
    seed: int,
    n_words: tuple[int, int] = (3, 6),
    rate: tuple[float, float] = (140, 230),
    pitch: tuple[float, float] = (25, 75),
    pause_s: tuple[float, float] = (0.07, 0.15),
    snr_db: tuple[float, float] = (10, 30),
) -> SpokenDigits:
    """Synthesise ``n`` utterances of random digit strings.

    Each utterance draws a variant from ``variants`` (in turn, so each gets the same share), an
    accent from :data:`ACCENTS`, a rate and a pitch (uniform in the ranges, fixed for the
    utterance), ``n_words`` digits (inclusive range), a pause after each word (uniform in
    ``pause_s``, seconds; the default's 70 ms or more keeps three 20-ms frames of silence
    between two equal digits, so a transcript read off frame labels can tell "one one" from
    "one"), 0.05-0.25 s of silence at either end, and white noise at an SNR drawn
    uniformly from ``snr_db`` (decibels, against the utterance's mean power).

    Parameters
    ----------
    n : int
        Utterances, >= 1.
    variants : sequence of int
        Indices into :data:`VARIANTS`: the speakers of this split (keep splits disjoint).
    seed : int
        Seeds every random draw. The same arguments give the same utterances in a fresh
        process (eSpeak NG's own random seed is fixed when it starts; it would otherwise take
        it from the clock). eSpeak NG carries a little state from one call to the next, so
        within a process each word is synthesised once and reused.
    n_words, rate, pitch, pause_s, snr_db : (low, high)
        The ranges described above.

    Returns
    -------
    SpokenDigits

    Raises
    ------
    ValueError
        For ``n`` < 1, no variant, a variant index out of range, or a range with low > high.
    """
    n = _checks.integer("n", n, minimum=1)
    variants = np.asarray(variants)
    if variants.ndim != 1 or variants.size == 0 or not np.issubdtype(variants.dtype, np.integer):
        raise ValueError("variants must be a non-empty 1-D sequence of indices into VARIANTS")
    if variants.min() < 0 or variants.max() >= len(VARIANTS):
        raise ValueError(f"variant indices must lie in [0, {len(VARIANTS) - 1}]")
    for name, (low, high) in {"n_words": n_words, "rate": rate, "pitch": pitch,
                              "pause_s": pause_s, "snr_db": snr_db}.items():
        if not (isinstance(low, numbers.Real) and isinstance(high, numbers.Real) and low <= high):
            raise ValueError(f"{name} must be a (low, high) pair, low <= high, got {(low, high)}")
    if n_words[0] < 1:
        raise ValueError(f"n_words must start at 1 or more, got {n_words}")
    rng = np.random.default_rng(seed)
    waves, labels, transcripts, speakers = [], [], [], []
    for i in range(n):
        speaker = int(variants[i % len(variants)])
        voice = f"{ACCENTS[rng.integers(len(ACCENTS))]}+{VARIANTS[speaker]}"
        r, p = int(rng.uniform(*rate)), int(rng.uniform(*pitch))
        digits = rng.integers(0, 10, rng.integers(n_words[0], n_words[1] + 1))
        parts = [np.zeros(int(rng.uniform(0.05, 0.25) * SAMPLE_RATE), np.float32)]
        part_labels = [SILENCE]
        for k, d in enumerate(digits):
            parts.append(_word(DIGIT_WORDS[d], voice, r, p))
            part_labels.append(int(d))
            end = 0.05 + rng.uniform(0, 0.2) if k == len(digits) - 1 else rng.uniform(*pause_s)
            parts.append(np.zeros(int(end * SAMPLE_RATE), np.float32))
            part_labels.append(SILENCE)
        wave = np.concatenate(parts)
        power = np.mean(wave**2)
        noise_sd = np.sqrt(power / 10 ** (rng.uniform(*snr_db) / 10))
        waves.append((wave + rng.normal(0, noise_sd, wave.shape)).astype(np.float32))
        labels.append(np.repeat(part_labels, [len(x) for x in parts]))
        transcripts.append(digits)
        speakers.append(speaker)
    return SpokenDigits(waves, labels, transcripts, np.array(speakers))


def frame_labels(sample_labels: np.ndarray, n_frames: int, frame_length: int,
                 frame_step: int) -> np.ndarray:
    """The label of each analysis frame: that of the sample at the frame's centre.

    Parameters
    ----------
    sample_labels : numpy.ndarray, shape (n_samples,)
        One label per audio sample.
    n_frames : int
        Frames the features have (>= 0).
    frame_length, frame_step : int
        The frames' length and hop in samples (as given to ``tf.signal.stft``), >= 1.

    Returns
    -------
    numpy.ndarray, shape (n_frames,)

    Raises
    ------
    ValueError
        For empty labels or a frame whose centre lies past the last sample.
    """
    sample_labels = np.asarray(sample_labels)
    n_frames = _checks.integer("n_frames", n_frames, minimum=0)
    frame_length = _checks.integer("frame_length", frame_length, minimum=1)
    frame_step = _checks.integer("frame_step", frame_step, minimum=1)
    if sample_labels.ndim != 1 or sample_labels.size == 0:
        raise ValueError("sample_labels must be a non-empty 1-D array")
    centres = np.arange(n_frames) * frame_step + frame_length // 2
    if n_frames and centres[-1] >= sample_labels.size:
        raise ValueError(f"frame {n_frames - 1} is centred on sample {centres[-1]}, past the "
                         f"last of {sample_labels.size}")
    return sample_labels[centres]


def collapse(frame_ids, silence: int = SILENCE, min_frames: int = 1) -> np.ndarray:
    """A transcript from framewise labels: runs shorter than ``min_frames`` dropped, runs of one
    label merged, silence dropped.

    ``[10, 3, 3, 3, 10, 1, 1, 4, 4]`` becomes ``[3, 1, 4]``. Two equal digits in a row survive
    only if a silent frame (or a run of another label) separates them. With ``min_frames=3``, a
    flicker of one or two frames (``[3, 3, 3, 8, 3, 3]``) is dropped before merging, so it
    neither inserts a digit nor splits one in two.

    Parameters
    ----------
    frame_ids : array_like of int, shape (n_frames,)
        The label of each frame (the argmax of a framewise classifier).
    silence : int
        The label between words.
    min_frames : int
        The shortest run that counts, >= 1.

    Returns
    -------
    numpy.ndarray of int
    """
    ids = np.asarray(frame_ids)
    min_frames = _checks.integer("min_frames", min_frames, minimum=1)
    if ids.ndim != 1:
        raise ValueError(f"frame_ids must be 1-D, got shape {ids.shape}")
    if ids.size == 0:
        return ids.astype(int)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    lengths = np.diff(np.r_[starts, ids.size])
    runs = ids[starts][lengths >= min_frames]
    if runs.size:
        runs = runs[np.r_[True, runs[1:] != runs[:-1]]]
    return runs[runs != silence].astype(int)


def word_position(labels, silence: int = SILENCE) -> np.ndarray:
    """Where each frame lies in its word: 0 at a word's first frame, 1 at its last.

    A word is a run of one digit label. Frames of silence, and words one frame long, get NaN.

    Parameters
    ----------
    labels : array_like of int, shape (n_frames,)

    Returns
    -------
    numpy.ndarray of float, shape (n_frames,)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    position = np.full(labels.shape, np.nan)
    if labels.size == 0:
        return position
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], labels.size], strict=True):
        if labels[start] != silence and end - start > 1:
            position[start:end] = np.arange(end - start) / (end - start - 1)
    return position


def delay_targets(features: list[np.ndarray], labels: list[np.ndarray], delay: int,
                  silence: int = SILENCE) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Inputs and targets for a model that labels each frame ``delay`` frames late.

    Each utterance gets ``delay`` copies of its last frame at the end, and its labels ``delay``
    leading silences, so output ``t`` is trained to label frame ``t - delay``: a forward model
    has then read ``delay`` frames past the frame it labels (a streaming recogniser that waits).

    Parameters
    ----------
    features : list of numpy.ndarray, each (n_frames, n_features)
    labels : list of numpy.ndarray, each (n_frames,)
    delay : int
        Frames, >= 0.

    Returns
    -------
    (features, labels), each a list as given, every utterance ``delay`` frames longer.
    """
    delay = _checks.integer("delay", delay, minimum=0)
    if len(features) != len(labels):
        raise ValueError(f"{len(features)} utterances of features but {len(labels)} of labels")
    if delay == 0:
        return list(features), list(labels)
    for x, y in zip(features, labels, strict=True):
        if len(x) == 0 or len(x) != len(y):
            raise ValueError("every utterance needs as many labels as frames, and one frame")
    return ([np.concatenate([x, np.repeat(x[-1:], delay, axis=0)]) for x in features],
            [np.concatenate([np.full(delay, silence, dtype=np.asarray(y).dtype), y])
             for y in labels])


def _pad(features, labels, index, fill_label):
    """Frames of the utterances ``index`` right-padded with zeros (``speech.pad_right``), and
    their labels padded with ``fill_label``."""
    from bilstm_utils.speech import pad_right

    x, mask = pad_right([features[i] for i in index])
    y = np.full(mask.shape, fill_label, np.int32)
    if labels is not None:
        for row, i in enumerate(index):
            y[row, : len(labels[i])] = labels[i]
    return x, y


def length_batches(features: list[np.ndarray], labels: list[np.ndarray], batch_size: int = 32,
                   seed: int = 0, fill_label: int = SILENCE):
    """Batches of utterances of similar length, padded at the end with zero frames.

    The utterances are sorted by length and cut into batches (little padding), and the
    batches are shuffled anew every epoch from ``seed``. Padding frames are all zeros, so a
    ``keras.layers.Masking(0.0)`` layer masks them; every row is right-padded and none is all
    padding (what cuDNN needs on a GPU, chapter 3).

    Parameters
    ----------
    features : list of numpy.ndarray, each (n_frames, n_features)
        Standardised frames; a real frame must not be all zeros.
    labels : list of numpy.ndarray, each (n_frames,)
    batch_size : int
    seed : int
        Seeds the order of the batches.
    fill_label : int
        The label of padding frames (masked out of the loss anyway).

    Returns
    -------
    keras.utils.PyDataset
        Yields ``(x, y)``: ``x`` (batch, frames, n_features) float32, ``y`` (batch, frames) int32.
    """
    import keras

    batch_size = _checks.integer("batch_size", batch_size, minimum=1)
    if len(features) != len(labels) or not features:
        raise ValueError("features and labels must be non-empty lists of the same length")
    if any(len(x) == 0 for x in features):
        raise ValueError("an utterance has no frame: a row of padding only breaks cuDNN")
    order = np.argsort([len(x) for x in features], kind="stable")
    batches = [_pad(features, labels, order[k : k + batch_size], fill_label)
               for k in range(0, len(order), batch_size)]

    class LengthBatches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(batches))

        def __len__(self):
            return len(batches)

        def __getitem__(self, i):
            return batches[self.order[i]]

        def on_epoch_end(self):
            self.order = self.rng.permutation(len(batches))

    return LengthBatches()


def predict_frames(model, features: list[np.ndarray], delay: int = 0,
                   batch_size: int = 64) -> list[np.ndarray]:
    """The most probable label of every frame, per utterance, from a framewise model.

    Parameters
    ----------
    model : keras.Model
        Frames (batch, frames, n_features) in, per-frame class scores out.
    features : list of numpy.ndarray, each (n_frames, n_features)
    delay : int
        The model's output delay (see :func:`delay_targets`): the inputs are extended and the
        first ``delay`` outputs dropped, so each returned label belongs to its own frame.
    batch_size : int

    Returns
    -------
    list of numpy.ndarray, each (n_frames,), int
    """
    delay = _checks.integer("delay", delay, minimum=0)
    batch_size = _checks.integer("batch_size", batch_size, minimum=1)
    extended, _ = delay_targets(features, [np.zeros(len(x), int) for x in features], delay)
    if not extended:
        return []
    # one padded array, so the compiled predict function is traced once, not once per length
    x, _ = _pad(extended, None, np.arange(len(extended)), SILENCE)
    best = np.asarray(model.predict(x, batch_size=batch_size, verbose=0)).argmax(-1)
    return [best[i, delay : len(f)] for i, f in enumerate(extended)]


def edit_distance(reference, hypothesis) -> int:
    """Levenshtein distance between two label sequences (substitutions, insertions, deletions).

    The character (here: digit) error rate of a set of utterances is the sum of these distances
    over the sum of the reference lengths. Computed by ``rapidfuzz``.
    """
    from rapidfuzz.distance import Levenshtein

    return int(Levenshtein.distance(list(np.asarray(reference).tolist()),
                                    list(np.asarray(hypothesis).tolist())))
