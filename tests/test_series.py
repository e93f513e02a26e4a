"""Tests of the series helpers: fills, lines, windows, gap RMSE (chapter 8)."""

from __future__ import annotations

import numpy as np
import pytest

from bilstm_utils.series import (
    WEEKS_PER_YEAR,
    carry_forward_fill,
    fit_line,
    harmonic_regression,
    linear_fill,
    load_co2,
    missing_runs,
    sample_gaps,
    seasonal_drift_forecast,
    seasonal_naive_fill,
    window_inputs,
)

NAN = np.nan


def test_missing_runs():
    assert missing_runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 2), (4, 1), (7, 1)]
    assert missing_runs(np.zeros(3, bool)) == []


def test_linear_fill_by_hand():
    y = np.array([1.0, NAN, NAN, 4.0, 5.0, 6.0])
    hide = np.array([0, 0, 0, 0, 1, 0], bool)
    np.testing.assert_allclose(linear_fill(y, hide), [1, 2, 3, 4, 5, 6])
    # the ends repeat the nearest known value; the input is not modified
    np.testing.assert_allclose(linear_fill(np.array([NAN, 2.0, NAN])), [2, 2, 2])
    assert np.isnan(y[1])


def test_carry_forward_by_hand():
    y = np.array([NAN, 3.0, NAN, 5.0, 7.0])
    hide = np.array([0, 0, 0, 0, 1], bool)
    np.testing.assert_allclose(carry_forward_fill(y, hide), [3, 3, 3, 5, 5])


def test_seasonal_naive_goes_back_whole_periods():
    y = np.array([1.0, 2.0, 10.0, NAN, NAN, 30.0])
    hide = np.array([0, 0, 0, 0, 0, 1], bool)
    # period 2: y3 <- y1 = 2; y4 <- y2 = 10; y5 (hidden) <- y3 (filled) = 2
    np.testing.assert_allclose(seasonal_naive_fill(y, hide, period=2), [1, 2, 10, 2, 10, 2])
    # first period: the same phase a period later
    np.testing.assert_allclose(seasonal_naive_fill(np.array([NAN, 1, 5, 2.0]), period=2)[0], 5)
    with pytest.raises(ValueError, match="period"):
        seasonal_naive_fill(np.array([1.0, NAN, 3.0]), period=0)
    with pytest.raises(ValueError, match="whole number of periods"):
        seasonal_naive_fill(np.array([NAN, 1.0, NAN]), period=2)


def test_seasonal_naive_misses_a_line_by_one_periods_rise():
    t = np.arange(40)
    y = 0.3 * t + np.tile([0.0, 2.0, -1.0, 1.0], 10)  # period 4 plus a line
    hide = np.zeros(40, bool)
    hide[17:20] = True  # a gap shorter than a period
    # seasonal naive misses the line by one period's rise, 0.3 * 4
    err = seasonal_naive_fill(y, hide, period=4)[hide] - y[hide]
    np.testing.assert_allclose(err, -1.2)


def test_fills_reject_bad_input():
    with pytest.raises(ValueError, match="no known value"):
        linear_fill(np.array([NAN, NAN]))
    with pytest.raises(ValueError, match="1-D"):
        linear_fill(np.ones((2, 2)))
    with pytest.raises(ValueError, match="shape"):
        carry_forward_fill(np.ones(3), np.zeros(2, bool))


def test_fit_line_uses_known_values_only():
    w = np.array([[1.0, 3.0, 99.0, 7.0], [2.0, 2.0, 2.0, -50.0]])
    known = np.array([[1, 1, 0, 1], [1, 1, 1, 0]], bool)
    level, slope = fit_line(w, known)
    np.testing.assert_allclose(level, [1, 2])
    np.testing.assert_allclose(slope, [2, 0], atol=1e-12)
    with pytest.raises(ValueError, match="two known"):
        fit_line(w, np.array([[1, 0, 0, 0], [1, 1, 0, 0]], bool))


def test_sample_gaps_fit_inside_region_and_window():
    starts, offsets, gaps = sample_gaps((100, 300), 50, [4, 10], 20, seed=0, margin=5)
    assert len(starts) == 40 and sorted(set(gaps)) == [4, 10]
    assert starts.min() >= 100 and (starts + 50).max() <= 300
    assert offsets.min() >= 5 and (offsets + gaps).max() <= 45
    again = sample_gaps((100, 300), 50, [4, 10], 20, seed=0, margin=5)
    np.testing.assert_array_equal(again[0], starts)
    with pytest.raises(ValueError, match="shorter"):
        sample_gaps((0, 10), 50, [4], 1, seed=0)
    with pytest.raises(ValueError, match="fit"):
        sample_gaps((0, 100), 20, [15], 1, seed=0, margin=5)


