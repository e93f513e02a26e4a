"""The Large Movie Review Dataset (IMDB; Maas et al., 2011), as raw text.

:func:`load_imdb` returns the official 25,000 training reviews, split into a training
and a validation part **grouped by movie**, and the official 25,000 test reviews.
:func:`load_imdb_unlabelled` returns the 50,000 unlabelled reviews the dataset ships for
unsupervised learning (``train/unsup``; Maas et al. learned word vectors from them).

Where the data comes from, in order:

1. the extracted folder ``<cache>/aclImdb`` (validated before use);
2. the archive ``<cache>/aclImdb_v1.tar.gz``, extracted once into that folder;
3. a download of the official archive with :func:`keras.utils.get_file`.

``<cache>`` is Keras's dataset cache, ``$KERAS_HOME/datasets`` (default
``~/.keras/datasets``). To work offline, put a copy of ``aclImdb_v1.tar.gz`` there.
Every step writes to a temporary name first and renames only what passed validation,
so a failed download or a damaged archive never leaves a folder a later call would trust.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE_NAME = "aclImdb_v1.tar.gz"
FOLDER_NAME = "aclImdb"
REVIEWS_PER_LABEL = 12_500
UNLABELLED_REVIEWS = 50_000  # train/unsup: reviews without a label or a rating
LABEL_NAMES = ("neg", "pos")  # label 0 and label 1
SPLIT_NAMES = ("train", "test")
VAL_SPLITS = ("movie", "random")

_REVIEW_FILE = re.compile(r"^(\d+)_(\d+)\.txt$")
_MOVIE_ID = re.compile(r"(tt\d+)")
# Members we extract: the labelled reviews, their movie URLs, README and vocabulary.
# The unlabelled reviews (train/unsup) are extracted on demand by load_imdb_unlabelled.
_UNLABELLED = re.compile(r"^aclImdb/train/unsup/(\d+)_0\.txt$")
_WANTED = re.compile(
    r"^aclImdb/((train|test)/(pos|neg)/\d+_\d+\.txt|(train|test)/urls_(pos|neg)\.txt"
    r"|README|imdb\.vocab)$"
)


class ImdbDataError(RuntimeError):
    """The IMDB data in the cache is missing, incomplete or damaged.

    The message names the path and says what to do.
    """


@dataclass(frozen=True)
class ImdbSplit:
    """One split of the dataset; every array has one entry per review, in the same order.

    Attributes
    ----------
    texts : list of str, length n
        Raw review text, exactly as in the archive (HTML line breaks included).
    labels : ndarray of int32, shape (n,)
        1 for a positive review (rating >= 7), 0 for a negative one (rating <= 4).
    ratings : ndarray of int32, shape (n,)
        The reviewer's star rating, 1-10.
    movie_ids : ndarray of str, shape (n,)
        The IMDb title id (``"tt0453418"``) of the movie the review is about.
    review_ids : ndarray of int32, shape (n,)
        The review's file number within its split and label.
    """

    texts: list[str]
    labels: np.ndarray
    ratings: np.ndarray
    movie_ids: np.ndarray
    review_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, index: np.ndarray) -> ImdbSplit:
        """The reviews at ``index`` (an integer array), as a new split."""
        index = np.asarray(index, dtype=np.int64)
        return ImdbSplit(
            texts=[self.texts[i] for i in index],
            labels=self.labels[index],
            ratings=self.ratings[index],
            movie_ids=self.movie_ids[index],
            review_ids=self.review_ids[index],
        )


@dataclass(frozen=True)
class ImdbData:
    """What :func:`load_imdb` returns: ``train`` and ``val`` (from the official training
    reviews, disjoint) and ``test`` (the official test reviews)."""

    train: ImdbSplit
    val: ImdbSplit
    test: ImdbSplit


def default_cache_dir() -> Path:
    """Keras's dataset cache: ``$KERAS_HOME/datasets``, or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _remedy(cache: Path) -> str:
    return (
        f"To fix it: delete {cache / FOLDER_NAME} and {cache / ARCHIVE_NAME} (whichever exist) "
        f"and call load_imdb() again with a network connection, or place a good copy of "
        f"{IMDB_URL} at {cache / ARCHIVE_NAME}."
    )


