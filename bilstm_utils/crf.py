"""A linear-chain conditional random field (CRF) output layer, written with ``keras.ops``.

A linear-chain CRF (Lafferty, McCallum & Pereira 2001, https://repository.upenn.edu/cis_papers/159/)
scores a whole tag sequence :math:`y_{1..n}` for per-step emission scores :math:`E` (from a
BiLSTM: the BiLSTM-CRF of Huang, Xu & Yu 2015, https://arxiv.org/abs/1508.01991, and
Lample et al. 2016, https://aclanthology.org/N16-1030/):

.. math::

   s(y) = b_{y_1} + \\sum_{t=1}^{n} E_{t, y_t} + \\sum_{t=2}^{n} A_{y_{t-1}, y_t} + e_{y_n},
   \\qquad p(y \\mid x) = \\exp(s(y)) / Z,

with transition matrix :math:`A`, start scores :math:`b` and end scores :math:`e`. The
log-partition :math:`\\log Z` is computed by the forward algorithm and the best sequence by
Viterbi, both in :math:`O(n C^2)`. Masks must be right-padded with a true first step
(``1…1 0…0``), as everywhere in this book.
"""

from __future__ import annotations

import inspect
import itertools

import keras
import numpy as np
from keras import ops

from bilstm_utils import _checks


def _time_major(x):
    return ops.moveaxis(x, 1, 0)


def _as_mask(mask, emissions):
    if mask is None:
        return ops.ones(ops.shape(emissions)[:2], dtype="bool")
    return ops.cast(mask, "bool")


def _concrete(value) -> np.ndarray | None:
    """``value``'s values as a NumPy array when they are known (NumPy, list, eager tensor).

    None for a symbolic tensor inside a traced graph (nothing to check there) and for anything
    that is not an array of numbers (a ``tf.data.Dataset``, a generator...).
    """
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        values = value
    elif isinstance(value, (list, tuple)) or ops.is_tensor(value):
        if keras.backend.backend() == "tensorflow" and ops.is_tensor(value) and not hasattr(
            value, "numpy"
        ):
            return None  # symbolic, inside a traced graph (np.array would warn, then fail)
        try:
            values = np.asarray(ops.convert_to_numpy(value))
        except Exception:  # a symbolic tensor inside a traced graph, a ragged list...
            return None
    else:
        return None
    if values.dtype.kind not in "biuf":
        return None
    return values


def _row(values: np.ndarray) -> str:
    shown = values[:12].astype(int).tolist()
    return str(shown)[:-1] + (", ...]" if len(values) > 12 else "]")


def _check_no_empty_row(mask, what: str = "mask", values=None):
    """Raise ValueError for an all-masked row when the mask's values are known (eager)."""
    values = _concrete(mask) if values is None else values
    if values is None or values.ndim != 2:
        return
    empty = np.flatnonzero(~values.astype(bool).any(axis=1))
    if empty.size:
        raise ValueError(
            "every row needs at least one valid (unmasked) step; got an empty row "
            f"(row {empty[0]} of {what})"
        )


def _check_mask(mask, what: str = "mask"):
    """Raise ValueError when a concrete mask has an empty row or is not right-padded.

    The forward algorithm, the sequence score and Viterbi start every row at step 0 and end it
    at step ``length - 1``: a left-padded row (``0…0 1…1``, e.g. from
    ``keras.utils.pad_sequences``' default ``padding="pre"``) or a row with holes would give a
    wrong answer without any error. A symbolic mask (inside a traced graph) is not checked.
    """
    values = _concrete(mask)
    if values is None or values.ndim != 2:
        return
    values = values.astype(bool)
    _check_no_empty_row(mask, what, values)
    lengths = values.sum(axis=1)
    right = np.arange(values.shape[1])[None, :] < lengths[:, None]
    bad = np.flatnonzero((values != right).any(axis=1))
    if bad.size:
        raise ValueError(
            f"{what} must be right-padded: every row 1…1 0…0 with a true first step (as from "
            f"tagging.windows or pad_sequences(..., padding='post')); row {bad[0]} is "
            f"{_row(values[bad[0]])} (left padding or a hole)"
        )


