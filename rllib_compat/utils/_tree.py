"""The part of ``dm_tree`` RLlib 1.x's utilities relied on, for nests of dicts, lists and tuples.

Leaves are everything that is not a dict, list or tuple. Dicts are walked in sorted key order
(as ``dm_tree`` does), so :func:`flatten` and :func:`unflatten_as` agree on the order.

Examples:
    >>> nest = {"b": (1, 2), "a": [3]}
    >>> flatten(nest)
    [3, 1, 2]
    >>> unflatten_as(nest, [30, 10, 20])
    {'a': [30], 'b': (10, 20)}
    >>> map_structure(lambda x: x * 2, nest)
    {'a': [6], 'b': (2, 4)}
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Sequence

__all__ = ["flatten", "map_structure", "unflatten_as"]


def _is_nest(x: Any) -> bool:
    return isinstance(x, (dict, list, tuple))


def _children(x: Any) -> list:
    return [x[k] for k in sorted(x)] if isinstance(x, dict) else list(x)


def _rebuild(template: Any, children: Sequence[Any]) -> Any:
    if isinstance(template, dict):
        return {k: v for k, v in zip(sorted(template), children)}
    if isinstance(template, tuple) and hasattr(template, "_fields"):  # namedtuple
        return type(template)(*children)
    return type(template)(children)


def flatten(nest: Any) -> List[Any]:
    """The leaves of ``nest`` in order (a leaf alone gives ``[leaf]``)."""
    if not _is_nest(nest):
        return [nest]
    return [leaf for child in _children(nest) for leaf in flatten(child)]


def unflatten_as(template: Any, leaves: Sequence[Any]) -> Any:
    """``leaves`` arranged in the structure of ``template``.

    Raises:
        ValueError: the number of leaves differs from ``template``'s.
    """
    it: Iterator[Any] = iter(leaves)

    def build(t: Any) -> Any:
        if not _is_nest(t):
            return next(it)
        return _rebuild(t, [build(c) for c in _children(t)])

    expected = len(flatten(template))
    if len(leaves) != expected:
        raise ValueError(f"unflatten_as: {len(leaves)} leaves given, the structure has {expected}")
    return build(template)


def map_structure(fn: Callable[[Any], Any], nest: Any) -> Any:
    """``nest`` with ``fn`` applied to every leaf."""
    if not _is_nest(nest):
        return fn(nest)
    return _rebuild(nest, [map_structure(fn, c) for c in _children(nest)])
