"""Speech frames: the Japanese Vowels speaker-identification data, read from its ``.ts`` files.

The data set (Kudo, Toyama & Shimbo 1999, https://doi.org/10.1016/S0167-8655(99)00077-X;
UCI https://archive.ics.uci.edu/dataset/128/japanese+vowels) is part of the UEA multivariate
time-series archive (Bagnall et al. 2018, https://arxiv.org/abs/1811.00075): 9 male speakers
say /ae/; each utterance is a sequence of 7-29 frames of 12 LPC cepstrum coefficients.
It ships inside the ``sktime`` wheel as ``JapaneseVowels_TRAIN.ts`` / ``_TEST.ts``; this module
only *locates* those files (no ``sktime`` import) and parses them with a small reader of the
``.ts`` format.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

#: The archive's file stem and the packages whose wheels ship it, in order of preference.
JAPANESE_VOWELS = "JapaneseVowels"
_SHIPPING_PACKAGES = ("sktime", "aeon")


def read_ts(path: str | Path) -> tuple[list[np.ndarray], np.ndarray]:
    """Read a multivariate, variable-length ``.ts`` file (the UEA/UCR archive's format).

    The format: lines starting with ``#`` are comments, lines starting with ``@`` are the
    header (``@dimensions``, ``@classLabel``...), and after ``@data`` each line is one series:
    its dimensions separated by ``:``, the values of a dimension by ``,``, and the class label
    last. ``?`` marks a missing value (read as NaN).

    Parameters
    ----------
    path : str or Path
        The ``.ts`` file.

    Returns
    -------
    series : list of ndarray, each (length_i, n_dims), float
        One array per series, time along the first axis.
    labels : ndarray (n_series,), str
        The class label of each series.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file has no ``@data`` section, no series, a line without a label, or series
        whose dimensions differ in length or count.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no .ts file at {path}")
    series: list[np.ndarray] = []
    labels: list[str] = []
    in_data = False
    n_dims = None
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if line.lower().startswith("@data"):
                in_data = True
            continue
        *dims, label = line.split(":")
        if not dims or not label.strip():
            raise ValueError(f"line {number}: expected 'dim1:dim2:...:label', got {line[:60]!r}")
        columns = [
            [np.nan if v.strip() == "?" else float(v) for v in d.split(",")] for d in dims
        ]
        lengths = {len(c) for c in columns}
        if len(lengths) != 1:
            raise ValueError(f"line {number}: dimensions of unequal length {sorted(lengths)}")
        if n_dims is not None and len(columns) != n_dims:
            raise ValueError(f"line {number}: {len(columns)} dimensions, expected {n_dims}")
        n_dims = len(columns)
        series.append(np.asarray(columns, dtype=float).T)
        labels.append(label.strip())
    if not in_data:
        raise ValueError(f"{path.name} has no @data section")
    if not series:
        raise ValueError(f"{path.name} has no series after @data")
    return series, np.asarray(labels)


def archive_file(name: str, split: str) -> Path:
    """Locate ``<name>_<split>.ts`` inside an installed package that ships the UEA archive.

    Parameters
    ----------
    name : str
        The data set's name in the archive, e.g. ``"JapaneseVowels"``.
    split : {"TRAIN", "TEST"}
        Which file (case-insensitive).

    Returns
    -------
    Path
        The file inside the installed ``sktime`` (or ``aeon``) package.

    Raises
    ------
    ValueError
        If ``split`` is not TRAIN or TEST.
    FileNotFoundError
        If no installed package ships the file (install ``sktime``).
    """
    split = str(split).upper()
    if split not in {"TRAIN", "TEST"}:
        raise ValueError(f"split must be 'TRAIN' or 'TEST', got {split!r}")
    for package in _SHIPPING_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(next(iter(spec.submodule_search_locations)))
        candidate = root / "datasets" / "data" / name / f"{name}_{split}.ts"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{name}_{split}.ts not found in any of {_SHIPPING_PACKAGES}: `pip install sktime`"
    )


