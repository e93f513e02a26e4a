"""The book as a whole: toc <-> chapters, chapters stored executed, chapter structure,
Colab badges and install cells derived from the one repository URL in _config.yml."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from chapter_header import badge_html, colab_url, install_cell, repository

from conftest import ROOT, chapter_paths, toc_files

CHAPTERS = chapter_paths()
CHAPTER_IDS = [p.stem for p in CHAPTERS]
EXPECTED_ORDER = [
    "01_recurrent_networks",
    "02_lstm_gates",
    "03_bidirectional",
    "04_imdb_classifier",
    "05_inside_the_classifier",
    "06_sequence_labelling",
    "07_speech",
    "08_time_series",
]


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def text(cell) -> str:
    return "".join(cell["source"])


def test_every_toc_entry_exists():
    for entry in toc_files():
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb", "")]
        assert any(c.is_file() for c in candidates), f"_toc.yml lists {entry}, which does not exist"


def test_every_chapter_is_in_the_toc_in_book_order():
    listed = [f for f in toc_files() if f.startswith("chapters/")]
    assert listed == [f"chapters/{c}" for c in CHAPTER_IDS], "toc and chapters/ disagree"
    assert set(CHAPTER_IDS) <= set(EXPECTED_ORDER), f"unexpected chapter file in {CHAPTER_IDS}"
    assert CHAPTER_IDS == [c for c in EXPECTED_ORDER if c in CHAPTER_IDS]


def test_book_pages_and_config():
    toc = toc_files()
    assert toc[0] == "intro" and {"running", "api"} <= set(toc)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "off"  # built from stored outputs
    assert repository()[0].startswith("https://github.com/")


@pytest.mark.parametrize("path", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_is_stored_executed_top_to_bottom_without_errors(path):
    nb = load(path)
    cells = code_cells(nb)
    assert cells, "a chapter without code"
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"not executed top to bottom in one fresh kernel: execution counts {counts}; "
        "re-run with `make execute NB=...`"
    )
    assert sum(len(c["outputs"]) for c in cells) > 0
    for i, cell in enumerate(cells):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"code cell {i} stores an error"
            if out.get("name") == "stderr":
                stream = "".join(out["text"])
                assert not re.search(r"I0000|W0000|cpu_feature_guard|oneDNN", stream), (
                    f"code cell {i} stores TensorFlow log noise"
                )
            blob = json.dumps(out.get("data", {})) + "".join(out.get("text", ""))
            assert not re.search(r"/root/|/home/[a-z]|/tmp/|/work/", blob), (
                f"code cell {i} shows a machine-specific path"
            )
            assert not re.search(r"at 0x[0-9a-f]{6,}", blob), f"code cell {i} shows an address"


@pytest.mark.parametrize("path", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_opens_with_title_badge_goals_and_colab_install_cell(path):
    nb = load(path)
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    number = int(path.stem[:2])
    assert text(first).startswith(f"# Chapter {number} "), "first cell must be the chapter title"
    notebook = f"chapters/{path.name}"
    assert badge_html(notebook) in text(first), f"badge must link to {colab_url(notebook)}"
    assert "After this chapter you will be able to" in text(first)
    first_code = code_cells(nb)[0]
    assert text(first_code) == install_cell(), "first code cell must be the Colab install cell"
    imports = text(code_cells(nb)[1])
    assert "import bilstm_utils" in imports and "set_seed" in imports


@pytest.mark.parametrize("path", CHAPTERS, ids=CHAPTER_IDS)
def test_chapter_ends_with_summary_and_solved_exercises(path):
    nb = load(path)

    def has_heading(cell, title):
        return cell["cell_type"] == "markdown" and any(
            line.startswith(f"## {title}") for line in text(cell).splitlines()
        )

    summary = next((i for i, c in enumerate(nb["cells"]) if has_heading(c, "Summary")), None)
    exercises = next((i for i, c in enumerate(nb["cells"]) if has_heading(c, "Exercises")), None)
    assert summary is not None, "no '## Summary' section"
    assert exercises is not None and exercises >= summary, "no '## Exercises' after the summary"
    solutions = [  # hide-cell (the form: code and answer collapse) or hide-input (older chapters)
        c for c in nb["cells"][exercises:]
        if c["cell_type"] == "code"
        and {"hide-cell", "hide-input"} & set(c["metadata"].get("tags", []))
    ]
    assert len(solutions) >= 3, "at least three exercises with a worked, toggled solution"
    for cell in solutions:
        assert cell["execution_count"] is not None and "assert" in text(cell)


@pytest.mark.parametrize("path", CHAPTERS, ids=CHAPTER_IDS)
def test_every_glue_role_in_the_prose_is_glued_in_the_notebook(path):
    nb = load(path)
    prose = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    used = set(re.findall(r"\{glue(?::\w+)?\}`([A-Za-z_]\w*)", prose))
    glued = set()
    for cell in code_cells(nb):
        for out in cell["outputs"]:
            key = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if key:
                glued.add(key)
    assert used <= glued, f"prose uses glue names never glued: {sorted(used - glued)}"
    assert used, "a chapter whose prose quotes no computed number"


@pytest.mark.parametrize("path", CHAPTERS, ids=CHAPTER_IDS)
def test_no_cell_shows_a_stray_glued_value(path):
    """A cell whose last statement is a bare ``glue(...)`` call shows the glued value as its
    output (``glue`` returns it): a lone number or word under the code in the book."""
    import ast  # noqa: PLC0415

    for i, cell in enumerate(code_cells(load(path))):
        source = "\n".join(  # IPython magics become `pass`, keeping the indentation
            line[: len(line) - len(line.lstrip())] + "pass"
            if line.lstrip().startswith(("%", "!")) else line
            for line in text(cell).splitlines())
        body = ast.parse(source).body
        if body and isinstance(body[-1], ast.Expr) and isinstance(body[-1].value, ast.Call):
            name = ast.unparse(body[-1].value.func)
            assert not name.endswith("glue"), f"cell {i} ends with a bare {name}(...) call"


def test_build_has_no_warnings(built_book):
    assert (built_book["html"] / "index.html").is_file()
    assert (built_book["html"] / "api.html").is_file()
    for chapter in CHAPTER_IDS:
        assert (built_book["html"] / "chapters" / f"{chapter}.html").is_file()
    assert "WARNING" not in built_book["log"]
    for chapter in CHAPTER_IDS:  # the results tables of book.report render as HTML tables
        html = (built_book["html"] / "chapters" / f"{chapter}.html").read_text()
        assert "| quantity |" not in html, f"{chapter}: a results table shows as raw Markdown"
    api = (built_book["html"] / "api.html").read_text()
    assert "load_imdb" in api and "lstm_step" in api  # autodoc ran
