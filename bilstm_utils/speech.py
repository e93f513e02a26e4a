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
import math
import numbers
from pathlib import Path

import numpy as np

from bilstm_utils import _checks

#: The archive's file stem and the packages whose wheels ship it, in order of preference.
JAPANESE_VOWELS = "JapaneseVowels"
_SHIPPING_PACKAGES = ("sktime", "aeon")


def _ts_text(path: Path) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else Latin-1, never the locale's."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # decodes any bytes; the values are ASCII either way


def _ts_flag(number: int, key: str, words: list[str]) -> bool:
    if not words or words[0].lower() not in {"true", "false"}:
        got = " ".join(words)
        raise ValueError(f"line {number}: @{key} must be 'true' or 'false', got {got!r}")
    return words[0].lower() == "true"


def _ts_count(number: int, key: str, words: list[str]) -> int:
    if len(words) != 1 or not (words[0].isascii() and words[0].isdigit()) or int(words[0]) < 1:
        raise ValueError(
            f"line {number}: @{key} must be an integer >= 1, got {' '.join(words)!r}"
        )
    return int(words[0])


def _ts_value(number: int, dim: int, text: str) -> float:
    text = text.strip()
    if text == "?":
        return np.nan
    if text.startswith("("):
        raise ValueError(f"line {number}: timestamped values such as {text!r} are not supported")
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"line {number}, dimension {dim}: {text!r} is not a number or '?' "
            "(a stray or trailing comma?)"
        ) from None


