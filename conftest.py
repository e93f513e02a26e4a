"""pytest configuration for the chapters: ``pytest --nbval chapters`` from the repository root
runs them exactly as ``make nbval`` does, and reports where the time goes.

- nbval's options come from here, not only from the Makefile: the sanitizer
  (``tests/nbval_sanitize.cfg``), a kernel in the current environment (``--nbval-current-env``)
  and a 30-minute timeout per cell. Options given on the command line win.
- After the run, a table gives each chapter's nbval wall time against its budget
  (``CHAPTER_BUDGET_MINUTES``), so that every ``make test`` shows where the time goes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

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