def _validate_folder(folder: Path, reviews_per_label: int) -> None:
    """Raise :class:`ImdbDataError` unless ``folder`` holds every labelled review and URL list."""
    for split in SPLIT_NAMES:
        for label in LABEL_NAMES:
            sub = folder / split / label
            if not sub.is_dir():
                raise ImdbDataError(f"missing folder {sub}")
            n = sum(1 for name in os.listdir(sub) if _REVIEW_FILE.match(name))
            if n != reviews_per_label:
                raise ImdbDataError(
                    f"{sub} holds {n} reviews, expected {reviews_per_label}"
                )
            urls = folder / split / f"urls_{label}.txt"
            if not urls.is_file():
                raise ImdbDataError(f"missing file {urls}")


def _safe_member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith("/"):
        raise ImdbDataError(
            f"archive member {name!r} would land outside the target folder; refusing to extract"
        )
    return path


def _extract(archive: Path, cache: Path, reviews_per_label: int) -> Path:
    """Extract the labelled part of ``archive`` into ``cache/aclImdb``, atomically."""
    target = cache / FOLDER_NAME
    tmp = Path(tempfile.mkdtemp(prefix=".aclImdb-partial-", dir=cache))
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                _safe_member_path(member.name)
                if member.issym() or member.islnk():
                    raise ImdbDataError(
                        f"archive member {member.name!r} is a link; refusing to extract"
                    )
                if member.isfile() and _WANTED.match(member.name):
                    out = tmp / member.name
                    out.parent.mkdir(parents=True, exist_ok=True)
                    src = tar.extractfile(member)
                    assert src is not None  # a regular file always has content
                    out.write_bytes(src.read())
        try:
            _validate_folder(tmp / FOLDER_NAME, reviews_per_label)
        except ImdbDataError as err:
            raise ImdbDataError(
                f"the archive {archive} is incomplete: {err}. {_remedy(cache)}"
            ) from None
        try:
            os.rename(tmp / FOLDER_NAME, target)
        except OSError:
            if not target.is_dir():  # another process did not win the race: a real error
                raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise ImdbDataError(
            f"the archive {archive} is damaged or truncated ({type(err).__name__}: {err}). "
            + _remedy(cache)
        ) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _download(cache: Path, origin: str) -> Path:
    """Download ``origin`` to ``cache/aclImdb_v1.tar.gz`` via a temporary name."""
    import keras  # noqa: PLC0415  (imported here: reading the cache needs no TensorFlow)

    partial = cache / (ARCHIVE_NAME + ".download")
    partial.unlink(missing_ok=True)  # get_file would trust a stale partial file
    try:
        keras.utils.get_file(fname=partial.name, origin=origin, cache_subdir=str(cache))
    except BaseException as err:
        partial.unlink(missing_ok=True)
        if isinstance(err, KeyboardInterrupt):
            raise
        raise ImdbDataError(
            f"could not download the IMDB archive from {origin} ({err}). Without a network, "
            f"place a copy of aclImdb_v1.tar.gz at {cache / ARCHIVE_NAME} and call again."
        ) from err
    archive = cache / ARCHIVE_NAME
    os.replace(partial, archive)
    return archive


