"""The book's form (``CONTRIBUTING.md``), measured on every chapter notebook.

What is measured is defined once, in ``tools/bookform.py`` (``python tools/bookform.py``
prints the table). Chapters not yet rebuilt in the form are listed in ``NOT_YET_IN_FORM``, the
one place for exceptions; each chapter issue removes its chapters from it.
"""

from __future__ import annotations

import re

import bookform
import pytest

from conftest import chapter_paths

CHAPTERS = chapter_paths()
IDS = [p.stem for p in CHAPTERS]

#: Chapters that do not follow the form yet, and the issue that rebuilds them.
NOT_YET_IN_FORM: dict[str, str] = {}

#: The prose budget (CONTRIBUTING.md, "Numbers").
MAX_NUMBERS_PER_PARAGRAPH = 3
MAX_NUMBERS_PER_THOUSAND_WORDS = 10
LONG_CELL_SECONDS = 60


def in_form(path) -> bool:
    return path.stem not in NOT_YET_IN_FORM


FORM = [p for p in CHAPTERS if in_form(p)]
FORM_IDS = [p.stem for p in FORM]


def test_the_exception_list_names_only_existing_chapters():
    assert set(NOT_YET_IN_FORM) <= set(IDS), "remove chapters that no longer exist"
    assert FORM, "at least one chapter (chapter 3, the model) follows the form"


def headings(nb) -> list[tuple[int, str]]:
    """(cell index, title) of every ``## `` heading."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for line in bookform.source(cell).splitlines():
            if line.startswith("## "):
                found.append((i, line[3:].strip()))
    return found


def section_cells(nb, title: str) -> list[dict]:
    marks = headings(nb)
    for k, (index, name) in enumerate(marks):
        if name.startswith(title):
            end = marks[k + 1][0] if k + 1 < len(marks) else len(nb["cells"])
            return nb["cells"][index:end]
    return []


# --- Form rules for the chapters that follow the form ------------------------------------

@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_check_only_cells_are_hidden_in_the_book(path):
    m = bookform.measure(path)
    assert not m.shown_check_cells, (
        f"code cells {m.shown_check_cells} only assert or glue: tag them remove-input, "
        "remove-cell or hide-cell, or fold the check into the computing cell"
    )


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_every_number_the_main_line_quotes_is_visible_in_an_output(path):
    m = bookform.measure(path)
    assert not m.invisible, (
        f"glued values quoted in the main line but printed by no cell (a Colab reader never "
        f"sees them): {m.invisible}"
    )


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_prose_budget_of_glued_numbers(path):
    m = bookform.measure(path)
    assert m.max_in_paragraph <= MAX_NUMBERS_PER_PARAGRAPH, (
        f"{m.max_in_paragraph} glued numbers in one paragraph (at most "
        f"{MAX_NUMBERS_PER_PARAGRAPH}; put comparisons in a table): {m.worst_paragraph!r}"
    )
    assert m.per_thousand <= MAX_NUMBERS_PER_THOUSAND_WORDS, (
        f"{m.per_thousand:.1f} glued numbers per 1,000 main-line words "
        f"(at most {MAX_NUMBERS_PER_THOUSAND_WORDS})"
    )


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_no_changelog_and_no_seed_article(path):
    nb = bookform.load(path)
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = bookform.source(cell)
        found = bookform.CHANGELOG.search(text)
        assert not found, f"cell {i}: a changelog in the text ({found.group(0)!r})"
        found = bookform.SEED_ARTICLE.search(text)
        assert not found, f"cell {i}: call the source 'the article', not {found.group(0)!r}"


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_in_practice_then_summary_then_exercises(path):
    nb = bookform.load(path)
    titles = [t for _, t in headings(nb)]
    for needed in ("In practice", "Summary", "Exercises"):
        assert needed in titles, f"no '## {needed}' section"
    assert titles.index("In practice") < titles.index("Summary") < titles.index("Exercises")
    practice = "\n".join(bookform.source(c) for c in section_cells(nb, "In practice")
                         if c["cell_type"] == "markdown")
    items = [line for line in practice.splitlines() if re.match(r"^\s*([-*]|\d+\.)\s", line)]
    assert len(items) >= 4, "'In practice' is a checklist of at least four rules"


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_how_sure_are_we_dropdowns(path):
    nb = bookform.load(path)
    collapsed_titles = re.findall(
        r"^\s*(?::{3,}|`{3,})\{(?:dropdown|admonition)\}\s*(.*)$",
        "\n".join(bookform.source(c) for c in nb["cells"] if c["cell_type"] == "markdown"),
        flags=re.MULTILINE,
    )
    assert sum("How sure are we" in t for t in collapsed_titles) >= 2, (
        "each lesson's controls, seeds and caveats go in a collapsed 'How sure are we?' block"
    )


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_exercise_solutions_collapse_with_their_output(path):
    nb = bookform.load(path)
    solutions = [c for c in section_cells(nb, "Exercises") if c["cell_type"] == "code"]
    assert len(solutions) >= 3
    for cell in solutions:
        tags = set(cell["metadata"].get("tags", []))
        assert "hide-cell" in tags, (
            "a solution is tagged hide-cell, so that its printed answer is hidden too: "
            + bookform.source(cell)[:80]
        )
        assert bookform.has_check(cell), "a solution checks its answer"


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_a_long_cell_is_announced(path):
    nb = bookform.load(path)
    last_markdown = ""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            last_markdown = bookform.source(cell)
            continue
        took = bookform.seconds(cell)
        if took is not None and took > LONG_CELL_SECONDS:
            assert re.search(r"\bminutes?\b", last_markdown), (
                f"cell {i} took {took:.0f} s: the text before it says how long it takes"
            )


@pytest.mark.parametrize("path", FORM, ids=FORM_IDS)
def test_each_lesson_has_a_bold_takeaway(path):
    nb = bookform.load(path)
    skip = ("In practice", "Summary", "Exercises")
    marks = headings(nb)
    for k, (index, title) in enumerate(marks):
        if title.startswith(skip):
            continue
        end = marks[k + 1][0] if k + 1 < len(marks) else len(nb["cells"])
        text = "\n".join(bookform.strip_collapsed(bookform.source(c))[0]
                         for c in nb["cells"][index:end] if c["cell_type"] == "markdown")
        bold = re.findall(r"\*\*([^*]+?)\*\*", text)
        assert any(len(b) >= 40 for b in bold), f"section '{title}' has no bold takeaway"


# --- Rules for every chapter ---------------------------------------------------------------

def only_figures(cell) -> bool:
    outputs = cell.get("outputs", [])
    return bool(outputs) and all(
        out["output_type"] == "display_data" and "image/png" in out.get("data", {})
        or out["output_type"] == "stream" and not "".join(out["text"]).strip()
        for out in outputs
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_cells_with_machine_dependent_output_are_checked(path):
    """A cell tagged ``nbval-ignore-output`` (its output differs between machines) checks what
    must hold, in the cell itself or in a code cell after it before the next prose: the tag
    never hides a result nothing checks. The one exception is the cell tagged ``test-set``,
    which scores the test set and, by the book's rule, asserts nothing about it."""
    nb = bookform.load(path)
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        tags = cell["metadata"].get("tags", [])
        if cell["cell_type"] != "code" or "nbval-ignore-output" not in tags or "test-set" in tags:
            continue
        if only_figures(cell):  # nbval never compares images
            continue
        block = [cell]
        for later in cells[i + 1:]:
            if later["cell_type"] != "code":
                break
            block.append(later)
        assert any(bookform.has_check(c) for c in block), (
            f"cell {i} is tagged nbval-ignore-output but nothing in it or in the code cells "
            "after it checks anything: " + bookform.source(cell)[:120]
        )


