"""bilstm_utils.book (report, row, check) and bilstm_utils.stats (the book's comparison rule)."""

from __future__ import annotations

import numpy as np
import pytest

from bilstm_utils import book
from bilstm_utils.book import check, report, row
from bilstm_utils.stats import compare_paired

# --- report / row / check -------------------------------------------------------------------


def test_report_glues_shows_and_returns_the_values(capsys, monkeypatch):
    shown = []

    def record(obj):  # myst_nb's glue displays through the same function
        if isinstance(obj, dict) and "text/markdown" in obj:
            shown.append(obj)

    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: record(obj))
    result = report("Accuracy", [
        row("acc_uni", np.float64(0.50234), "future task, LSTM(32)", fmt=".3f", at_most=0.6),
        row("acc_bi", 0.999, "future task, BiLSTM(16)", fmt=".3f", at_least=0.95),
        row("n_seeds", np.int64(3), "seeds", equals=3),
        row(None, "below", "verdict"),
    ])
    assert result is None  # a cell may end with report(...) without a stray output
    assert book.GLUED["acc_uni"] == 0.50234 and book.GLUED["acc_bi"] == 0.999
    assert type(book.GLUED["n_seeds"]) is int and book.GLUED["n_seeds"] == 3
    (bundle,) = shown
    markdown, text = bundle["text/markdown"], bundle["text/plain"]
    assert "**Accuracy**" in markdown and "| future task, LSTM(32) | 0.502 | ≤ 0.600 |" in markdown
    assert "| seeds | 3 | = 3 |" in markdown and "| verdict | below |  |" in markdown
    assert "0.502" in text and "(claim: ≥ 0.950)" in text
    assert "| quantity | value | claim |" in markdown


def test_report_states_every_broken_claim(monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: None)
    with pytest.raises(AssertionError) as error:
        report(None, [row("a", 0.7, "future task", at_most=0.65),
                      row("b", 0.5, "control", at_least=0.95),
                      row("c", 2, "count", equals=3)])
    message = str(error.value)
    assert "future task = 0.7" in message and "≤ 0.65" in message
    assert "control = 0.5" in message and "count = 2" in message


def test_report_shows_the_table_even_when_a_claim_breaks(monkeypatch):
    shown = []

    def record(obj):
        if isinstance(obj, dict) and "text/markdown" in obj:
            shown.append(obj)

    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: record(obj))
    with pytest.raises(AssertionError):
        report("t", [row("a", 0.1, at_least=0.5)])
    assert shown, "the reader (and the failing CI log) sees the numbers"


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "two words", "value": 1}, "identifier"),
    ({"name": None, "value": 1}, "label"),
    ({"name": "a", "value": 1, "at_least": "0.5"}, "number"),
    ({"name": "a", "value": 1, "at_least": 2, "at_most": 1}, "above"),
    ({"name": "a", "value": 1, "at_least": 0, "equals": 1}, "either"),
    ({"name": "a", "value": "word", "at_least": 0}, "real number"),
    ({"name": "a", "value": True, "at_most": 1}, "real number"),
    ({"name": "a", "value": float("nan")}, "NaN"),
])
def test_row_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        row(**kwargs)


def test_report_rejects_empty_and_repeated_rows():
    with pytest.raises(ValueError, match="at least one"):
        report("t", [])
    with pytest.raises(ValueError, match="repeated"):
        report("t", [row("a", 1), row("a", 2)], show=False)
    with pytest.raises(ValueError, match="row"):
        report("t", [("a", 1)], show=False)


def test_default_formats():
    assert book.format_value(5353) == "5,353"
    assert book.format_value(np.float32(0.50234)) == "0.502"
    assert book.format_value(1.0e-7) == "1e-07"
    assert book.format_value(True) == "True" and book.format_value("below") == "below"
    assert book.format_value(0.1234, ".1%") == "12.3%"


def test_check_states_the_claim():
    check(np.bool_(True), "fine")
    with pytest.raises(AssertionError, match="claim does not hold: every seed is above chance"):
        check(False, "every seed is above chance")
    with pytest.raises(ValueError, match="array"):
        check(np.array([True, False]), "ambiguous")


# --- compare_paired ---------------------------------------------------------------------------


def correct(rate, n, seed):
    return (np.random.default_rng(seed).random(n) < rate).astype(float)


def test_a_clear_difference_is_called_and_its_sign_is_right():
    a = np.stack([correct(0.95, 2000, s) for s in range(3)])
    b = np.stack([correct(0.80, 2000, 10 + s) for s in range(3)])
    result = compare_paired(a, b)
    assert result.verdict == "above" and compare_paired(b, a).verdict == "below"
    assert result.difference == pytest.approx(a.mean() - b.mean())
    assert result.seed_interval[0] > 0 and result.sample_interval[0] > 0
    assert result.per_seed.shape == (3,) and result.n_clusters == 2000
    assert "above" in str(result)


