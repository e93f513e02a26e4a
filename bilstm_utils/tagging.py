"""Sequence labelling: punctuation restoration on review text (chapter 6).

The task (after Tilk & Alumäe 2016, https://www.isca-archive.org/interspeech_2016/tilk16_interspeech.html):
the input is the bare, lower-cased word sequence of a review; the target is, for every word,
the punctuation that followed it in the original text.

Tokenisation (this module's own, for this task only)
----------------------------------------------------
A review is lower-cased, its ``<br />`` tags become spaces, curly apostrophes become ``'``,
and it is cut into *words* (runs of letters/digits, with inner apostrophes: ``don't``,
``l'amour``) and *marks* ``, ; : . ? !``. Every other character (quotes, brackets, dashes,
``*``...) is dropped. Each word gets the label of the **first** mark that follows it before the
next word: O (none), COMMA (``, ; :``), PERIOD (``.``), QUESTION (``?``), EXCLAM (``!``).
So ``"wow!!! really?"`` gives ``wow/EXCLAM really/QUESTION``; marks before the first word are
dropped. A digit group ``3.5`` becomes ``3/PERIOD 5/O``: the labels are what a reader of the bare
words would have to restore.

Arrays
------
Reviews are cut into windows of at most ``window`` words and **right-padded** with id 0
(:data:`PAD_ID`), so every mask row is ``1…1 0…0`` with a true first step: the only form cuDNN
accepts. A lookahead of ``k`` words appends ``k`` :data:`END_ID` steps after the words of each
window (inside the mask) and moves each label ``k`` steps later, so that a forward LSTM emits the
label of word ``t`` at step ``t + k``, after it has read word ``t + k``.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
from sklearn.metrics import f1_score

from bilstm_utils import _checks

#: The five labels, in id order.
LABELS: tuple[str, ...] = ("O", "COMMA", "PERIOD", "QUESTION", "EXCLAM")
#: Label ids of the four punctuation classes (the ones the F1 is computed over).
PUNCT_IDS: tuple[int, ...] = (1, 2, 3, 4)
#: The mark printed for each label when text is restored.
MARKS: tuple[str, ...] = ("", ",", ".", "?", "!")
#: Padding id (masked), out-of-vocabulary id, and the filler id appended for a lookahead.
PAD_ID, OOV_ID, END_ID = 0, 1, 2

_MARK_LABEL = {",": 1, ";": 1, ":": 1, ".": 2, "?": 3, "!": 4}
_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[,;:.?!]")
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _label_array(name: str, labels) -> np.ndarray:
    """``labels`` as an int64 array of label ids, or a clear ValueError.

    Integers and whole floats are accepted; bools, other floats, NaN, strings and ids outside
    ``[0, len(LABELS))`` are refused (a negative id would index :data:`MARKS` from the end).
    """
    values = np.asarray(labels)
    if values.size == 0:
        return values.astype(np.int64)
    if values.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be label ids (integers), got dtype {values.dtype}")
    if values.dtype.kind == "f":
        whole = np.isfinite(values) & (values == np.round(values))
        if not whole.all():
            bad = values[~whole].flat[0].item()
            raise ValueError(f"{name} must be whole label ids, got {bad!r}")
    out = (values < 0) | (values >= len(LABELS))
    if out.any():
        raise ValueError(
            f"{name} must be label ids in [0, {len(LABELS)}) (0..{len(LABELS) - 1}: "
            f"{', '.join(LABELS)}), got {values[out].flat[0].item()!r}"
        )
    return values.astype(np.int64)


def _label_id(name: str, label) -> int:
    """One label id as an ``int`` (an integer or a whole float in ``[0, len(LABELS))``)."""
    value = np.asarray(label)
    if value.ndim != 0 or value.dtype.kind == "b":
        raise ValueError(f"{name} must be label ids (integers), got {label!r}")
    return int(_label_array(name, value))


def words_and_labels(text: str) -> tuple[list[str], list[int]]:
    """Split a review into lower-cased words and the punctuation label after each word.

    Parameters
    ----------
    text : str
        A raw review (may contain ``<br />`` tags, any Unicode).

    Returns
    -------
    words : list of str
        The bare words, in order (possibly empty, e.g. for punctuation-only text).
    labels : list of int
        One label id per word (index into :data:`LABELS`).

    Raises
    ------
    TypeError
        If ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = _BR_RE.sub(" ", text.lower()).replace("\u2019", "'")
    words: list[str] = []
    labels: list[int] = []
    after_mark = True  # no word yet, or the current word already has its mark
    for token in _TOKEN_RE.findall(text):
        if token in _MARK_LABEL:
            if words and not after_mark:
                labels[-1] = _MARK_LABEL[token]
                after_mark = True
        else:
            words.append(token)
            labels.append(0)
            after_mark = False
    return words, labels