# --- The measuring tool itself ------------------------------------------------------------

def test_strip_collapsed_removes_dropdowns_and_keeps_other_directives():
    text = (
        "Main line.\n\n:::{note}\nA visible note.\n:::\n\n"
        ":::{dropdown} How sure are we?\nHidden {glue:text}`x:.2f`.\n::::{note}\nnested\n::::\n"
        ":::\n\n```{admonition} Details\n:class: dropdown\nAlso hidden.\n```\nAfter."
    )
    main, collapsed = bookform.strip_collapsed(text)
    assert "Main line." in main and "A visible note." in main and "After." in main
    assert "Hidden" not in main and "Also hidden" not in main and "nested" not in main
    assert len(collapsed) == 2 and "nested" in collapsed[0]


def test_paragraphs_split_list_items_and_table_rows():
    blocks = bookform.paragraphs("One\ntwo.\n\n- a\n- b\ncontinued\n\n| x |\n| y |")
    assert blocks == ["One\ntwo.", "- a", "- b\ncontinued", "| x |", "| y |"]


def test_visibility_uses_the_roles_format():
    assert bookform.is_visible("0.50234", ".3f", "accuracy 0.502 on test")
    assert not bookform.is_visible("0.50234", ".3f", "accuracy 0.5023 on test")
    assert bookform.is_visible("5353", None, "parameters: 5,353")
    assert bookform.is_visible("below", None, "verdict: below")
    assert not bookform.is_visible("0.5", ".1f", "0.55")


def test_check_only_cells_are_recognised():
    def cell(code):
        return {"cell_type": "code", "source": code, "metadata": {}}

    assert bookform.is_check_only(cell("assert x > 1\n_ = glue('a', 1)\nw = 'up' if x else 'down'"))
    assert bookform.is_check_only(cell("for k in d:\n    assert d[k] > 0"))
    assert not bookform.is_check_only(cell("assert x\nprint(x)"))
    assert bookform.has_check(cell("report('t', [row('a', 1, at_least=0)])"))
    assert not bookform.has_check(cell("report('t', [row('a', 1)])"))
