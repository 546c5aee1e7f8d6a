"""The ``NOT_READY`` sentinel: "this iterator has nothing for you yet, ask again".

Non-blocking iterators (async unions, ``gather_async`` polled with a timeout, queue readers such
as ``Dequeue``) yield ``NOT_READY`` instead of blocking. Every operator passes it through
untouched and never hands it to a user function, so a plan can poll several streams in turn.

``NOT_READY`` is a module-level singleton compared with ``is``. For code written against
``ray.util.iter``, its class is also exported as ``_NextValueNotReady``: calling the class returns
the same singleton and ``isinstance(x, _NextValueNotReady)`` keeps working.

Examples:
    >>> from rlcore.dataflow import NOT_READY
    >>> NOT_READY
    NOT_READY
    >>> type(NOT_READY)() is NOT_READY
    True
    >>> import pickle; pickle.loads(pickle.dumps(NOT_READY)) is NOT_READY
    True
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

T = TypeVar("T")
U = TypeVar("U")


class NotReadyType:
    """The type of :data:`NOT_READY`; it has exactly one instance.

    Examples:
        >>> NotReadyType() is NotReadyType()
        True
        >>> bool(NOT_READY)
        False
    """

    _instance: NotReadyType | None = None
    __slots__ = ()

    def __new__(cls) -> NotReadyType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_READY"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        # Pickles by reference to the module attribute, so it stays a singleton across processes.
        return "NOT_READY"


NOT_READY = NotReadyType()
"""The value an iterator yields when it has no item ready (compare with ``is``)."""


def skips_not_ready(fn: Callable[[T], U]) -> Callable[[T], U | NotReadyType]:
    """Wraps a per-item function so that ``NOT_READY`` passes through without calling it.

    Use it around functions given to a custom ``transform`` or to code that walks a stream by
    hand; the built-in operators already pass ``NOT_READY`` through.

    Args:
        fn: A function of one item.

    Returns:
        A function that returns ``NOT_READY`` for ``NOT_READY`` and ``fn(item)`` otherwise.

    Examples:
        >>> double = skips_not_ready(lambda x: 2 * x)
        >>> [double(x) for x in [1, NOT_READY, 3]]
        [2, NOT_READY, 6]
    """

    @functools.wraps(fn)
    def wrapper(item: Any) -> Any:
        if item is NOT_READY:
            return item
        return fn(item)

    return wrapper
