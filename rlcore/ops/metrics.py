"""Reporting operators: cut a training stream into iterations and build RLlib's result dict.

:func:`standard_metrics_reporting` ends every plan::

    train_op.filter(OncePerTimestepsElapsed(config["timesteps_per_iteration"]))
            .filter(OncePerTimeInterval(config["min_iter_time_s"]))
            .for_each(CollectMetrics(workers, min_history=config["metrics_smoothing_episodes"], ...))

so one ``next()`` on the plan pulls training steps until at least ``timesteps_per_iteration``
env steps were sampled and ``min_iter_time_s`` seconds passed since the last report, then
returns one result dict: the episode statistics of :func:`~rlcore.sampling.summarize_episodes`
over the last ``metrics_smoothing_episodes`` episodes, plus ``timesteps_total``,
``agent_timesteps_total``, ``num_healthy_workers``, ``timers`` (``<name>_time_ms``,
``<name>_throughput``) and ``info`` (``learner`` stats per policy and every counter, e.g.
``num_steps_sampled``, ``num_steps_trained``). The Trainer adds ``training_iteration``,
``episodes_total`` and the rest.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> f = OncePerTimestepsElapsed(100)
    >>> def step(x):
    ...     _get_shared_metrics().counters["num_steps_sampled"] += 40
    ...     return x
    >>> LocalIterator(lambda t: iter(range(8)), SharedMetrics()).for_each(step).filter(f).take(8)
    [2, 5]
"""

from __future__ import annotations

import numbers
import time
from typing import Any, Dict, Mapping, Optional, Sequence

from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.ops.common import (
    AGENT_STEPS_SAMPLED_COUNTER,
    STEPS_SAMPLED_COUNTER,
    STEPS_TRAINED_COUNTER,
    _get_shared_metrics,
)

__all__ = ["standard_metrics_reporting", "CollectMetrics", "OncePerTimeInterval", "OncePerTimestepsElapsed"]

#: The config keys :func:`standard_metrics_reporting` reads, with the defaults used when absent.
REPORTING_DEFAULTS: Dict[str, Any] = {
    "timesteps_per_iteration": 0,
    "min_iter_time_s": 0,
    "metrics_smoothing_episodes": 100,
    "collect_metrics_timeout": 180,
}


def _reporting_value(config: Mapping[str, Any], key: str) -> Any:
    value = config.get(key)
    if value is None:
        return REPORTING_DEFAULTS[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"config[{key!r}]={value!r}: expected a number >= 0")
    if key == "metrics_smoothing_episodes" and int(value) != value:
        raise ValueError(f"config[{key!r}]={value!r}: expected an int >= 0")
    return value


