"""Record, check and show a chapter's results: ``glue`` for the book's prose, ``report`` for a
section's named results (glued, checked against stated bounds, shown as a small table that
reads the same in Jupyter Book, Jupyter and Colab), ``check`` for a one-line claim.

A section of a chapter ends its computing cell with one call::

    report("Test accuracy (mean of 3 seeds)", [
        row("future_acc_uni", acc_uni, "future task, LSTM(32)", fmt=".3f", at_most=0.6),
        row("future_acc_bi", acc_bi, "future task, BiLSTM(16)", fmt=".3f", at_least=0.95),
    ])

Each named value is glued (so the prose can quote it as ``{glue:text}`future_acc_uni:.3f```),
its bound is checked (an ``AssertionError`` that states the claim when it fails) and the table
is displayed, so a reader who opens the notebook in Colab, where glue roles are raw markup,
still sees every number the prose argues from.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Every value glued in this Python process, by name (also where myst_nb is absent).
GLUED: dict[str, Any] = {}

_UNSET = object()


def plain(value: Any) -> Any:
    """A NumPy scalar or 0-d array as a Python ``bool``/``int``/``float``/``str``; else ``value``.

    ``myst_nb.glue`` stores ``repr(value)``, which for ``np.float64(0.5)`` is the text
    "np.float64(0.5)"; a ``.3f`` format in the prose then fails the build.
    """
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Record ``value`` under ``name`` so the prose can show it with ``{glue:}``.

    In Jupyter Book the value is stored in the notebook's outputs by
    ``myst_nb.glue``. Where ``myst_nb`` is not installed (Colab), the value is
    only kept in :data:`GLUED` (and shown when ``display`` is true).

    Parameters
    ----------
    name : str
        The glue key, a non-empty identifier such as ``"rnn_max_abs_diff"``.
    value : Any
        What to record: a number, a string, a figure, a DataFrame...
    display : bool
        Also show the value in the cell's output.

    Returns
    -------
    Any
        ``value`` (a NumPy scalar or 0-d array as the plain Python number it holds), so
        ``x = glue("x", compute())`` reads naturally.

    Raises
    ------
    ValueError
        If ``name`` is empty or not a valid identifier.

    Notes
    -----
    ``{glue:text}`` reads a stored value back as a Python literal, so a word that is also a
    number literal (``"1e3"``, ``"0x10"``) is shown as that number; glue such words with
    quotes inside them, or not at all.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue name must be a non-empty identifier, got {name!r}")
    value = plain(value)
    GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue  # noqa: PLC0415
    except ImportError:
        if display:
            from IPython.display import display as show  # noqa: PLC0415

            show(_Text(value) if isinstance(value, str) else value)
        return value
    # a str is stored as its text, so ``{glue:text}`` shows the word without quote marks
    myst_glue(name, _Text(value) if isinstance(value, str) else value, display=display)
    return value


class _Text:
    """A string whose plain-text display is the string itself (``repr`` adds quote marks)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Row:
    """One named result of a :func:`report`: its value, how to show it, what must hold.

    Build it with :func:`row`, which checks the arguments.
    """

    name: str | None
    value: Any
    label: str
    fmt: str | None = None
    at_least: float | None = None
    at_most: float | None = None
    equals: Any = _UNSET

    def formatted(self) -> str:
        """The value as the table shows it (``fmt``, or a default by type)."""
        return format_value(self.value, self.fmt)

    def bound(self) -> str:
        """The stated bound in words, e.g. ``"≥ 0.95"``; ``""`` when nothing is checked."""
        if self.equals is not _UNSET:
            return f"= {format_value(self.equals, self.fmt)}"
        if self.at_least is not None and self.at_most is not None:
            return (f"in [{format_value(self.at_least, self.fmt)}, "
                    f"{format_value(self.at_most, self.fmt)}]")
        if self.at_least is not None:
            return f"≥ {format_value(self.at_least, self.fmt)}"
        if self.at_most is not None:
            return f"≤ {format_value(self.at_most, self.fmt)}"
        return ""

    def failure(self) -> str | None:
        """``None`` when the value satisfies the bound, else the broken claim in words (value
        and bound at full precision, not rounded by ``fmt``)."""
        if self.equals is not _UNSET:
            same_kind = isinstance(self.value, bool) == isinstance(self.equals, bool)
            if same_kind and self.value == self.equals:
                return None
            claim = f"= {self.equals!r}"
        else:
            low_ok = self.at_least is None or self.value >= self.at_least
            high_ok = self.at_most is None or self.value <= self.at_most
            if low_ok and high_ok:
                return None
            parts = [] if self.at_least is None else [f"≥ {self.at_least!r}"]
            parts += [] if self.at_most is None else [f"≤ {self.at_most!r}"]
            claim = " and ".join(parts)
        return f"{self.label} = {self.value!r}, but the chapter says it is {claim}"


