"""Record values for the book's prose with ``myst_nb.glue``, and still work in Colab."""

from __future__ import annotations

from typing import Any

import numpy as np

#: Every value glued in this Python process, by name (also where myst_nb is absent).
GLUED: dict[str, Any] = {}


def plain(value: Any) -> Any:
    """A NumPy scalar or 0-d array as a Python ``bool``/``int``/``float``/``str``; else ``value``.

    ``myst_nb.glue`` stores ``repr(value)``, which for ``np.float64(0.5)`` is the text
    "np.float64(0.5)"; a ``.3f`` format in the prose then fails the build.
    """
    if isinstance(value, np.generic) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value.item()
    return value


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Record ``value`` under ``name`` so the prose can show it with ``{glue:}``.

    In Jupyter Book the value is stored in the notebook's outputs by
    ``myst_nb.glue``. Where ``myst_nb`` is not installed (Colab), the value is
    only kept in :data:`GLUED` (and shown when ``display`` is true).

    Parameters
    ----------
    name : str
        The glue key, a non-empty identifier such as ``"rnn_max_abs_diff"``.
    value : Any
        What to record: a number, a string, a figure, a DataFrame...
    display : bool
        Also show the value in the cell's output.

    Returns
    -------
    Any
        ``value`` (a NumPy scalar or 0-d array as the plain Python number it holds), so
        ``x = glue("x", compute())`` reads naturally.

    Raises
    ------
    ValueError
        If ``name`` is empty or not a valid identifier.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue name must be a non-empty identifier, got {name!r}")
    value = plain(value)
    GLUED[name] = value
    try:
        from myst_nb import glue as myst_glue  # noqa: PLC0415
    except ImportError:
        if display:
            from IPython.display import display as show  # noqa: PLC0415

            show(value)
        return value
    myst_glue(name, value, display=display)
    return value