def _check_tags(tags, mask, n_tags, what: str = "tags"):
    """Raise ValueError when concrete tags are not whole ids in ``[0, n_tags)`` on valid steps.

    ``mask`` None means every step is valid; a symbolic mask or symbolic tags are not checked.
    Tags on masked steps may hold anything (they are not used).
    """
    values = _concrete(tags)
    if values is None or not isinstance(n_tags, (int, np.integer)):
        return
    if mask is None:
        valid = np.ones(values.shape, dtype=bool)
    else:
        valid = _concrete(mask)
        if valid is None:
            return
        if valid.shape != values.shape:
            raise ValueError(
                f"{what} must have the shape of the mask (batch, time) {valid.shape}, got "
                f"{values.shape}"
            )
        valid = valid.astype(bool)
    ids = values[valid]
    if ids.dtype.kind == "f":
        whole = np.isfinite(ids) & (ids == np.round(ids))
        if not whole.all():
            raise ValueError(f"{what} must be whole tag ids, got {ids[~whole][0].item()!r}")
    out = (ids < 0) | (ids >= n_tags)
    if out.any():
        bad = ids[out][0].item()
        raise ValueError(f"{what} must be tag ids in [0, {n_tags}) on the valid steps, got {bad!r}")


def crf_log_partition(emissions, transitions, start, end, mask=None):
    """The log-partition :math:`\\log Z` of a linear-chain CRF, by the forward algorithm.

    .. math::

       \\alpha_1 = b + E_1,\\quad
       \\alpha_t(j) = E_{t,j} + \\log\\sum_i \\exp(\\alpha_{t-1}(i) + A_{ij}),\\quad
       \\log Z = \\log\\sum_j \\exp(\\alpha_n(j) + e_j).

    Parameters
    ----------
    emissions : tensor, shape (batch, time, C)
        Per-step tag scores.
    transitions : tensor, shape (C, C)
        ``transitions[i, j]``: score of tag ``j`` following tag ``i``.
    start, end : tensor, shape (C,)
        Scores of the first and last tag.
    mask : tensor of bool, shape (batch, time), optional
        Right-padded (``1…1 0…0``, first step true); masked steps carry the state unchanged.

    Returns
    -------
    tensor, shape (batch,)

    Raises
    ------
    ValueError
        When the mask is concrete (NumPy or eager) and has an empty row or is not right-padded
        (left padding, holes). Inside a traced graph it is the caller's duty.
    """
    _check_mask(mask)
    mask = _as_mask(mask, emissions)
    em = _time_major(emissions)
    m = _time_major(mask)
    alpha0 = start[None, :] + em[0]

    def step(alpha, inputs):
        e_t, m_t = inputs
        scores = alpha[:, :, None] + transitions[None, :, :]
        new = ops.logsumexp(scores, axis=1) + e_t
        alpha = ops.where(m_t[:, None], new, alpha)
        return alpha, alpha

    alpha, _ = ops.scan(step, alpha0, (em[1:], m[1:]))
    return ops.logsumexp(alpha + end[None, :], axis=1)


def crf_sequence_score(emissions, tags, transitions, start, end, mask=None):
    """The unnormalised score :math:`s(y)` of given tag sequences.

    Parameters
    ----------
    emissions : tensor, shape (batch, time, C)
    tags : tensor of int, shape (batch, time)
        Tag ids (any value on masked steps).
    transitions, start, end, mask
        As in :func:`crf_log_partition`. Every row of ``mask`` must have at least one valid
        step: an empty row (length 0) has no last tag.

    Returns
    -------
    tensor, shape (batch,)

    Raises
    ------
    ValueError
        When the mask is concrete (NumPy or eager) and has an empty row or is not right-padded,
        or when the tags are concrete and, on a valid step, not a whole id in ``[0, C)`` (or
        not of the mask's shape). Inside a traced graph it is the caller's duty.
    """
    _check_mask(mask)
    n_tags = ops.shape(emissions)[-1]
    _check_tags(tags, mask, n_tags)
    mask = _as_mask(mask, emissions)
    m = ops.cast(mask, emissions.dtype)
    one_hot = ops.one_hot(ops.cast(tags, "int32"), n_tags, dtype=emissions.dtype)
    emit = ops.sum(ops.sum(emissions * one_hot, axis=-1) * m, axis=1)
    # transitions between consecutive valid steps: one_hot[t-1]^T A one_hot[t]
    trans = ops.einsum("bti,ij,btj->bt", one_hot[:, :-1], transitions, one_hot[:, 1:])
    trans = ops.sum(trans * m[:, 1:], axis=1)
    first = ops.sum(one_hot[:, 0] * start[None, :], axis=-1)
    lengths = ops.cast(ops.sum(m, axis=1), "int32")
    last_one_hot = ops.take_along_axis(one_hot, (lengths - 1)[:, None, None], axis=1)[:, 0]
    last = ops.sum(last_one_hot * end[None, :], axis=-1)
    return emit + trans + first + last


