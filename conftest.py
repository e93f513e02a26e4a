"""pytest configuration for the chapters: ``pytest --nbval chapters`` from the repository root
runs them exactly as ``make nbval`` does, and reports where the time goes.

- nbval's options come from here, not only from the Makefile: the sanitizer
  (``tests/nbval_sanitize.cfg``), a kernel in the current environment (``--nbval-current-env``)
  and a 30-minute timeout per cell. Options given on the command line win.
- After the run, a table gives each chapter's nbval wall time against its budget
  (``CHAPTER_BUDGET_MINUTES``), so that every ``make test`` shows where the time goes.
- Under pytest-xdist (``make test`` runs ``-n 2 --dist loadgroup``), every item belongs to a
  group that one worker runs whole: a chapter's cells stay in one kernel; chapters 4 and 5
  share a group, in that order, because chapter 5 opens the models chapter 4 caches; the two
  test files that share the session's book build (``_build``) share one; any other test file is
  a group of its own, so its module fixtures are built once. Groups run longest first.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SANITIZER = ROOT / "tests" / "nbval_sanitize.cfg"
CELL_TIMEOUT_SECONDS = 1800
NBVAL_DEFAULT_CELL_TIMEOUT = 2000  # nbval's own default, replaced unless given explicitly

#: nbval minutes each chapter may take on an idle 2-core machine (the book's budget: 65 in all).
CHAPTER_BUDGET_MINUTES = {1: 5, 2: 7, 3: 3, 4: 14, 5: 6, 6: 8, 7: 8, 8: 6}

_seconds: dict[str, float] = defaultdict(float)
_cells: dict[str, int] = defaultdict(int)


def _nbval_requested(config) -> bool:
    option = config.option
    return bool(getattr(option, "nbval", False) or getattr(option, "nbval_lax", False))


def pytest_configure(config):
    if not _nbval_requested(config):
        return
    option = config.option
    if not option.nbval_sanitize_with:
        option.nbval_sanitize_with = str(SANITIZER)
    if not option.nbval_kernel_name:
        option.nbval_current_env = True
    if option.nbval_cell_timeout == NBVAL_DEFAULT_CELL_TIMEOUT:
        option.nbval_cell_timeout = CELL_TIMEOUT_SECONDS


#: Chapters whose cells must run in one worker, in this order (chapter 5 reads chapter 4's cache).
SHARED_GROUPS = {4: "chapters-04-05", 5: "chapters-04-05"}
#: Test files that share the session fixture ``built_book`` (one build into ``_build``).
BOOK_TESTS = ("test_book.py", "test_browser.py")


def xdist_group(path: Path) -> str:
    """The pytest-xdist group of every item collected from ``path`` (see the module docstring)."""
    if path.suffix == ".ipynb":
        return SHARED_GROUPS.get(chapter_number(path.name), f"chapter-{path.stem}")
    if path.name in BOOK_TESTS:
        return "built-book"
    return f"tests-{path.stem}"


def expected_minutes(group: str) -> float:
    """A group's budgeted minutes, to start the longest first; a test file counts as under one."""
    shared = [n for n, name in SHARED_GROUPS.items() if name == group]
    if shared:
        return sum(CHAPTER_BUDGET_MINUTES[n] for n in shared)
    if group.startswith("chapter-"):
        return CHAPTER_BUDGET_MINUTES.get(chapter_number(group.removeprefix("chapter-")), 1)
    return 1.5 if group == "built-book" else 0.5


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    if "PYTEST_XDIST_WORKER" not in os.environ:  # a plain run keeps the collection order
        return
    # the longest groups first; a stable sort keeps the order of a chapter's cells, and of
    # chapters 4 then 5
    items.sort(key=lambda item: -expected_minutes(xdist_group(Path(str(item.path)))))


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``: the groups of :func:`xdist_group`, each sent whole to one worker.

    pytest-xdist's own loadgroup reads ``xdist_group`` marks by rewriting each item's node id,
    which pytest 9 no longer allows; scheduling by scope does not need marks.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ChapterGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(Path(nodeid.split("::")[0]))

    return ChapterGroups(config, log)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration
        if report.when == "call":
            _cells[path] += 1


def chapter_number(path: str) -> int | None:
    stem = Path(path).stem
    return int(stem[:2]) if stem[:2].isdigit() else None


def timing_table(seconds: dict[str, float], cells: dict[str, int]) -> list[str]:
    """One line per notebook: cells run, wall time, the budget and whether it was kept."""
    lines = [f"{'notebook':40s} {'cells':>5s} {'minutes':>8s} {'budget':>7s}"]
    for path in sorted(seconds):
        minutes = seconds[path] / 60
        budget = CHAPTER_BUDGET_MINUTES.get(chapter_number(path))
        verdict = "" if budget is None else ("  ok" if minutes <= budget else "  OVER BUDGET")
        shown = "-" if budget is None else f"{budget:d}"
        lines.append(f"{Path(path).name:40s} {cells[path]:5d} {minutes:8.1f} {shown:>7s}{verdict}")
    total = sum(seconds.values()) / 60
    lines.append(f"{'all notebooks':40s} {sum(cells.values()):5d} {total:8.1f}")
    return lines


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    terminalreporter.section("nbval time per chapter")
    for line in timing_table(_seconds, _cells):
        terminalreporter.write_line(line)
    workers = terminalreporter.config.getoption("numprocesses", None)
    if workers:
        terminalreporter.write_line(
            f"({workers} pytest-xdist workers shared the cores: the budgets are for a chapter "
            "alone, as `make nbval NB=...` runs it)")