def test_no_difference_is_within_noise():
    a = np.stack([correct(0.8, 500, s) for s in range(3)])
    b = np.random.default_rng(0).permuted(a, axis=1)  # the same accuracy, other examples right
    result = compare_paired(a, b)
    assert result.difference == 0
    assert result.verdict == "within noise"
    assert result.sample_interval[0] < 0 < result.sample_interval[1]


def test_seeds_that_disagree_keep_the_verdict_within_noise():
    """Large test sets make the bootstrap interval tight; the seed interval still sees that
    retraining flips the sign."""
    base = correct(0.8, 20000, 0)
    a = np.stack([base, base, base])
    b = np.stack([correct(0.77, 20000, 1), correct(0.83, 20000, 2), correct(0.78, 20000, 3)])
    result = compare_paired(a, b)
    assert result.sample_interval[1] < 0.05
    assert result.seed_interval[0] < 0 < result.seed_interval[1]
    assert result.verdict == "within noise"


def test_clusters_widen_the_interval():
    """Examples in groups of 50 that share their outcome: resampling examples one by one
    would pretend 50 times the information."""
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(40), 50)
    a = np.stack([(rng.random(40) < 0.6)[groups].astype(float) for _ in range(3)])
    b = np.stack([(rng.random(40) < 0.6)[groups].astype(float) for _ in range(3)])
    iid = compare_paired(a, b)
    clustered = compare_paired(a, b, clusters=groups)
    width = lambda r: r.sample_interval[1] - r.sample_interval[0]  # noqa: E731
    assert clustered.n_clusters == 40
    assert width(clustered) > 4 * width(iid)


def test_a_deterministic_baseline_is_compared_with_every_seed():
    a = np.stack([correct(0.9, 1000, s) for s in range(3)])
    b = correct(0.7, 1000, 9)
    result = compare_paired(a, b)
    assert result.per_seed == pytest.approx(a.mean(axis=1) - b.mean())
    assert result.verdict == "above"


def test_f1_from_additive_counts():
    def f1(sums, counts):
        tp, fp, fn = sums[..., 0], sums[..., 1], sums[..., 2]
        return 2 * tp / (2 * tp + fp + fn)

    rng = np.random.default_rng(1)
    counts_a = rng.integers(0, 5, (3, 300, 3)).astype(float)
    counts_b = counts_a.copy()
    counts_b[..., 0] = np.maximum(counts_b[..., 0] - 1, 0)  # fewer true positives
    result = compare_paired(counts_a, counts_b, metric=f1)
    expected = f1(counts_a.sum(1), None) - f1(counts_b.sum(1), None)
    assert result.per_seed == pytest.approx(expected)
    assert result.verdict == "above"


def test_compare_paired_rejects_bad_input():
    a = np.ones((3, 10))
    with pytest.raises(ValueError, match="same examples"):
        compare_paired(a, np.ones((3, 11)))
    with pytest.raises(ValueError, match="same number of seeds"):
        compare_paired(a, np.ones((2, 10)))
    with pytest.raises(ValueError, match="finite"):
        compare_paired(a, np.full((3, 10), np.nan))
    with pytest.raises(ValueError, match="clusters"):
        compare_paired(a, a, clusters=np.zeros(9))
    with pytest.raises(ValueError, match="two clusters"):
        compare_paired(a, a, clusters=np.zeros(10))
    with pytest.raises(ValueError, match="level"):
        compare_paired(a, a, level=1.5)
    with pytest.raises(ValueError, match="no examples"):
        compare_paired(np.ones((3, 0)), np.ones((3, 0)))


# --- Faults a new user found, each with the input that exposed it -----------------------------


def test_table_cells_escape_pipes_dollars_and_newlines():
    r = row("v", "x|y", "cost $5 vs $7\nper run")
    table = book.markdown_table([r])
    assert "x\\|y" in table and "\\$5 vs \\$7 per run" in table
    assert table.splitlines()[-1].count(" | ") == 1  # still two cells


def test_failure_message_shows_value_and_bound_at_full_precision():
    message = row("x", 0.954, "acc", fmt=".2f", at_least=0.955).failure()
    assert "acc = 0.954" in message and "≥ 0.955" in message
    assert row("x", np.float32(0.95), "acc", at_least=0.95).failure() is not None
    assert "0.949999988" in row("x", np.float32(0.95), "acc", at_least=0.95).failure()


def test_integer_bounds_stay_integers():
    assert row("n", 5, fmt="d", at_least=1).bound() == "≥ 1"
    assert row("n", 1_500_000, at_least=1_000_000).bound() == "≥ 1,000,000"
    assert row("n", 3, at_least=np.array(2)).bound() == "≥ 2"  # a 0-d array bound


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "a", "value": 1.5, "fmt": ".3q"}, "cannot format"),
    ({"name": "a", "value": "word", "fmt": ".3f"}, "cannot format"),
    ({"name": "a", "value": 1, "label": 42}, "label"),
    ({"name": "a", "value": 1, "equals": np.array([1, 2])}, "single value"),
])
def test_row_checks_fmt_label_and_equals_before_anything_is_glued(kwargs, match):
    with pytest.raises(ValueError, match=match):
        row(**kwargs)


