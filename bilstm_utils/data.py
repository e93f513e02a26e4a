"""The Large Movie Review Dataset (IMDB; Maas et al., 2011), as raw text.

:func:`load_imdb` returns the official 25,000 training reviews, split into a training
and a validation part **grouped by movie**, and the official 25,000 test reviews.

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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

import numpy as np

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
ARCHIVE_NAME = "aclImdb_v1.tar.gz"
FOLDER_NAME = "aclImdb"
REVIEWS_PER_LABEL = 12_500
LABEL_NAMES = ("neg", "pos")  # label 0 and label 1
SPLIT_NAMES = ("train", "test")
VAL_SPLITS = ("movie", "random")

_REVIEW_FILE = re.compile(r"^(\d+)_(\d+)\.txt$")
_MOVIE_ID = re.compile(r"(tt\d+)")
# Members we extract: the labelled reviews, their movie URLs, README and vocabulary.
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


def movie_grouped_split(
    labels: np.ndarray, movie_ids: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a label-balanced validation split that shares no movie with training.

    Movies are visited in a seeded random order. At each step the label that is
    furthest (relatively) from its target ``round(val_fraction * n_label)`` picks the
    next movie that leans towards it, among those whose reviews all still fit under
    both targets. A movie's reviews all go to one side; the result lands within a few
    reviews of the targets (exactly on them for IMDB).

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
    movie_ids : ndarray of str, shape (n,)
    val_fraction : float
        In (0, 1).
    seed : int

    Returns
    -------
    train_index, val_index : ndarray of int64
        Sorted, disjoint, together ``arange(n)``.
    """
    rng = np.random.default_rng(seed)
    movies, inverse = np.unique(movie_ids, return_inverse=True)
    per_movie = np.zeros((len(movies), 2), dtype=np.int64)
    np.add.at(per_movie, (inverse, labels), 1)
    targets = np.round(val_fraction * np.bincount(labels, minlength=2)).astype(np.int64)
    order = rng.permutation(len(movies))
    counts = per_movie[order]  # movies in visiting order
    free = np.ones(len(movies), dtype=bool)
    chosen = np.zeros(len(movies), dtype=bool)
    taken = np.zeros(2, dtype=np.int64)
    while np.any(taken < targets):
        deficit = targets - taken
        fits = free & np.all(counts <= deficit, axis=1)
        if not fits.any():
            break
        need = int(np.argmax(deficit / np.maximum(targets, 1)))
        leaning = fits & (counts[:, need] > counts[:, 1 - need])
        k = int(np.argmax(leaning)) if leaning.any() else int(np.argmax(fits))
        free[k] = False
        chosen[order[k]] = True
        taken += counts[k]
    in_val = chosen[inverse]
    return np.flatnonzero(~in_val), np.flatnonzero(in_val)


def random_split(
    labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a label-stratified random validation split (ignores movies).

    Parameters and returns as in :func:`movie_grouped_split`.
    """
    rng = np.random.default_rng(seed)
    val = []
    for value in (0, 1):
        idx = np.flatnonzero(labels == value)
        val.append(rng.choice(idx, size=int(round(val_fraction * len(idx))), replace=False))
    val_index = np.sort(np.concatenate(val))
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
        Share of the 25,000 training reviews held out for validation, in (0, 1).
    seed : int
        Seeds the validation split and the order of the training and validation reviews.
    val_split : {"movie", "random"}
        ``"movie"`` (default): no movie has reviews in both training and validation,
        as between the official training and test sets. ``"random"``: a
        label-stratified random split, which shares movies and so flatters a model.
    cache_dir : path, optional
        Dataset cache folder; default ``$KERAS_HOME/datasets`` (``~/.keras/datasets``).
    origin : str
        Where to download the archive from when it is not cached.
    reviews_per_label : int
        Expected reviews per label per split (12,500; smaller only for tests).

    Returns
    -------
    ImdbData
        ``train`` (n = 25,000 - n_val), ``val`` (n_val), ``test`` (25,000) splits;
        ``train`` and ``val`` in a seeded random order, ``test`` in file order.

    Raises
    ------
    ValueError
        For a bad argument.
    ImdbDataError
        When the data cannot be found, downloaded or validated; the message says what to do.
    """
    if not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be a number in (0, 1), got {val_fraction!r}")
    if val_split not in VAL_SPLITS:
        raise ValueError(f"val_split must be one of {VAL_SPLITS}, got {val_split!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if reviews_per_label < 1:
        raise ValueError(f"reviews_per_label must be positive, got {reviews_per_label}")
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
