"""The book's one rule for comparing two models: paired over seeds, clustered over test units.

Two arms A and B that share their training seeds (the same batch order, and the same initial
weights where their architectures match) are
compared seed by seed: :math:`d_s = m(A_s) - m(B_s)` for a metric :math:`m` on the same
evaluation set. Two sources of noise move the difference :math:`\\bar d` (the mean over seeds):

- **training**: another set of seeds gives other models. Its variance is estimated by
  :math:`s^2/n`, from the spread :math:`s` of the :math:`n` per-seed differences (it needs two
  or more seeds; the book uses three or more);
- **the evaluation sample**: another draw of test data gives other scores. Its variance is
  estimated by a bootstrap that resamples the evaluation set's clusters (reviews, movies,
  speakers, periods: whatever the examples come in groups of), the same clusters for both arms
  and every seed.

The interval adds the two variances, :math:`\\bar d \\pm q\\sqrt{s^2/n + v_{boot}}`, with
:math:`q` the Student quantile on the Welch–Satterthwaite degrees of freedom
:math:`(s^2/n + v_{boot})^2 (n - 1) / (s^2/n)^2`, the bootstrap variance counted as known:
:math:`n - 1` when training noise dominates, many when sampling noise does (Satterthwaite
1946, https://doi.org/10.2307/3002019). With one seed on both sides only the sampling noise is
counted, with the normal quantile. The verdict is ``"above"`` (A's metric is higher: better
for an accuracy, worse for an error rate) or ``"below"`` (lower) when this interval excludes
zero, and ``"within noise"`` otherwise (the book compares three seeds or
more). A deterministic arm (a linear baseline) is passed with one row and compared with every
seed of the other. The two parts are reported too: the *t* interval over seeds alone and the
percentile interval of the bootstrap alone.

The rule is not guaranteed to err on the safe side. The spread over seeds already contains some
evaluation-sample noise (each seed's model meets the same test examples, and how it fares on them
varies), and the bootstrap counts that part again, which widens the variance; but adding the
bootstrap variance also raises the degrees of freedom and so lowers the quantile, and with three
seeds the combined interval can come out narrower than the *t* interval over seeds alone (both
are reported). It is one rule, applied the same way throughout the book.

The cluster bootstrap needs many clusters: with few of them its interval is too narrow (in a
simulation with no true difference it covered zero 77 % of the time with 3 clusters, 91 % with
10, 95 % with 100). :func:`compare_paired` warns below 20 clusters.

The bootstrap over clusters is the cluster (block) bootstrap of Davison and Hinkley (1997),
*Bootstrap Methods and their Application*, section 3.8; pairing arms on shared seeds follows
Bouthillier et al. (2021), "Accounting for variance in machine learning benchmarks",
https://arxiv.org/abs/2103.03098.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as sp_stats

from bilstm_utils import _checks

VERDICTS = ("above", "below", "within noise")
MIN_CLUSTERS = 20  #: below this many clusters, compare_paired warns


@dataclass(frozen=True)
class PairedComparison:
    """The result of :func:`compare_paired`.

    Attributes
    ----------
    difference : float
        Mean over seeds of ``metric(A_s) - metric(B_s)``.
    per_seed : ndarray, shape (n_seeds,)
        The per-seed differences.
    interval : tuple of float
        The interval the verdict rests on: training and sampling variance added.
    seed_interval : tuple of float, or None
        Student's *t* interval of the mean difference over seeds alone (``None`` with one
        seed).
    sample_interval : tuple of float
        Cluster-bootstrap percentile interval of the mean difference alone.
    level : float
        Confidence level of the intervals.
    n_clusters : int
        Number of clusters resampled.
    verdict : str
        ``"above"``, ``"below"`` or ``"within noise"`` (A against B).
    """

    difference: float
    per_seed: np.ndarray
    interval: tuple[float, float]
    seed_interval: tuple[float, float] | None
    sample_interval: tuple[float, float]
    level: float
    n_clusters: int
    verdict: str

    def __str__(self) -> str:
        low, high = self.interval
        seed = ("one seed" if self.seed_interval is None else
                f"seeds alone [{self.seed_interval[0]:+.3f}, {self.seed_interval[1]:+.3f}]")
        s_low, s_high = self.sample_interval
        return (f"{self.difference:+.3f}, {self.level:.0%} interval [{low:+.3f}, {high:+.3f}] "
                f"({seed}; test sample alone [{s_low:+.3f}, {s_high:+.3f}], "
                f"{self.n_clusters} clusters): {self.verdict}")


def _mean_metric(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return sums / counts


def _as_runs(name: str, values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[None]
    if values.ndim not in (2, 3):
        raise ValueError(
            f"{name} must have shape (n_seeds, n_examples) or (n_seeds, n_examples, k), "
            f"got {values.shape}"
        )
    if values.shape[1] == 0:
        raise ValueError(f"{name} has no examples")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite")
    return values


def compare_paired(
    a,
    b,
    clusters=None,
    metric: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    level: float = 0.95,
    n_boot: int = 4000,
    seed: int = 0,
) -> PairedComparison:
    """Compare arm A with arm B by the book's rule (see the module docstring).

    Parameters
    ----------
    a : array_like, shape (n_seeds, n_examples) or (n_seeds, n_examples, k)
        Per-example statistics of arm A, one row per seed: 0/1 correctness for accuracy, or
        ``k`` additive counts per example (e.g. true positives, false positives, false
        negatives for F1). A 1-D array is one seed.
    b : array_like
        The same for arm B, with the same seeds in the same order. Either arm may be a single
        row (a deterministic baseline), compared with every seed of the other.
    clusters : array_like, shape (n_examples,), optional
        The group of each example (a review, a movie, a speaker); examples of a group are
        resampled together. Default: every example is its own group.
    metric : callable, optional
        ``metric(sums, counts)`` maps the statistics summed over (resampled) examples, shape
        ``(..., k)`` for 3-D input or ``(...)`` for 2-D input, and the number of examples
        summed, an array that broadcasts against ``sums`` without its last axis (shape
        ``(n_seeds,)`` for the per-seed scores, ``(n_boot, 1)`` in the bootstrap), to one score
        per leading index. Default, for 2-D input only: the mean (accuracy for 0/1
        correctness); 3-D input needs a metric.
    level : float
        Confidence level of both intervals, in (0, 1).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seeds the bootstrap.

    Returns
    -------
    PairedComparison

    Raises
    ------
    ValueError
        For shapes that do not match, no seed, non-finite values, 3-D input without a metric,
        a metric that is undefined (NaN) or returns the wrong shape, a bad level or seed,
        fewer than two clusters, missing or unsortable cluster ids, or a ``clusters`` array of
        the wrong length.

    Warns
    -----
    UserWarning
        With fewer than ``MIN_CLUSTERS`` clusters, where the bootstrap interval is too narrow.
    """
    a, b = _as_runs("a", a), _as_runs("b", b)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"a and b must score the same examples: shapes {a.shape} and {b.shape}")
    if 0 in (a.shape[0], b.shape[0]):
        raise ValueError("each arm needs at least one seed (one row)")
    n_seeds = max(a.shape[0], b.shape[0])
    if {a.shape[0], b.shape[0]} - {1, n_seeds}:
        raise ValueError(
            f"a and b must have the same number of seeds, or one of them a single row; got "
            f"{a.shape[0]} and {b.shape[0]}")
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}")
    n_boot = _checks.integer("n_boot", n_boot, minimum=100)
    seed = _checks.integer("seed", seed, minimum=0)
    if metric is None:
        if a.ndim == 3:
            raise ValueError("3-D input (several counts per example) needs a metric")
        metric = _mean_metric
    n = a.shape[1]
    if clusters is None:
        codes = np.arange(n)
    else:
        clusters = np.asarray(clusters)
        if clusters.shape != (n,):
            raise ValueError(
                f"clusters must have one entry per example ({n}), got {clusters.shape}")
        if clusters.dtype.kind == "f" and np.isnan(clusters).any():
            raise ValueError("clusters must not contain NaN")
        try:
            _, codes = np.unique(clusters, return_inverse=True)
        except TypeError as error:
            raise ValueError(f"clusters must be comparable ids (all str or all int): {error}"
                             ) from None
    n_clusters = int(codes.max()) + 1
    if n_clusters < 2:
        raise ValueError("the bootstrap needs at least two clusters")
    if n_clusters < MIN_CLUSTERS:
        warnings.warn(f"only {n_clusters} clusters: the bootstrap interval is too narrow with "
                      f"fewer than {MIN_CLUSTERS}", UserWarning, stacklevel=2)

    def per_cluster(x: np.ndarray) -> np.ndarray:  # (seeds, n[, k]) -> (seeds, C[, k])
        out = np.zeros((x.shape[0], n_clusters) + x.shape[2:])
        np.add.at(out, (slice(None), codes), x)
        return out

    a_c, b_c = per_cluster(a), per_cluster(b)
    sizes = np.bincount(codes, minlength=n_clusters).astype(float)

    def score(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
        result = np.asarray(metric(sums, counts), dtype=float)
        expected = sums.shape[:-1] if a.ndim == 3 else sums.shape
        if result.shape != expected:
            raise ValueError(f"the metric must return one score per seed (shape {expected}), "
                             f"got shape {result.shape}")
        return result

    def scores(weights: np.ndarray) -> np.ndarray:  # (B, C) -> mean difference, (B,)
        counts = weights @ sizes  # (B,)
        tail = "k" if a.ndim == 3 else ""
        sums_a = np.einsum(f"bc,sc{tail}->bs{tail}", weights, a_c)
        sums_b = np.einsum(f"bc,sc{tail}->bs{tail}", weights, b_c)
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = score(sums_a, counts[:, None]) - score(sums_b, counts[:, None])
        return np.broadcast_to(diff, (len(weights), n_seeds)).mean(axis=1)

    with np.errstate(divide="ignore", invalid="ignore"):
        per_seed = (score(a.sum(axis=1), np.full(a.shape[0], float(n)))
                    - score(b.sum(axis=1), np.full(b.shape[0], float(n))))
    per_seed = np.broadcast_to(per_seed, (n_seeds,)).copy()
    if not np.isfinite(per_seed).all():
        raise ValueError(f"the metric is undefined (NaN or infinite) for some seed: {per_seed}")
    difference = float(per_seed.mean())
    seed_interval = None
    if per_seed.size >= 2:
        sd = per_seed.std(ddof=1)
        half = sp_stats.t.ppf(0.5 + level / 2, per_seed.size - 1) * sd / np.sqrt(per_seed.size)
        seed_interval = (difference - half, difference + half)
    rng = np.random.default_rng(seed)
    draws = []
    for start in range(0, n_boot, 256):  # in batches, so that memory stays small
        size = min(256, n_boot - start)
        weights = rng.multinomial(n_clusters, np.full(n_clusters, 1 / n_clusters), size=size)
        draws.append(scores(weights.astype(float)))
    draws = np.concatenate(draws)
    if not np.isfinite(draws).all():
        raise ValueError(
            f"the metric is undefined on {int((~np.isfinite(draws)).sum())} of {n_boot} "
            "bootstrap resamples (e.g. F1 with no positive example in a resample): use more "
            "examples per cluster, or a metric defined on every resample")
    alpha = (1 - level) / 2
    sample_interval = (float(np.quantile(draws, alpha)), float(np.quantile(draws, 1 - alpha)))
    seed_var = float(per_seed.var(ddof=1) / per_seed.size) if per_seed.size >= 2 else 0.0
    total_var = seed_var + float(draws.var(ddof=1))
    df = total_var**2 * (per_seed.size - 1) / seed_var**2 if seed_var > 0 else np.inf
    half = float(sp_stats.t.ppf(0.5 + level / 2, df) * np.sqrt(total_var))
    interval = (difference - half, difference + half)
    if interval[0] > 0:
        verdict = "above"
    elif interval[1] < 0:
        verdict = "below"
    else:
        verdict = "within noise"
    if seed_interval is not None:
        seed_interval = (float(seed_interval[0]), float(seed_interval[1]))
    per_seed.flags.writeable = False
    return PairedComparison(difference, per_seed, interval, seed_interval, sample_interval,
                            level, n_clusters, verdict)