def test_equals_does_not_confuse_bools_and_numbers():
    assert row("b", 1, equals=True).failure() is not None
    assert row("b", True, equals=1).failure() is not None
    assert row("b", True, equals=True).failure() is None


@pytest.mark.parametrize("condition", [[False], float("nan"), "False", 1, None])
def test_check_refuses_what_is_not_a_bool(condition):
    with pytest.raises(ValueError, match="bool"):
        check(condition, "a claim")
    check(np.array(True), "a 0-d boolean array is a bool")


def test_report_needs_a_list_of_rows():
    with pytest.raises(ValueError, match="list of rows"):
        report("T", row("a", 1), show=False)


def test_glue_without_myst_nb_shows_a_word_without_quotes(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_myst(name, *args, **kwargs):
        if name.startswith("myst_nb"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    shown = []
    monkeypatch.setattr(builtins, "__import__", no_myst)
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(repr(obj)))
    book.glue("w", "BiLSTM", display=True)
    assert shown == ["BiLSTM"]


def test_compare_paired_refuses_undefined_metrics_and_bad_arguments():
    def f1(sums, counts):
        tp, fp, fn = sums[..., 0], sums[..., 1], sums[..., 2]
        return 2 * tp / (2 * tp + fp + fn)

    zeros = np.zeros((3, 50, 3))
    with pytest.raises(ValueError, match="undefined"):
        compare_paired(zeros, zeros, metric=f1)
    with pytest.raises(ValueError, match="at least one seed"):
        compare_paired(np.ones((0, 10)), np.ones((0, 10)))
    with pytest.raises(ValueError, match="needs a metric"):
        compare_paired(np.ones((3, 10, 2)), np.ones((3, 10, 2)))
    with pytest.raises(ValueError, match="one score per seed"):
        compare_paired(np.ones((3, 30)), np.ones((3, 30)), metric=lambda s, c: 0.5)
    with pytest.raises(ValueError, match="level"):
        compare_paired(np.ones((3, 10)), np.ones((3, 10)), level="0.95")
    with pytest.raises(ValueError, match="seed"):
        compare_paired(np.ones((3, 10)), np.ones((3, 10)), seed=-1)
    with pytest.raises(ValueError, match="comparable"):
        compare_paired(np.ones((3, 4)), np.ones((3, 4)), clusters=np.array(["a", None, "b", 1],
                                                                            dtype=object))
    with pytest.raises(ValueError, match="NaN"):
        compare_paired(np.ones((3, 4)), np.ones((3, 4)), clusters=[1.0, np.nan, 2.0, 2.0])


def test_compare_paired_either_arm_may_be_a_single_row_and_results_are_frozen():
    rng = np.random.default_rng(0)
    a = (rng.random((1, 400)) < 0.7).astype(float)
    b = (rng.random((3, 400)) < 0.9).astype(float)
    result = compare_paired(a, b)
    assert result.per_seed.shape == (3,) and result.verdict == "below"
    with pytest.raises(ValueError):
        result.per_seed[0] = 1.0


def test_compare_paired_warns_with_few_clusters():
    a = np.ones((3, 30))
    a[:, ::2] = 0
    with pytest.warns(UserWarning, match="only 3 clusters"):
        compare_paired(a, a[:, ::-1], clusters=np.repeat([0, 1, 2], 10))


def test_the_interval_adds_training_and_sampling_noise():
    # No sampling noise (every example scores the same within a seed): the interval is the
    # t-interval over seeds.
    a = np.stack([np.full(100, v) for v in (0.9, 0.8, 0.7)])
    b = np.full((3, 100), 0.5)
    result = compare_paired(a, b)
    assert result.interval == pytest.approx(result.seed_interval)
    # One seed: only sampling noise, a normal interval close to the percentile one.
    rng = np.random.default_rng(3)
    a1 = (rng.random((1, 3000)) < 0.8).astype(float)
    b1 = (rng.random((1, 3000)) < 0.78).astype(float)
    one = compare_paired(a1, b1)
    assert one.seed_interval is None
    assert one.interval == pytest.approx(one.sample_interval, abs=0.003)
    # Sampling noise far larger than the seed spread: about the normal interval of the
    # bootstrap, not 4.3 times it (the Welch-Satterthwaite degrees of freedom are large).
    base = (rng.random(3000) < 0.8).astype(float)
    tiny = np.stack([base, base, np.where(np.arange(3000) == 0, 1 - base, base)])
    other = (rng.random((1, 3000)) < 0.78).astype(float)
    mixed = compare_paired(tiny, other)
    width = lambda pair: pair[1] - pair[0]  # noqa: E731
    assert width(mixed.interval) < 1.2 * width(mixed.sample_interval)
