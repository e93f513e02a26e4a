"""Measured series: gap filling (imputation) and forecasting, with the baselines people use.

The series is the Mauna Loa weekly CO2 record 1958-2001 shipped with ``statsmodels``
(https://www.statsmodels.org/stable/datasets/generated/co2.html): weekly averages of the
Scripps Institution of Oceanography (SIO) continuous in-situ record of C. D. Keeling and
T. P. Whorf (the dataset's long description; its SOURCE field cites the SIO flask compilation
distributed by CDIAC instead). It has real missing weeks (NaN).

Conventions: a series is a 1-D float array ``y`` (NaN = not measured); ``missing`` is a
boolean array of the same length, True where a value must be filled (it may include
measured values that an experiment hides). Fill functions return a copy of ``y`` with every
``missing`` or NaN position filled, and never read a hidden value.
"""

from __future__ import annotations

import numbers

import numpy as np

from bilstm_utils import _checks

#: Weeks per seasonal period of the weekly CO2 record (52.18 weeks a year, rounded).
CO2_PERIOD = 52

#: Weeks per year, unrounded: the period of the harmonics of :func:`harmonic_regression`.
WEEKS_PER_YEAR = 365.25 / 7


def load_co2() -> tuple[np.ndarray, np.ndarray]:
    """The Mauna Loa weekly CO2 record, March 1958 - December 2001, from ``statsmodels``.

    Returns
    -------
    weeks : ndarray (2284,), datetime64[D]
        The Saturday that ends each week.
    ppm : ndarray (2284,), float
        CO2 mole fraction in parts per million; NaN in the 59 weeks without a measurement.
    """
    from statsmodels.datasets import co2  # noqa: PLC0415 (statsmodels is slow to import)

    frame = co2.load_pandas().data
    return frame.index.values.astype("datetime64[D]"), frame["co2"].to_numpy(dtype=float)


def _period(period) -> int:
    """``period`` as an ``int`` if it is a whole number of steps >= 1, else ``ValueError``."""
    if isinstance(period, bool) or not isinstance(period, numbers.Integral) or period < 1:
        hint = ""
        if isinstance(period, numbers.Real) and not isinstance(period, numbers.Integral):
            hint = (f"; a fractional period such as WEEKS_PER_YEAR ({WEEKS_PER_YEAR:.2f}) is "
                    f"not rounded for you: round it, as CO2_PERIOD = {CO2_PERIOD} is")
        raise ValueError(f"period must be an integer >= 1 (whole steps), got {period!r}{hint}")
    return int(period)