def imdb_folder(
    cache_dir: str | os.PathLike | None = None,
    origin: str = IMDB_URL,
    reviews_per_label: int = REVIEWS_PER_LABEL,
) -> Path:
    """Return the validated extracted folder, extracting or downloading the archive if needed.

    Parameters
    ----------
    cache_dir : path, optional
        Where the archive and the extracted folder live; default :func:`default_cache_dir`.
    origin : str
        URL of the archive, used only when neither the folder nor the archive is cached.
    reviews_per_label : int
        Expected reviews per label and split (12,500 for the real dataset).

    Returns
    -------
    pathlib.Path
        ``<cache_dir>/aclImdb``.

    Raises
    ------
    ImdbDataError
        Missing, incomplete or damaged data; the message names the path and the remedy.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    folder = cache / FOLDER_NAME
    if folder.is_dir():
        try:
            _validate_folder(folder, reviews_per_label)
        except ImdbDataError as err:
            raise ImdbDataError(
                f"the cached IMDB folder is incomplete: {err}. {_remedy(cache)}"
            ) from None
        return folder
    archive = cache / ARCHIVE_NAME
    if not archive.is_file():
        archive = _download(cache, origin)
    return _extract(archive, cache, reviews_per_label)


@lru_cache(maxsize=4)
def _read_split(folder: str, split: str, mtime: float) -> ImdbSplit:
    """Read one official split (cached per folder, split and modification time)."""
    texts, labels, ratings, movies, ids = [], [], [], [], []
    for label_value, label in enumerate(LABEL_NAMES):
        urls = Path(folder, split, f"urls_{label}.txt").read_text().splitlines()
        entries = []
        for name in os.listdir(Path(folder, split, label)):
            match = _REVIEW_FILE.match(name)
            if match:
                entries.append((int(match.group(1)), int(match.group(2)), name))
        for review_id, rating, name in sorted(entries):
            if review_id >= len(urls):
                raise ImdbDataError(f"{split}/urls_{label}.txt has no line for review {name}")
            movie = _MOVIE_ID.search(urls[review_id])
            with open(Path(folder, split, label, name), encoding="utf-8") as f:
                texts.append(f.read())
            labels.append(label_value)
            ratings.append(rating)
            movies.append(movie.group(1) if movie else urls[review_id].strip())
            ids.append(review_id)
    return ImdbSplit(
        texts=texts,
        labels=np.asarray(labels, dtype=np.int32),
        ratings=np.asarray(ratings, dtype=np.int32),
        movie_ids=np.asarray(movies),
        review_ids=np.asarray(ids, dtype=np.int32),
    )


MAX_FOLDS = 20  # the movie-grouped split's granularity: multiples of 1/20 at worst


def _check_fraction(val_fraction) -> float:
    """``val_fraction`` as a Python float in (0, 1); NumPy scalars accepted."""
    if isinstance(val_fraction, (bool, np.bool_)) or not isinstance(
        val_fraction, (int, float, np.integer, np.floating)
    ):
        raise ValueError(f"val_fraction must be a number in (0, 1), got {val_fraction!r}")
    value = float(val_fraction)
    if not 0 < value < 1:  # also rejects NaN
        raise ValueError(f"val_fraction must be a number in (0, 1), got {val_fraction!r}")
    return value


def _check_count(name: str, value, minimum: int) -> int:
    """``value`` as a Python int >= ``minimum``; NumPy integers accepted, floats refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _fold_fraction(val_fraction: float, max_folds: int = MAX_FOLDS) -> tuple[int, int]:
    """``(n_val_folds, n_folds)`` with ``n_val_folds / n_folds`` nearest to ``val_fraction``.

    Ties go to the fewest folds; ``n_val_folds`` may be 0 or ``n_folds`` for extreme
    fractions (the caller refuses those).
    """
    best = min(
        ((round(val_fraction * k), k) for k in range(2, max_folds + 1)),
        key=lambda mk: (abs(mk[0] / mk[1] - val_fraction), mk[1]),
    )
    return int(best[0]), int(best[1])


