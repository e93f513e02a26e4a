"""Is chapter 8's training schedule long enough? (run outside the chapter; about ten minutes).

Chapter 8 trains every network for 32 epochs of batches of 128. This script runs the chapter's
own setup cells (read from the notebook, so nothing is copied), then trains the BiLSTM and
forward-LSTM gap fillers of fold B for 32, 64 and 128 epochs and the BiLSTM forecaster of
every period for 32 and 64 epochs, three seeds each, and prints their errors beside the Kalman
smoother's and filter's, so that one can see whether a longer schedule would change a verdict::

    .venv/bin/python tools/ch8_schedule.py

It also writes them to ``bilstm_utils/results/ch8_schedule.json``, with a SHA-256 of the setup
cells' source. The chapter prints that file (``bilstm_utils.book.stored_results``), and
``tests/test_stored_results.py`` checks the hash, so a change to the setup cells that the stored
numbers no longer describe fails the tests until the script is run again.
"""

# ruff: noqa: F821 (the names come from the chapter's cells)
from __future__ import annotations

import hashlib
import json
import pathlib
import platform

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "chapters" / "08_time_series.ipynb"
RESULTS = NOTEBOOK.parents[1] / "bilstm_utils" / "results" / "ch8_schedule.json"
SETUP = ("import warnings", "from bilstm_utils.book", "weeks, ppm", "L, SCALE", "def build_filler",
         "def structural_model", "P, H = ")  # the cells that define data, models and fits


def setup_sources(cells: list[dict]) -> list[str]:
    """The source of every setup cell (a code cell starting with one of SETUP), in order."""
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    return [source for source in sources if source.startswith(SETUP)]


def setup_hash(cells: list[dict]) -> str:
    """SHA-256 of the setup cells' sources joined by NUL: what the stored numbers describe."""
    return hashlib.sha256("\0".join(setup_sources(cells)).encode()).hexdigest()


def run_setup(cells: list[dict]) -> dict:
    """Execute the chapter's setup cells (those starting with SETUP) into one namespace."""
    namespace: dict = {}
    for source in setup_sources(cells):
        exec(compile(source, str(NOTEBOOK), "exec"), namespace)  # noqa: S102
    return namespace


def main() -> None:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    g = run_setup(cells)
    out: dict = {"setup_sha256": setup_hash(cells),
                 "machine": f"{platform.machine()}, {platform.python_version()}",
                 "fill_fold_b_real_gap_mix_ppm": {}, "forecast_bilstm_per_period_ppm": {}}
    np, inputs, join, gaps_in = g["np"], g["inputs"], g["join"], g["gaps_in"]
    scored = [1, 3, 5]  # fold B
    train = inputs(join(*[gaps_in(g["BLOCKS"][k], np.arange(1, 27), 8, 30 + k)
                          for k in range(6) if k not in scored]))
    real = {k: np.arange(len(g["test_cases"][k][2])) < 3 * len(g["REAL"]) for k in scored}
    tests = {k: inputs(g["test_cases"][k]) for k in scored}  # built once

    def fill_rmse(fills):  # real-gap mix of fold B's blocks
        errs = np.concatenate([g["case_errors"](fills(k), tests[k])[real[k]] for k in scored])
        return float(np.sqrt(errs[:, 0].sum() / errs[:, 1].sum()))

    classical = {k: g["classical_fills"](tests[k], g["test_cases"][k])[0] for k in scored}
    for name in ("Kalman filter", "Kalman smoother", "Kalman smoother, window"):
        value = fill_rmse(lambda k, name=name: classical[k][name])
        print(f"fill, fold B, {name}: {value:.3f} ppm")
        out["fill_fold_b_real_gap_mix_ppm"][name] = round(value, 4)
    for kind in ("BiLSTM", "forward LSTM"):
        for epochs in (32, 64, 128):
            row = []
            for seed in (0, 1, 2):
                g["bilstm_utils"].set_seed(seed)
                model = g["fit"](g["build_filler"](kind), train["x"], train["target"],
                                 train["weight"], epochs=epochs)
                row.append(fill_rmse(lambda k, m=model: g["fill_with"](m, tests[k])))
            print(f"fill, fold B, {kind}, {epochs} epochs, seeds 0-2: {np.round(row, 3)}",
                  flush=True)
            out["fill_fold_b_real_gap_mix_ppm"][f"{kind}, {epochs} epochs"] = [
                round(v, 4) for v in row]
    for epochs in (32, 64):
        row = []
        for lo, hi in g["PERIODS"]:
            tr = g["forecast_inputs"](g["origins"](g["P"], lo))
            te = g["forecast_inputs"](g["origins"](lo, hi))
            per_seed = []
            for seed in (0, 1, 2):
                g["bilstm_utils"].set_seed(seed)
                model = g["fit"](g["build_forecaster"](), tr["x"][:, :g["P"]],
                                 tr["target"][:, g["P"]:], tr["weight"][:, g["P"]:], epochs=epochs)
                pred = g["forecast_with"](model, te)
                per_seed.append(np.sqrt(np.nanmean((pred - te["truth"][:, g["P"]:]) ** 2)))
            row.append(float(np.mean(per_seed)))
        print(f"forecast, BiLSTM, {epochs} epochs, mean of 3 seeds, per period: "
              f"{np.round(row, 3)}", flush=True)
        out["forecast_bilstm_per_period_ppm"][f"{epochs} epochs"] = [round(v, 4) for v in row]
    RESULTS.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print("wrote", RESULTS)


if __name__ == "__main__":
    main()
