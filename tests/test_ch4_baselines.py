"""Chapter 4's additions: held-out copies, NBSVM, last-words TF-IDF input, result plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_data import real  # noqa: E402  (skips where the IMDB archive is not cached)

from bilstm_utils import baselines, plots  # noqa: E402
from bilstm_utils.data import ImdbSplit, drop_copies  # noqa: E402


def _split(texts):
    n = len(texts)
    return ImdbSplit(texts=list(texts), labels=np.arange(n) % 2, ratings=np.full(n, 8),
                     movie_ids=np.array([f"tt{i}" for i in range(n)]), review_ids=np.arange(n))


def test_drop_copies_removes_exact_copies_only_and_keeps_order():
    split = _split(["a good film", "A good film", "bad", "a good film", "fine"])
    kept, n = drop_copies(split, ["a good film", "nothing like it"])
    assert n == 2
    assert kept.texts == ["A good film", "bad", "fine"]  # case differs: not a copy
    assert kept.review_ids.tolist() == [1, 2, 4] and kept.labels.tolist() == [1, 0, 0]


def test_drop_copies_rejects_a_single_string_and_other_splits():
    with pytest.raises(ValueError, match="single string"):
        drop_copies(_split(["abc"]), "abc")  # would test characters, not texts
    with pytest.raises(ValueError, match="ImdbSplit"):
        drop_copies(["abc"], ["abc"])


@real
def test_the_recipe_drops_the_training_copies_a_referee_found():
    """The referee's count: 80 test and 22 validation reviews copied in the training part."""
    from bilstm_utils import recipe as rc  # noqa: PLC0415

    data, n = rc.load_data(rc.ImdbRecipe())
    assert n == 102
    assert not set(data.train.texts) & set(data.val.texts + data.test.texts)
    assert len(data.val) + len(data.train) + n == 25_000 and len(data.test) == 25_000


TEXTS = ["great great film", "a great cast", "not good at all", "bad bad film",
         "great fun", "awful and bad", "truly great", "not bad but dull"]
LABELS = np.array([1, 1, 0, 0, 1, 0, 1, 0])


def test_nbsvm_ratios_follow_the_counts():
    model = baselines.NBSVM(C=1.0, alpha=1.0, min_df=1, ngram_range=(1, 1)).fit(TEXTS, LABELS)
    vocab = model.vectorizer_.vocabulary_
    features = model.vectorizer_.transform(TEXTS).toarray()
    p = 1 + features[LABELS == 1].sum(axis=0)
    q = 1 + features[LABELS == 0].sum(axis=0)
    np.testing.assert_allclose(model.r_, np.log(p / p.sum()) - np.log(q / q.sum()), rtol=1e-5)
    assert model.r_[vocab["great"]] > 0 > model.r_[vocab["bad"]]
    assert model.predict(["great"]).tolist() == [1] and model.predict(["bad"]).tolist() == [0]
    proba = model.predict_proba(["great", "bad", ""])
    assert proba.shape == (3, 2) and np.allclose(proba.sum(axis=1), 1)


def test_nbsvm_with_c_refits_only_the_classifier():
    model = baselines.NBSVM(C=0.01, min_df=1).fit(TEXTS, LABELS)
    sharper = model.with_C(100.0)
    assert sharper.C == 100.0 and model.C == 0.01
    assert sharper.r_ is model.r_
    same = baselines.NBSVM(C=100.0, min_df=1).fit(TEXTS, LABELS)
    np.testing.assert_allclose(sharper.decision_function(TEXTS), same.decision_function(TEXTS),
                               rtol=1e-6)
    assert np.ptp(sharper.decision_function(TEXTS)) > np.ptp(model.decision_function(TEXTS))


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True])
def test_nbsvm_rejects_bad_settings(bad):
    with pytest.raises(ValueError, match="C must be"):
        baselines.NBSVM(C=bad).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="alpha must be"):
        baselines.NBSVM(alpha=bad).fit(TEXTS, LABELS)


def test_nbsvm_rejects_odd_inputs():
    with pytest.raises(ValueError, match="not fitted"):
        baselines.NBSVM().predict(["x"])
    with pytest.raises(ValueError, match="not fitted"):
        baselines.NBSVM().with_C(1.0)
    with pytest.raises(ValueError, match="both labels"):
        baselines.NBSVM(min_df=1).fit(TEXTS, np.ones(8, dtype=int))
    with pytest.raises(ValueError, match="one label per text"):
        baselines.NBSVM(min_df=1).fit(TEXTS, LABELS[:3])
    with pytest.raises(ValueError, match="one string"):
        baselines.NBSVM(min_df=1).fit("great film", [1])
    model = baselines.NBSVM(min_df=1).fit(TEXTS, LABELS)
    with pytest.raises(ValueError, match="one string"):
        model.predict("great film")


def test_last_words_keeps_the_end_as_truncating_pre_does():
    assert baselines.last_words(["One two, THREE four<br />five"], 2) == ["four five"]
    assert baselines.last_words(["short", ""], 400) == ["short", ""]
    with pytest.raises(ValueError, match="n must be"):
        baselines.last_words(["a"], 0)
    with pytest.raises(ValueError, match="one string"):
        baselines.last_words("a b c", 2)
    with pytest.raises(ValueError, match="not str"):
        baselines.last_words(["a", None], 2)


def test_reliability_draws_one_curve_with_intervals_per_model():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=2_000)
    y = (rng.uniform(size=2_000) < p).astype(int)
    fig = plots.plot_reliability(y, {"calibrated": p, "too sure": np.round(p)})
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert any("calibrated (95 % interval" in label for label in labels)
    assert any("too sure" in label for label in labels)
    assert len(ax.containers) == 2  # one errorbar container per model
    plt.close(fig)
    with pytest.raises(ValueError, match="empty dict"):
        plots.plot_reliability(y, {})
    with pytest.raises(ValueError, match="finite probabilities"):
        plots.plot_reliability([0, 1], {"m": [0.2, 1.5]})


def test_plot_results_draws_runs_intervals_and_costs():
    fig = plots.plot_results({"A": {"runs": [0.88, 0.89, 0.885], "interval": (0.87, 0.9),
                                    "seconds": 300.0},
                              "B": {"runs": [0.9], "seconds": 5.0}})
    ax, ax_cost = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B"]
    assert len(ax_cost.patches) == 2 and ax_cost.get_xscale() == "log"
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        plots.plot_results({})
    with pytest.raises(ValueError, match="finite accuracy"):
        plots.plot_results({"A": {"runs": []}})
    with pytest.raises(ValueError, match="positive"):
        plots.plot_results({"A": {"runs": [0.9], "seconds": 0.0}})