def movie_grouped_split(
    labels: np.ndarray, movie_ids: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a label-stratified validation split that shares no movie with training.

    scikit-learn's :class:`~sklearn.model_selection.StratifiedGroupKFold` (shuffled with
    ``seed``) cuts the reviews into ``k`` folds, each holding whole movies and about the
    same share of positive reviews; the first ``m`` folds are the validation split, with
    ``m / k`` (``k <= 20``) the fraction nearest to ``val_fraction``: for 0.2, one fold of
    five. Whole movies move, so the validation size lands near, not exactly on, the target.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        0 or 1.
    movie_ids : ndarray of str, shape (n,)
        The group of each review.
    val_fraction : float
        In (0, 1).
    seed : int
        Seeds the fold assignment.

    Returns
    -------
    train_index, val_index : ndarray of int64
        Sorted, disjoint, together ``arange(n)``, both non-empty.

    Raises
    ------
    ValueError
        If ``val_fraction`` rounds to an empty training or validation split (below
        1/40 or above 39/40), if there are fewer movies than folds, or if the lengths
        of ``labels`` and ``movie_ids`` differ.
    """
    val_fraction = _check_fraction(val_fraction)
    seed = _check_count("seed", seed, 0)
    labels = np.asarray(labels)
    movie_ids = np.asarray(movie_ids)
    if labels.shape != movie_ids.shape or labels.ndim != 1:
        raise ValueError(
            f"labels and movie_ids must be 1-D and of the same length, got shapes "
            f"{labels.shape} and {movie_ids.shape}"
        )
    n_val_folds, n_folds = _fold_fraction(val_fraction)
    if n_val_folds == 0 or n_val_folds == n_folds:
        side = "validation" if n_val_folds == 0 else "training"
        raise ValueError(
            f"val_fraction={val_fraction!r} leaves an empty {side} split: a movie-grouped "
            f"split holds multiples of 1/{MAX_FOLDS} at worst; use a value in "
            f"[{1 / (2 * MAX_FOLDS)}, {1 - 1 / (2 * MAX_FOLDS)}]"
        )
    n_movies = len(np.unique(movie_ids))
    if n_movies < n_folds:
        raise ValueError(
            f"a movie-grouped split with val_fraction={val_fraction!r} needs at least "
            f"{n_folds} movies, got {n_movies}"
        )
    folds = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    in_val = np.zeros(len(labels), dtype=bool)
    for fold, (_, test_index) in enumerate(folds.split(np.zeros(len(labels)), labels, movie_ids)):
        if fold < n_val_folds:
            in_val[test_index] = True
    if in_val.all() or not in_val.any():
        raise ValueError(f"val_fraction={val_fraction!r} leaves an empty split")
    return np.flatnonzero(~in_val), np.flatnonzero(in_val)


def random_split(
    labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a label-stratified random validation split (ignores movies).

    ``round(val_fraction * n_label)`` reviews of each label go to validation.
    Parameters and returns as in :func:`movie_grouped_split`.

    Raises
    ------
    ValueError
        If the rounding leaves the training or the validation split empty.
    """
    val_fraction = _check_fraction(val_fraction)
    seed = _check_count("seed", seed, 0)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    val = []
    for value in np.unique(labels):
        idx = np.flatnonzero(labels == value)
        val.append(rng.choice(idx, size=int(round(val_fraction * len(idx))), replace=False))
    val_index = np.sort(np.concatenate(val)) if val else np.zeros(0, dtype=np.int64)
    if len(val_index) == 0 or len(val_index) == len(labels):
        side = "validation" if len(val_index) == 0 else "training"
        raise ValueError(
            f"val_fraction={val_fraction!r} leaves an empty {side} split for "
            f"{len(labels)} reviews"
        )
    mask = np.zeros(len(labels), dtype=bool)
    mask[val_index] = True
    return np.flatnonzero(~mask), val_index


