"""Is chapter 8's training schedule long enough? (run outside the chapter; about ten minutes).

Chapter 8 trains every network for 32 epochs of batches of 128. This script runs the chapter's
own setup cells (read from the notebook, so nothing is copied), then trains the BiLSTM gap filler
of fold B and the BiLSTM forecaster of every period for 32, 64 and 128 epochs (fillers) or 32
and 64 epochs (forecasters), three seeds each, and prints their errors beside the Kalman
smoother's and filter's, so that one can see whether a longer schedule would change a verdict::

    .venv/bin/python tools/ch8_schedule.py
"""

# ruff: noqa: F821 (the names come from the chapter's cells)
from __future__ import annotations

import json
import pathlib

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "chapters" / "08_time_series.ipynb"
SETUP = ("import warnings", "from bilstm_utils.book", "weeks, ppm", "L, SCALE", "def build_filler",
         "def structural_model", "P, H = ")  # the cells that define data, models and fits


def run_setup() -> dict:
    """Execute the chapter's setup cells (those starting with SETUP) into one namespace."""
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {}
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code" and source.startswith(SETUP):
            exec(compile(source, str(NOTEBOOK), "exec"), namespace)  # noqa: S102
    return namespace


def main() -> None:
    g = run_setup()
    np, inputs, join, gaps_in = g["np"], g["inputs"], g["join"], g["gaps_in"]
    scored = [1, 3, 5]  # fold B
    train = inputs(join(*[gaps_in(g["BLOCKS"][k], np.arange(1, 27), 8, 30 + k)
                          for k in range(6) if k not in scored]))
    real = {k: np.arange(len(g["test_cases"][k][2])) < 3 * len(g["REAL"]) for k in scored}

    def fill_rmse(fills):  # real-gap mix of fold B's blocks
        errs = np.concatenate([g["case_errors"](fills(k), inputs(g["test_cases"][k]))[real[k]]
                               for k in scored])
        return float(np.sqrt(errs[:, 0].sum() / errs[:, 1].sum()))

    for name in ("Kalman filter", "Kalman smoother", "Kalman smoother, window"):
        value = fill_rmse(lambda k, name=name: g["classical_fills"](
            inputs(g["test_cases"][k]), g["test_cases"][k])[0][name])
        print(f"fill, fold B, {name}: {value:.3f} ppm")
    for epochs in (32, 64, 128):
        row = []
        for seed in (0, 1, 2):
            g["bilstm_utils"].set_seed(seed)
            model = g["fit"](g["build_filler"]("BiLSTM"), train["x"], train["target"],
                             train["weight"], epochs=epochs)
            row.append(fill_rmse(lambda k, m=model: g["fill_with"](m, inputs(g["test_cases"][k]))))
        print(f"fill, fold B, BiLSTM, {epochs} epochs, seeds 0-2: {np.round(row, 3)}", flush=True)
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


if __name__ == "__main__":
    main()
