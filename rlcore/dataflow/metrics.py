"""The metrics context of a pipeline: counters, timers and info shared by all its operators.

Every :class:`~rlcore.dataflow.LocalIterator` chain holds a :class:`SharedMetrics`, an indirect
reference to one :class:`MetricsContext`. While an operator function runs, that context is the
*current* one of the thread, and :func:`get_metrics` is the only way to reach it. ``union`` re-points
the contexts of the merged chains at one shared context, so counters survive merging; the
children of ``duplicate`` share their parent's.

:class:`TimerStat` is the sliding-window timer RLlib's execution operators use (``mean``,
``push``, ``push_units_processed``, ``mean_throughput``, and ``with timer:`` timing).

Examples:
    >>> from rlcore.dataflow import from_range, get_metrics
    >>> def count(x):
    ...     get_metrics().counters["seen"] += 1
    ...     return x
    >>> it = from_range(4, num_shards=1, backend="inprocess").gather_sync().for_each(count)
    >>> it.take(3)
    [0, 1, 2]
    >>> it.shared_metrics.get().counters["seen"]
    3
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Any, Callable, Iterable



class _Current(threading.local):
    """Per-thread slot holding the context of the operator now running (``None`` outside)."""

    metrics: MetricsContext | None = None


_local = _Current()


class TimerStat:
    """A sliding-window timer: time a block with ``with timer:``, or ``push`` durations.

    Args:
        window_size: How many recent samples ``mean`` and ``mean_throughput`` average over.

    Attributes:
        count: Number of samples pushed so far.

    Examples:
        >>> t = TimerStat(window_size=2)
        >>> t.push(1.0); t.push(2.0); t.push(4.0)
        >>> t.mean, t.count
        (3.0, 3)
        >>> t.push_units_processed(30); t.push_units_processed(60)
        >>> t.mean_units_processed, t.mean_throughput
        (45.0, 15.0)
        >>> with t:
        ...     pass
        >>> t.count
        4
    """

    def __init__(self, window_size: int = 10):
        if not isinstance(window_size, int) or window_size < 1:
            raise ValueError(f"window_size={window_size!r}: expected a positive int")
        self._window_size = window_size
        self._samples: collections.deque[float] = collections.deque(maxlen=window_size)
        self._units_processed: collections.deque[float] = collections.deque(maxlen=window_size)
        self._start_time: float | None = None
        self._total_time = 0.0
        self.count = 0

    def __enter__(self) -> TimerStat:
        if self._start_time is not None:
            raise RuntimeError("TimerStat is already timing a block (nested or concurrent use)")
        self._start_time = time.perf_counter()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        assert self._start_time is not None
        self.push(time.perf_counter() - self._start_time)
        self._start_time = None

    def push(self, time_delta: float) -> None:
        """Adds one duration sample, in seconds."""
        self._samples.append(time_delta)
        self.count += 1
        self._total_time += time_delta

    def push_units_processed(self, n: float) -> None:
        """Records how many units (e.g. env steps) the last timed block processed."""
        self._units_processed.append(n)

    def has_units_processed(self) -> bool:
        """Whether ``push_units_processed`` was ever called (so a throughput is defined)."""
        return len(self._units_processed) > 0

    @property
    def mean(self) -> float:
        """Mean duration over the window, in seconds (0.0 before any sample)."""
        return float(sum(self._samples)) / len(self._samples) if self._samples else 0.0

    @property
    def mean_units_processed(self) -> float:
        """Mean units per pushed block over the window."""
        if not self._units_processed:
            return 0.0
        return float(sum(self._units_processed)) / len(self._units_processed)

    @property
    def mean_throughput(self) -> float:
        """Units per second over the window (0.0 before any timed sample)."""
        time_total = float(sum(self._samples))
        return float(sum(self._units_processed)) / time_total if time_total else 0.0

    @property
    def total_time(self) -> float:
        """Sum of all durations ever pushed, in seconds."""
        return self._total_time

    def __repr__(self) -> str:
        return f"TimerStat(count={self.count}, mean={self.mean:.6f})"


class MetricsContext:
    """The metrics of one pipeline, reachable from its operators through :func:`get_metrics`.

    Attributes:
        counters: ``defaultdict(int)`` of monotonically growing counts.
        timers: ``defaultdict(TimerStat)`` of latency timers.
        info: Free-form values (RLlib keeps learner stats under ``info["learner"]``).
        current_actor: The shard (actor handle or in-process worker) that produced the item now
            flowing, set by ``gather_async``; ``None`` elsewhere.

    Examples:
        >>> m = MetricsContext()
        >>> m.counters["steps"] += 5
        >>> m.info["lr"] = 0.1
        >>> saved = m.save()
        >>> saved
        {'counters': {'steps': 5}, 'info': {'lr': 0.1}, 'timers': None}
        >>> m2 = MetricsContext(); m2.restore(saved); m2.counters["steps"]
        5
    """

    def __init__(self) -> None:
        self.counters: collections.defaultdict[str, int] = collections.defaultdict(int)
        self.timers: collections.defaultdict[str, TimerStat] = collections.defaultdict(TimerStat)
        self.info: dict[str, Any] = {}
        self.current_actor: Any = None
        # Shard failures waiting to be raised to the consumer (see rlcore.dataflow.shard_error).
        self._faults: collections.deque[BaseException] = collections.deque()
        #: ``fn(context)`` run once by :meth:`stop`: releases what the plan owns (a learner
        #: thread, aggregation actors). ``union`` carries them into the merged context.
        self.stop_hooks: list[Callable[[MetricsContext], None]] = []
        #: True while :meth:`stop` runs for a plan rebuild (a hook may then hand what it owns to the
        #: next plan instead of releasing it: Ape-X's replay shards).
        self.rebuilding = False

    def stop(self, rebuilding: bool = False) -> None:
        """Runs the stop hooks, last added first, each once; the first error is raised after all ran.

        The Trainer calls this at ``stop()`` and, with ``rebuilding=True``, before it rebuilds a plan
        after a worker failure.

        Examples:
            >>> m = MetricsContext()
            >>> m.stop_hooks.append(lambda ctx: ctx.counters.update(stopped=1))
            >>> m.stop(); m.stop(); m.counters["stopped"], m.stop_hooks
            (1, [])
        """
        self.rebuilding = rebuilding
        hooks, self.stop_hooks = self.stop_hooks, []
        first_error: BaseException | None = None
        for hook in reversed(hooks):
            try:
                hook(self)
            except Exception as err:  # noqa: BLE001 - every hook runs; the first error is re-raised below
                first_error = first_error or err
        if first_error is not None:
            raise first_error

    def save(self) -> dict[str, Any]:
        """Returns a serializable copy (counters and info; timers are not persisted)."""
        return {"counters": dict(self.counters), "info": dict(self.info), "timers": None}

    def restore(self, values: dict[str, Any]) -> None:
        """Restores the state returned by :meth:`save`."""
        if not isinstance(values, dict) or "counters" not in values or "info" not in values:
            raise ValueError(
                f"values={values!r}: expected the dict returned by MetricsContext.save() "
                "with keys 'counters' and 'info'"
            )
        self.counters.clear()
        self.counters.update(values["counters"])
        self.timers.clear()
        self.info = dict(values["info"])

    def __repr__(self) -> str:
        return f"MetricsContext(counters={dict(self.counters)}, info={self.info})"


class SharedMetrics:
    """An indirect reference to a :class:`MetricsContext`, re-pointable as a group.

    ``union`` creates a ``SharedMetrics`` whose parents are the merged chains' holders and calls
    :meth:`set`, so every chain then writes to one context.

    Args:
        metrics: The context to hold (a new one if omitted).
        parents: Holders to re-point at the same context now and on every later :meth:`set`.

    Examples:
        >>> a, b = SharedMetrics(), SharedMetrics()
        >>> a.get().counters["x"] += 1
        >>> merged = SharedMetrics(parents=[a, b])
        >>> a.get() is b.get() is merged.get()
        True
    """

    __slots__ = ("metrics", "parents")

    def __init__(
        self, metrics: MetricsContext | None = None, parents: Iterable[SharedMetrics] | None = None
    ):
        self.metrics = metrics or MetricsContext()
        self.parents = list(parents or [])
        self.set(self.metrics)

    def set(self, metrics: MetricsContext) -> None:
        """Points this holder and, recursively, its parents at ``metrics`` (stop hooks move along)."""
        if self.metrics is not metrics:
            metrics.stop_hooks.extend(h for h in self.metrics.stop_hooks if h not in metrics.stop_hooks)
            self.metrics.stop_hooks = []
        self.metrics = metrics
        for parent in self.parents:
            parent.set(metrics)

    def get(self) -> MetricsContext:
        """Returns the context currently held."""
        return self.metrics


def get_metrics() -> MetricsContext:
    """Returns the metrics context of the pipeline whose operator is running in this thread.

    This is the only accessor of the current context. It is valid inside a function given to
    ``for_each``/``filter``/``combine`` (or a fetch hook) while it runs.

    Raises:
        ValueError: When called outside an operator function.

    Examples:
        >>> get_metrics()
        Traceback (most recent call last):
        ...
        ValueError: Cannot access context outside an iterator: get_metrics() is only valid inside an operator function while a pipeline runs.
    """
    metrics = _local.metrics
    if metrics is None:
        raise ValueError(
            "Cannot access context outside an iterator: get_metrics() is only valid inside an "
            "operator function while a pipeline runs."
        )
    return metrics


def _swap_current(metrics: MetricsContext | None) -> MetricsContext | None:
    """Makes ``metrics`` the thread's current context and returns the previous one (internal)."""
    prev = _local.metrics
    _local.metrics = metrics
    return prev