def load_imdb(
    val_fraction: float = 0.2,
    seed: int = 0,
    val_split: str = "movie",
    cache_dir: str | os.PathLike | None = None,
    origin: str = IMDB_URL,
    reviews_per_label: int = REVIEWS_PER_LABEL,
) -> ImdbData:
    """Load IMDB as raw strings: training, validation (carved from training) and test.

    Parameters
    ----------
    val_fraction : float
        Share of the 25,000 training reviews held out for validation, in (0, 1); a Python
        or NumPy number. The movie-grouped split moves whole movies, so its size is near
        the share, not exactly on it (see :func:`movie_grouped_split`).
    seed : int
        Seeds the validation split and the order of the training and validation reviews
        (a non-negative Python or NumPy integer).
    val_split : {"movie", "random"}
        ``"movie"`` (default): no movie has reviews in both training and validation,
        as between the official training and test sets (scikit-learn's
        ``StratifiedGroupKFold``). ``"random"``: a label-stratified random split, which
        shares movies and so flatters a model.
    cache_dir : path, optional
        Dataset cache folder; default ``$KERAS_HOME/datasets`` (``~/.keras/datasets``).
    origin : str
        Where to download the archive from when it is not cached.
    reviews_per_label : int
        Expected reviews per label per split (12,500; smaller only for tests).

    Returns
    -------
    ImdbData
        ``train`` (n = 25,000 - n_val), ``val`` (n_val, about ``val_fraction * 25,000``),
        ``test`` (25,000) splits;
        ``train`` and ``val`` in a seeded random order, ``test`` in file order.

    Raises
    ------
    ValueError
        For a bad argument: ``val_fraction`` not a number in (0, 1) or leaving an empty
        split, ``seed`` or ``reviews_per_label`` not an integer in range, an unknown
        ``val_split``.
    ImdbDataError
        When the data cannot be found, downloaded or validated; the message says what to do.
    """
    val_fraction = _check_fraction(val_fraction)
    if val_split not in VAL_SPLITS:
        raise ValueError(f"val_split must be one of {VAL_SPLITS}, got {val_split!r}")
    seed = _check_count("seed", seed, 0)
    reviews_per_label = _check_count("reviews_per_label", reviews_per_label, 1)
    folder = imdb_folder(cache_dir, origin=origin, reviews_per_label=reviews_per_label)
    mtime = folder.stat().st_mtime
    train_all = _read_split(str(folder), "train", mtime)
    test = _read_split(str(folder), "test", mtime)
    if val_split == "movie":
        train_idx, val_idx = movie_grouped_split(
            train_all.labels, train_all.movie_ids, val_fraction, seed
        )
    else:
        train_idx, val_idx = random_split(train_all.labels, val_fraction, seed)
    rng = np.random.default_rng(seed)
    return ImdbData(
        train=train_all.take(rng.permutation(train_idx)),
        val=train_all.take(rng.permutation(val_idx)),
        test=test,
    )


def _extract_unlabelled(archive: Path, folder: Path, expected: int) -> Path:
    """Extract ``train/unsup`` from ``archive`` into ``folder/train/unsup``, atomically."""
    target = folder / "train" / "unsup"
    tmp = Path(tempfile.mkdtemp(prefix=".unsup-partial-", dir=folder / "train"))
    try:
        n = 0
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                _safe_member_path(member.name)
                if member.isfile() and _UNLABELLED.match(member.name):
                    src = tar.extractfile(member)
                    assert src is not None  # a regular file always has content
                    (tmp / PurePosixPath(member.name).name).write_bytes(src.read())
                    n += 1
        if n != expected:
            raise ImdbDataError(
                f"the archive {archive} holds {n} unlabelled reviews (train/unsup), expected "
                f"{expected}. {_remedy(folder.parent)}"
            )
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.is_dir():  # another process did not win the race: a real error
                raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise ImdbDataError(
            f"the archive {archive} is damaged or truncated ({type(err).__name__}: {err}). "
            + _remedy(folder.parent)
        ) from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@lru_cache(maxsize=2)
def _read_unlabelled(folder: str, mtime: float) -> tuple[str, ...]:
    entries = []
    for name in os.listdir(folder):
        match = _REVIEW_FILE.match(name)
        if match:
            entries.append((int(match.group(1)), name))
    texts = []
    for _, name in sorted(entries):
        with open(Path(folder, name), encoding="utf-8") as f:
            texts.append(f.read())
    return tuple(texts)


