"""Stage labels: name the stage an operator runs in, Beam style (``"concat" >> op``).

A stage is labelled with its function's ``__name__`` (``for_each(double)``); lambdas and
callable objects get poor names (``<lambda>``, the class name). :func:`labeled` wraps any
callable under a chosen name, and operator classes that inherit :class:`Labelable` also accept
``"name" >> op``. The label shows in ``explain()`` and in errors (``ShardError.stage``). The wrapper
forwards every other attribute, so fetch hooks (``on_fetch_start``) keep working.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> class AddOne(Labelable):
    ...     def __call__(self, x):
    ...         return x + 1
    >>> it = LocalIterator(lambda t: iter([1, 2]), SharedMetrics(), name="nums")
    >>> it = it.for_each("increment" >> AddOne()).filter(labeled("positive", lambda x: x > 0))
    >>> list(it)
    [2, 3]
    >>> print(it.explain().splitlines()[2].strip())
    └── for_each(increment)  items=2  time=...ms
"""

from __future__ import annotations

from typing import Any, Callable


class Labeled:
    """A callable that runs ``fn`` under the stage label ``label``.

    Args:
        label: The stage name.
        fn: The per-item function or operator.

    Examples:
        >>> double = labeled("double", lambda x: 2 * x)
        >>> double.__name__, double(4)
        ('double', 8)
    """

    def __init__(self, label: str, fn: Callable[[Any], Any]):
        if not isinstance(label, str) or not label:
            raise ValueError(f"label={label!r}: expected a non-empty str")
        if not callable(fn):
            raise TypeError(f"fn={fn!r}: expected a callable to label")
        self.__name__ = label
        self.fn = fn

    def __call__(self, item: Any) -> Any:
        return self.fn(item)

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not found on the wrapper: forward them (fetch hooks, state).
        if name == "fn":
            raise AttributeError(name)
        return getattr(self.fn, name)

    def __repr__(self) -> str:
        return f"{self.__name__!r} >> {self.fn!r}"


def labeled(label: str, fn: Callable[[Any], Any]) -> Labeled:
    """Returns ``fn`` labelled ``label`` (for functions, which cannot take ``>>``).

    Examples:
        >>> labeled("negate", lambda x: -x)(3)
        -3
    """
    return Labeled(label, fn)


class Labelable:
    """Mixin for operator classes: ``"label" >> op`` returns the labelled operator.

    Examples:
        >>> class Op(Labelable):
        ...     def __call__(self, x):
        ...         return x
        >>> ("mine" >> Op()).__name__
        'mine'
    """

    def __rrshift__(self, label: str) -> Labeled:
        return Labeled(label, self)
