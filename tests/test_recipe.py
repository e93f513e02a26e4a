"""bilstm_utils.recipe: chapter 4's recipe, its training loop and the keyed model cache."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

import bilstm_utils  # noqa: F401  (before keras: quiet TensorFlow)
from bilstm_utils import recipe as rc

TINY = rc.ImdbRecipe(vocab_size=40, maxlen=12, embed_dim=8, units=4, epochs=2, batch_size=16)
VOCAB40 = ["", "[UNK]"] + [f"w{i}" for i in range(38)]


def _toy(n: int, seed: int):
    rng = np.random.default_rng(seed)
    seqs = [list(rng.integers(2, 40, rng.integers(1, 15))) for _ in range(n)]
    labels = rng.integers(0, 2, n)
    for s, y in zip(seqs, labels, strict=True):
        s.append(3 if y else 4)  # one word that gives the label away
    return seqs, labels


def test_decay_steps_cover_every_batch_of_every_epoch():
    assert rc.ImdbRecipe(epochs=3, batch_size=256).decay_steps(19_999) == 3 * 79
    with pytest.raises(ValueError):
        TINY.decay_steps(0)


def test_fit_keeps_best_epoch_and_reports_time():
    train, y = _toy(64, 0)
    val, y_val = _toy(32, 1)
    model = rc.build_model(TINY, 40, None, len(train), seed=0)
    fitted = rc.fit_bucketed(model, train, y, val, y_val, 2, 16, 12, seed=0)
    assert len(fitted.history["val_accuracy"]) == len(fitted.epoch_seconds) == 2
    assert fitted.seconds >= sum(fitted.epoch_seconds) > 0
    probs = bilstm_utils.batching.predict_bucketed(model, val, maxlen=12)
    # the restored weights are the best epoch's: their accuracy is the history's maximum
    assert np.isclose(np.mean((probs >= 0.5) == y_val), max(fitted.history["val_accuracy"]))


def test_batch_order_depends_on_the_seed():
    train, y = _toy(64, 0)
    val, y_val = _toy(32, 1)
    weights = []
    for seed in (0, 1):
        model = rc.build_model(TINY, 40, None, len(train), seed=0)  # same initial weights
        rc.fit_bucketed(model, train, y, val, y_val, 1, 16, 12, seed=seed)
        weights.append(model.get_layer("classifier").get_weights()[0])
    assert not np.allclose(weights[0], weights[1])


def test_cache_key_changes_with_every_field_and_is_stable():
    key = rc.cache_key(TINY)
    assert key == rc.cache_key(rc.ImdbRecipe(**dataclasses.asdict(TINY)))
    assert len(key) == 16 and int(key, 16) >= 0
    for field in dataclasses.fields(TINY):
        value = getattr(TINY, field.name)
        changed = ((not value) if isinstance(value, bool) else value * 2 + 1
                   if isinstance(value, int) else value / 2 + 0.01)  # floats stay in [0, 1)
        assert rc.cache_key(dataclasses.replace(TINY, **{field.name: changed})) != key, field.name
    with pytest.raises(ValueError, match="ImdbRecipe"):
        rc.cache_key({"vocab_size": 40})


def test_save_then_load_in_a_fresh_process_gives_the_same_predictions(tmp_path):
    train, y = _toy(32, 0)
    model = rc.build_model(TINY, 40, None, len(train), seed=0)
    assert rc.load_final(TINY, tmp_path) is None  # nothing cached yet
    folder = rc.save_final(model, VOCAB40, TINY, {"val_accuracy": 0.5}, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]  # no partial left
    ids = np.array([[5, 7, 9, 0, 0]], dtype="int32")
    expected = float(model.predict(ids, verbose=0)[0, 0])
    code = (
        "import warnings, bilstm_utils, numpy as np\n"
        "from bilstm_utils import recipe as rc\n"
        f"r = rc.ImdbRecipe(**{dataclasses.asdict(TINY)!r})\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('error')  # loading must not warn (optimizer, config)\n"
        f"    m, vocab, info = rc.load_final(r, {str(tmp_path)!r})\n"
        "p = m.predict(np.array([[5, 7, 9, 0, 0]], dtype='int32'), verbose=0)[0, 0]\n"
        "print(repr(float(p)), len(vocab), info['val_accuracy'], info['recipe']['units'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code],
                         capture_output=True, text=True, check=True).stdout.split()
    assert np.isclose(float(out[0]), expected, atol=1e-6)
    assert out[1:] == ["40", "0.5", "4"]


def test_a_half_written_entry_is_not_loaded(tmp_path):
    model = rc.build_model(TINY, 40, None, 32, seed=0)
    folder = rc.save_final(model, VOCAB40, TINY, None, tmp_path)
    (folder / "info.json").unlink()
    assert rc.load_final(TINY, tmp_path) is None


def test_a_damaged_entry_is_a_miss_with_a_warning(tmp_path):
    model = rc.build_model(TINY, 40, None, 32, seed=0)
    folder = rc.save_final(model, VOCAB40, TINY, None, tmp_path)
    (folder / "model.keras").write_bytes(b"not a zip file")
    with pytest.warns(RuntimeWarning, match="damaged cache entry"):
        assert rc.load_final(TINY, tmp_path) is None
    (folder / "info.json").write_text("{")
    with pytest.warns(RuntimeWarning, match="JSONDecodeError"):
        assert rc.load_final(TINY, tmp_path) is None


def test_recipe_fields_are_checked_and_normalised():
    same = rc.ImdbRecipe(**{**dataclasses.asdict(TINY), "vocab_size": np.int64(40),
                            "learning_rate": np.float32(0.5) * 0 + np.float64(3e-3),
                            "dropout": np.float64(0.5), "skip_gram": np.False_})
    assert rc.cache_key(same) == rc.cache_key(TINY)
    assert type(same.vocab_size) is int and type(same.skip_gram) is bool
    assert rc.cache_key(dataclasses.replace(TINY, dropout=-0.0)) == rc.cache_key(
        dataclasses.replace(TINY, dropout=0))
    assert rc.cache_key(dataclasses.replace(TINY, learning_rate=1)) == rc.cache_key(
        dataclasses.replace(TINY, learning_rate=1.0))
    for field, bad in (("vocab_size", -5), ("vocab_size", "40"), ("vocab_size", 40.0),
                       ("units", True), ("batch_size", 2.5), ("epochs", 0),
                       ("learning_rate", float("nan")), ("val_fraction", 5),
                       ("val_fraction", 0), ("dropout", 1.0), ("seed", -1), ("seed", 2**32),
                       ("split_seed", -1), ("split_seed", 2**32), ("skip_gram", 1)):
        with pytest.raises(ValueError, match=f"ImdbRecipe.{field}"):
            dataclasses.replace(TINY, **{field: bad})


def test_save_checks_what_it_stores(tmp_path):
    model = rc.build_model(TINY, 40, None, 32, seed=0)
    with pytest.raises(ValueError, match="vocabulary has 3 entries"):
        rc.save_final(model, ["", "[UNK]", "a"], TINY, None, tmp_path)
    with pytest.raises(ValueError, match="sequence of str"):
        rc.save_final(model, "hello", TINY, None, tmp_path)
    with pytest.raises(ValueError, match="embed_dim=16"):
        rc.save_final(model, VOCAB40, dataclasses.replace(TINY, embed_dim=16), None, tmp_path)
    for info, match in (({"recipe": "x"}, "'recipe' key"), ({"v": float("nan")}, "finite"),
                        ([1, 2], "must be a dict"), ({"m": object()}, "not JSON")):
        with pytest.raises(ValueError, match=match):
            rc.save_final(model, VOCAB40, TINY, info, tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written by a refused save
    with pytest.raises(ValueError, match="cache_dir is empty"):
        rc.save_final(model, VOCAB40, TINY, None, "")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a folder"):
        rc.load_final(TINY, tmp_path / "file")


def test_a_second_save_replaces_the_entry_and_follows_the_umask(tmp_path):
    model = rc.build_model(TINY, 40, None, 32, seed=0)
    rc.save_final(model, VOCAB40, TINY, {"val_accuracy": np.float32(0.5)}, tmp_path)
    folder = rc.save_final(model, VOCAB40, TINY, {"val_accuracy": 0.75}, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no .old-/.partial- left
    assert rc.load_final(TINY, tmp_path)[2]["val_accuracy"] == 0.75
    umask = os.umask(0)
    os.umask(umask)
    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask


def test_fit_rejects_odd_arguments():
    train, y = _toy(32, 0)
    model = rc.build_model(TINY, 40, None, len(train), seed=0)
    for kwargs, match in (({"epochs": 0}, "epochs"), ({"patience": 0}, "patience"),
                          ({"seed": -1}, "seed")):
        args = {"epochs": 1, "seed": 0, **kwargs}
        with pytest.raises(ValueError, match=match):
            rc.fit_bucketed(model, train, y, train, y, args.pop("epochs"), 16, 12, **args)
    with pytest.raises(ValueError, match="val_seqs is empty"):
        rc.fit_bucketed(model, train, y, [], [], 1, 16, 12, seed=0)


def test_the_split_follows_split_seed_not_the_training_seed(monkeypatch):
    """Chapter 4's seeds 1 and 2 train on seed 0's split: only ``split_seed`` moves it."""
    seen = []
    monkeypatch.setattr(rc, "load_imdb", lambda **kw: seen.append(kw["seed"]) or _stub_data())
    for seed, split_seed in ((0, 0), (2, 0), (0, 3)):
        rc.load_data(dataclasses.replace(TINY, seed=seed, split_seed=split_seed))
    assert seen == [0, 0, 3]
    assert rc.cache_key(dataclasses.replace(TINY, split_seed=1)) != rc.cache_key(TINY)


def _stub_data():
    from bilstm_utils.data import ImdbData, ImdbSplit
    split = ImdbSplit(texts=["a b"], labels=np.array([1]), ratings=np.array([8]),
                      movie_ids=np.array(["m"]), review_ids=np.array([0]))
    return ImdbData(train=split, val=split, test=split)
