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
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import classification_report, confusion_matrix, f1_score

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
        If there are no labels at all.
    """
    counts = np.zeros(len(LABELS), dtype=np.int64)
    for labels in label_lists:
        counts += np.bincount(np.asarray(labels, dtype=np.int64), minlength=len(LABELS))
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
        If ``max_size`` is not an integer > 3.
    """
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size <= 3:
        raise ValueError(f"max_size must be an integer > 3, got {max_size!r}")
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
        0 gives equal weights; 1 gives inverse-frequency weights.

    Returns
    -------
    ndarray of float32, shape (5,)

    Raises
    ------
    ValueError
        If a class never occurs.
    """
    counts = np.bincount(y[weight > 0], minlength=len(LABELS)).astype(np.float64)
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


def report(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """scikit-learn's ``classification_report`` over the five labels (3 decimals)."""
    return classification_report(
        y_true, y_pred, labels=list(range(len(LABELS))), target_names=list(LABELS), digits=3,
        zero_division=0,
    )


def label_confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Confusion matrix over the five labels, rows = gold, normalised per gold label.

    Returns
    -------
    ndarray of float, shape (5, 5)
        Rows sum to 1 (a row of zeros for a label that never occurs).
    """
    counts = confusion_matrix(y_true, y_pred, labels=list(range(len(LABELS)))).astype(float)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def restored_text(words: Sequence[str], labels: Sequence[int]) -> str:
    """Words with the marks their labels say, e.g. ``"great film. loved it!"``."""
    if len(words) != len(labels):
        raise ValueError("words and labels must have the same length")
    return " ".join(w + MARKS[int(lab)] for w, lab in zip(words, labels, strict=True))


def restored_html(words: Sequence[str], gold: Sequence[int], pred: Sequence[int]) -> str:
    """HTML of a text restored by a model, marked against the original punctuation.

    A right mark is green; a wrong or spurious mark is red (the original one, if any, struck
    through in grey before it); a missed mark is grey and struck through.

    Returns
    -------
    str
        A ``<p>`` element; words are HTML-escaped.
    """
    if not len(words) == len(gold) == len(pred):
        raise ValueError("words, gold and pred must have the same length")
    out = []
    for w, g, p in zip(words, gold, pred, strict=True):
        g, p = int(g), int(p)
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
        For an unknown ``kind`` or a bad size.
    """
    if kind not in ("forward", "bi"):
        raise ValueError(f"kind must be 'forward' or 'bi', got {kind!r}")
    if units < 2 or units % 2 or vocab_size < 2 or embed_dim < 1 or layers < 1:
        raise ValueError("units must be even and >= 2; vocab_size >= 2; embed_dim, layers >= 1")
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


def plot_lookahead(
    ks: Sequence[int], f1_means: Sequence[float], f1_sds: Sequence[float],
    bi_mean: float, bi_sd: float, title: str = "Punctuation F1 against lookahead",
    single_ks: Sequence[int] = (), single_f1: Sequence[float] = (),
) -> plt.Figure:
    """Micro-F1 of forward taggers against their lookahead k, with the BiLSTM as a band.

    Parameters
    ----------
    ks : sequence of int
        Lookaheads (0 = plain forward LSTM).
    f1_means, f1_sds : sequences of float
        Mean and sd over seeds per k.
    bi_mean, bi_sd : float
        The BiLSTM's mean and sd.
    single_ks, single_f1 : sequences
        Lookaheads run with a single seed and their F1, drawn with their own marker and
        legend entry (no error bar: one run has no spread).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.errorbar(ks, f1_means, yerr=f1_sds, marker="o", capsize=4,
                label="forward LSTM with lookahead k (mean ± sd over seeds)")
    if len(single_ks):
        ax.plot(single_ks, single_f1, linestyle="none", marker="s", mfc="none", color="C0",
                label="forward LSTM with lookahead k (single run)")
    ax.axhline(bi_mean, color="C3", label="BiLSTM (mean ± sd)")
    ax.axhspan(bi_mean - bi_sd, bi_mean + bi_sd, color="C3", alpha=0.2)
    ax.set_xticks(sorted({*ks, *single_ks}))
    ax.set_xlabel("words read beyond the labelled word (k)")
    ax.set_ylabel("punctuation micro-F1 (validation)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_label_confusion(
    matrix: np.ndarray, title: str = "Confusion of the five labels"
) -> plt.Figure:
    """Heat map of a row-normalised 5×5 confusion matrix from :func:`label_confusion`."""
    matrix = np.asarray(matrix)
    fig, ax = plt.subplots(figsize=(5.6, 4.6), layout="constrained")
    im = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=30)
    ax.set_yticks(range(len(LABELS)), LABELS)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center",
                    color="white" if matrix[i, j] > 0.5 else "black", fontsize=8)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("gold label")
    ax.set_title(title, pad=10)
    fig.colorbar(im, ax=ax, label="share of the gold label's words")
    return fig