def _indices(name: str, values, ndim: int | None = 1) -> np.ndarray:
    """``values`` as an int array if every entry is a whole number (bool refused)."""
    a = np.asarray(values)
    if a.size == 0 and a.dtype.kind in "fO":
        a = a.astype(int)  # an empty list
    whole = a.dtype.kind in "iu" or (a.dtype.kind == "f" and bool(np.all(np.mod(a, 1) == 0)))
    if not whole:
        raise ValueError(f"{name} must hold integers, got {a.dtype} values {a.ravel()[:5]}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    return a.astype(int)


def _unknown(y: np.ndarray, missing: np.ndarray | None) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    unknown = ~np.isfinite(y)
    if missing is not None:
        missing = np.asarray(missing, dtype=bool)
        if missing.shape != y.shape:
            raise ValueError(f"missing has shape {missing.shape}, y has {y.shape}")
        unknown |= missing
    if unknown.all():
        raise ValueError("no known value to fill from")
    return unknown


def missing_runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """The runs of consecutive True values: ``[(start, length), ...]`` in time order.

    Parameters
    ----------
    missing : ndarray (n,), bool

    Returns
    -------
    list of (int, int)
    """
    m = np.concatenate([[False], np.asarray(missing, dtype=bool), [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(m))
    return [(int(s), int(e - s)) for s, e in zip(edges[::2], edges[1::2], strict=True)]


def linear_fill(y: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Fill each unknown value on the straight line between the known values around it.

    Before the first (after the last) known value, the first (last) known value is repeated.

    Parameters
    ----------
    y : ndarray (n,)
        The series; NaN counts as unknown.
    missing : ndarray (n,), bool, optional
        Also treat these positions as unknown.

    Returns
    -------
    ndarray (n,), float

    Raises
    ------
    ValueError
        If no value is known, or shapes differ.
    """
    unknown = _unknown(y, missing)
    t = np.arange(len(y))
    out = np.asarray(y, dtype=float).copy()
    out[unknown] = np.interp(t[unknown], t[~unknown], out[~unknown])
    return out


def carry_forward_fill(y: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Fill each unknown value with the last known value before it (last observation carried
    forward); unknown values before the first known one take that first known value.

    Parameters and errors as :func:`linear_fill`.
    """
    unknown = _unknown(y, missing)
    out = np.asarray(y, dtype=float).copy()
    index = np.where(~unknown, np.arange(len(out)), -1)
    index = np.maximum.accumulate(index)
    first = int(np.argmax(~unknown))
    index[index < 0] = first
    return out[index]


def seasonal_naive_fill(
    y: np.ndarray, missing: np.ndarray | None = None, period: int = CO2_PERIOD
) -> np.ndarray:
    """Fill each unknown value with the value one ``period`` earlier ("the same week last
    year"), going back whole periods until a known value is found. In the first period,
    where there is no earlier year, the first known value whole periods later is used.

    Parameters
    ----------
    y, missing
        As :func:`linear_fill`.
    period : int
        Seasonal period in whole steps (52 for weekly data with a yearly cycle). A fractional
        period such as :data:`WEEKS_PER_YEAR` is refused, not rounded: round it yourself
        (:data:`CO2_PERIOD`).

    Returns
    -------
    ndarray (n,), float

    Raises
    ------
    ValueError
        If ``period`` is not an integer >= 1 (a float such as 52.18 or 2.0, a bool), no value
        is known, shapes differ, or an unknown value in the first period has no known value
        a whole number of periods after it.
    """
    period = _period(period)
    unknown = _unknown(y, missing)
    out = np.asarray(y, dtype=float).copy()
    for t in np.flatnonzero(unknown):  # in time order: t - period is filled already
        if t >= period:
            out[t] = out[t - period]
            continue
        later = np.flatnonzero(~unknown[t::period])  # first season: the same week a year on
        if len(later) == 0:
            raise ValueError(f"position {t} has no known value a whole number of periods away")
        out[t] = out[t + period * later[0]]
    return out


def season_features(dates: np.ndarray) -> np.ndarray:
    """Time of year as a point on the unit circle: ``(sin, cos)`` of 2 pi * day / 365.25.

    Parameters
    ----------
    dates : ndarray (n,), datetime64

    Returns
    -------
    ndarray (n, 2), float
        Known for every week, measured or not, so a model can use it inside gaps.
    """
    days = (np.asarray(dates, dtype="datetime64[D]") - np.datetime64("2000-01-01", "D"))
    angle = 2 * np.pi * days.astype(float) / 365.25
    return np.stack([np.sin(angle), np.cos(angle)], axis=-1)


def fit_line(windows: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares straight line through the known values of each window.

    Parameters
    ----------
    windows : ndarray (n, length)
        Values (unknown ones may be NaN or anything: they are ignored).
    known : ndarray (n, length), bool
        True where a value may be used; each row needs at least two.

    Returns
    -------
    level : ndarray (n,)
        The line's value at the window's first step.
    slope : ndarray (n,)
        Change per step.

    Raises
    ------
    ValueError
        If a row has fewer than two known values.
    """
    known = np.asarray(known, dtype=bool)
    if (known.sum(axis=1) < 2).any():
        raise ValueError("each window needs at least two known values to fit a line")
    t = np.arange(windows.shape[1], dtype=float)[None, :]
    w = known.astype(float)
    v = np.where(known, windows, 0.0)
    n = w.sum(1)
    t_mean = (w * t).sum(1) / n
    v_mean = (w * v).sum(1) / n
    dt = (t - t_mean[:, None]) * w
    slope = (dt * (v - v_mean[:, None])).sum(1) / (dt * (t - t_mean[:, None])).sum(1)
    return v_mean - slope * t_mean, slope


def trend_of(level: np.ndarray, slope: np.ndarray, length: int) -> np.ndarray:
    """The lines of :func:`fit_line` evaluated at steps ``0 .. length-1``: (n, length)."""
    return level[:, None] + slope[:, None] * np.arange(length)[None, :]


def harmonic_regression(
    windows: np.ndarray, known: np.ndarray, n_out: int | None = None, harmonics: int = 2,
    period: float = WEEKS_PER_YEAR, degree: int = 1,
) -> np.ndarray:
    """Least-squares polynomial plus yearly harmonics through the known values of each window.

    Fits :math:`\\sum_{j=0}^{D} a_j t^j +
    \\sum_{k=1}^{K} (c_k \\sin 2\\pi k t / p + d_k \\cos 2\\pi k t / p)` to the known
    steps of each row and evaluates it at steps ``0 .. n_out-1`` (beyond the window: an
    extrapolation, for forecasting). NOAA's curve for CO2 records is the quadratic
    (``degree=2``) with four harmonics (``harmonics=4``), before it filters the residuals
    (Thoning, Tans & Komhyr 1989, https://doi.org/10.1029/JD094iD06p08549; NOAA GML, "Curve
    fitting methods", https://gml.noaa.gov/ccgg/mbl/crvfit/crvfit.html).

    Parameters
    ----------
    windows : ndarray (n, length)
        Values; unknown ones are ignored (NaN allowed).
    known : ndarray (n, length), bool
        True where a value may be used; each row needs at least ``2 + 2 * harmonics``.
    n_out : int, optional
        Steps to evaluate (default ``length``).
    harmonics : int
        Number of harmonics K (>= 0).
    period : float
        The period p in steps.
    degree : int
        Degree D of the polynomial (>= 0; 1 is a line, 2 NOAA's quadratic).

    Returns
    -------
    ndarray (n, n_out)

    Raises
    ------
    ValueError
        If a row has too few known values, ``harmonics`` or ``degree`` is not an integer
        >= 0, ``n_out`` not an integer >= 1, or ``period`` not a finite number > 0.
    """
    windows = np.asarray(windows, dtype=float)
    known = np.asarray(known, dtype=bool)
    harmonics = _checks.integer("harmonics", harmonics, 0)
    degree = _checks.integer("degree", degree, 0)
    if known.shape != windows.shape:
        raise ValueError(f"known has shape {known.shape}, windows has {windows.shape}")
    n_coef = degree + 1 + 2 * harmonics
    if (known.sum(axis=1) < n_coef).any():
        raise ValueError(f"each window needs at least {n_coef} known values")
    n_out = windows.shape[1] if n_out is None else _checks.integer("n_out", n_out)
    period = _checks.positive_finite("period", period)
    t = np.arange(max(n_out, windows.shape[1]), dtype=float)
    angle = 2 * np.pi * t[:, None] * np.arange(1, harmonics + 1)[None, :] / period
    powers = (t[:, None] / len(t)) ** np.arange(degree + 1)[None, :]
    design = np.concatenate([powers, np.sin(angle), np.cos(angle)], axis=1)
    out = np.empty((len(windows), n_out))
    for i, (row, use) in enumerate(zip(windows, known, strict=True)):
        coef = np.linalg.lstsq(design[: len(row)][use], row[use], rcond=None)[0]
        out[i] = design[:n_out] @ coef
    return out


def seasonal_drift_forecast(
    y: np.ndarray, origins: np.ndarray, horizon: int, period: int = CO2_PERIOD
) -> np.ndarray:
    """Seasonal naive with drift: last year's value plus the mean year-on-year rise.

    The forecast of step ``origin + h`` (``h < period``) is ``y[origin + h - period] + d``,
    with ``d`` the mean of the known year-on-year differences ``y[t] - y[t - period]`` over
    the ``period`` steps before the origin: a local-drift adaptation of the seasonal naive
    and drift methods of Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*,
    section 5.2 (https://otexts.com/fpp3/simple-methods.html), whose drift uses the whole
    history.
    Unmeasured values a year back are taken from earlier years (:func:`seasonal_naive_fill`).

    Parameters
    ----------
    y : ndarray (n,)
    origins : ndarray (m,), int
        Index of each forecast's first step; needs ``2 * period <= origin <= n`` (``n``:
        the forecast starts right after the last value).
    horizon : int
        Steps to forecast, from 1 to ``period``.
    period : int
        As :func:`seasonal_naive_fill` (whole steps).

    Returns
    -------
    ndarray (m, horizon)

    Raises
    ------
    ValueError
        If ``horizon`` or ``period`` is not an integer >= 1, ``horizon`` > ``period``,
        ``origins`` are not whole numbers (1-D), an origin is too early or past the end of
        ``y``, or no difference is known.
    """
    period = _period(period)
    horizon = _checks.integer("horizon", horizon)
    origins = _indices("origins", origins)
    if horizon > period:
        raise ValueError(f"horizon {horizon} is longer than the period {period}")
    if (origins < 2 * period).any():
        raise ValueError(f"every origin needs {2 * period} steps of past")
    y = np.asarray(y, dtype=float)
    if y.ndim == 1 and (origins > len(y)).any():
        raise ValueError(
            f"origin {origins.max()} is past the end of y: at most len(y) = {len(y)}"
        )
    back = seasonal_naive_fill(y, period=period)
    past = origins[:, None] - period + np.arange(period)[None, :]
    diff = y[past] - y[past - period]
    if (~np.isfinite(diff)).all(axis=1).any():
        raise ValueError("an origin has no known year-on-year difference")
    drift = np.nanmean(diff, axis=1)
    return back[origins[:, None] + np.arange(horizon)[None, :] - period] + drift[:, None]


def sample_gaps(
    region: tuple[int, int],
    length: int,
    gap_lengths: list[int] | np.ndarray,
    n_per_length: int,
    seed: int,
    margin: int = 13,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random windows inside ``region``, each with one gap at a random place inside it.

    Parameters
    ----------
    region : (int, int)
        ``[start, stop)`` indices of the series the windows must lie in.
    length : int
        Window length in steps.
    gap_lengths : sequence of int
        Gap lengths; ``n_per_length`` windows for each.
    n_per_length : int
    seed : int
        Seed of the NumPy generator (the same seed gives the same cases).
    margin : int
        Known steps kept at least on each side of the gap.

    Returns
    -------
    starts : ndarray (m,), int
        Window start indices in the series.
    offsets : ndarray (m,), int
        Gap start within the window.
    gaps : ndarray (m,), int
        Gap length.

    Raises
    ------
    ValueError
        If a window or a gap with its margins does not fit, ``region`` is not two whole
        numbers ``0 <= start < stop``, ``gap_lengths`` are not whole numbers, ``length`` is
        not an integer >= 1, or ``n_per_length`` or ``margin`` not an integer >= 0.
    """
    length = _checks.integer("length", length)
    n_per_length = _checks.integer("n_per_length", n_per_length, 0)
    margin = _checks.integer("margin", margin, 0)
    region = _indices("region", region)
    if region.shape != (2,) or region[0] < 0 or region[1] <= region[0]:
        raise ValueError(f"region must be (start, stop) with 0 <= start < stop, got {region}")
    lo, hi = int(region[0]), int(region[1])
    if hi - lo < length:
        raise ValueError(f"region of {hi - lo} steps is shorter than the window ({length})")
    gap_lengths = _indices("gap_lengths", gap_lengths)
    if (gap_lengths < 1).any() or (gap_lengths + 2 * margin > length).any():
        raise ValueError("every gap must be >= 1 and fit in the window with its margins")
    rng = np.random.default_rng(seed)
    gaps = np.repeat(gap_lengths, n_per_length)
    starts = rng.integers(lo, hi - length + 1, size=len(gaps))
    offsets = rng.integers(margin, length - margin - gaps + 1)
    return starts, offsets, gaps


def _cases(
    n: int, starts, offsets, gaps, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check that the windows ``[start, start + length)`` lie in ``0 .. n`` and each gap
    ``[offset, offset + gap)`` in its window; the three as int arrays."""
    starts, offsets, gaps = (
        _indices(name, v) for name, v in (("starts", starts), ("offsets", offsets), ("gaps", gaps))
    )
    if not len(starts) == len(offsets) == len(gaps):
        raise ValueError(f"starts, offsets and gaps have lengths {len(starts)}, {len(offsets)} "
                         f"and {len(gaps)}; they must be equal")
    if (starts < 0).any() or (starts + length > n).any():
        raise ValueError(f"every window [start, start + {length}) must lie in the series "
                         f"0 .. {n}; starts range over {starts.min()} .. {starts.max()}")
    if (offsets < 0).any() or (gaps < 0).any() or (offsets + gaps > length).any():
        raise ValueError(f"every gap [offset, offset + gap) must lie in its window 0 .. {length}")
    return starts, offsets, gaps


def window_inputs(
    y: np.ndarray,
    starts: np.ndarray,
    offsets: np.ndarray,
    gaps: np.ndarray,
    length: int,
    scale: float,
    detrend: bool = True,
    covariates: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Model inputs for gap filling: each window's known values and a mask channel.

    A window is ``y[start : start + length]``; its gap ``[offset, offset + gap)`` is hidden,
    and NaN (unmeasured) steps are unknown too. With ``detrend``, the straight line fitted to
    the window's **known** values (:func:`fit_line`) is subtracted, so that the network sees
    the same kind of input in 1960 and in 2000 whatever the CO2 level; the prediction is
    the residual, and the line is added back.

    Parameters
    ----------
    y : ndarray (n,)
    starts, offsets, gaps : ndarray (m,), int
        As returned by :func:`sample_gaps`.
    length : int
    scale : float
        Divide residuals by this (ppm), so inputs are of order one.
    detrend : bool
        Subtract each window's line (default); otherwise subtract ``level`` only, a constant
        common to all windows (the first known value of the series), so the network sees
        absolute CO2 levels.
    covariates : ndarray (n, k), optional
        Values known at every step whatever is missing (such as the time of year,
        :func:`season_features`), appended as ``k`` more input channels.

    Returns
    -------
    dict with
        ``x`` (m, length, 2 + k) float32: scaled residual (0 where unknown), 1 where unknown,
        then the covariates;
        ``target`` (m, length, 1) float32: scaled residual of the true value (0 where NaN);
        ``weight`` (m, length) float32: 1 on hidden steps that were measured, else 0;
        ``trend`` (m, length): the subtracted line in ppm; ``truth`` (m, length): y.

    Raises
    ------
    ValueError
        If ``length`` is not an integer >= 1, ``scale`` not a finite number > 0, or the
        cases do not fit (:func:`sample_gaps`'s rules: whole numbers, windows inside ``y``,
        gaps inside their windows), ``y`` is not 1-D, ``covariates`` do not have one row per
        step, or a window has fewer than two known values (``detrend``).
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    length = _checks.integer("length", length)
    scale = _checks.positive_finite("scale", scale)
    starts, offsets, gaps = _cases(len(y), starts, offsets, gaps, length)
    index = starts[:, None] + np.arange(length)[None, :]
    truth = y[index]
    t = np.arange(length)[None, :]
    hidden = (t >= offsets[:, None]) & (t < (offsets + gaps)[:, None])
    measured = np.isfinite(truth)
    known = measured & ~hidden
    if detrend:
        trend = trend_of(*fit_line(truth, known), length)
    elif np.isfinite(y).any():
        trend = np.full(truth.shape, y[np.isfinite(y)][0])
    else:
        raise ValueError("y has no measured value")
    resid = (np.where(measured, truth, 0.0) - trend) / scale
    x = np.stack([np.where(known, resid, 0.0), (~known).astype(float)], axis=-1)
    if covariates is not None:
        covariates = np.asarray(covariates, dtype=float)
        if covariates.ndim not in (1, 2) or len(covariates) != len(y):
            raise ValueError(f"covariates must be (n,) or (n, k) with n = {len(y)}, got "
                             f"shape {covariates.shape}")
        covariates = covariates.reshape(len(y), -1)
        x = np.concatenate([x, covariates[index]], axis=-1)
    return {
        "x": x.astype(np.float32),
        "target": np.where(measured, resid, 0.0)[..., None].astype(np.float32),
        "weight": (hidden & measured).astype(np.float32),
        "trend": trend,
        "truth": truth,
    }
