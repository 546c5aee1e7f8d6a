"""RLlib 1.x import path ``ray.rllib.utils.annotations``: ``override``, ``PublicAPI``, ``DeveloperAPI``.

``@override(Base)`` checks, when the class body runs, that the decorated method's name exists on
``Base`` (a typo'd override fails at import instead of silently never being called);
``@PublicAPI`` and ``@DeveloperAPI`` mark stability levels and return their argument unchanged,
as in RLlib 1.x.

Examples:
    >>> class Base:
    ...     def act(self): return "base"
    >>> class Child(Base):
    ...     @override(Base)
    ...     def act(self): return "child"
    >>> Child().act()
    'child'
    >>> class Typo(Base):
    ...     @override(Base)
    ...     def atc(self): return "never called"
    Traceback (most recent call last):
    ...
    NameError: method atc does not override any method of Base (closest names: ['act'])
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, TypeVar

__all__ = ["DeveloperAPI", "PublicAPI", "override"]

F = TypeVar("F")


def override(cls: type) -> Callable[[F], F]:
    """Decorator: the decorated method must override a method (or attribute) of ``cls``.

    Args:
        cls: The superclass whose method is overridden.

    Raises:
        TypeError: ``cls`` is not a class.
        NameError: (when decorating) the method's name is not an attribute of ``cls``; the
            message names ``cls``'s closest method names.
    """
    if not isinstance(cls, type):
        raise TypeError(f"override(cls={cls!r}): expected the overridden class, e.g. @override(Policy)")

    def check_override(method: F) -> F:
        name = getattr(method, "__name__", None)
        if name is None or not hasattr(cls, name):
            closest = difflib.get_close_matches(str(name), dir(cls), n=3)
            raise NameError(f"method {name} does not override any method of {cls.__name__} (closest names: {closest})")
        return method

    return check_override


def PublicAPI(obj: Any) -> Any:  # noqa: N802 - RLlib 1.x's name
    """Marks ``obj`` as public API (stable across releases); returns it unchanged.

    Examples:
        >>> @PublicAPI
        ... def f(): return 1
        >>> f()
        1
    """
    return obj


def DeveloperAPI(obj: Any) -> Any:  # noqa: N802 - RLlib 1.x's name
    """Marks ``obj`` as developer API (for advanced users, may change); returns it unchanged.

    Examples:
        >>> DeveloperAPI(int) is int
        True
    """
    return obj
