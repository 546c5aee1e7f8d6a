"""RLlib 1.x import path ``ray.rllib.utils.deprecation``: ``deprecation_warning``, ``DEPRECATED_VALUE``.

``DEPRECATED_VALUE`` (``-1``) is the default of config keys that are deprecated, so code can tell
whether the user set them. ``deprecation_warning(old, new, error)`` logs
``"DeprecationWarning: `old` has been deprecated. Use `new` instead. ..."`` on the
``rllib_compat.utils.deprecation`` logger, or raises it: ``error=True`` raises ``ValueError``, an
exception class raises that class. ``renamed_class`` / ``renamed_function`` wrap a renamed
object so that using it under its old name warns first (RLlib 1.x helpers).

Examples:
    >>> deprecation_warning("config['sample_async_mode']", "config['sample_async']", error=True)
    Traceback (most recent call last):
    ...
    ValueError: `config['sample_async_mode']` has been deprecated. Use `config['sample_async']` instead.
    >>> DEPRECATED_VALUE
    -1
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional, Type, Union

__all__ = ["DEPRECATED_VALUE", "deprecation_warning", "renamed_class", "renamed_function"]

logger = logging.getLogger(__name__)

#: Default of a deprecated config key: a value users never set on purpose.
DEPRECATED_VALUE = -1


def deprecation_warning(old: str, new: Optional[str] = None,
                        error: Optional[Union[bool, Type[Exception]]] = None) -> None:
    """Warns (on this module's logger) that ``old`` is deprecated, or raises it.

    Args:
        old: What is deprecated, as users wrote it.
        new: What replaces it (``None``: nothing to name).
        error: ``True`` raises ``ValueError``; an ``Exception`` subclass raises that class;
            otherwise only a warning is logged.

    Raises:
        ValueError: when ``error`` is True.
        Exception: of type ``error`` when it is an exception class.

    Examples:
        >>> deprecation_warning("x", error=KeyError)
        Traceback (most recent call last):
        ...
        KeyError: '`x` has been deprecated.'
    """
    msg = f"`{old}` has been deprecated." + (f" Use `{new}` instead." if new else "")
    if error is True:
        raise ValueError(msg)
    if isinstance(error, type) and issubclass(error, Exception):
        raise error(msg)
    logger.warning("DeprecationWarning: %s This will raise an error in the future!", msg)


def renamed_class(cls: type, old_name: str) -> type:
    """A subclass of ``cls`` whose constructor warns that ``old_name`` is now ``cls``.

    Examples:
        >>> class New:
        ...     def __init__(self, x): self.x = x
        >>> Old = renamed_class(New, "pkg.Old")
        >>> Old(3).x, Old.__name__, issubclass(Old, New)
        (3, 'New', True)
    """

    class DeprecationWrapper(cls):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any):
            deprecation_warning(old_name, f"{cls.__module__}.{cls.__name__}")
            cls.__init__(self, *args, **kwargs)

    DeprecationWrapper.__name__ = cls.__name__
    DeprecationWrapper.__qualname__ = cls.__qualname__
    return DeprecationWrapper


def renamed_function(func: Callable, old_name: str) -> Callable:
    """``func`` wrapped to warn that ``old_name`` is now ``func`` at each call.

    Examples:
        >>> def add(a, b): return a + b
        >>> old_add = renamed_function(add, "pkg.plus")
        >>> old_add(1, 2), old_add.__name__
        (3, 'add')
    """

    def deprecation_wrapper(*args: Any, **kwargs: Any) -> Any:
        deprecation_warning(old_name, f"{func.__module__}.{func.__name__}")
        return func(*args, **kwargs)

    deprecation_wrapper.__name__ = func.__name__
    deprecation_wrapper.__doc__ = func.__doc__
    return deprecation_wrapper
