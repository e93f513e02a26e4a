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
repro
    One call to seed Python, NumPy and Keras and make TensorFlow deterministic.
plots
    Training curves done right.
book
    Record a value for the book's prose (``glue``), also outside Jupyter Book (Colab).
"""

from bilstm_utils._quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from bilstm_utils import models, text  # noqa: E402, F401  (register custom Keras objects)
from bilstm_utils.book import glue  # noqa: E402
from bilstm_utils.repro import set_seed  # noqa: E402

__all__ = ["glue", "set_seed"]
__version__ = "0.1.0"
