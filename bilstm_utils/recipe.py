"""Chapter 4's final BiLSTM: its recipe, its training loop, and a disk cache for chapter 5.

Chapter 4 builds its standalone BiLSTM step by step (word2vec vectors from the unlabelled
reviews, a masked pooled BiLSTM, length-bucketed batches) and chooses every setting on the
validation split. :class:`ImdbRecipe` records those settings in one place, :func:`build_model`
and :func:`fit_bucketed` are the two steps every run of the recipe shares, and
:func:`save_final`/:func:`load_final` keep the trained model in a cache **keyed on everything
that determines it**: the recipe, the package's source and the versions of the libraries
that train it. Chapter 5 explains that very model: it loads it when chapter 4 has run with the
same key (as in ``make test``), and otherwise retrains it with :func:`train_final`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bilstm_utils import _checks, batching, embeddings, models
from bilstm_utils._quiet import import_tensorflow_quietly
from bilstm_utils.data import (
    ImdbData,
    default_cache_dir,
    drop_copies,
    load_imdb,
    load_imdb_unlabelled,
)
from bilstm_utils.text import make_vectorizer, token_ids

tf = import_tensorflow_quietly()
import keras  # noqa: E402

# The modules whose code decides the final model's weights (data split, tokens, vectors, layers,
# batches and this training loop): a change in any of them changes the cache key.
_KEY_MODULES = ("data", "text", "embeddings", "models", "batching", "recipe", "repro")


@dataclass(frozen=True)
class ImdbRecipe:
    """The settings of chapter 4's final BiLSTM.

    Chosen on the validation split, except two set for time: 32 units per direction and 3
    word2vec epochs halve the cost of 64 units and 5 epochs (chapter 4 trains three seeds of
    three arms on two CPU cores).

    Attributes
    ----------
    vocab_size : int
        Vocabulary of the ``TextVectorization`` layer, padding and ``[UNK]`` included.
    maxlen : int
        The last ``maxlen`` tokens of each review are read (tokens).
    embed_dim, units : int
        Word-vector width; LSTM units per direction.
    epochs, batch_size : int
        Training epochs (the best validation epoch is kept) and reviews per batch.
    learning_rate : float
        Adam's initial rate; it decays along a cosine to 5 % over the whole run.
    embed_dropout, dropout : float
        Spatial dropout on the embeddings; dropout before the output layer.
    w2v_window, w2v_min_count, w2v_epochs : int
        gensim ``Word2Vec`` settings (CBOW unless ``skip_gram``).
    skip_gram : bool
        Skip-gram instead of CBOW word vectors.
    val_fraction : float
        Share of the labelled training reviews held out, grouped by movie.
    seed : int
        Seeds the word vectors, the weights, dropout and the batch order: chapter 4's seeds
        0, 1 and 2 of the recipe differ only here.
    split_seed : int
        Seeds the movie-grouped validation split (the same for every training seed, so the
        seeds are compared on the same reviews).
    """

    vocab_size: int = 30_000
    maxlen: int = 400
    embed_dim: int = 100
    units: int = 32
    epochs: int = 3
    batch_size: int = 256
    learning_rate: float = 3e-3
    embed_dropout: float = 0.3
    dropout: float = 0.5
    w2v_window: int = 5
    w2v_min_count: int = 5
    w2v_epochs: int = 3
    skip_gram: bool = False
    val_fraction: float = 0.2
    seed: int = 0
    split_seed: int = 0

    def __post_init__(self):
        """Check every field and store plain Python values (NumPy scalars accepted), so that
        equal settings always give equal keys: ``1`` and ``1.0`` are one learning rate."""
        ints = {"vocab_size": 3, "maxlen": 1, "embed_dim": 1, "units": 1, "epochs": 1,
                "batch_size": 1, "w2v_window": 1, "w2v_min_count": 1, "w2v_epochs": 1, "seed": 0,
                "split_seed": 0}
        for name, minimum in ints.items():
            value = _checks.integer(f"ImdbRecipe.{name}", getattr(self, name), minimum)
            if name in ("seed", "split_seed") and value >= 2**32:
                raise ValueError(f"ImdbRecipe.{name} must be below 2**32, got {value}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "learning_rate", _checks.positive_finite(
            "ImdbRecipe.learning_rate", self.learning_rate))
        for name, low_open in (("embed_dropout", False), ("dropout", False),
                               ("val_fraction", True)):
            value = getattr(self, name)
            ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) \
                and (0 < value < 1 if low_open else 0 <= value < 1)
            if not ok:
                interval = "(0, 1)" if low_open else "[0, 1)"
                raise ValueError(f"ImdbRecipe.{name} must be a number in {interval}, got {value!r}")
            object.__setattr__(self, name, float(value) + 0.0)  # -0.0 -> 0.0
        if not isinstance(self.skip_gram, (bool, np.bool_)):
            raise ValueError(f"ImdbRecipe.skip_gram must be a bool, got {self.skip_gram!r}")
        object.__setattr__(self, "skip_gram", bool(self.skip_gram))

    def decay_steps(self, n_train: int) -> int:
        """Optimizer steps of a whole run on ``n_train`` reviews: the cosine's length."""
        n_train = _checks.integer("n_train", n_train)
        return self.epochs * -(-n_train // self.batch_size)


def load_data(recipe: ImdbRecipe) -> tuple[ImdbData, int]:
    """The recipe's data: the movie-grouped split, without training copies of held-out reviews.

    ``load_imdb(val_fraction=recipe.val_fraction, seed=recipe.split_seed, val_split="movie")``,
    then :func:`bilstm_utils.data.drop_copies` removes from the training part every review
    whose text is a byte-for-byte copy of a validation or test review.

    Parameters
    ----------
    recipe : ImdbRecipe

    Returns
    -------
    (ImdbData, int)
        The data (``val`` and ``test`` untouched) and the number of training reviews dropped.
    """
    if not isinstance(recipe, ImdbRecipe):
        raise ValueError(f"recipe must be an ImdbRecipe, got {type(recipe).__name__}")
    data = load_imdb(val_fraction=recipe.val_fraction, seed=recipe.split_seed, val_split="movie")
    train, n_dropped = drop_copies(data.train, data.val.texts + data.test.texts)
    return ImdbData(train=train, val=data.val, test=data.test), n_dropped


@dataclass
class FitResult:
    """What :func:`fit_bucketed` returns.

    Attributes
    ----------
    history : dict of str to list of float
        Keras's per-epoch ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``.
    epoch_seconds : list of float
        Wall seconds of each epoch, the validation pass included.
    seconds : float
        Wall seconds of the whole ``fit`` call.
    """

    history: dict
    epoch_seconds: list
    seconds: float


def build_model(recipe: ImdbRecipe, vocab_size: int, vectors: np.ndarray | None,
                n_train: int, seed: int, bidirectional: bool = True) -> keras.Model:
    """The recipe's pooled (Bi)LSTM, seeded, compiled, starting from ``vectors``.

    Parameters
    ----------
    recipe : ImdbRecipe
    vocab_size : int
        The vectorizer's vocabulary size (rows of ``vectors``).
    vectors : ndarray, shape (vocab_size, recipe.embed_dim), or None
        Initial word vectors (fine-tuned); ``None`` starts from random ones.
    n_train : int
        Training reviews, for the length of the learning-rate schedule.
    seed : int
        Passed to :func:`bilstm_utils.set_seed` before the weights are drawn.
    bidirectional : bool
        ``False`` builds the forward-only twin with the same settings.

    Returns
    -------
    keras.Model
        :func:`bilstm_utils.models.build_pooled_classifier` without the embedding shortcut.
    """
    from bilstm_utils.repro import set_seed  # noqa: PLC0415

    if not isinstance(recipe, ImdbRecipe):
        raise ValueError(f"recipe must be an ImdbRecipe, got {type(recipe).__name__}")
    set_seed(seed)
    return models.build_pooled_classifier(
        vocab_size=vocab_size, embed_dim=recipe.embed_dim, units=recipe.units,
        bidirectional=bidirectional, embed_dropout=recipe.embed_dropout, dropout=recipe.dropout,
        skip_embeddings=False, learning_rate=recipe.learning_rate,
        decay_steps=recipe.decay_steps(n_train), embeddings=vectors, train_embeddings=True)


def fit_bucketed(model: keras.Model, train_seqs, y_train, val_seqs, y_val, epochs: int,
                 batch_size: int, maxlen: int, seed: int, patience: int | None = None,
                 verbose: int = 0) -> FitResult:
    """Train on length-bucketed, right-padded batches; keep the best validation epoch.

    Parameters
    ----------
    model : keras.Model
        Compiled; takes int ids (batch, time).
    train_seqs, val_seqs : sequence of sequences of int
        Unpadded token ids (:func:`bilstm_utils.text.token_ids`).
    y_train, y_val : array of 0/1, shapes (n_train,), (n_val,)
    epochs, batch_size, maxlen : int
        Epochs; training reviews per batch; tokens kept per review (the last ones).
    seed : int
        Seeds the batch order, a new order every epoch (so seeds differ in it too).
    patience : int >= 1, optional
        Stop after this many epochs without a better validation accuracy (default: never).
    verbose : {0, 2}
        Keras's log: none, or one line per epoch.

    Returns
    -------
    FitResult
        The model's weights are those of its best validation-accuracy epoch.

    Raises
    ------
    ValueError
        For ``epochs``/``patience`` below 1, a negative ``seed``, no validation review, or
        bad labels or lengths (from :mod:`bilstm_utils.batching`).
    """
    epochs = _checks.integer("epochs", epochs)
    seed = _checks.integer("seed", seed, 0)
    if patience is not None:
        patience = _checks.integer("patience", patience)
    if len(val_seqs) == 0:
        raise ValueError("val_seqs is empty: the best epoch is chosen on validation reviews")
    timer = models.EpochTimer()
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience or epochs,
                                         restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(
        batching.bucketed_dataset(train_seqs, y_train, batch_size, maxlen, seed=seed),
        validation_data=batching.bucketed_dataset(val_seqs, y_val, 512, maxlen),
        epochs=epochs, verbose=verbose, callbacks=[timer, stop], shuffle=False)
    return FitResult(history.history, timer.seconds, time.perf_counter() - start)


def cache_key(recipe: ImdbRecipe) -> str:
    """A 16-hex-digit key for everything that determines the recipe's trained model.

    It hashes the recipe's fields, the source of the package modules that split, tokenise,
    embed, build and train (``data``, ``text``, ``embeddings``, ``models``, ``batching``,
    ``recipe``, ``repro``: any edit, a comment's included, gives a new key), and the versions
    of the libraries that run them (NumPy, scikit-learn, TensorFlow, Keras, gensim). Word2vec
    runs in one thread (:func:`train_final`), so on one machine two trainings under one key
    give the same model; another machine's floating point may differ slightly.

    Raises
    ------
    ValueError
        If ``recipe`` is not an :class:`ImdbRecipe`.
    """
    import gensim  # noqa: PLC0415
    import sklearn  # noqa: PLC0415

    if not isinstance(recipe, ImdbRecipe):
        raise ValueError(f"recipe must be an ImdbRecipe, got {type(recipe).__name__}")
    digest = hashlib.sha256(json.dumps(dataclasses.asdict(recipe), sort_keys=True).encode())
    package = Path(__file__).parent
    for name in _KEY_MODULES:
        digest.update((package / f"{name}.py").read_bytes())
    versions = (np.__version__, sklearn.__version__, tf.__version__, keras.__version__,
                gensim.__version__)
    digest.update(repr(versions).encode())
    return digest.hexdigest()[:16]


def _folder(recipe: ImdbRecipe, cache_dir) -> Path:
    if cache_dir is not None and not str(cache_dir).strip():
        raise ValueError("cache_dir is empty: give a folder, or None for the default")
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir().parent / "bilstm_book"
    if root.exists() and not root.is_dir():
        raise ValueError(f"cache_dir {root} exists and is not a folder")
    return root / f"imdb_final_bilstm-{cache_key(recipe)}"


def _plain_info(info) -> dict:
    """``info`` as JSON-ready plain values; a clear error for what JSON cannot hold."""
    if info is None:
        return {}
    if not isinstance(info, dict):
        raise ValueError(f"info must be a dict, got {type(info).__name__}")
    if "recipe" in info:
        raise ValueError("info must not hold a 'recipe' key: the entry records the recipe itself")

    def plain(value, where):
        if isinstance(value, np.generic | np.ndarray):
            value = value.tolist()
        if isinstance(value, dict):
            return {str(k): plain(v, f"{where}[{k!r}]") for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"info{where} is {value}: JSON holds finite numbers only")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValueError(f"info{where} is a {type(value).__name__}, not JSON-serialisable")
        return value

    return plain(info, "")


def save_final(model: keras.Model, vocabulary, recipe: ImdbRecipe, info: dict | None = None,
               cache_dir: str | os.PathLike | None = None) -> Path:
    """Store the trained model, its vocabulary and ``info`` under the recipe's key.

    The files are written to a temporary folder and moved into place at the end, so an
    interrupted save leaves no half-written entry. ``info`` (JSON-serialisable: validation
    accuracy, seconds, ...) comes back from :func:`load_final`.

    Parameters
    ----------
    model : keras.Model
        The recipe's trained model.
    vocabulary : sequence of str
        ``vectorizer.get_vocabulary()`` of the vectorizer the model was trained with.
    recipe : ImdbRecipe
    info : dict, optional
    cache_dir : path, optional
        Default ``$KERAS_HOME/bilstm_book`` (``~/.keras/bilstm_book``).

    Returns
    -------
    Path
        The entry's folder.

    Raises
    ------
    ValueError
        If the vocabulary is not a sequence of str, its length or the recipe's ``embed_dim``
        does not match the model's embedding, ``info`` holds a ``"recipe"`` key or a value
        JSON cannot hold (NaN, an object), or ``cache_dir`` is empty or a file.
    """
    target = _folder(recipe, cache_dir)
    if isinstance(vocabulary, str) or not all(isinstance(w, str) for w in vocabulary):
        raise ValueError("vocabulary must be a sequence of str (vectorizer.get_vocabulary())")
    vocabulary = list(vocabulary)
    try:
        embedding = model.get_layer("embedding")
    except ValueError:
        raise ValueError("model has no layer named 'embedding': not a recipe model") from None
    shape = (embedding.input_dim, embedding.output_dim)
    if shape != (len(vocabulary), recipe.embed_dim):
        raise ValueError(f"the model's embedding is {shape}, but the vocabulary has "
                         f"{len(vocabulary)} entries and the recipe embed_dim={recipe.embed_dim}")
    record = json.dumps({"recipe": dataclasses.asdict(recipe), **_plain_info(info)},
                        allow_nan=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))
    old = target.parent / f".old-{tmp.name}"
    try:
        # the layers and weights without the optimizer (an untrained optimizer on reload would
        # warn that its variables differ); the loaded model predicts, it is not compiled
        keras.Model(model.inputs, model.outputs, name=model.name).save(tmp / "model.keras")
        (tmp / "vocabulary.json").write_text(json.dumps(vocabulary), encoding="utf-8")
        (tmp / "info.json").write_text(record, encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; an entry follows the umask
        if target.is_dir():
            target.rename(old)  # the old entry steps aside; the new one takes its name at once
        elif target.exists():
            target.unlink()
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return target


def load_final(recipe: ImdbRecipe, cache_dir: str | os.PathLike | None = None):
    """The cached model of this recipe, or ``None`` when there is no complete entry.

    Returns
    -------
    (keras.Model, list of str, dict) or None
        The model (not compiled: for prediction and gradients), its vocabulary and the
        ``info`` it was saved with. ``None`` also for an entry that cannot be read (with a
        ``RuntimeWarning`` naming it).
    """
    folder = _folder(recipe, cache_dir)
    files = [folder / name for name in ("model.keras", "vocabulary.json", "info.json")]
    if not all(f.is_file() for f in files):
        return None
    try:
        vocabulary = json.loads(files[1].read_text(encoding="utf-8"))
        info = json.loads(files[2].read_text(encoding="utf-8"))
        model = keras.saving.load_model(files[0])
    except Exception as err:  # noqa: BLE001  (any unreadable entry is a cache miss)
        warnings.warn(f"ignoring the damaged cache entry {folder} ({type(err).__name__}: {err}); "
                      "delete it to silence this warning", RuntimeWarning, stacklevel=2)
        return None
    return model, vocabulary, info


def train_final(recipe: ImdbRecipe, verbose: int = 0):
    """Run the whole recipe from raw text: vectorizer, word2vec, training (seed ``recipe.seed``).

    This is what chapter 4 does cell by cell, in one call: minutes on two CPU cores.

    The data are :func:`load_data` (the movie-grouped split, without training copies of
    held-out reviews) and the unlabelled reviews (without their copies of validation or
    test reviews), from the default dataset cache.

    Parameters
    ----------
    recipe : ImdbRecipe
    verbose : {0, 2}

    Returns
    -------
    (keras.Model, list of str, dict)
        The trained model, its vocabulary and an ``info`` dict with ``val_accuracy``,
        ``history`` and ``seconds`` (word vectors and training together).
    """
    if not isinstance(recipe, ImdbRecipe):
        raise ValueError(f"recipe must be an ImdbRecipe, got {type(recipe).__name__}")
    start = time.perf_counter()
    data, _ = load_data(recipe)
    vectorizer = make_vectorizer(data.train.texts, max_tokens=recipe.vocab_size)
    vocabulary = vectorizer.get_vocabulary()
    held_out = data.val.texts + data.test.texts  # their copies among the unlabelled are dropped
    word_vectors = embeddings.train_word_vectors(
        load_imdb_unlabelled(exclude=held_out) + data.train.texts, vector_size=recipe.embed_dim,
        window=recipe.w2v_window, min_count=recipe.w2v_min_count, epochs=recipe.w2v_epochs,
        skip_gram=recipe.skip_gram, workers=1, seed=recipe.seed)
    matrix, _ = embeddings.embedding_matrix(word_vectors, vocabulary, mean_norm=1.0)
    train_seqs = token_ids(vectorizer, data.train.texts)
    model = build_model(recipe, len(vocabulary), matrix, len(train_seqs), recipe.seed)
    fitted = fit_bucketed(model, train_seqs, data.train.labels,
                          token_ids(vectorizer, data.val.texts), data.val.labels,
                          recipe.epochs, recipe.batch_size, recipe.maxlen, recipe.seed,
                          verbose=verbose)
    info = {"val_accuracy": float(max(fitted.history["val_accuracy"])),
            "history": {k: [float(v) for v in vs] for k, vs in fitted.history.items()},
            "seconds": time.perf_counter() - start}
    return model, vocabulary, info