def drop_copies(split: ImdbSplit, of: Iterable[str]) -> tuple[ImdbSplit, int]:
    """``split`` without the reviews that are byte-for-byte copies of any text in ``of``.

    The official training and test sets share no movie, yet a few dozen reviews appear in
    both under different movie ids (the same text, the same label). A classifier that
    trains on such a copy has seen the answer it is later scored on; dropping the copies
    from the training part, as the copies among the unlabelled reviews are dropped, keeps
    every held-out review unseen.

    Parameters
    ----------
    split : ImdbSplit
        Usually the training part.
    of : iterable of str
        The held-out texts (for example validation + test); not a single string.

    Returns
    -------
    (ImdbSplit, int)
        The split without the copies (order kept) and how many reviews were dropped.

    Raises
    ------
    ValueError
        If ``split`` is not an ImdbSplit or ``of`` is a single string.
    """
    if not isinstance(split, ImdbSplit):
        raise ValueError(f"split must be an ImdbSplit, got {type(split).__name__}")
    if isinstance(of, str):
        raise ValueError("of must be a collection of texts, not a single string")
    held_out = set(of)
    keep = np.array([i for i, text in enumerate(split.texts) if text not in held_out],
                    dtype=np.int64)
    return split.take(keep), len(split) - len(keep)


def load_imdb_unlabelled(
    cache_dir: str | os.PathLike | None = None,
    origin: str = IMDB_URL,
    expected: int = UNLABELLED_REVIEWS,
    reviews_per_label: int = REVIEWS_PER_LABEL,
    exclude: Iterable[str] | None = None,
) -> list[str]:
    """The dataset's unlabelled reviews (``train/unsup``), as raw strings in file order.

    Maas et al. (2011, https://aclanthology.org/P11-1015/) ship 50,000 reviews without
    labels for unsupervised learning, such as word vectors. A few hundred of them are
    byte-for-byte copies of labelled reviews, test reviews included: pass the held-out
    texts as ``exclude`` to learn from none of them. They are extracted from the cached
    archive into ``<cache>/aclImdb/train/unsup`` on the first call (about 130 MB, once).

    Parameters
    ----------
    cache_dir : path, optional
        Dataset cache folder; default ``$KERAS_HOME/datasets`` (``~/.keras/datasets``).
    origin : str
        Where to download the archive from when neither it nor the folder is cached.
    expected : int
        How many unlabelled reviews there must be (50,000; smaller only for tests).
    reviews_per_label : int
        As in :func:`load_imdb` (the labelled part is validated too).
    exclude : iterable of str, optional
        Texts (for example the validation and test reviews) whose exact copies are dropped.

    Returns
    -------
    list of str, length ``expected`` minus the excluded copies
        Raw review text, exactly as in the archive, ordered by file number.

    Raises
    ------
    ValueError
        If ``expected`` or ``reviews_per_label`` is not a positive integer.
    ImdbDataError
        When the data cannot be found, downloaded or validated; the message says what to do.
    """
    expected = _check_count("expected", expected, 1)
    reviews_per_label = _check_count("reviews_per_label", reviews_per_label, 1)
    folder = imdb_folder(cache_dir, origin=origin, reviews_per_label=reviews_per_label)
    target = folder / "train" / "unsup"
    if not target.is_dir():
        archive = folder.parent / ARCHIVE_NAME
        if not archive.is_file():
            archive = _download(folder.parent, origin)
        _extract_unlabelled(archive, folder, expected)
    n = sum(1 for name in os.listdir(target) if _REVIEW_FILE.match(name))
    if n != expected:
        raise ImdbDataError(
            f"{target} holds {n} unlabelled reviews, expected {expected}. To fix it: delete "
            f"{target} and call load_imdb_unlabelled() again."
        )
    texts = _read_unlabelled(str(target), target.stat().st_mtime)
    if exclude is None:
        return list(texts)
    if isinstance(exclude, str):
        raise ValueError("exclude must be a collection of texts, not a single string")
    held_out = set(exclude)
    return [text for text in texts if text not in held_out]