def crf_log_likelihood(emissions, tags, transitions, start, end, mask=None):
    """:math:`\\log p(y \\mid x) = s(y) - \\log Z`, per sequence (shape (batch,), <= 0).

    Raises ``ValueError`` as :func:`crf_sequence_score` does.
    """
    return crf_sequence_score(emissions, tags, transitions, start, end, mask) - crf_log_partition(
        emissions, transitions, start, end, mask
    )


def viterbi_decode(emissions, transitions, start, end, mask=None):
    """The highest-scoring tag sequence of a linear-chain CRF (Viterbi).

    Parameters
    ----------
    emissions, transitions, start, end, mask
        As in :func:`crf_log_partition`.

    Returns
    -------
    tensor of int32, shape (batch, time)
        The best tags; on masked steps the last valid tag is repeated.

    Raises
    ------
    ValueError
        When the mask is concrete (NumPy or eager) and has an empty row or is not right-padded.
    """
    _check_mask(mask)
    mask = _as_mask(mask, emissions)
    n_tags = ops.shape(emissions)[-1]
    em = _time_major(emissions)
    m = _time_major(mask)
    identity = ops.arange(n_tags, dtype="int32")
    delta0 = start[None, :] + em[0]

    def forward(delta, inputs):
        e_t, m_t = inputs
        scores = delta[:, :, None] + transitions[None, :, :]
        back = ops.cast(ops.argmax(scores, axis=1), "int32")
        new = ops.max(scores, axis=1) + e_t
        delta = ops.where(m_t[:, None], new, delta)
        back = ops.where(m_t[:, None], back, identity[None, :])  # padding keeps the tag
        # keras.ops.scan stacks outputs with the carry's dtype: carry the ids as floats
        return delta, ops.cast(back, delta.dtype)

    delta, backs = ops.scan(forward, delta0, (em[1:], m[1:]))
    backs = ops.cast(backs, "int32")
    last = ops.cast(ops.argmax(delta + end[None, :], axis=1), "int32")

    def backward(tag, back):
        previous = ops.take_along_axis(back, tag[:, None], axis=1)[:, 0]
        return previous, tag

    first, tags_rev = ops.scan(backward, last, ops.flip(backs, axis=0))
    tags = ops.concatenate([first[None, :], ops.flip(tags_rev, axis=0)], axis=0)
    return ops.moveaxis(tags, 0, 1)


def brute_force_log_partition(emissions, transitions, start, end, length=None) -> float:
    """:math:`\\log Z` of one sequence by enumerating all :math:`C^n` tag sequences (NumPy).

    The reference the forward algorithm is checked against; only for tiny ``n`` and ``C``.

    Parameters
    ----------
    emissions : ndarray, shape (time, C)
    transitions : ndarray, shape (C, C)
    start, end : ndarray, shape (C,)
    length : int, optional
        Use only the first ``length`` steps (default: all).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``C ** length`` exceeds one million sequences or ``length`` < 1.
    """
    scores = _all_scores(emissions, transitions, start, end, length)[1]
    top = scores.max()
    return float(top + np.log(np.exp(scores - top).sum()))


def brute_force_best(emissions, transitions, start, end, length=None) -> np.ndarray:
    """The best tag sequence of one sequence by enumeration (NumPy); see
    :func:`brute_force_log_partition`. Returns an int array of shape (length,)."""
    paths, scores = _all_scores(emissions, transitions, start, end, length)
    return np.array(paths[int(np.argmax(scores))])


def _all_scores(emissions, transitions, start, end, length):
    emissions = np.asarray(emissions, dtype=np.float64)
    transitions, start, end = (np.asarray(a, dtype=np.float64) for a in (transitions, start, end))
    n = emissions.shape[0] if length is None else int(length)
    c = emissions.shape[1]
    if n < 1 or c**n > 1_000_000:
        raise ValueError(f"brute force needs 1 <= length and C**length <= 1e6 (C={c}, n={n})")
    paths = list(itertools.product(range(c), repeat=n))
    scores = np.array([
        start[p[0]] + end[p[-1]] + sum(emissions[t, p[t]] for t in range(n))
        + sum(transitions[p[t - 1], p[t]] for t in range(1, n))
        for p in paths
    ])
    return paths, scores


