"""Measure a chapter against the book's form (``CONTRIBUTING.md``); used by ``tests/test_form.py``.

Run it to print the table the form issue measures, for every chapter or the ones named::

    python tools/bookform.py [chapters/03_bidirectional.ipynb ...]

Definitions
-----------
main line
    The markdown a reader reads without opening anything: every markdown cell with its
    collapsed blocks removed (a MyST ``{dropdown}``, or any directive with
    ``:class: dropdown``), and without math, code, HTML tags and link targets.
glued number
    A ``{glue:text}``/``{glue:}``/``{glue}`` role whose stored value is a number.
visible
    A glued value, formatted as its role formats it, that also appears in an ordinary output
    of the chapter (printed text, a table), so that a reader in Colab, where roles are raw
    markup, sees it.
check-only cell
    A code cell whose every statement is an ``assert``, an assertion call, a ``glue`` call or
    a verdict (``w = "a" if cond else "b"``), or a loop of those.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GLUE_ROLE = re.compile(r"\{glue(?::(?:text|any|md))?\}`([A-Za-z_]\w*)(?::([^`]*))?`")
HIDING_TAGS = {"remove-input", "remove-cell", "hide-cell"}
CHANGELOG = re.compile(
    r"\b(earlier|previous|older|first) (version|edition|draft|run) of (this|the) "
    r"(chapter|book|notebook|section)\b|\bthis chapter (used to|previously)\b",
    re.IGNORECASE,
)
SEED_ARTICLE = re.compile(r"\bseed (article|tutorial|program|listing)\b|\bthe seed's\b",
                          re.IGNORECASE)


def load(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def source(cell: dict) -> str:
    return "".join(cell["source"])


# --- Main-line markdown -------------------------------------------------------------------

_FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})\s*(\{[\w:-]+\})?(.*)$")


def strip_collapsed(markdown: str) -> tuple[str, list[str]]:
    """Split ``markdown`` into its main line and its collapsed blocks.

    Returns
    -------
    main : str
        The text outside dropdowns (directives named ``dropdown`` or with a ``:class:``
        option containing ``dropdown``), fences of other directives kept.
    collapsed : list of str
        The body of each collapsed block (nested blocks inside it included).
    """
    lines = markdown.splitlines()
    main, collapsed = [], []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match and match.group(3):
            fence, name = match.group(2), match.group(3)
            # find the closing fence (same character, at least as long), tracking nesting
            depth, j = 1, i + 1
            while j < len(lines):
                inner = _FENCE.match(lines[j])
                if inner and inner.group(2)[0] == fence[0]:
                    if inner.group(3):
                        depth += 1
                    elif len(inner.group(2)) >= len(fence) and not inner.group(4).strip():
                        depth -= 1
                        if depth == 0:
                            break
                j += 1
            body = lines[i + 1:j]
            options = [b for b in body[:8] if b.strip().startswith(":")]
            is_dropdown = name == "{dropdown}" or any(
                o.strip().startswith(":class:") and "dropdown" in o for o in options)
            if is_dropdown:
                collapsed.append("\n".join(body))
            else:
                main.append(lines[i])
                inner_main, inner_collapsed = strip_collapsed("\n".join(body))
                main.append(inner_main)
                collapsed += inner_collapsed
                if j < len(lines):
                    main.append(lines[j])
            i = j + 1
            continue
        if match and not match.group(3) and match.group(2).startswith("`"):
            # a plain code listing: keep it out of the prose
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith(match.group(2)):
                j += 1
            i = j + 1
            continue
        main.append(lines[i])
        i += 1
    return "\n".join(main), collapsed


def paragraphs(markdown: str) -> list[str]:
    """Blocks separated by blank lines; each list item and each table row is its own block."""
    blocks, current = [], []
    for line in markdown.splitlines():
        stripped = line.strip()
        starts_item = bool(re.match(r"^([-*+]|\d+\.)\s", stripped)) or stripped.startswith("|")
        if not stripped or starts_item:
            if current:
                blocks.append("\n".join(current))
            current = [line] if stripped else []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return [b for b in blocks if b.strip()]


def prose_words(markdown: str) -> int:
    """Words a reader reads: math, code, HTML, link targets and directive lines removed; a
    glue role counts as one word."""
    text = GLUE_ROLE.sub(" GLUED ", markdown)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`]*`", " CODE ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"^\s*(:{3,}|`{3,}).*$|^\s*:\w+:.*$", " ", text, flags=re.MULTILINE)
    return len(re.findall(r"[A-Za-z0-9][\w'’.-]*", text))


# --- Glue values and outputs --------------------------------------------------------------

def glued_values(nb: dict) -> dict[str, str]:
    """Every glued name and the text/plain of its stored value."""
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                data = out.get("data", {})
                prefix = out["metadata"]["scrapbook"].get("mime_prefix", "")
                values[name] = "".join(data.get(prefix + "text/plain", ""))
    return values


def as_number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def visible_text(nb: dict) -> str:
    """All ordinary output text of the chapter (printed text and displayed tables)."""
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook"):
                continue
            if out["output_type"] == "stream":
                parts.append("".join(out["text"]))
            for key in ("text/plain", "text/markdown", "text/html"):
                if key in out.get("data", {}):
                    parts.append("".join(out["data"][key]))
    return "\n".join(parts)


def renderings(stored: str, spec: str | None) -> list[str]:
    """The texts a glued value may show as: its role's format, and the thousands form."""
    number = as_number(stored)
    if number is None:
        return [stored]
    shown = [format(number, spec) if spec else stored]
    if isinstance(number, int) and not spec:
        shown.append(f"{number:,}")
    return shown