def label_shares(label_lists: Iterable[Sequence[int]]) -> dict[str, float]:
    """Share of each label among all words.

    Parameters
    ----------
    label_lists : iterable of sequences of int
        Label ids per review.

    Returns
    -------
    dict
        ``{label name: share}``, shares summing to 1.

    Raises
    ------
    ValueError
        If there are no labels at all, or a label is not an id in ``[0, len(LABELS))``.
    """
    counts = np.zeros(len(LABELS), dtype=np.int64)
    for labels in label_lists:
        ids = _label_array("labels", labels)
        if ids.ndim != 1:
            raise ValueError(f"each review's labels must be 1-D, got shape {ids.shape}")
        counts += np.bincount(ids, minlength=len(LABELS))
    if counts.sum() == 0:
        raise ValueError("no labels: every review is empty")
    return {name: float(c / counts.sum()) for name, c in zip(LABELS, counts, strict=True)}


def build_vocabulary(word_lists: Iterable[Sequence[str]], max_size: int = 20_000) -> dict[str, int]:
    """A word → id vocabulary of the most frequent words (learn it on training reviews only).

    Ids 0, 1, 2 are reserved for :data:`PAD_ID`, :data:`OOV_ID` and :data:`END_ID`; words get
    ids from 3 by decreasing frequency (ties by first appearance).

    Parameters
    ----------
    word_lists : iterable of sequences of str
        Words per review, from :func:`words_and_labels`.
    max_size : int
        Total vocabulary size, reserved ids included (> 3).

    Returns
    -------
    dict
        ``{word: id}``.

    Raises
    ------
    ValueError
        If ``max_size`` is not an integer > 3 (NumPy integers are accepted).
    """
    max_size = _checks.integer("max_size", max_size, 4)
    counts: Counter[str] = Counter()
    for words in word_lists:
        counts.update(words)
    vocab = {"<pad>": PAD_ID, "<oov>": OOV_ID, "<end>": END_ID}
    for word, _ in counts.most_common(max_size - 3):
        vocab[word] = len(vocab)
    return vocab


def encode_words(word_lists: Iterable[Sequence[str]], vocab: dict[str, int]) -> list[np.ndarray]:
    """Map words to ids (unknown words to :data:`OOV_ID`).

    Returns
    -------
    list of ndarray of int32
        One id array per review, same lengths as the inputs.
    """
    return [np.array([vocab.get(w, OOV_ID) for w in words], dtype=np.int32) for words in word_lists]


@dataclass
class TaggedArrays:
    """Right-padded arrays for a tagger.

    Attributes
    ----------
    x : ndarray of int32, shape (n, window + lookahead)
        Word ids, then ``lookahead`` :data:`END_ID` steps, then :data:`PAD_ID` padding.
    y : ndarray of int32, shape (n, window + lookahead)
        Label of word ``t`` at step ``t + lookahead``; 0 where there is none.
    mask : ndarray of bool, shape (n, window + lookahead)
        True on word and END steps (what the network reads); rows ``1…1 0…0``.
    weight : ndarray of float32, shape (n, window + lookahead)
        1 where ``y`` is a real label, else 0: the per-step sample weight of the loss.
    lookahead : int
        The delay ``k`` in words.
    """

    x: np.ndarray
    y: np.ndarray
    mask: np.ndarray
    weight: np.ndarray
    lookahead: int = 0

    def __len__(self) -> int:
        return len(self.x)

    def labels(self, pred: np.ndarray | None = None) -> np.ndarray:
        """The gold labels (or ``pred``, same shape as ``y``) of the real words, flattened.

        Returns
        -------
        ndarray of int, shape (number of words,)
            In reading order.
        """
        source = self.y if pred is None else np.asarray(pred)
        if source.shape != self.y.shape:
            raise ValueError(f"pred must have shape {self.y.shape}, got {source.shape}")
        return source[self.weight > 0]