def format_value(value: Any, fmt: str | None = None) -> str:
    """``value`` as text: ``format(value, fmt)`` when ``fmt`` is given; otherwise ints with
    thousands separators, floats with 3 significant digits (``.3g``), anything else ``str``."""
    value = plain(value)
    if fmt is not None:
        return format(value, fmt)
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    return format(value, ".3g")


def _bound(name: str, value) -> float | int | None:
    """A bound as a Python int (kept, so that ``fmt="d"`` still works) or float."""
    if value is None:
        return None
    value = plain(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _markdown_cell(text: str) -> str:
    """Text that stays one cell of a MyST table: pipes, dollar signs and newlines escaped."""
    return text.replace("|", "\\|").replace("$", "\\$").replace("\n", " ")


def row(
    name: str | None,
    value: Any,
    label: str | None = None,
    *,
    fmt: str | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
    equals: Any = _UNSET,
) -> Row:
    """One result for :func:`report`.

    Parameters
    ----------
    name : str or None
        The glue key (an identifier), or ``None`` to show the value without gluing it.
    value : Any
        A number, a bool or a word (NumPy scalars become Python ones).
    label : str, optional
        What the table calls it; the glue key by default.
    fmt : str, optional
        A format spec such as ``".3f"`` or ``".1e"``: use the one the prose's glue role uses,
        so the reader sees the same digits in both.
    at_least, at_most : float, optional
        Bounds the value must satisfy (inclusive); a claim the chapter makes.
    equals : Any, optional
        The exact value it must have (a count, a shape, a word).

    Returns
    -------
    Row

    Raises
    ------
    ValueError
        For a name that is not an identifier, a label that is not a string, a NaN value, a
        non-numeric bound, both ``equals`` and a bound, ``at_least > at_most``, a bound on a
        value that is not a real number, an ``equals`` that is not a single value, or a
        ``fmt`` that cannot format the value or its bound.
    """
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        raise ValueError(f"name must be an identifier or None, got {name!r}")
    if label is None:
        if name is None:
            raise ValueError("a row without a name needs a label")
        label = name
    if not isinstance(label, str):
        raise ValueError(f"label must be a string, got {label!r}")
    value = plain(value)
    low, high = _bound("at_least", at_least), _bound("at_most", at_most)
    if equals is not _UNSET and (low is not None or high is not None):
        raise ValueError("give either equals or at_least/at_most, not both")
    if low is not None and high is not None and low > high:
        raise ValueError(f"at_least ({low}) is above at_most ({high})")
    if (low is not None or high is not None) and (
        isinstance(value, bool) or not isinstance(value, numbers.Real)
    ):
        raise ValueError(f"{label}: a bound needs a real number, got {value!r}")
    if isinstance(value, float) and math.isnan(value):
        raise ValueError(f"{label} is NaN")
    if equals is not _UNSET:
        equals = plain(equals)
        if isinstance(equals, np.ndarray | list | tuple | dict | set):
            raise ValueError(f"{label}: equals must be a single value, got {equals!r}")
    result = Row(name, value, label, fmt, low, high, equals)
    try:  # fail here, before report() glues anything, rather than halfway through it
        result.formatted(), result.bound()
    except (ValueError, TypeError) as error:
        raise ValueError(f"{label}: fmt={fmt!r} cannot format {value!r} or its bound: {error}"
                         ) from None
    return result


def markdown_table(rows: Sequence[Row], title: str | None = None) -> str:
    """The rows as a Markdown table (quantity, value, and the claim checked, if any)."""
    checked = any(r.bound() for r in rows)
    head = "| quantity | value |" + (" claim |" if checked else "")
    rule = "|---|---:|" + ("---|" if checked else "")
    lines = [f"**{title}**", ""] if title else []
    lines += [head, rule]
    for r in rows:
        cells = [r.label, r.formatted()] + ([r.bound()] if checked else [])
        lines.append("| " + " | ".join(_markdown_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def text_table(rows: Sequence[Row], title: str | None = None) -> str:
    """The rows as aligned plain text (what a terminal or a text-only front end shows)."""
    width = max(len(r.label) for r in rows)
    values = [r.formatted() for r in rows]
    vwidth = max(len(v) for v in values)
    lines = [title] if title else []
    for r, v in zip(rows, values, strict=True):
        bound = r.bound()
        claim = f"  (claim: {bound})" if bound else ""
        lines.append(f"{r.label:<{width}}  {v:>{vwidth}}{claim}")
    return "\n".join(lines)


def report(title: str | None, rows: Sequence[Row], show: bool = True) -> None:
    """Glue, check and show a section's named results.

    Every row with a name is glued (:func:`glue`); the table is displayed (Markdown, with a
    plain-text fallback) when ``show``; then every bound is checked. It returns nothing, so that
    a cell may end with it without showing a stray value (the glued values are in
    :data:`GLUED`).

    Parameters
    ----------
    title : str or None
        A bold line above the table.
    rows : sequence of Row
        From :func:`row`; names must be distinct.
    show : bool
        Display the table (``False`` only for values that a visible output already shows).

    Raises
    ------
    AssertionError
        If any value breaks its bound; the message lists every broken claim.
    ValueError
        For an empty ``rows``, an item that is not a :class:`Row`, or a repeated name.
    """
    if isinstance(rows, Row) or not isinstance(rows, Sequence):
        raise ValueError("rows must be a list of rows: report(title, [row(...), ...])")
    rows = list(rows)
    if not rows:
        raise ValueError("report needs at least one row")
    if not all(isinstance(r, Row) for r in rows):
        raise ValueError("every row must be built with bilstm_utils.book.row(...)")
    names = [r.name for r in rows if r.name is not None]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"repeated names in one report: {repeated}")
    for r in rows:
        if r.name is not None:
            glue(r.name, r.value)
    if show:
        from IPython.display import display  # noqa: PLC0415

        display({"text/markdown": markdown_table(rows, title),
                 "text/plain": text_table(rows, title)}, raw=True)
    failures = [f for f in (r.failure() for r in rows) if f]
    if failures:
        raise AssertionError("; ".join(failures))


def check(condition: Any, claim: str) -> None:
    """Assert a claim the chapter makes; the error message is the claim itself.

    Parameters
    ----------
    condition : bool
        True when the claim holds (a NumPy bool or a 0-d boolean array is fine). Anything
        else (a list, a number, NaN, a string, a longer array) is refused, so that a slip such
        as ``check([False], ...)`` cannot pass.
    claim : str
        The claim in words, e.g. ``"every masked run beats every unmasked run"``.

    Raises
    ------
    AssertionError
        ``"claim does not hold: <claim>"`` when ``condition`` is false.
    ValueError
        If ``condition`` is not a bool (use ``.all()`` or ``.any()`` on an array).
    """
    if isinstance(condition, np.ndarray) and condition.shape == () and condition.dtype == bool:
        condition = condition.item()
    if not isinstance(condition, bool | np.bool_):
        raise ValueError(f"condition must be a bool, got {condition!r}: use .all() or .any() "
                         "on an array, or a comparison")
    if not bool(condition):
        raise AssertionError(f"claim does not hold: {claim}")


def stored_results(name: str) -> dict:
    """Results that a ``tools/`` script measured and stored, for a chapter to print.

    Some checks take too long to run inside a chapter (``tools/ch8_schedule.py`` retrains
    chapter 8's networks for longer, about ten minutes). Such a script writes its numbers to
    ``bilstm_utils/results/<name>.json``, which ships with the package (so Colab has it too),
    and the chapter prints them, labelled as stored. A unit test checks that the stored file
    still describes the chapter's current code.

    Parameters
    ----------
    name : str
        The file's stem, e.g. ``"ch8_schedule"``: letters, digits and underscores only.

    Returns
    -------
    dict
        The decoded JSON object.

    Raises
    ------
    ValueError
        If ``name`` is not a plain stem (no path separators or dots).
    FileNotFoundError
        If no such file is stored; the message names the script that writes it.
    """
    import importlib.resources
    import json
    import re

    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(f"name must be a file stem of letters, digits and _, got {name!r}")
    path = importlib.resources.files("bilstm_utils") / "results" / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no stored results {name!r}: run tools/{name}.py to write "
                                f"bilstm_utils/results/{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))
