"""Argument checks shared by the replay buffers: each raises an error naming the argument."""

from __future__ import annotations

import math
import numbers


def check_int(name: str, value, minimum: int) -> int:
    """Returns ``value`` as an ``int`` if it is an integer ``>= minimum``.

    Examples:
        >>> check_int("capacity", 10, 1)
        10
        >>> check_int("capacity", 0, 1)
        Traceback (most recent call last):
        ...
        ValueError: capacity must be an int >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= {minimum}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_nonneg_float(name: str, value) -> float:
    """Returns ``value`` as a ``float`` if it is a finite real number ``>= 0``.

    Examples:
        >>> check_nonneg_float("alpha", 0.6)
        0.6
        >>> check_nonneg_float("beta", -1)
        Traceback (most recent call last):
        ...
        ValueError: beta must be a finite number >= 0, got -1
    """
    if type(value) is float and 0.0 <= value < math.inf:  # the common case, without the ABC check below
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite number >= 0, got {value!r} ({type(value).__name__})")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_positive_float(name: str, value) -> float:
    """Returns ``value`` as a ``float`` if it is a finite real number ``> 0``.

    Examples:
        >>> check_positive_float("eps", 1e-6)
        1e-06
    """
    value = check_nonneg_float(name, value)
    if value == 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value