def windows(
    id_lists: Sequence[np.ndarray], label_lists: Sequence[Sequence[int]], window: int = 100,
    lookahead: int = 0,
) -> TaggedArrays:
    """Cut reviews into consecutive windows of at most ``window`` words and pad them on the right.

    Parameters
    ----------
    id_lists, label_lists : sequences
        Word ids and label ids per review (same lengths pairwise). Empty reviews are skipped.
    window : int
        Words per window (>= 1).
    lookahead : int
        Delay ``k`` >= 0: ``k`` END steps are appended and labels move ``k`` steps later.

    Returns
    -------
    TaggedArrays
        Arrays of width ``window + lookahead``, one row per window, reviews in order.

    Raises
    ------
    ValueError
        For a bad ``window``/``lookahead``, mismatched lengths, or no words at all.
    """
    for name, v, low in (("window", window, 1), ("lookahead", lookahead, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    if len(id_lists) != len(label_lists):
        raise ValueError("id_lists and label_lists must have the same length")
    pieces = []
    for ids, labels in zip(id_lists, label_lists, strict=True):
        if len(ids) != len(labels):
            raise ValueError("a review has different numbers of ids and labels")
        for start in range(0, len(ids), window):
            pieces.append((ids[start:start + window], labels[start:start + window]))
    if not pieces:
        raise ValueError("no words to tag: every review is empty")
    width = window + lookahead
    x = np.zeros((len(pieces), width), dtype=np.int32)
    y = np.zeros_like(x)
    weight = np.zeros(x.shape, dtype=np.float32)
    for i, (ids, labels) in enumerate(pieces):
        n = len(ids)
        x[i, :n] = ids
        x[i, n:n + lookahead] = END_ID
        y[i, lookahead:lookahead + n] = labels
        weight[i, lookahead:lookahead + n] = 1.0
    return TaggedArrays(x=x, y=y, mask=x != PAD_ID, weight=weight, lookahead=int(lookahead))


def is_right_padded(mask: np.ndarray) -> bool:
    """True when every row of a (batch, time) mask is ``1…1 0…0`` with a true first step.

    That is the only mask cuDNN's LSTM kernels accept (no left padding, no holes, no row
    that is all padding).
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2 or mask.shape[1] == 0:
        return False
    lengths = mask.sum(axis=1)
    expected = np.arange(mask.shape[1])[None, :] < lengths[:, None]
    return bool(mask[:, 0].all() and (mask == expected).all())


def class_weights(y: np.ndarray, weight: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Per-class loss weights ``(share of O / share of c) ** power``, so that O weighs 1.

    Parameters
    ----------
    y, weight : ndarray, shape (n, T)
        Labels and 0/1 step weights, as in :class:`TaggedArrays`.
    power : float
        Finite and >= 0: 0 gives equal weights; 1 gives inverse-frequency weights.

    Returns
    -------
    ndarray of float32, shape (5,)

    Raises
    ------
    ValueError
        If a class never occurs; if ``power`` is not a finite number >= 0 (a negative power
        would invert the weighting, NaN give NaN weights); if ``y`` and ``weight`` differ in
        shape; or if a weighted label is not a label id in ``[0, 5)`` (whole floats are
        accepted).
    """
    if isinstance(power, (bool, np.bool_)) or not isinstance(power, numbers.Real) or not (
        math.isfinite(power) and power >= 0
    ):
        raise ValueError(f"power must be a finite number >= 0, got {power!r}")
    y, weight = np.asarray(y), np.asarray(weight)
    if y.shape != weight.shape:
        raise ValueError(f"y and weight must have the same shape, got {y.shape} and {weight.shape}")
    labels = y[weight > 0]
    if labels.dtype.kind not in "iu":
        labels = _label_array("y (on steps with weight > 0)", labels)
    elif labels.size and (labels.min() < 0 or labels.max() >= len(LABELS)):
        _label_array("y (on steps with weight > 0)", labels)  # raises, naming the range
    counts = np.bincount(labels, minlength=len(LABELS)).astype(np.float64)
    if (counts == 0).any():
        raise ValueError(f"a class never occurs: counts {counts.tolist()}")
    return ((counts[0] / counts) ** power).astype(np.float32)


def punct_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Micro-averaged F1 over the four punctuation classes (O is not a class to find).

    A word whose gold label is O but which gets a mark counts as a false positive; a missed or
    wrong mark as a false negative (and a false positive, if another mark was put).

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (number of words,)

    Returns
    -------
    float
        In [0, 1]; 0 when no mark is predicted or present.
    """
    return float(f1_score(y_true, y_pred, labels=list(PUNCT_IDS), average="micro", zero_division=0))


def restored_text(words: Sequence[str], labels: Sequence[int]) -> str:
    """Words with the marks their labels say, e.g. ``"great film. loved it!"``.

    Raises
    ------
    ValueError
        If ``words`` and ``labels`` differ in length, or a label is not an id in ``[0, 5)``.
    """
    if len(words) != len(labels):
        raise ValueError("words and labels must have the same length")
    return " ".join(w + MARKS[_label_id("labels", lab)]
                    for w, lab in zip(words, labels, strict=True))


def restored_html(words: Sequence[str], gold: Sequence[int], pred: Sequence[int]) -> str:
    """HTML of a text restored by a model, marked against the original punctuation.

    A right mark is green; a wrong or spurious mark is red (the original one, if any, struck
    through in grey before it); a missed mark is grey and struck through.

    Returns
    -------
    str
        A ``<p>`` element; words are HTML-escaped.

    Raises
    ------
    ValueError
        If the three lengths differ, or a gold or predicted label is not an id in ``[0, 5)``.
    """
    if not len(words) == len(gold) == len(pred):
        raise ValueError("words, gold and pred must have the same length")
    out = []
    for w, g, p in zip(words, gold, pred, strict=True):
        g, p = _label_id("gold", g), _label_id("pred", p)
        piece = html.escape(w)
        if g != p and g:
            piece += f'<s style="color:#888">{MARKS[g]}</s>'
        if p:
            colour = "#1a7f37" if g == p else "#cf222e"
            piece += f'<b style="color:{colour}">{MARKS[p]}</b>'
        out.append(piece)
    return '<p style="line-height:1.6">' + " ".join(out) + "</p>"


def build_tagger(
    vocab_size: int, kind: str = "bi", units: int = 64, embed_dim: int = 64,
    n_labels: int = len(LABELS), softmax: bool = True, layers: int = 1,
) -> keras.Model:
    """A per-step tagger: Embedding (mask_zero) → LSTM or BiLSTM (return_sequences) → Dense.

    Parameters
    ----------
    vocab_size : int
        Input ids are in ``[0, vocab_size)``; 0 is padding (masked).
    kind : {"forward", "bi"}
        A forward LSTM of ``units`` units, or a BiLSTM of ``units // 2`` units per direction
        (the same budget of units).
    units, embed_dim : int
        Recurrent units in all, embedding size.
    n_labels : int
        Output classes per step.
    softmax : bool
        Softmax probabilities (for cross-entropy) or raw scores (emissions for a CRF).
    layers : int
        Stacked recurrent layers (each ``return_sequences=True``).

    Returns
    -------
    keras.Model
        ``(batch, time)`` int ids → ``(batch, time, n_labels)``; not compiled.

    Raises
    ------
    ValueError
        For an unknown ``kind``, or a size that is not an integer in range (NumPy integers are
        accepted; bools and floats such as 8.0 are not): ``vocab_size`` >= 2, ``units`` even
        and >= 2, ``embed_dim``, ``n_labels``, ``layers`` >= 1.
    """
    if kind not in ("forward", "bi"):
        raise ValueError(f"kind must be 'forward' or 'bi', got {kind!r}")
    vocab_size = _checks.integer("vocab_size", vocab_size, 2)
    units = _checks.integer("units", units, 2)
    embed_dim = _checks.integer("embed_dim", embed_dim)
    n_labels = _checks.integer("n_labels", n_labels)
    layers = _checks.integer("layers", layers)
    if units % 2:
        raise ValueError(f"units must be even (a BiLSTM splits them in two), got {units}")
    inputs = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    h = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")(inputs)
    for i in range(layers):
        if kind == "bi":
            lstm = keras.layers.LSTM(units // 2, return_sequences=True)
            h = keras.layers.Bidirectional(lstm, name=f"bilstm_{i}")(h)
        else:
            h = keras.layers.LSTM(units, return_sequences=True, name=f"lstm_{i}")(h)
    outputs = keras.layers.Dense(n_labels, activation="softmax" if softmax else None,
                                 name="tags")(h)
    return keras.Model(inputs, outputs, name=f"{kind}_tagger")


def tune_o_bias(
    log_probs: np.ndarray, y_true: np.ndarray, grid: np.ndarray | None = None
) -> tuple[float, float]:
    """The bias on O's log-probability that maximises the punctuation micro-F1.

    A tagger puts label :math:`\\arg\\max_c (\\log p_c + \\delta [c = O])` after a word: a
    negative :math:`\\delta` makes it put marks more readily (recall up, precision down), a
    positive one less. Tuning :math:`\\delta` on validation data puts every tagger at its best
    operating point before taggers are compared, the multi-class form of choosing a threshold.

    Parameters
    ----------
    log_probs : ndarray, shape (n_words, 5)
        Per-word log-probabilities (or any per-label scores) of the real words.
    y_true : ndarray of int, shape (n_words,)
        Gold label ids.
    grid : ndarray, optional
        Candidate biases (default: -5 to 5 in steps of 0.1).

    Returns
    -------
    bias : float
        The best :math:`\\delta` (the smallest in absolute value among ties).
    f1 : float
        The micro-F1 it gives on these words.

    Raises
    ------
    ValueError
        If the shapes disagree or the scores are not finite.
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    y_true = _label_array("y_true", y_true)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be a 1-D array of label ids, got shape {y_true.shape}")
    if log_probs.ndim != 2 or log_probs.shape != (len(y_true), len(LABELS)):
        raise ValueError(f"log_probs must have shape ({len(y_true)}, {len(LABELS)}), "
                         f"got {log_probs.shape}")
    if not np.isfinite(log_probs).all():
        raise ValueError("log_probs must be finite (clip probabilities before the log)")
    grid = np.round(np.arange(-5.0, 5.0001, 0.1), 10) if grid is None else np.asarray(grid, float)
    if grid.ndim != 1 or grid.size == 0 or not np.isfinite(grid).all():
        raise ValueError("grid must be a non-empty 1-D array of finite biases")
    # argmax(scores + bias on O) is O where O's score + bias >= the best mark's (ties go to O,
    # as in np.argmax), else the best mark: one comparison per bias
    best_mark = 1 + log_probs[:, 1:].argmax(axis=1)
    best_score = log_probs[np.arange(len(y_true)), best_mark]
    gold_marks = int(np.sum(y_true > 0))
    hit = best_mark == y_true  # a true positive wherever the mark is put
    order = np.argsort(np.abs(grid), kind="stable")
    best_bias, best_f1 = 0.0, -1.0
    for bias in grid[order]:
        put = best_score > log_probs[:, 0] + bias  # exactly as apply_o_bias decides
        tp = int(np.sum(put & hit))
        denominator = int(np.sum(put)) + gold_marks  # (TP + FP) + (TP + FN)
        f1 = 2 * tp / denominator if denominator else 0.0
        if f1 > best_f1:
            best_bias, best_f1 = float(bias), f1
    return best_bias, best_f1


def apply_o_bias(scores: np.ndarray, bias: float) -> np.ndarray:
    """Labels ``argmax(scores + bias on O)`` over the last axis (see :func:`tune_o_bias`).

    Parameters
    ----------
    scores : ndarray, shape (..., 5)
        Log-probabilities or other per-label scores.
    bias : float
        Added to the O column.

    Returns
    -------
    ndarray of int, shape (...)
    """
    scores = np.array(scores, dtype=np.float64)
    if scores.ndim == 0 or scores.shape[-1] != len(LABELS):
        raise ValueError(f"scores must end in {len(LABELS)} labels, got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores must not be NaN")
    if isinstance(bias, bool) or not isinstance(bias, numbers.Real) or not math.isfinite(bias):
        raise ValueError(f"bias must be a finite number, got {bias!r}")
    scores[..., 0] += bias
    return scores.argmax(-1)


def window_features(arrays: TaggedArrays, vocab_size: int):
    """One-hot features of (previous word, word, next word) for every real word of k = 0 windows.

    The features of a window baseline: a linear model on them sees one word of context on each
    side and nothing else. Beyond a window's edges the neighbour is :data:`END_ID`.

    Parameters
    ----------
    arrays : TaggedArrays
        Windows with ``lookahead == 0``.
    vocab_size : int
        Number of word ids.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (number of real words, 3 * vocab_size)
        Rows in the order of :meth:`TaggedArrays.labels`.

    Raises
    ------
    ValueError
        If ``arrays`` has a lookahead or an id is not below ``vocab_size``.
    """
    from scipy import sparse

    vocab_size = _checks.integer("vocab_size", vocab_size, 3)
    if arrays.lookahead != 0:
        raise ValueError("window_features needs lookahead-0 windows")
    x = np.asarray(arrays.x)
    if x.dtype.kind not in "iu" or (x.size and x.min() < 0):
        raise ValueError("arrays.x must hold non-negative integer word ids")
    if x.size and x.max() >= vocab_size:
        raise ValueError(f"an id ({x.max()}) is not below vocab_size ({vocab_size})")
    prev = np.pad(x[:, :-1], ((0, 0), (1, 0)), constant_values=END_ID)
    nxt = np.pad(x[:, 1:], ((0, 0), (0, 1)), constant_values=PAD_ID)
    nxt = np.where(nxt == PAD_ID, END_ID, nxt)
    real = arrays.weight > 0
    cols = np.stack([prev[real], x[real] + vocab_size, nxt[real] + 2 * vocab_size], axis=1)
    n = len(cols)
    return sparse.csr_matrix((np.ones(3 * n, np.float32), (np.repeat(np.arange(n), 3),
                                                           cols.ravel())),
                             shape=(n, 3 * vocab_size))


def punctuate(
    text: str, model: keras.Model, vocab: dict[str, int], window: int = 100, stride: int = 50,
    o_bias: float = 0.0, batch_size: int = 256,
) -> str:
    """Raw text in, punctuated text out: a trained softmax tagger over overlapping windows.

    The text is split with :func:`words_and_labels` (its own marks are dropped), cut into
    windows of ``window`` words that start every ``stride`` words, and each word takes its label
    from the window in which it lies farthest from an edge, so that no word is labelled from a
    window that cuts off its context (the sliding-window inference of punctuation restoration).

    Parameters
    ----------
    text : str
        Any text; its punctuation is ignored.
    model : keras.Model
        Maps ``(batch, time)`` ids to ``(batch, time, 5)`` probabilities (a k = 0 tagger).
    vocab : dict
        From :func:`build_vocabulary`.
    window, stride : int
        Window length and step, ``1 <= stride <= window``.
    o_bias : float
        Added to O's log-probability (:func:`tune_o_bias`).
    batch_size : int
        For ``model.predict``.

    Returns
    -------
    str
        Lower-cased words with the predicted marks.

    Raises
    ------
    ValueError
        For a window or stride out of range.
    """
    window = _checks.integer("window", window, 1)
    stride = _checks.integer("stride", stride, 1)
    if stride > window:
        raise ValueError(f"stride ({stride}) must not exceed window ({window})")
    words, _ = words_and_labels(text)
    if not words:
        return ""
    ids = np.array([vocab.get(w, OOV_ID) for w in words], dtype=np.int32)
    n = len(ids)
    starts = list(range(0, max(n - window, 0) + 1, stride))
    if starts[-1] + window < n:
        starts.append(n - window)
    x = np.zeros((len(starts), window), np.int32)
    for row, s in enumerate(starts):
        chunk = ids[s:s + window]
        x[row, :len(chunk)] = chunk
    probs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    if probs.shape != (*x.shape, len(LABELS)) or not np.isfinite(probs).all() \
            or probs.min() < 0 or probs.max() > 1:
        raise ValueError(f"model must output probabilities of shape (batch, time, "
                         f"{len(LABELS)}) in [0, 1]; got shape {probs.shape}, range "
                         f"[{np.nanmin(probs):.3g}, {np.nanmax(probs):.3g}]")
    labels = np.zeros(n, np.int64)
    best = np.full(n, -1)
    for row, s in enumerate(starts):
        for t in range(min(window, n - s)):
            margin = min(t, min(window, n - s) - 1 - t)  # distance from the nearer edge
            if margin > best[s + t]:
                best[s + t] = margin
                labels[s + t] = apply_o_bias(np.log(np.clip(probs[row, t], 1e-12, 1.0)), o_bias)
    return restored_text(words, labels)


def f1_counts(
    y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray, n_groups: int | None = None
) -> np.ndarray:
    """True positives, false positives and false negatives of the four marks, per group of words.

    The per-example statistics :func:`bilstm_utils.stats.compare_paired` resamples: summed over
    any set of groups they give that set's micro-F1 through :func:`f1_from_counts`, so a
    bootstrap can resample whole reviews (or movies) at once.

    Parameters
    ----------
    y_true, y_pred : ndarray of int, shape (n_words,)
        Gold and predicted label ids.
    groups : ndarray of int, shape (n_words,)
        The group of each word, ids ``0 .. n_groups - 1`` (e.g. its review).
    n_groups : int, optional
        Number of groups (default: the largest id + 1); groups without words get zeros.

    Returns
    -------
    ndarray of int64, shape (n_groups, 3)
        TP, FP, FN per group (a wrong mark is one FP and one FN, as in :func:`punct_f1`).

    Raises
    ------
    ValueError
        If the lengths differ, a label is out of range, or a group id is negative.
    """
    y_true, y_pred = _label_array("y_true", y_true), _label_array("y_pred", y_pred)
    groups = np.asarray(groups)
    if groups.size == 0:
        groups = groups.astype(np.int64)
    if not (y_true.shape == y_pred.shape == groups.shape) or y_true.ndim != 1:
        raise ValueError("y_true, y_pred and groups must be 1-D arrays of the same length")
    if groups.size and (groups.dtype.kind not in "iu" or groups.min() < 0):
        raise ValueError("groups must be non-negative integer ids")
    largest = int(groups.max()) + 1 if groups.size else 0
    n_groups = largest if n_groups is None else _checks.integer("n_groups", n_groups, largest)
    tp = (y_pred == y_true) & (y_true > 0)
    fp = (y_pred > 0) & (y_pred != y_true)
    fn = (y_true > 0) & (y_pred != y_true)
    return np.stack([np.bincount(groups, weights=v, minlength=n_groups) for v in (tp, fp, fn)],
                    axis=1).astype(np.int64)


def f1_from_counts(sums: np.ndarray, counts=None) -> np.ndarray:
    """Micro-F1 :math:`2TP / (2TP + FP + FN)` from summed counts (last axis TP, FP, FN).

    Shaped as the ``metric`` argument of :func:`bilstm_utils.stats.compare_paired` (``counts``
    is ignored). Returns 0 where there is nothing to find and nothing predicted.
    """
    sums = np.asarray(sums, dtype=np.float64)
    if sums.ndim == 0 or sums.shape[-1] != 3:
        raise ValueError(f"sums must end in 3 counts (TP, FP, FN), got shape {sums.shape}")
    if not np.isfinite(sums).all() or (sums < 0).any():
        raise ValueError("counts must be finite and non-negative")
    tp, fp, fn = sums[..., 0], sums[..., 1], sums[..., 2]
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
