"""`make test` runs on two pytest-xdist workers: the groups that keep each chapter in one kernel."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _root_conftest():
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_chapter_is_one_group_and_chapter_5_runs_with_chapter_4():
    conf = _root_conftest()
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    groups = {path.name[:2]: conf.xdist_group(path) for path in chapters}
    assert groups["04"] == groups["05"]  # chapter 5 opens the models chapter 4 caches
    others = [g for n, g in groups.items() if n not in ("04", "05")]
    assert len(set(others)) == len(others) and groups["04"] not in others


def test_the_book_tests_share_one_group_and_other_test_files_do_not():
    conf = _root_conftest()
    tests = ROOT / "tests"
    assert conf.xdist_group(tests / "test_book.py") == conf.xdist_group(tests / "test_browser.py")
    files = [p for p in sorted(tests.glob("test_*.py")) if p.name not in conf.BOOK_TESTS]
    assert len({conf.xdist_group(p) for p in files}) == len(files)


def test_the_longest_group_starts_first_and_keeps_its_order():
    conf = _root_conftest()
    paths = [ROOT / "tests" / "test_rnn.py", ROOT / "chapters" / "03_bidirectional.ipynb",
             ROOT / "chapters" / "04_imdb_classifier.ipynb",
             ROOT / "chapters" / "05_inside_the_classifier.ipynb"]
    ordered = sorted(paths, key=lambda p: -conf.expected_minutes(conf.xdist_group(p)))
    assert [p.name[:2] for p in ordered] == ["04", "05", "03", "te"]
