"""A span-tagging task with hard label structure: capitalised name spans in lower-cased reviews.

Named-entity recognition (NER) marks spans of words with the BIO scheme (Lance Ramshaw and
Mitchell Marcus, "Text Chunking using Transformation-Based Learning", 1995,
https://aclanthology.org/W95-0107/): ``B-X`` begins a span of type X, ``I-X`` continues it, ``O``
is outside every span. ``I-X`` may follow only ``B-X`` or ``I-X``: the labels constrain each
other, which is what a linear-chain CRF can learn and a per-word softmax cannot.

IMDB has no entity annotation, so chapter 6 makes a proxy from the reviews' own casing: the
input is the lower-cased words, and the target marks each run of capitalised words that does not
start a sentence (``... starring Tom Hanks and ...`` gives ``tom``/B-NAME, ``hanks``/I-NAME).
The rule is exact about casing and noisy about names (a capitalised common word mid-sentence
counts; a name that opens a sentence does not), which is fine for comparing taggers on it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

__all__ = [
    "BIO_TAGS",
    "allowed_transitions",
    "illegal_span_share",
    "span_counts",
    "tag_strings",
    "words_and_name_tags",
]

BIO_TAGS: tuple[str, ...] = ("O", "B-NAME", "I-NAME")
"""The tag names of :func:`words_and_name_tags`, by id."""

_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[,;:.?!\"()\u201c\u201d\u00ab\u00bb\u2026]")
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SENTENCE_END = {".", "?", "!", "\u2026"}
_BREAK = {",", ";", ":", "\"", "(", ")", "\u201c", "\u201d", "\u00ab", "\u00bb"}


def _capitalised(token: str) -> bool:
    """First character upper-case, and not an all-capitals word of two or more letters."""
    letters = [c for c in token if c.isalpha()]
    if not letters or not token[0].isupper():
        return False
    return not (len(letters) >= 2 and all(c.isupper() for c in letters))


def words_and_name_tags(text: str) -> tuple[list[str], list[int]]:
    """Split a review into lower-cased words and BIO name tags from its casing.

    A word is *capitalised* when its first character is upper-case and it is not written in
    capitals throughout (``DVD``, ``AWFUL``). It is a name word when it is capitalised, is not
    the pronoun *I* (nor *I'm*, *I've* ...), and does not open a sentence (the first word, or
    the first after ``.``, ``?``, ``!`` or a ``<br />``). A run of consecutive name words, not
    split by punctuation, is one span: ``B-NAME`` on its first word, ``I-NAME`` on the rest.

    Parameters
    ----------
    text : str
        A raw review.

    Returns
    -------
    words : list of str
        Lower-cased words without punctuation (the tagger's input).
    tags : list of int
        One id per word, an index into :data:`BIO_TAGS`.

    Raises
    ------
    TypeError
        If ``text`` is not a string.

    Examples
    --------
    >>> words_and_name_tags("I saw it. Then Tom Hanks and Meg Ryan, no: Ryan!")[1]
    [0, 0, 0, 0, 1, 2, 0, 1, 2, 0, 1]
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    text = _BR_RE.sub(" . ", text).replace("\u2019", "'")
    words: list[str] = []
    tags: list[int] = []
    sentence_start, broken = True, True
    for token in _TOKEN_RE.findall(text):
        if token in _SENTENCE_END:
            sentence_start = broken = True
            continue
        if token in _BREAK:
            broken = True
            continue
        is_name = (
            _capitalised(token)
            and not sentence_start
            and token.split("'")[0] != "I"
        )
        if is_name:
            tags.append(1 if broken or not tags or tags[-1] == 0 else 2)
        else:
            tags.append(0)
        words.append(token.lower())
        sentence_start = broken = False
    return words, tags


def allowed_transitions(tags: Sequence[str] = BIO_TAGS) -> tuple[np.ndarray, np.ndarray]:
    """Which tag may follow which under the BIO scheme, and which may open a sequence.

    Parameters
    ----------
    tags : sequence of str
        Tag names, ``"O"`` or ``"B-<type>"`` / ``"I-<type>"``.

    Returns
    -------
    transitions : ndarray of bool, shape (C, C)
        ``transitions[i, j]``: tag ``j`` may follow tag ``i`` (``I-X`` only after ``B-X`` or
        ``I-X``).
    start : ndarray of bool, shape (C,)
        Tags that may open a sequence (every tag but ``I-*``).

    Raises
    ------
    ValueError
        If a tag name is not ``"O"``, ``"B-..."`` or ``"I-..."``.
    """
    for tag in tags:
        if not isinstance(tag, str) or (tag != "O" and not re.fullmatch(r"[BI]-.+", tag)):
            raise ValueError(f"BIO tags are 'O', 'B-<type>' or 'I-<type>'; got {tag!r}")
    c = len(tags)
    trans = np.ones((c, c), dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            kind = tag[2:]
            trans[:, j] = [t in (f"B-{kind}", f"I-{kind}") for t in tags]
    start = np.array([not t.startswith("I-") for t in tags], dtype=bool)
    return trans, start


def tag_strings(
    tag_ids: Sequence[Sequence[int]], tags: Sequence[str] = BIO_TAGS
) -> list[list[str]]:
    """Tag ids per sequence as lists of tag names (the input form of ``seqeval``).

    Raises
    ------
    ValueError
        If an id is not in ``[0, len(tags))``.
    """
    out = []
    for seq in tag_ids:
        seq = np.asarray(seq)
        if seq.ndim != 1:
            raise ValueError("tag_ids must be a sequence of 1-D sequences of tag ids")
        if seq.size and (seq.dtype.kind not in "iu"):
            raise ValueError(f"tag ids must be integers, got dtype {seq.dtype}")
        if seq.size and (seq.min() < 0 or seq.max() >= len(tags)):
            raise ValueError(f"tag ids must be in [0, {len(tags)}), got {seq.min()}..{seq.max()}")
        out.append([tags[int(i)] for i in seq])
    return out


def illegal_span_share(tag_ids: Sequence[Sequence[int]], tags: Sequence[str] = BIO_TAGS) -> float:
    """Share of predicted spans that open illegally: with ``I-X`` after ``O``, another type, or at
    the start of a sequence.

    A span starts at every ``B-X`` and at every ``I-X`` that is not allowed where it stands (the
    CoNLL evaluation script, ``conlleval``, also reads such an ``I-X`` as a new span).

    Returns
    -------
    float
        In [0, 1]; 0.0 when there is no span.
    """
    trans, start = allowed_transitions(tags)
    tag_strings(tag_ids, tags)  # checks the ids
    legal_starts = illegal = 0
    for seq in tag_ids:
        seq = [int(t) for t in seq]
        for t, tag in enumerate(seq):
            if tags[tag].startswith("B-"):
                legal_starts += 1
            elif tags[tag].startswith("I-"):
                ok = trans[seq[t - 1], tag] if t else start[tag]
                illegal += not ok
    total = legal_starts + illegal
    return illegal / total if total else 0.0


def span_counts(
    gold: Sequence[Sequence[int]], pred: Sequence[Sequence[int]], groups: Sequence[int],
    n_groups: int | None = None, tags: Sequence[str] = BIO_TAGS,
) -> np.ndarray:
    """True positives, false positives and false negatives of spans, per group of sequences.

    Spans are read as the CoNLL script ``conlleval`` and ``seqeval``'s default mode read them
    (an ``I-X`` that cannot continue a span opens one); a predicted span is a true positive when
    a gold span has the same type, start and end. Summed over groups and passed to
    :func:`bilstm_utils.tagging.f1_from_counts` they give ``seqeval.metrics.f1_score``.

    Parameters
    ----------
    gold, pred : sequences of sequences of int
        Tag ids per sequence (the same lengths pairwise).
    groups : sequence of int
        The group id (``0 .. n_groups - 1``) of each sequence, e.g. its review.
    n_groups : int, optional
        Number of groups (default: the largest id + 1); groups without sequences get zeros.
    tags : sequence of str
        Tag names by id.

    Returns
    -------
    ndarray of int64, shape (n_groups, 3)

    Raises
    ------
    ValueError
        If the numbers of sequences or their lengths differ; a tag id is not an integer in
        ``[0, len(tags))``; a group id is negative or not an integer; ``n_groups`` is not an
        integer above every group id; or a tag name is not BIO.
    """
    allowed_transitions(tags)  # checks the tag names
    groups = np.asarray(groups)
    if groups.ndim != 1 or not (len(gold) == len(pred) == len(groups)):
        raise ValueError("gold, pred and groups must have one entry per sequence")
    if groups.size and (groups.dtype.kind not in "iu" or groups.min() < 0):
        raise ValueError("groups must be non-negative integer ids")
    largest = int(groups.max()) + 1 if groups.size else 0
    if n_groups is None:
        n_groups = largest
    elif isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) \
            or n_groups < largest:
        raise ValueError(f"n_groups must be an integer >= {largest}, got {n_groups!r}")
    groups = groups.astype(np.int64)  # an empty list comes as float
    g_flat, g_len = _flat_ids(gold, len(tags), "gold")
    p_flat, p_len = _flat_ids(pred, len(tags), "pred")
    if not np.array_equal(g_len, p_len):
        raise ValueError("each gold and predicted sequence must have the same length")
    g_keys, g_at = _span_keys(g_flat, g_len, tags)
    p_keys, p_at = _span_keys(p_flat, p_len, tags)
    sequence = np.repeat(np.arange(len(g_len)), g_len)  # the sequence of every position
    hit = np.isin(p_keys, g_keys, assume_unique=True)  # one span per start: keys are unique
    found = np.isin(g_keys, p_keys, assume_unique=True)
    n = int(n_groups)
    return np.stack([
        np.bincount(groups[sequence[p_at[hit]]], minlength=n),
        np.bincount(groups[sequence[p_at[~hit]]], minlength=n),
        np.bincount(groups[sequence[g_at[~found]]], minlength=n),
    ], axis=1).astype(np.int64)


def _flat_ids(tag_ids: Sequence[Sequence[int]], n_tags: int, name: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """All sequences' tag ids end to end, and each sequence's length (ids checked as
    :func:`tag_strings` checks them; errors name the argument and the sequence)."""
    seqs = [np.asarray(seq) for seq in tag_ids]
    for i, seq in enumerate(seqs):
        if seq.ndim != 1:
            raise ValueError(f"{name} must be a sequence of 1-D sequences of tag ids "
                             f"(sequence {i} has {seq.ndim} dimensions)")
        if seq.size and seq.dtype.kind not in "iu":
            raise ValueError(f"{name}: tag ids must be integers, got dtype {seq.dtype} "
                             f"in sequence {i}")
        if seq.size and (int(seq.min()) < 0 or int(seq.max()) >= n_tags):
            raise ValueError(f"{name}: tag ids must be in [0, {n_tags}), got "
                             f"{int(seq.min())}..{int(seq.max())} in sequence {i}")
    lengths = np.array([seq.size for seq in seqs], dtype=np.int64)
    flat = np.concatenate(seqs).astype(np.int64) if lengths.sum() else np.zeros(0, np.int64)
    return flat, lengths


def _span_keys(flat: np.ndarray, lengths: np.ndarray, tags: Sequence[str]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Every span of sequences laid end to end, read as ``seqeval.get_entities`` reads them.

    Returns one integer key per span (its type, first and last position; equal keys are equal
    spans) and the position where each span starts.
    """
    prefix = np.array([{"O": 0, "B": 1, "I": 2}[t[0]] for t in tags], dtype=np.int64)
    types = [t[1:].split("-", 1)[-1] or "_" for t in tags]  # seqeval's types ("_" for O)
    names = sorted(set(types))
    kind = np.array([names.index(t) for t in types], dtype=np.int64)
    p, k = prefix[flat], kind[flat]
    first = np.zeros(flat.size, bool)
    last = np.zeros(flat.size, bool)
    ends = np.cumsum(lengths)
    first[(ends - lengths)[lengths > 0]] = True
    last[ends[lengths > 0] - 1] = True
    # across a sequence boundary seqeval sees an "O" (sequences are joined with one)
    prev_p, prev_k = np.roll(p, 1), np.roll(k, 1)
    next_p, next_k = np.roll(p, -1), np.roll(k, -1)
    prev_p[first], prev_k[first] = 0, -1
    next_p[last], next_k[last] = 0, -1
    # seqeval's start_of_chunk and end_of_chunk for B, I and O
    start = (p == 1) | ((p == 2) & (prev_p == 0)) | ((p != 0) & (prev_k != k))
    end = (p != 0) & ((next_p != 2) | (next_k != k))
    at, stop = np.flatnonzero(start), np.flatnonzero(end)
    size = max(flat.size, 1)
    return (at * size + stop) * len(names) + k[at], at