def read_ts(path: str | Path) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Read a multivariate, variable-length ``.ts`` file (the UEA/UCR archive's format).

    The format: lines starting with ``#`` are comments, lines starting with ``@`` are the
    header (``@dimensions``, ``@classLabel``...), and after ``@data`` each line is one series:
    its dimensions separated by ``:``, the values of a dimension by ``,``, and the label
    last. ``?`` marks a missing value (read as NaN).

    The header decides what a line holds. With ``@classLabel false`` (and no
    ``@targetLabel true``) there is no label: every field is a dimension and ``labels`` is
    None. Otherwise, also when the header does not say, the last field is the label
    (``@targetLabel true``, a regression file: the target as a string, use
    ``labels.astype(float)``). ``@dimensions`` (``@univariate true``: 1) and, for
    ``@equalLength true``, ``@seriesLength`` are checked on every series, and a label must be
    one of those listed after ``@classLabel true``. The file is read as UTF-8 (a byte-order
    mark is dropped); a file that is not UTF-8 is read as Latin-1.

    Parameters
    ----------
    path : str or Path
        The ``.ts`` file.

    Returns
    -------
    series : list of ndarray, each (length_i, n_dims), float
        One array per series, time along the first axis.
    labels : ndarray (n_series,) of str, or None
        The label of each series; None for an unlabelled file (``@classLabel false``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file has no ``@data`` section, no series, a line without a label (in a
        labelled file), a value that is neither a number nor ``?``, series whose dimensions
        differ in length or count or disagree with the header, a label not among those the
        header lists, a header value that is not understood, or timestamps
        (``@timestamps true``, not supported). Each message gives the line number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no .ts file at {path}")
    series: list[np.ndarray] = []
    labels: list[str] = []
    in_data = labelled = False
    class_label = target_label = None  # None: the header does not say
    class_names: list[str] = []
    n_dims = series_length = None
    equal_length = False
    for number, raw in enumerate(_ts_text(path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not in_data:
            if not line.startswith("@"):
                continue
            name, *words = line[1:].split() or [""]
            key = name.lower()
            if key == "data":
                in_data = True
                labelled = not (class_label is False and not target_label)
            elif key == "classlabel":
                class_label = _ts_flag(number, name, words)
                class_names = words[1:]
            elif key == "targetlabel":
                target_label = _ts_flag(number, name, words)
            elif key == "dimensions":
                n_dims = _ts_count(number, name, words)
            elif key == "univariate" and _ts_flag(number, name, words):
                n_dims = 1
            elif key == "equallength":
                equal_length = _ts_flag(number, name, words)
            elif key == "serieslength":
                series_length = _ts_count(number, name, words)
            elif key == "timestamps" and _ts_flag(number, name, words):
                raise ValueError(f"line {number}: timestamped .ts files are not supported")
            continue
        fields = line.split(":")
        if labelled:
            *fields, label = fields
            if not fields or not label.strip():
                raise ValueError(
                    f"line {number}: expected 'dim1:dim2:...:label', got {line[:60]!r}"
                )
            label = label.strip()
            if class_names and label not in class_names:
                raise ValueError(
                    f"line {number}: label {label!r} is not one of the header's {class_names}"
                )
            labels.append(label)
        columns = [
            [_ts_value(number, dim, v) for v in field.split(",")]
            for dim, field in enumerate(fields, start=1)
        ]
        lengths = {len(c) for c in columns}
        if len(lengths) != 1:
            raise ValueError(f"line {number}: dimensions of unequal length {sorted(lengths)}")
        if n_dims is not None and len(columns) != n_dims:
            raise ValueError(f"line {number}: {len(columns)} dimensions, expected {n_dims}")
        if equal_length and series_length is not None and lengths != {series_length}:
            raise ValueError(
                f"line {number}: a series of length {lengths.pop()}, the header's "
                f"@seriesLength is {series_length}"
            )
        n_dims = len(columns)
        series.append(np.asarray(columns, dtype=float).T)
    if not in_data:
        raise ValueError(f"{path.name} has no @data section")
    if not series:
        raise ValueError(f"{path.name} has no series after @data")
    return series, (np.asarray(labels) if labelled else None)


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
    TypeError
        If ``name`` or ``split`` is not a string.
    ValueError
        If ``name`` is empty or holds a path separator, or ``split`` is not TRAIN or TEST.
    FileNotFoundError
        If no installed package ships the file (install ``sktime``).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string such as 'JapaneseVowels', got {name!r}")
    if not name or "/" in name or "\\" in name or name in {".", ".."}:
        raise ValueError(f"name must be a data set's name such as 'JapaneseVowels', got {name!r}")
    if not isinstance(split, str):
        raise TypeError(f"split must be the string 'TRAIN' or 'TEST', got {split!r}")
    if split.upper() not in {"TRAIN", "TEST"}:
        raise ValueError(f"split must be 'TRAIN' or 'TEST', got {split!r}")
    split = split.upper()
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

    Raises
    ------
    TypeError, ValueError
        If ``split`` is not TRAIN or TEST (:func:`archive_file`), or the file is not the
        labelled one described (:func:`read_ts`).
    FileNotFoundError
        If no installed package ships the data (install ``sktime``).
    """
    path = archive_file(JAPANESE_VOWELS, split)
    series, labels = read_ts(path)
    if labels is None:
        raise ValueError(f"{path} has no class labels (@classLabel false)")
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
        The value of padded steps: a finite number (float32). NaN or inf is refused: a mask
        hides padded steps from the forward pass but not from the gradient, where
        ``0 * NaN`` is NaN, so one epoch of training would turn every weight into NaN.

    Returns
    -------
    x : ndarray (n, maxlen, n_features), float32
    mask : ndarray (n, maxlen), bool
        True on real steps: each row is a run of True followed by False.

    Raises
    ------
    ValueError
        If ``sequences`` is empty, a sequence is not 2-D, is empty (it would make a fully
        masked row), is longer than ``maxlen`` or holds a value that is not finite in float32
        (NaN, such as the ``?`` of a ``.ts`` file: fill it first), feature counts differ,
        ``maxlen`` is not an integer >= 1, or ``value`` is not a finite number.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if not (math.isfinite(value) and abs(value) <= float(np.finfo(np.float32).max)):
        raise ValueError(
            f"value must be a finite number (in float32), got {value!r}: NaN or inf padding "
            "makes the gradient NaN even where the mask hides it; pad with 0.0"
        )
    if maxlen is not None:
        maxlen = _checks.integer("maxlen", maxlen)
    if len(sequences) == 0:
        raise ValueError("no sequences to pad")
    arrays = [np.asarray(s, dtype=np.float32) for s in sequences]
    if any(a.ndim != 2 for a in arrays):
        raise ValueError("each sequence must be 2-D: (length, n_features)")
    for i, a in enumerate(arrays):
        if not np.isfinite(a).all():
            raise ValueError(
                f"sequence {i} holds {np.size(a) - np.isfinite(a).sum()} values that are NaN "
                "or inf (in float32): fill them first, a masked model's gradient would be NaN"
            )
    lengths = np.array([a.shape[0] for a in arrays])
    if lengths.min() == 0:
        raise ValueError("an empty sequence would give a fully masked row")
    features = {a.shape[1] for a in arrays}
    if len(features) != 1:
        raise ValueError(f"sequences have different feature counts {sorted(features)}")
    maxlen = int(lengths.max()) if maxlen is None else maxlen
    if lengths.max() > maxlen:
        raise ValueError(f"a sequence of length {lengths.max()} is longer than maxlen={maxlen}")
    x = np.full((len(arrays), maxlen, features.pop()), value, dtype=np.float32)
    for i, a in enumerate(arrays):
        x[i, : len(a)] = a
    mask = np.arange(maxlen)[None, :] < lengths[:, None]
    return x, mask
