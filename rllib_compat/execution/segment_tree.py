"""RLlib 1.x import path ``ray.rllib.execution.segment_tree``: RLlib's segment-tree surface over
rlcore's compiled trees.

``SegmentTree(capacity, operation)`` with ``reduce(start, end)`` over ``[start, end)`` (``end=None``
means ``capacity``, a negative ``end`` counts from ``capacity``, an empty range gives the neutral
element), ``tree[i] = v`` and ``tree[i]``. ``SumSegmentTree`` adds ``sum(start, end)`` and
``find_prefixsum_idx(prefixsum)``, ``MinSegmentTree`` adds ``min(start, end)``. The leaves live in
:class:`rlcore._backend.SumSegmentTree` / ``MinSegmentTree`` (``operation`` may be
``operator.add``, ``min`` or ``max``; max is a min tree over negated values). Unlike RLlib,
``capacity`` need not be a power of two, and bad input raises ``ValueError``/``IndexError``
instead of failing an ``assert``.

Examples:
    >>> from rllib_compat.execution.segment_tree import SumSegmentTree, MinSegmentTree
    >>> t = SumSegmentTree(4)
    >>> t[0], t[1], t[2], t[3] = 1.0, 0.0, 2.0, 3.0
    >>> t.sum(), t.sum(0, 3), t.sum(1, -1), t.find_prefixsum_idx(2.5)
    (6.0, 3.0, 2.0, 2)
    >>> m = MinSegmentTree(4)
    >>> m[2] = 5.0
    >>> m.min(), m.min(0, 2)
    (5.0, inf)
"""

from __future__ import annotations

import numbers
import operator
from typing import Any, Callable

import numpy as np

from rlcore import _backend

__all__ = ["SegmentTree", "SumSegmentTree", "MinSegmentTree"]

_NEUTRALS = {operator.add: 0.0, min: float("inf"), max: float("-inf")}


class SegmentTree:
    """A fixed-size array with O(log n) updates and range reduction by ``operation``.

    Args:
        capacity: Number of leaves (an int >= 1).
        operation: ``operator.add``, ``min`` or ``max``.
        neutral_element: ``None`` (derived from the operation) or that same neutral value.
    """

    def __init__(self, capacity: int, operation: Callable[[Any, Any], Any], neutral_element: Any = None) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, numbers.Integral) or capacity < 1:
            raise ValueError(f"capacity must be an int >= 1, got {capacity!r}")
        if operation not in _NEUTRALS:
            raise ValueError(f"operation must be operator.add, min or max (native trees), got {operation!r}")
        neutral = _NEUTRALS[operation]
        if neutral_element is not None and float(neutral_element) != neutral:
            raise ValueError(
                f"neutral_element for {getattr(operation, '__name__', operation)} must be {neutral}, got {neutral_element!r}"
            )
        self.capacity = int(capacity)
        self.operation = operation
        self.neutral_element = neutral
        self._sign = -1.0 if operation is max else 1.0
        self._tree = (_backend.SumSegmentTree if operation is operator.add else _backend.MinSegmentTree)(self.capacity)

    def _check_idx(self, idx: Any) -> int:
        if isinstance(idx, bool) or not isinstance(idx, numbers.Integral):
            raise TypeError(f"idx must be an int, got {idx!r} ({type(idx).__name__})")
        if not 0 <= idx < self.capacity:
            raise IndexError(f"idx {idx} out of range [0, {self.capacity})")
        return int(idx)

    def reduce(self, start: int = 0, end: int | None = None) -> float:
        """``operation`` over leaves ``[start, end)``; the neutral element for an empty range."""
        if end is None:
            end = self.capacity
        elif end < 0:
            end += self.capacity
        if not (0 <= start <= self.capacity and 0 <= end <= self.capacity):
            raise ValueError(f"range [{start}, {end}) is not within [0, {self.capacity}]")
        if start >= end:
            return self.neutral_element
        return self._sign * self._tree.reduce(int(start), int(end))

    def __setitem__(self, idx: int, val: float) -> None:
        self._tree[self._check_idx(idx)] = self._sign * float(val)

    def __getitem__(self, idx: int) -> float:
        return self._sign * self._tree[self._check_idx(idx)]


class SumSegmentTree(SegmentTree):
    """A SegmentTree with ``operation=operator.add``; leaves must be finite and >= 0."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity=capacity, operation=operator.add)

    def sum(self, start: int = 0, end: int | None = None) -> float:
        """Sum over leaves ``[start, end)``."""
        return self.reduce(start, end)

    def find_prefixsum_idx(self, prefixsum):
        """Highest ``i`` with ``sum(leaves[:i]) <= prefixsum`` (never a leaf of zero mass).

        ``prefixsum`` must lie in ``[0, sum() + 1e-5]``. A 1-D array of prefix sums returns an
        int64 array of indices (one batched native call).
        """
        total = self._tree.sum()
        if np.ndim(prefixsum) == 0:
            p = float(prefixsum)
            if not 0 <= p <= total + 1e-5:
                raise ValueError(f"prefixsum must be in [0, sum()={total} + 1e-5], got {prefixsum!r}")
            return int(self._tree.find_prefixsum_idx(np.array([p], np.float64))[0])
        ps = np.ascontiguousarray(prefixsum, np.float64)
        if ps.ndim != 1:
            raise ValueError(f"prefixsum must be a number or a 1-D array, got shape {ps.shape}")
        if len(ps) and (ps.min() < 0 or ps.max() > total + 1e-5):
            raise ValueError(f"every prefixsum must be in [0, sum()={total} + 1e-5]")
        return self._tree.find_prefixsum_idx(ps)


class MinSegmentTree(SegmentTree):
    """A SegmentTree with ``operation=min``; empty leaves are ``inf``."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity=capacity, operation=min)

    def min(self, start: int = 0, end: int | None = None) -> float:
        """Minimum over leaves ``[start, end)``."""
        return self.reduce(start, end)