def test_window_inputs_hide_the_gap_and_remove_the_line():
    y = 10.0 + 0.5 * np.arange(30)
    y[3] = NAN  # an unmeasured step
    d = window_inputs(y, np.array([0]), np.array([5]), np.array([3]), 12, scale=2.0)
    x, w = d["x"][0], d["weight"][0]
    np.testing.assert_array_equal(x[:, 1], [0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0])  # unknown flag
    np.testing.assert_array_equal(w, [0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(d["trend"][0], 10.0 + 0.5 * np.arange(12))
    np.testing.assert_allclose(x[:, 0], 0, atol=1e-5)  # a line leaves no residual
    np.testing.assert_allclose(d["target"][0, 5:8, 0], 0, atol=1e-5)
    # no detrending: residuals carry the level, hidden values stay out of the input
    raw = window_inputs(y, np.array([0]), np.array([5]), np.array([3]), 12, 1.0, detrend=False)
    np.testing.assert_allclose(raw["x"][0, :3, 0], [0, 0.5, 1.0])
    np.testing.assert_array_equal(raw["x"][0, 5:8, 0], 0)


def test_co2_record_as_documented():
    weeks, ppm = load_co2()
    assert len(ppm) == 2284 and np.isnan(ppm).sum() == 59
    runs = missing_runs(np.isnan(ppm))
    assert len(runs) == 22 and max(length for _, length in runs) == 18
    assert str(weeks[0]) == "1958-03-29" and 300 < np.nanmin(ppm) < np.nanmax(ppm) < 380


def test_season_features_repeat_every_year():
    from bilstm_utils.series import season_features

    f = season_features(np.array(["2000-01-01", "2000-07-02", "2001-01-01"], "datetime64[D]"))
    np.testing.assert_allclose(f[0], [0, 1], atol=1e-12)
    np.testing.assert_allclose(f[1, 1], -1, atol=1e-3)  # half a year later: opposite
    np.testing.assert_allclose(np.hypot(*f.T), 1)
    np.testing.assert_allclose(f[2], f[0], atol=0.02)  # 366 days: 0.75 day past a year


def test_window_inputs_append_covariates():
    y = np.arange(20.0)
    cov = np.stack([np.arange(20.0), -np.arange(20.0)], axis=1)
    d = window_inputs(y, np.array([3]), np.array([4]), np.array([2]), 8, 1.0, covariates=cov)
    assert d["x"].shape == (1, 8, 4)
    np.testing.assert_array_equal(d["x"][0, :, 2], np.arange(3, 11))


def test_harmonic_regression_exact_on_line_plus_harmonics_and_extrapolates():
    t = np.arange(150.0)
    angle = 2 * np.pi * t / WEEKS_PER_YEAR
    y = 300 + 0.03 * t + 3 * np.sin(angle) - np.cos(2 * angle)
    known = np.ones((1, 104), bool)
    known[0, 40:66] = False  # a gap: ignored, and here spoiled
    window = y[None, :104].copy()
    window[0, 40:66] = 1e6
    np.testing.assert_allclose(harmonic_regression(window, known, n_out=150)[0], y, atol=1e-8)
    with pytest.raises(ValueError, match="at least 6"):
        harmonic_regression(window, np.eye(1, 104, dtype=bool))
    with pytest.raises(ValueError, match="harmonics"):
        harmonic_regression(window, known, harmonics=-1)


def test_seasonal_drift_forecast_adds_the_mean_yearly_rise():
    t = np.arange(40.0)
    y = np.tile([0.0, 1.0, 0.0, -1.0], 10) + 0.5 * t  # period 4, rise 2 per period
    y[30] = NAN  # an unmeasured week is skipped in the drift and filled from earlier years
    fc = seasonal_drift_forecast(y, np.array([32]), 3, period=4)
    np.testing.assert_allclose(fc[0, :2], y[32:34], atol=1e-12)
    assert fc[0, 2] == y[26] + 2  # week 30 unmeasured: week 26, plus the drift
    # only the past is read
    spoiled = y.copy()
    spoiled[32:] += 100
    np.testing.assert_allclose(seasonal_drift_forecast(spoiled, np.array([32]), 3, period=4), fc)
    with pytest.raises(ValueError, match="longer than the period"):
        seasonal_drift_forecast(y, np.array([32]), 5, period=4)
    with pytest.raises(ValueError, match="past"):
        seasonal_drift_forecast(y, np.array([5]), 3, period=4)


# Bug hunt 3 (#7 and "Further observations"): odd arguments get a clear error or a right answer.

def _weekly_sine_with_a_gap():
    y = np.sin(np.arange(200) * 2 * np.pi / WEEKS_PER_YEAR)
    y[120] = NAN
    return y


@pytest.mark.parametrize("period", [WEEKS_PER_YEAR, 2.0, True, 0, "52"])
def test_seasonal_naive_refuses_a_period_that_is_not_whole_steps(period):
    with pytest.raises(ValueError, match="period must be an integer >= 1"):
        seasonal_naive_fill(_weekly_sine_with_a_gap(), period=period)


def test_seasonal_fills_say_how_to_round_a_fractional_period_and_take_numpy_integers():
    y = _weekly_sine_with_a_gap()
    with pytest.raises(ValueError, match="WEEKS_PER_YEAR .* round it"):
        seasonal_naive_fill(y, period=WEEKS_PER_YEAR)
    np.testing.assert_array_equal(seasonal_naive_fill(y, period=np.int64(52)),
                                  seasonal_naive_fill(y, period=52))
    with pytest.raises(ValueError, match="period must be an integer"):
        seasonal_drift_forecast(np.arange(40.0), np.array([40]), 3, period=4.0)


@pytest.mark.parametrize("horizon", [-1, 0, 2.0, True])
def test_seasonal_drift_forecast_refuses_odd_horizons(horizon):
    with pytest.raises(ValueError, match="horizon must be an integer >= 1"):
        seasonal_drift_forecast(np.arange(40.0), np.array([40]), horizon, period=4)


def test_seasonal_drift_forecast_refuses_origins_past_the_end_or_fractional():
    y = np.arange(40.0)
    np.testing.assert_allclose(seasonal_drift_forecast(y, np.array([40]), 3, period=4),
                               [[40, 41, 42]])  # the last origin still works
    with pytest.raises(ValueError, match="past the end of y"):
        seasonal_drift_forecast(y, np.array([45]), 3, period=4)
    with pytest.raises(ValueError, match="origins must hold integers"):
        seasonal_drift_forecast(y, np.array([39.7]), 3, period=4)
    # whole-number floats and an empty set of origins are fine
    np.testing.assert_allclose(seasonal_drift_forecast(y, [40.0], 3, period=4), [[40, 41, 42]])
    assert seasonal_drift_forecast(y, [], 3, period=4).shape == (0, 3)


def _bootstrap_case():
    rng = np.random.default_rng(0)
    step = np.arange(200)[None, :] + np.zeros((3, 1), int)
    return rng.random((3, 200)), rng.random((3, 200)), np.ones((3, 200)), step


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (((10, 60), 50.5, [4], 3), {}, "length must be an integer"),
        (((10, 60), 50, [4], 2.5), {}, "n_per_length must be an integer"),
        (((10, 60), 50, [4.5], 1), {}, "gap_lengths must hold integers"),
        (((10, 60), 50, [4], 1), {"margin": -3}, "margin must be an integer >= 0"),
        (((-5, 60), 50, [4], 1), {}, "region must be"),
    ],
)
def test_sample_gaps_refuses_odd_sizes(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample_gaps(*args, seed=0, **kwargs)


@pytest.mark.parametrize(
    "starts, length, scale, message",
    [
        ([0], 12, 0.0, "scale must be a finite number > 0"),  # was NaN inputs
        ([0], 12, float("nan"), "scale must be a finite number > 0"),
        ([-5], 12, 1.0, "must lie in the series"),  # was a window wrapped round the end
        ([25], 12, 1.0, "must lie in the series"),  # was a bare IndexError
        ([0], 12.5, 1.0, "length must be an integer"),
        ([0.5], 12, 1.0, "starts must hold integers"),
    ],
)
def test_window_inputs_refuse_cases_outside_the_series(starts, length, scale, message):
    with pytest.raises(ValueError, match=message):
        window_inputs(np.arange(30.0), starts, [5], [3], length, scale)


def test_window_inputs_check_windows_gaps_and_covariates():
    y = np.arange(30.0)
    with pytest.raises(ValueError, match="lie in its window"):
        window_inputs(y, [0], [10], [3], 12, 1.0)
    with pytest.raises(ValueError, match="covariates"):
        window_inputs(y, [0], [5], [3], 12, 1.0, covariates=np.ones((29, 2)))
    with pytest.raises(ValueError, match="must lie in the series"):
        window_inputs(np.sin(np.arange(60.0)), [-5], [10], [4], 20, 1.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"period": 0}, "period must be a finite number > 0"),  # was LinAlgError
        ({"period": float("nan")}, "period must be a finite number > 0"),
        ({"n_out": 70.5}, "n_out must be an integer >= 1"),  # was silently 70
        ({"n_out": -3}, "n_out must be an integer >= 1"),
    ],
)
def test_harmonic_regression_refuses_odd_period_and_n_out(kwargs, message):
    window, known = np.sin(np.arange(60.0))[None], np.ones((1, 60), bool)
    with pytest.raises(ValueError, match=message):
        harmonic_regression(window, known, **kwargs)
    # a float period is this function's own (unlike the seasonal fills')
    assert harmonic_regression(window, known, period=WEEKS_PER_YEAR).shape == (1, 60)