def load_japanese_vowels(split: str) -> tuple[list[np.ndarray], np.ndarray]:
    """The Japanese Vowels utterances and speaker ids of one split.

    Parameters
    ----------
    split : {"TRAIN", "TEST"}
        270 training or 370 test utterances.

    Returns
    -------
    utterances : list of ndarray, each (n_frames, 12), float
        LPC cepstrum coefficients, one row per 25.6 ms frame (7-29 frames).
    speakers : ndarray (n_utterances,), int
        Speaker ids 0-8 (the file's labels 1-9 minus one).
    """
    series, labels = read_ts(archive_file(JAPANESE_VOWELS, split))
    return series, labels.astype(int) - 1


def pad_right(
    sequences: list[np.ndarray], maxlen: int | None = None, value: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Stack variable-length sequences into one array, padding at the END (post-padding).

    Right padding with every row holding at least one real step is what cuDNN's LSTM kernel
    requires of a mask in Keras's TensorFlow backend, so a masked model gives the same
    answer on CPU and GPU.

    Parameters
    ----------
    sequences : list of ndarray, each (length_i, n_features)
        At least one sequence; every one with at least one step.
    maxlen : int, optional
        Padded length (default: the longest sequence). Must be >= every length.
    value : float
        The value of padded steps.

    Returns
    -------
    x : ndarray (n, maxlen, n_features), float32
    mask : ndarray (n, maxlen), bool
        True on real steps: each row is a run of True followed by False.

    Raises
    ------
    ValueError
        If ``sequences`` is empty, a sequence is empty (it would make a fully masked row) or
        longer than ``maxlen``, or feature counts differ.
    """
    if len(sequences) == 0:
        raise ValueError("no sequences to pad")
    arrays = [np.asarray(s, dtype=np.float32) for s in sequences]
    if any(a.ndim != 2 for a in arrays):
        raise ValueError("each sequence must be 2-D: (length, n_features)")
    lengths = np.array([a.shape[0] for a in arrays])
    if lengths.min() == 0:
        raise ValueError("an empty sequence would give a fully masked row")
    features = {a.shape[1] for a in arrays}
    if len(features) != 1:
        raise ValueError(f"sequences have different feature counts {sorted(features)}")
    maxlen = int(lengths.max()) if maxlen is None else int(maxlen)
    if lengths.max() > maxlen:
        raise ValueError(f"a sequence of length {lengths.max()} is longer than maxlen={maxlen}")
    x = np.full((len(arrays), maxlen, features.pop()), value, dtype=np.float32)
    for i, a in enumerate(arrays):
        x[i, : len(a)] = a
    mask = np.arange(maxlen)[None, :] < lengths[:, None]
    return x, mask


def build_speaker_classifier(
    units: int = 32,
    bidirectional: bool = True,
    n_frames: int = 29,
    n_coefficients: int = 12,
    n_speakers: int = 9,
    learning_rate: float = 3e-3,
):
    """LSTM or BiLSTM over masked frames, last state(s) -> softmax over speakers.

    Inputs: ``[frames (batch, n_frames, n_coefficients) float, mask (batch, n_frames) bool]``
    with the mask right-padded (:func:`pad_right`). Output: (batch, n_speakers) probabilities.
    The bidirectional model concatenates the forward state at the last real frame with the
    backward state at the first frame (``2 * units`` features); the same ``units`` per direction.

    Returns
    -------
    keras.Model
        Compiled with Adam and sparse categorical cross-entropy, metric accuracy.
    """
    import keras  # noqa: PLC0415

    frames = keras.Input((n_frames, n_coefficients), name="frames")
    mask = keras.Input((n_frames,), dtype="bool", name="mask")
    lstm = keras.layers.LSTM(units, name="lstm")
    encoder = keras.layers.Bidirectional(lstm, name="bilstm") if bidirectional else lstm
    probs = keras.layers.Dense(n_speakers, activation="softmax", name="speaker")(
        encoder(frames, mask=mask)
    )
    model = keras.Model([frames, mask], probs, name="bilstm" if bidirectional else "lstm")
    model.compile(
        keras.optimizers.Adam(learning_rate),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