def is_visible(stored: str, spec: str | None, outputs: str) -> bool:
    for text in renderings(stored, spec):
        if re.search(r"(?<![\w.])" + re.escape(text) + r"(?![\d])", outputs):
            return True
    return False


# --- Code cells -----------------------------------------------------------------------------

def _parse(code: str) -> list[ast.stmt]:
    lines = [line[: len(line) - len(line.lstrip())] + "pass"
             if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()]
    return ast.parse("\n".join(lines)).body


def _call_name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return ast.unparse(node.func)
    return ""


def is_check_statement(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Expr):
        name = _call_name(node.value)
        return "assert" in name or name.endswith(("glue", "check"))
    if isinstance(node, ast.Assign | ast.AnnAssign):
        value = node.value
        if _call_name(value).endswith("glue"):
            return True
        return (isinstance(value, ast.IfExp) and isinstance(value.body, ast.Constant)
                and isinstance(value.orelse, ast.Constant))
    if isinstance(node, ast.For):
        return all(is_check_statement(n) for n in node.body) and not node.orelse
    return False


def is_check_only(cell: dict) -> bool:
    body = _parse(source(cell))
    return bool(body) and all(is_check_statement(n) for n in body)


def has_check(cell: dict) -> bool:
    """Whether the cell checks something: an assert, an assertion call, ``check(...)``, or a
    ``report(...)`` with a bound."""
    for node in ast.walk(ast.Module(_parse(source(cell)), [])):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if "assert" in name or name.endswith("check"):
                return True
            if name.endswith("row") and any(
                    k.arg in {"at_least", "at_most", "equals"} for k in node.keywords):
                return True
    return False


def seconds(cell: dict) -> float | None:
    """Stored wall time of a code cell (from the execution metadata), if any."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


# --- A chapter's measures -----------------------------------------------------------------

@dataclass
class Measures:
    chapter: str
    words: int = 0
    glued_numbers: int = 0
    max_in_paragraph: int = 0
    worst_paragraph: str = ""
    visible: list[str] = field(default_factory=list)
    invisible: list[str] = field(default_factory=list)
    shown_check_cells: list[int] = field(default_factory=list)

    @property
    def per_thousand(self) -> float:
        return 1000 * self.glued_numbers / max(self.words, 1)

    @property
    def visible_share(self) -> float:
        total = len(self.visible) + len(self.invisible)
        return len(self.visible) / total if total else 1.0


def main_line(nb: dict) -> str:
    return "\n\n".join(strip_collapsed(source(c))[0] for c in nb["cells"]
                       if c["cell_type"] == "markdown")


def measure(path: str | Path) -> Measures:
    nb = load(path)
    values = glued_values(nb)
    outputs = visible_text(nb)
    result = Measures(Path(path).stem)
    text = main_line(nb)
    result.words = prose_words(text)
    names_seen = {}
    for block in paragraphs(text):
        roles = GLUE_ROLE.findall(block)
        numbers = [(n, s) for n, s in roles if as_number(values.get(n, "")) is not None]
        result.glued_numbers += len(numbers)
        if len(numbers) > result.max_in_paragraph:
            result.max_in_paragraph, result.worst_paragraph = len(numbers), block.strip()[:200]
        for name, spec in roles:
            names_seen.setdefault((name, spec or None), True)
    for name, spec in names_seen:
        if name not in values:
            continue
        key = f"{name}:{spec}" if spec else name
        seen = is_visible(values[name], spec, outputs)
        (result.visible if seen else result.invisible).append(key)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    result.shown_check_cells = [
        i for i, c in enumerate(code)
        if is_check_only(c) and not HIDING_TAGS & set(c["metadata"].get("tags", []))
    ]
    return result


def table(paths: list[Path]) -> str:
    rows = ["| chapter | words | glued numbers / 1,000 words | most in one paragraph | "
            "glued numbers also visible in an output | assert/glue cells shown to readers |",
            "|---|---|---|---|---|---|"]
    for path in paths:
        m = measure(path)
        rows.append(f"| {m.chapter} | {m.words:,} | {m.per_thousand:.0f} | {m.max_in_paragraph} "
                    f"| {m.visible_share:.0%} | {len(m.shown_check_cells)} |")
    return "\n".join(rows)


if __name__ == "__main__":
    names = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "chapters").glob("*.ipynb"))
    print(table(names))
