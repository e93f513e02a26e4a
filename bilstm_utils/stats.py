"""The book's one rule for comparing two models: paired over seeds, clustered over test units.

Two arms A and B that share their training seeds (the same initialisation and batch order) are
compared seed by seed: :math:`d_s = m(A_s) - m(B_s)` for a metric :math:`m` on the same
evaluation set. The difference :math:`\\bar d` (the mean over seeds) gets two 95 % intervals:

- a **seed interval**, Student's *t* over the per-seed differences (what retraining with
  another seed could change; it needs two or more seeds, and the book uses three or more);
- a **sample interval**, a percentile bootstrap that resamples the evaluation set's clusters
  (reviews, movies, speakers, periods: whatever the examples come in groups of), the same
  clusters for both arms and every seed (what another draw of test data could change).

The verdict is ``"above"`` (A better) or ``"below"`` only when *both* intervals exclude zero,
and ``"within noise"`` otherwise. A deterministic arm (a linear baseline) is passed with one
row and compared with every seed of the other.

The bootstrap over clusters is the cluster (block) bootstrap of Davison and Hinkley (1997),
*Bootstrap Methods and their Application*, section 3.8; pairing arms on shared seeds follows
Bouthillier et al. (2021), "Accounting for variance in machine learning benchmarks",
https://arxiv.org/abs/2103.03098.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as sp_stats

from bilstm_utils import _checks

VERDICTS = ("above", "below", "within noise")


@dataclass(frozen=True)
class PairedComparison:
    """The result of :func:`compare_paired`.

    Attributes
    ----------
    difference : float
        Mean over seeds of ``metric(A_s) - metric(B_s)``.
    per_seed : ndarray, shape (n_seeds,)
        The per-seed differences.
    seed_interval : tuple of float, or None
        Student's *t* interval of the mean difference over seeds (``None`` with one seed).
    sample_interval : tuple of float
        Cluster-bootstrap percentile interval of the mean difference.
    level : float
        Confidence level of both intervals.
    n_clusters : int
        Number of clusters resampled.
    verdict : str
        ``"above"``, ``"below"`` or ``"within noise"`` (A against B).
    """

    difference: float
    per_seed: np.ndarray
    seed_interval: tuple[float, float] | None
    sample_interval: tuple[float, float]
    level: float
    n_clusters: int
    verdict: str

    def __str__(self) -> str:
        seed = ("one seed" if self.seed_interval is None else
                f"seeds [{self.seed_interval[0]:+.3f}, {self.seed_interval[1]:+.3f}]")
        low, high = self.sample_interval
        return (f"{self.difference:+.3f} ({seed}; test sample [{low:+.3f}, {high:+.3f}], "
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
        The same for arm B, with the same seeds in the same order, or a single row (a
        deterministic baseline, compared with every seed of A).
    clusters : array_like, shape (n_examples,), optional
        The group of each example (a review, a movie, a speaker); examples of a group are
        resampled together. Default: every example is its own group.
    metric : callable, optional
        ``metric(sums, counts)`` maps the statistics summed over (resampled) examples, shape
        ``(..., k)`` or ``(...)``, and the number of examples summed, shape ``(...)``, to the
        score. Default: the mean (accuracy for 0/1 correctness).
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
        For shapes that do not match, non-finite values, a bad level, fewer than two
        clusters, or a ``clusters`` array of the wrong length.
    """
    a, b = _as_runs("a", a), _as_runs("b", b)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"a and b must score the same examples: shapes {a.shape} and {b.shape}")
    if b.shape[0] not in (1, a.shape[0]):
        raise ValueError(
            f"b must have one row per seed of a ({a.shape[0]}) or a single row, got {b.shape[0]}"
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n_boot = _checks.integer("n_boot", n_boot, minimum=100)
    metric = metric or _mean_metric
    n = a.shape[1]
    if clusters is None:
        codes = np.arange(n)
    else:
        clusters = np.asarray(clusters)
        if clusters.shape != (n,):
            raise ValueError(
                f"clusters must have one entry per example ({n}), got {clusters.shape}")
        _, codes = np.unique(clusters, return_inverse=True)
    n_clusters = int(codes.max()) + 1
    if n_clusters < 2:
        raise ValueError("the bootstrap needs at least two clusters")

    def per_cluster(x: np.ndarray) -> np.ndarray:  # (seeds, n[, k]) -> (seeds, C[, k])
        out = np.zeros((x.shape[0], n_clusters) + x.shape[2:])
        np.add.at(out, (slice(None), codes), x)
        return out

    a_c, b_c = per_cluster(a), per_cluster(b)
    sizes = np.bincount(codes, minlength=n_clusters).astype(float)

    def scores(weights: np.ndarray) -> np.ndarray:  # (B, C) -> mean difference, (B,)
        counts = weights @ sizes  # (B,)
        tail = "k" if a.ndim == 3 else ""
        sums_a = np.einsum(f"bc,sc{tail}->bs{tail}", weights, a_c)
        sums_b = np.einsum(f"bc,sc{tail}->bs{tail}", weights, b_c)
        diff = metric(sums_a, counts[:, None]) - metric(sums_b, counts[:, None])
        return np.asarray(diff).mean(axis=1)

    per_seed = np.asarray(metric(a.sum(axis=1), np.full(a.shape[0], float(n)))
                          - metric(b.sum(axis=1), np.full(b.shape[0], float(n))), float)
    per_seed = np.broadcast_to(per_seed, (a.shape[0],)).copy()
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
    alpha = (1 - level) / 2
    sample_interval = (float(np.quantile(draws, alpha)), float(np.quantile(draws, 1 - alpha)))
    lows = [sample_interval[0]] + ([seed_interval[0]] if seed_interval else [])
    highs = [sample_interval[1]] + ([seed_interval[1]] if seed_interval else [])
    if min(lows) > 0:
        verdict = "above"
    elif max(highs) < 0:
        verdict = "below"
    else:
        verdict = "within noise"
    if seed_interval is not None:
        seed_interval = (float(seed_interval[0]), float(seed_interval[1]))
    return PairedComparison(difference, per_seed, seed_interval, sample_interval, level,
                            n_clusters, verdict)