@keras.saving.register_keras_serializable(package="bilstm_utils")
class LinearChainCRF(keras.layers.Layer):
    """Trainable CRF parameters (transitions, start and end scores) with its loss and decoder.

    Calling the layer returns the emissions unchanged (so a model's output stays the per-step
    scores); :meth:`log_likelihood` gives the training objective and :meth:`decode` the Viterbi
    tags. Both compute in the dtype of the CRF's variables (float32, also under the
    ``mixed_float16`` policy, whose float16 emissions are cast up first).

    Parameters
    ----------
    num_tags : int
        Number of tags C (>= 2); NumPy integers are accepted and stored as ``int``.

    Raises
    ------
    ValueError
        If ``num_tags`` is not an integer >= 2 (a bool or a float such as 5.0 is refused).
    """

    def __init__(self, num_tags: int, **kwargs):
        super().__init__(**kwargs)
        self.num_tags = _checks.integer("num_tags", num_tags, 2)
        self.supports_masking = True

    def build(self, input_shape=None):
        init = keras.initializers.RandomUniform(-0.1, 0.1)
        c = self.num_tags
        self.transitions = self.add_weight(shape=(c, c), initializer=init, name="transitions")
        self.start = self.add_weight(shape=(c,), initializer="zeros", name="start")
        self.end = self.add_weight(shape=(c,), initializer="zeros", name="end")

    def call(self, emissions, mask=None):
        return emissions

    def _cast(self, emissions):
        # log_likelihood/log_partition/decode are not `call`, so Keras does not autocast their
        # inputs: float16 emissions (mixed precision) meet the float32 variables here
        return ops.cast(emissions, self.transitions.dtype)

    def log_likelihood(self, emissions, tags, mask=None):
        """Per-sequence :math:`\\log p(y \\mid x)`, shape (batch,), in the variables' dtype.

        Raises ``ValueError`` as :func:`crf_sequence_score` does.
        """
        return crf_log_likelihood(self._cast(emissions), tags, self.transitions, self.start,
                                  self.end, mask)

    def log_partition(self, emissions, mask=None):
        """Per-sequence :math:`\\log Z`, shape (batch,), in the variables' dtype.

        Raises ``ValueError`` as :func:`crf_log_partition` does.
        """
        return crf_log_partition(self._cast(emissions), self.transitions, self.start, self.end,
                                 mask)

    def decode(self, emissions, mask=None):
        """Viterbi tags, int32 of shape (batch, time).

        Raises ``ValueError`` as :func:`viterbi_decode` does.
        """
        return viterbi_decode(self._cast(emissions), self.transitions, self.start, self.end, mask)

    def get_config(self):
        return {**super().get_config(), "num_tags": self.num_tags}


_NO_WEIGHTS = (
    "CRFTagger takes no {}: its loss is the log-likelihood of whole tag sequences, which has "
    "no per-token (or per-class) weights; fit/evaluate it without sample_weight/class_weight"
)


