"""Iterators of ``ray.util.iter`` (RLlib 1.x's dataflow module) inside rlcore plans.

RLlib 1.x plans build iterators with ``ray.util.iter`` (``from_range``, ``from_actors``,
``LocalIterator(...)``; Ray 2.60 still ships the module, deprecated) and hand them to execution
operators, or put rlcore operators (``TrainOneStep``...) into their ``for_each``. Two pieces make
such plans run here:

- :func:`as_local_iterator` turns a ``ray.util.iter.LocalIterator`` into an rlcore
  :class:`~rlcore.dataflow.LocalIterator` reading it. Items pass unchanged, Ray's
  ``_NextValueNotReady`` becomes :data:`~rlcore.dataflow.NOT_READY`, a ``union`` may poll it
  without blocking (it is rebuilt with the union's timeout, as Ray's own ``union`` does), and the
  Ray chain's metrics context *is* the rlcore iterator's, re-pointed with it when a ``union``
  merges contexts. Counters written on either side of the boundary land in one place.
- :func:`share_metrics_slot` makes ``ray.util.iter.LocalIterator.get_metrics()`` and
  :func:`~rlcore.dataflow.get_metrics` read one per-thread slot, so an rlcore operator inside a
  Ray ``for_each`` sees the Ray pipeline's context and a 1.x function calling
  ``LocalIterator.get_metrics()`` inside an rlcore stage sees the rlcore one: what 1.x's
  ``LocalIterator.get_metrics()`` returned, the context of the pipeline whose operator runs.
  Ray's stages now restore the slot when their operator returns (they used to leave it set), so
  outside every operator both ``get_metrics()`` raise, as rlcore's always did.

Nothing here imports Ray: a ``ray.util.iter`` object exists only once a program imported it
(:func:`share_metrics_slot` imports it when called without the module; ``rllib_compat`` calls it
as soon as a program imports ``ray.util.iter``).

Limit: a ``for_each`` *of Ray's* does not retry an rlcore operator that answers ``NOT_READY``
(``Enqueue`` on a full queue): the item is passed on as not ready. Apply such operators after
:func:`as_local_iterator`, where rlcore's ``for_each`` retries them.

Examples:
    >>> as_local_iterator([1, 2])
    Traceback (most recent call last):
    ...
    TypeError: iterator=[1, 2]: expected a LocalIterator (rlcore's or ray.util.iter's), got list
"""

from __future__ import annotations

import contextlib
import sys
from types import ModuleType
from typing import Any, Iterator

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import SharedMetrics, _local
from rlcore.dataflow.parallel_iterator import ParallelIterator

__all__ = ["as_local_iterator", "share_metrics_slot"]


@contextlib.contextmanager
def _scoped_metrics_context(self: Any) -> Iterator[None]:
    """Ray's ``LocalIterator._metrics_context``, restoring the previous context on exit."""
    prev = _local.metrics
    _local.metrics = self.shared_metrics.get()
    try:
        yield
    finally:
        _local.metrics = prev


def share_metrics_slot(ray_iter: ModuleType | None = None) -> None:
    """Makes ``ray.util.iter``'s per-thread metrics slot rlcore's, set only while a stage runs.

    Ray's stages set their slot around each operator call and never reset it; here they use
    rlcore's slot and restore it on exit (a ``filter`` keeps it set while its generator is
    suspended at a ``yield``, as Ray's does). Items and operator calls of Ray-only pipelines are
    unchanged. Idempotent.

    Args:
        ray_iter: The ``ray.util.iter`` module (imported here if not given).
    """
    if ray_iter is None:
        import ray.util.iter as ray_iter

    ray_iter.LocalIterator.thread_local = _local
    ray_iter.LocalIterator._metrics_context = _scoped_metrics_context


def as_local_iterator(it: Any, what: str = "iterator") -> LocalIterator[Any]:
    """``it`` as an rlcore ``LocalIterator``: itself, or a reader of a ``ray.util.iter`` one.

    Args:
        it: An rlcore ``LocalIterator`` (returned as is) or a ``ray.util.iter.LocalIterator``
            that has not been partly consumed by another reader.
        what: How error messages name ``it`` (e.g. ``"ops[1]"``).

    Returns:
        The rlcore iterator; for a Ray one, named ``ray.util.iter:<its name>``.

    Raises:
        TypeError: For a parallel iterator (gather it first) or anything else.
    """
    if isinstance(it, LocalIterator):
        return it
    ray_iter = sys.modules.get("ray.util.iter")
    if ray_iter is not None and isinstance(it, ray_iter.LocalIterator):
        return _wrap(it)
    if isinstance(it, ParallelIterator) or (ray_iter is not None and isinstance(it, ray_iter.ParallelIterator)):
        raise TypeError(f"{what}={it!r}: a ParallelIterator; gather it first (.gather_sync() or .gather_async())")
    raise TypeError(
        f"{what}={it!r}: expected a LocalIterator (rlcore's or ray.util.iter's), got {type(it).__name__}"
    )


def _wrap(ray_it: Any) -> LocalIterator[Any]:
    share_metrics_slot(sys.modules["ray.util.iter"])
    old = ray_it.shared_metrics.get()
    shared = SharedMetrics(parents=[ray_it.shared_metrics])  # the Ray chain now holds this context
    context = shared.get()
    context.counters.update(old.counters)
    context.timers.update(old.timers)
    context.info.update(old.info)
    return LocalIterator(_RaySource(ray_it, shared), shared, name=f"ray.util.iter:{ray_it.name}")


class _RaySource:
    """Base iterator of a wrapped Ray iterator: pulls it with the pipeline's context current."""

    def __init__(self, ray_it: Any, shared: SharedMetrics):
        self.ray_it = ray_it
        self.shared = shared

    def _ray_iterator(self, timeout: Any) -> Any:
        src = self.ray_it
        if src.built_iterator is not None and timeout == src.timeout:
            return src.built_iterator
        cls = type(src)
        rebuilt = cls(src.base_iterator, src.shared_metrics, src.local_transforms, timeout=timeout, name=src.name)
        return iter(rebuilt)

    def __call__(self, timeout: Any) -> Iterator[Any]:
        not_ready = sys.modules["ray.util.iter"]._NextValueNotReady
        items = self._ray_iterator(timeout)
        slot = _local
        while True:
            prev = slot.metrics
            slot.metrics = self.shared.metrics  # re-read: a union may have re-pointed it
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                slot.metrics = prev
            yield NOT_READY if isinstance(item, not_ready) else item
