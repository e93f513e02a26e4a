"""Numbers that tools/ scripts store for the chapters (bilstm_utils.book.stored_results)."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import pytest

from bilstm_utils.book import stored_results

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ch8_schedule_results_describe_the_chapters_current_setup_cells():
    tool = _tool("ch8_schedule")
    cells = json.loads(tool.NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    stored = stored_results("ch8_schedule")
    assert len(tool.setup_sources(cells)) == len(tool.SETUP), "one setup cell per SETUP prefix"
    assert stored["setup_sha256"] == tool.setup_hash(cells), (
        "chapter 8's setup cells changed since tools/ch8_schedule.py stored its numbers: "
        "run it again")


def test_ch8_schedule_results_hold_every_arm_the_chapter_prints():
    stored = stored_results("ch8_schedule")
    fills = stored["fill_fold_b_real_gap_mix_ppm"]
    assert {"Kalman filter", "Kalman smoother", "Kalman smoother, window"} <= set(fills)
    for epochs in (32, 64, 128):
        assert len(fills[f"BiLSTM, {epochs} epochs"]) == 3  # three seeds
    for epochs in (32, 64):
        assert len(stored["forecast_bilstm_per_period_ppm"][f"{epochs} epochs"]) == 4  # periods


def test_the_setup_hash_changes_with_a_setup_cell_and_not_with_other_cells():
    tool = _tool("ch8_schedule")
    cells = [{"cell_type": "code", "source": ["L, SCALE = 104, 2.5"]},
             {"cell_type": "code", "source": ["print('not setup')"]},
             {"cell_type": "markdown", "source": ["P, H = 1, 2"]}]
    base = tool.setup_hash(cells)
    cells[1]["source"] = ["print('changed')"]
    assert tool.setup_hash(cells) == base
    cells[0]["source"] = ["L, SCALE = 52, 2.5"]
    assert tool.setup_hash(cells) != base


@pytest.mark.parametrize("name", ["../secrets", "a.b", "", "ch8 schedule", None])
def test_stored_results_refuses_a_name_that_is_not_a_plain_stem(name):
    with pytest.raises(ValueError, match="file stem"):
        stored_results(name)


def test_stored_results_names_the_script_when_nothing_is_stored():
    with pytest.raises(FileNotFoundError, match="tools/no_such_tool.py"):
        stored_results("no_such_tool")
