"""bilstm_utils: the helper package of *Bidirectional LSTMs, from the gates up*.

Importing the package imports TensorFlow without its C++ log lines (see
:mod:`bilstm_utils._quiet`), so import it **before** ``tensorflow`` or ``keras``.

Modules
-------
data
    The Large Movie Review Dataset (IMDB): download, offline cache, movie-grouped splits.
text
    Standardisation, vectorizer factory and ``encode``/``decode`` for token ids.
batching
    Length-bucketed, right-padded batches.
models
    The classifiers of chapters 4 and 5 and their custom layers.
recipe
    Chapter 4's final BiLSTM: its settings, training loop and a keyed cache for chapter 5.
repro
    One call to seed Python, NumPy and Keras and make TensorFlow deterministic.
plots
    Training curves done right.
crf
    A linear-chain CRF output layer written with ``keras.ops`` (chapter 6).
tagging
    Punctuation restoration as sequence labelling: data, arrays, metrics, taggers (chapter 6).
book
    Record, check and show a chapter's results (``glue``, ``report``, ``check``), also
    outside Jupyter Book (Colab).
stats
    The book's one rule for comparing two models (paired over seeds, clustered bootstrap).
"""

from bilstm_utils._quiet import import_tensorflow_quietly

import_tensorflow_quietly()

# models, text and crf register their custom Keras objects, so that .keras files load
from bilstm_utils import crf, models, text  # noqa: E402, F401
from bilstm_utils.book import glue  # noqa: E402
from bilstm_utils.repro import set_seed  # noqa: E402

__all__ = ["glue", "set_seed"]
__version__ = "0.1.0"