def standard_metrics_reporting(train_op: LocalIterator[Any], workers: Any, config: Mapping[str, Any],
                               selected_workers: Optional[Sequence[Any]] = None) -> LocalIterator[Dict[str, Any]]:
    """Turns a training stream into a stream of result dicts, one per training iteration.

    Args:
        train_op: The training stream (its items are ignored).
        workers: The ``WorkerSet`` whose episodes are reported.
        config: Reads ``timesteps_per_iteration``, ``min_iter_time_s``,
            ``metrics_smoothing_episodes`` and ``collect_metrics_timeout`` (defaults in
            :data:`REPORTING_DEFAULTS` when missing or None).
        selected_workers: Report only the episodes of these remote workers (default: all).

    Raises:
        ValueError: For a negative or non-numeric reporting key.
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"config={config!r}: expected a dict")
    return (train_op
            .filter(OncePerTimestepsElapsed(int(_reporting_value(config, "timesteps_per_iteration"))))
            .filter(OncePerTimeInterval(float(_reporting_value(config, "min_iter_time_s"))))
            .for_each(CollectMetrics(
                workers,
                min_history=int(_reporting_value(config, "metrics_smoothing_episodes")),
                timeout_seconds=float(_reporting_value(config, "collect_metrics_timeout")),
                selected_workers=selected_workers)))


class CollectMetrics:
    """Builds the result dict of an iteration (use with ``.for_each()``; its input is ignored).

    Collects new episode metrics from the local worker and the remote (or ``selected``)
    workers without waiting longer than ``timeout_seconds`` (late answers come in the next
    call), summarizes them over a window of at least ``min_history`` episodes, and adds the
    pipeline's counters, timers and info.

    Args:
        workers: The ``WorkerSet``.
        min_history: Smoothing window in episodes (``metrics_smoothing_episodes``).
        timeout_seconds: Longest wait for the remote workers' metrics.
        selected_workers: Remote workers to collect from (default: all, looked up per call so
            recreated workers are included).
        keep_custom_metrics: Report each custom metric's list of values instead of mean/min/max.
    """

    def __init__(self, workers: Any, min_history: int = 100, timeout_seconds: float = 180,
                 selected_workers: Optional[Sequence[Any]] = None, keep_custom_metrics: bool = False):
        from rlcore.sampling.metrics import MetricsWindow

        self.workers = workers
        self.window = MetricsWindow(min_history)
        self.min_history = min_history
        self.timeout_seconds = timeout_seconds
        self.selected_workers = list(selected_workers) if selected_workers else None
        self.keep_custom_metrics = keep_custom_metrics
        self.to_be_collected: list = []

    def __call__(self, _: Any) -> Dict[str, Any]:
        from rlcore.sampling.metrics import collect_episodes

        episodes, self.to_be_collected = collect_episodes(
            self.workers.local_worker(), self.selected_workers or self.workers.remote_workers(),
            self.to_be_collected, timeout_seconds=self.timeout_seconds)
        res = self.window.summarize(episodes, keep_custom_metrics=self.keep_custom_metrics)
        metrics = _get_shared_metrics()
        custom_from_info = metrics.info.pop("custom_metrics", {})
        timers = {}
        for name, timer in metrics.timers.items():
            timers[f"{name}_time_ms"] = round(timer.mean * 1000, 3)
            if timer.has_units_processed():
                timers[f"{name}_throughput"] = round(timer.mean_throughput, 3)
        info = dict(metrics.info)
        info.update(metrics.counters)
        res.update(
            num_healthy_workers=len(self.workers.remote_workers()),
            timesteps_total=metrics.counters[STEPS_SAMPLED_COUNTER],
            agent_timesteps_total=metrics.counters.get(AGENT_STEPS_SAMPLED_COUNTER, 0),
            timers=timers,
            info=info,
        )
        res.setdefault("custom_metrics", {}).update(custom_from_info)
        return res


class OncePerTimeInterval:
    """A filter that passes when more than ``delay`` seconds have passed since it last passed.

    The first item passes; ``delay <= 0`` (or None) always passes.

    Examples:
        >>> f = OncePerTimeInterval(3600)
        >>> f("a"), f("b"), OncePerTimeInterval(0)("c")
        (True, False, True)
    """

    def __init__(self, delay: Optional[float] = None):
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, numbers.Real)):
            raise TypeError(f"delay={delay!r}: expected seconds as a number")
        self.delay = float(delay or 0.0)
        self.last_returned_true: Optional[float] = None

    def __call__(self, item: Any) -> bool:
        if self.delay <= 0.0:
            return True
        now = time.monotonic()
        if self.last_returned_true is None or now - self.last_returned_true > self.delay:
            self.last_returned_true = now
            return True
        return False


class OncePerTimestepsElapsed:
    """A filter that passes when ``delay_steps`` more steps were sampled (or trained) since it last passed.

    ``delay_steps <= 0`` always passes.

    Args:
        delay_steps: Steps between passes.
        by_steps_trained: Count ``num_steps_trained`` instead of ``num_steps_sampled``.
    """

    def __init__(self, delay_steps: int, by_steps_trained: bool = False):
        if isinstance(delay_steps, bool) or not isinstance(delay_steps, numbers.Integral):
            raise TypeError(f"delay_steps={delay_steps!r}: expected an int")
        self.delay_steps = int(delay_steps)
        self.last_called = 0
        self.metric = STEPS_TRAINED_COUNTER if by_steps_trained else STEPS_SAMPLED_COUNTER

    def __call__(self, item: Any) -> bool:
        if self.delay_steps <= 0:
            return True
        now = _get_shared_metrics().counters[self.metric]
        if now - self.last_called >= self.delay_steps:
            self.last_called = now
            return True
        return False
