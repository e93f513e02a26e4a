"""Argument checks shared by the package: clear errors instead of deep stack traces."""

from __future__ import annotations

import math
import numbers


def integer(name: str, value, minimum: int = 1) -> int:
    """``value`` as a Python ``int`` (NumPy integers accepted) if it is an integer >= ``minimum``.

    Raises
    ------
    ValueError
        For a bool, a float (even 3.0), a string, None, or an integer below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def positive_finite(name: str, value) -> float:
    """``value`` as a ``float`` if it is a finite number > 0; else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
        math.isfinite(value) and value > 0
    ):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)
