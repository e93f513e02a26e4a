"""Chapter 6's main comparison with more training reviews or more epochs (run outside the chapter).

The chapter trains its punctuation taggers on 3,000 reviews for three epochs, where a logistic
regression on (previous word, word, next word) matches the BiLSTM. This script repeats the
comparison with the same validation reviews, the same taggers and the same rule (three seeds,
paired, each run at the bias on O tuned on validation; movie-clustered intervals):

- on 12,000 training reviews for 3 epochs (the default; about 13 minutes on two CPU cores), to
  see which model gains from more data and more updates together;
- on the chapter's 3,000 reviews for 12 epochs (``3000 12``: the same number of updates; about
  10 minutes), to see which model gains from more updates alone.

It prints every LSTM run's validation F1 after each epoch and compares the arms after the last::

    .venv/bin/python tools/ch6_more_data.py [n_train_reviews [epochs]]
"""

# ruff: noqa: I001 (bilstm_utils is imported before keras on purpose)
from __future__ import annotations

import sys
import time

import bilstm_utils  # before keras: silences TensorFlow's log lines
import keras
import numpy as np
from sklearn.linear_model import LogisticRegression

from bilstm_utils import tagging
from bilstm_utils.data import load_imdb
from bilstm_utils.stats import compare_paired

N_TRAIN = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
N_VAL, WINDOW, BATCH, SEEDS = 1_000, 100, 128, (0, 1, 2)

data = load_imdb(val_fraction=0.2, seed=0, val_split="movie")
parsed = {"train": [tagging.words_and_labels(t) for t in data.train.texts[:N_TRAIN]],
          "val": [tagging.words_and_labels(t) for t in data.val.texts[:N_VAL]]}
vocab = tagging.build_vocabulary((w for w, _ in parsed["train"]), max_size=20_000)
VOCAB = len(vocab)
ids = {s: tagging.encode_words((w for w, _ in parsed[s]), vocab) for s in parsed}
labs = {s: [np.array(lab) for _, lab in parsed[s]] for s in parsed}
arrays = {(s, k): tagging.windows(ids[s], labs[s], window=WINDOW, lookahead=k)
          for s in parsed for k in (0, 1)}
reviews = np.repeat(np.arange(len(ids["val"])), [len(x) for x in ids["val"]])
movies = np.unique(data.val.movie_ids[:N_VAL], return_inverse=True)[1]
gold = arrays["val", 0].labels()


def tagger(kind):
    """The chapter's tagger: Embedding -> one LSTM layer -> a softmax at every step."""
    if kind == "bi":
        rnn = keras.layers.Bidirectional(keras.layers.LSTM(32, return_sequences=True))
    else:
        rnn = keras.layers.LSTM(64, return_sequences=True)
    return keras.Sequential([keras.Input((None,), dtype="int32"),
                             keras.layers.Embedding(VOCAB, 64, mask_zero=True), rnn,
                             keras.layers.Dense(5, activation="softmax")])


def counts(log_probs):
    bias, _ = tagging.tune_o_bias(log_probs, gold)
    return tagging.f1_counts(gold, tagging.apply_o_bias(log_probs, bias), reviews, n_groups=N_VAL)


start = time.perf_counter()
features = {s: tagging.window_features(arrays[s, 0], VOCAB) for s in parsed}
window = LogisticRegression(C=1.0, max_iter=300).fit(features["train"], arrays["train", 0].labels())
runs = {"window": counts(window.predict_log_proba(features["val"]))[None]}
print(f"window model {tagging.f1_from_counts(runs['window'].sum(1))[0]:.3f} "
      f"({time.perf_counter() - start:.0f} s)", flush=True)
for arm, kind, k in (("BiLSTM", "bi", 0), ("lookahead-1", "forward", 1)):
    per_seed = []
    for seed in SEEDS:
        bilstm_utils.set_seed(seed)
        model = tagger(kind)
        model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="sparse_categorical_crossentropy")
        tr, va = arrays["train", k], arrays["val", k]
        curve = []
        for _ in range(EPOCHS):
            model.fit(tr.x, tr.y, sample_weight=tr.weight, batch_size=BATCH, epochs=1, verbose=0)
            p = model.predict(va.x, batch_size=256, verbose=0)[va.weight > 0]
            last = counts(np.log(np.clip(p, 1e-7, 1.0)))
            curve.append(f"{tagging.f1_from_counts(last.sum(0)):.3f}")
        per_seed.append(last)  # after the last epoch: the budget is fixed in advance
        print(f"{arm} seed {seed}, after each epoch: {' '.join(curve)} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)
    runs[arm] = np.stack(per_seed)
print(f"\n{N_TRAIN:,} training reviews, {EPOCHS} epochs; validation micro-F1 at tuned biases")
for arm, c in runs.items():
    print(f"  {arm:12s} {tagging.f1_from_counts(c.sum(1)).mean():.3f}")
for a, b in (("BiLSTM", "window"), ("BiLSTM", "lookahead-1"), ("lookahead-1", "window")):
    print(f"  {a} - {b}: {compare_paired(runs[a], runs[b], movies, metric=tagging.f1_from_counts)}")