@keras.saving.register_keras_serializable(package="bilstm_utils")
class CRFTagger(keras.Model):
    """An emission network (ids → per-step scores) topped by a :class:`LinearChainCRF`.

    ``fit(x, y)`` minimises the negative log-likelihood per token,
    :math:`-\\sum_b \\log p(y_b \\mid x_b) / \\sum_b n_b`, with the mask taken from
    ``x != 0`` (padding id 0, right-padded). Calling the model gives the emissions;
    ``predict`` (and :meth:`predict_tags`) gives the Viterbi tags. The CRF computes in float32,
    also under the ``mixed_float16`` policy.

    ``fit``, ``evaluate``, ``predict`` and their ``*_on_batch`` forms check concrete inputs
    (NumPy arrays, eager tensors) before Keras sees them; a ``tf.data.Dataset`` or a generator
    is not checked (its batches are symbolic inside the traced step), except for weights:
    ``compute_loss`` refuses any ``sample_weight``.

    Parameters
    ----------
    encoder : keras.Model
        Maps ``(batch, time)`` int ids to ``(batch, time, num_tags)`` scores (no softmax).
    num_tags : int
        Tags C (>= 2); NumPy integers are accepted (e.g. ``y.max() + 1``) and stored as ``int``.

    Raises
    ------
    ValueError
        If ``num_tags`` is not an integer >= 2. From ``fit``/``evaluate``/``predict``: when a
        row of ``x`` is all padding or not right-padded (``x != 0`` must be ``1…1 0…0``, so no
        ``pad_sequences`` default ``padding="pre"``), when ``y`` is not of ``x``'s shape or holds
        a tag outside ``[0, num_tags)`` on a word, and when ``sample_weight`` or
        ``class_weight`` is given (the sequence likelihood takes no per-token weights).
    """

    def __init__(self, encoder: keras.Model, num_tags: int, **kwargs):
        super().__init__(**kwargs)
        num_tags = _checks.integer("num_tags", num_tags, 2)
        self.encoder = encoder
        self.num_tags = num_tags
        self.crf = LinearChainCRF(num_tags, name="crf")

    def call(self, x, training=False):
        return self.crf(self.encoder(x, training=training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if sample_weight is not None:  # also what Keras makes of class_weight
            raise ValueError(_NO_WEIGHTS.format("sample_weight or class_weight"))
        mask = ops.not_equal(x, 0)
        ll = self.crf.log_likelihood(y_pred, y, mask)
        return -ops.sum(ll) / ops.sum(ops.cast(mask, ll.dtype))

    def predict_step(self, data):
        """Viterbi tags (int32, (batch, time)) for a batch: ``predict`` returns tags, not scores."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.crf.decode(self(x, training=False), ops.not_equal(x, 0))

    def _check_data(self, x, y=None):
        """ValueError for concrete ids ``x`` that are not right-padded, or bad concrete tags."""
        ids = _concrete(x) if not isinstance(x, (list, tuple)) else None
        if ids is None or ids.ndim != 2:
            return  # symbolic, a dataset, or not ids at all: Keras or the graph reports it
        mask = ids != 0
        _check_mask(mask, "the mask x != 0")
        if y is not None and not isinstance(y, (list, tuple)):
            _check_tags(y, mask, self.num_tags, "y")

    def _check_arguments(self, method: str, args, kwargs):
        try:
            arguments = inspect.signature(getattr(keras.Model, method)).bind_partial(
                self, *args, **kwargs).arguments
        except TypeError:
            return  # a bad call: Keras reports it
        for name in ("sample_weight", "class_weight"):
            if arguments.get(name) is not None:
                raise ValueError(_NO_WEIGHTS.format(name))
        self._check_data(arguments.get("x"), arguments.get("y"))
        validation = arguments.get("validation_data")
        if isinstance(validation, (list, tuple)) and 2 <= len(validation) <= 3:
            if len(validation) == 3 and validation[2] is not None:
                raise ValueError(_NO_WEIGHTS.format("sample_weight (in validation_data)"))
            self._check_data(validation[0], validation[1])

    def fit(self, *args, **kwargs):
        """``keras.Model.fit``, after checking concrete ``x``, ``y`` and ``validation_data``.

        Raises
        ------
        ValueError
            See the class docstring (padding of ``x``, tag range of ``y``, weights).
        """
        self._check_arguments("fit", args, kwargs)
        return super().fit(*args, **kwargs)

    def evaluate(self, *args, **kwargs):
        """``keras.Model.evaluate``, after checking concrete ``x`` and ``y``.

        Raises
        ------
        ValueError
            See the class docstring (padding of ``x``, tag range of ``y``, weights).
        """
        self._check_arguments("evaluate", args, kwargs)
        return super().evaluate(*args, **kwargs)

    def predict(self, *args, **kwargs):
        """``keras.Model.predict`` (Viterbi tags), after checking concrete ``x``.

        Raises
        ------
        ValueError
            When a row of a concrete ``x`` is all padding or not right-padded.
        """
        self._check_arguments("predict", args, kwargs)
        return super().predict(*args, **kwargs)

    def train_on_batch(self, *args, **kwargs):
        """``keras.Model.train_on_batch``, with the checks of :meth:`fit`."""
        self._check_arguments("train_on_batch", args, kwargs)
        return super().train_on_batch(*args, **kwargs)

    def test_on_batch(self, *args, **kwargs):
        """``keras.Model.test_on_batch``, with the checks of :meth:`evaluate`."""
        self._check_arguments("test_on_batch", args, kwargs)
        return super().test_on_batch(*args, **kwargs)

    def predict_on_batch(self, *args, **kwargs):
        """``keras.Model.predict_on_batch``, with the checks of :meth:`predict`."""
        self._check_arguments("predict_on_batch", args, kwargs)
        return super().predict_on_batch(*args, **kwargs)

    def predict_tags(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Viterbi tags for int ids ``x`` of shape (n, time); returns int32 (n, time).

        Raises
        ------
        ValueError
            When a row of ``x`` is all padding (id 0) or ``x`` is not right-padded.
        """
        return np.asarray(self.predict(x, batch_size=batch_size, verbose=0), dtype=np.int32)

    def get_config(self):
        return {
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "num_tags": self.num_tags,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        return cls(encoder=encoder, **config)
