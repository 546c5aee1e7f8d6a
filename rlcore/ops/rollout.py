"""Rollout operators: where experience enters a plan, and how it is batched and selected.

Stream creators (functions returning an iterator):

- :func:`parallel_rollouts` ``(workers, mode="bulk_sync"|"async"|"raw")``: sample batches from a
  :class:`~rlcore.sampling.WorkerSet`, counting ``num_steps_sampled``;
- :func:`async_gradients` ``(workers)``: ``(grads, count)`` computed on the remote workers from
  their own samples, in arrival order (A3C).

Per-item operators (callable classes):

- :class:`ConcatBatches` (use with ``.combine()``): buffers batches up to ``min_batch_size`` steps;
- :class:`SelectExperiences` (``.for_each()``): keeps some policies of a MultiAgentBatch;
- :class:`StandardizeFields` (``.for_each()``): standardizes columns such as ``advantages``.

Examples:
    >>> import numpy as np
    >>> from rlcore.data import SampleBatch
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> batches = LocalIterator(lambda t: iter([SampleBatch({"advantages": np.arange(4.0)})] * 5),
    ...                         SharedMetrics(), name="rollouts")
    >>> train_batches = batches.combine(ConcatBatches(min_batch_size=10)).for_each(StandardizeFields(["advantages"]))
    >>> [b.count for b in train_batches]
    [12]
    >>> train_batches
    LocalIterator[rollouts.combine().for_each()]
"""

from __future__ import annotations

import logging
import time
from typing import Any, Iterable, Iterator, List, Literal

from rlcore.data.concat import concat_samples
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.dataflow.creation import from_actors
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import SharedMetrics
from rlcore.ops.common import (
    AGENT_STEPS_SAMPLED_COUNTER,
    GRAD_WAIT_TIMER,
    LEARNER_INFO,
    SAMPLE_TIMER,
    STEPS_SAMPLED_COUNTER,
    SampleBatchType,
    _check_sample_batch_type,
    _get_shared_metrics,
    agent_steps,
    learner_stats_by_policy,
)
from rlcore.ops.sgd import standardized

__all__ = ["parallel_rollouts", "async_gradients", "ConcatBatches", "SelectExperiences", "StandardizeFields"]

logger = logging.getLogger(__name__)

RolloutMode = Literal["bulk_sync", "async", "raw"]
_MODES = ("bulk_sync", "async", "raw")


def report_timesteps(batch: SampleBatchType) -> SampleBatchType:
    """Adds a batch's env and agent steps to ``num_steps_sampled`` / ``num_agent_steps_sampled``."""
    _check_sample_batch_type(batch)
    metrics = _get_shared_metrics()
    metrics.counters[STEPS_SAMPLED_COUNTER] += batch.count
    metrics.counters[AGENT_STEPS_SAMPLED_COUNTER] += agent_steps(batch)
    return batch


def parallel_rollouts(workers: Any, *, mode: RolloutMode = "bulk_sync", num_async: int = 1) -> Any:
    """The experience stream of a plan: sample batches from the workers of a ``WorkerSet``.

    Weights are synced to the remote workers first. Without remote workers the local worker
    samples, one batch per item, in every mode but ``"raw"``.

    Args:
        workers: A :class:`~rlcore.sampling.WorkerSet` (anything with ``local_worker()``,
            ``remote_workers()``, ``sync_weights()`` and ``sample()``).
        mode: ``"bulk_sync"``: each item is one batch from every remote worker, concatenated
            (gathered like ``WorkerSet.sample()``, so a dead worker is replaced when the config
            says ``recreate_failed_workers``); ``"async"``: each worker's batches as they
            arrive (``gather_async``), with ``metrics.current_actor`` set to the source worker
            (a dead worker is not replaced here: the stream raises a ``ShardError`` naming it);
            ``"raw"``: the :class:`~rlcore.dataflow.ParallelIterator` over the remote workers
            (over the local worker when there are none), for the caller to gather and count.
        num_async: Sample requests in flight per worker in ``"async"`` mode.

    Returns:
        A ``LocalIterator`` of batches counting ``num_steps_sampled``, or a ``ParallelIterator``
        for ``"raw"``.

    Raises:
        ValueError: For an unknown ``mode`` or ``num_async < 1``.

    Examples:
        >>> from rlcore.sampling.worker_set import WorkerSet
        >>> from rlcore.policy.random_policy import RandomPolicy
        >>> ws = WorkerSet(env_creator=lambda ctx: __import__("gymnasium").make("CartPole-v1"),
        ...                policy_class=RandomPolicy, trainer_config={"rollout_fragment_length": 5}, num_workers=0)
        >>> rollouts = parallel_rollouts(ws, mode="bulk_sync")
        >>> rollouts
        LocalIterator[parallel_rollouts[bulk_sync, local].for_each()]
        >>> [b.count for b in rollouts.take(2)], rollouts.shared_metrics.get().counters["num_steps_sampled"]
        ([5, 5], 10)
    """
    if mode not in _MODES:
        raise ValueError(f"mode={mode!r}: expected one of {list(_MODES)}")
    if isinstance(num_async, bool) or not isinstance(num_async, int) or num_async < 1:
        raise ValueError(f"num_async={num_async!r}: expected an int >= 1 (sample requests in flight per worker)")
    workers.sync_weights()
    remote = workers.remote_workers()
    if mode == "raw":
        return from_actors(remote or [workers.local_worker()])
    if not remote:

        def sample_locally(timeout: Any = None) -> Iterator[SampleBatchType]:
            local = workers.local_worker()
            while True:
                yield local.sample()

        source = LocalIterator(sample_locally, SharedMetrics(), name=f"parallel_rollouts[{mode}, local]")
        return source.for_each(report_timesteps)
    if mode == "bulk_sync":

        def sample_all(timeout: Any = None) -> Iterator[SampleBatchType]:
            while True:
                batches = workers.sample()
                yield batches[0] if len(batches) == 1 else concat_samples(batches)

        name = f"parallel_rollouts[bulk_sync, workers={len(remote)}]"
        return LocalIterator(sample_all, SharedMetrics(), name=name).for_each(report_timesteps)
    return from_actors(remote).gather_async(num_async=num_async).for_each(report_timesteps)


def _samples_to_grads(samples: SampleBatchType) -> tuple:
    """Runs on a remote rollout worker: its gradients on its own sample, and the sample size."""
    from rlcore.sampling.rollout_worker import get_global_worker

    worker = get_global_worker()
    if worker is None:
        raise RuntimeError("async_gradients: no RolloutWorker in this process (the shards must be rollout workers)")
    grads, info = worker.compute_gradients(samples)
    return (grads, learner_stats_by_policy(info, samples)), samples.count


class _RecordGradMetrics:
    """Counts the steps behind each gradient, files the learner stats and times the wait."""

    def __init__(self) -> None:
        self.fetch_start_time = time.perf_counter()

    def on_fetch_start(self) -> None:
        self.fetch_start_time = time.perf_counter()

    def __call__(self, item: tuple) -> tuple:
        (grads, stats), count = item
        metrics = _get_shared_metrics()
        metrics.counters[STEPS_SAMPLED_COUNTER] += count
        metrics.counters[AGENT_STEPS_SAMPLED_COUNTER] += count
        metrics.info[LEARNER_INFO] = stats
        metrics.timers[GRAD_WAIT_TIMER].push(time.perf_counter() - self.fetch_start_time)
        return grads, count


def async_gradients(workers: Any, *, num_async: int = 1) -> LocalIterator[tuple]:
    """``(grads, count)`` computed by each remote worker on its own samples, as they arrive.

    Each remote rollout worker samples, computes gradients on that sample and sends only the
    gradients; the stream sets ``metrics.current_actor`` to the sender, so
    ``ApplyGradients(workers, update_all=False)`` can send new weights back to it alone (A3C).
    Counts ``num_steps_sampled``, stores learner stats under ``info["learner"]`` and times the
    wait (``grad_wait``). Without remote workers the local worker samples and computes.

    Args:
        workers: A ``WorkerSet``.
        num_async: Requests in flight per worker.
    """
    if isinstance(num_async, bool) or not isinstance(num_async, int) or num_async < 1:
        raise ValueError(f"num_async={num_async!r}: expected an int >= 1")
    workers.sync_weights()
    remote = workers.remote_workers()
    if not remote:

        def grads_locally(timeout: Any = None) -> Iterator[tuple]:
            local = workers.local_worker()
            while True:
                samples = local.sample()
                grads, info = local.compute_gradients(samples)
                yield (grads, learner_stats_by_policy(info, samples)), samples.count

        source = LocalIterator(grads_locally, SharedMetrics(), name="async_gradients[local]")
    else:
        source = from_actors(remote).for_each(_samples_to_grads).gather_async(num_async=num_async)
    return source.for_each(_RecordGradMetrics())


class ConcatBatches:
    """Buffers batches until they hold ``min_batch_size`` steps, then emits their concatenation.

    Use with ``.combine()``: each call returns ``[train_batch]`` or ``[]``. Records the
    ``sample`` timer and its throughput (steps per second). Inside a plan the timer counts only
    the time spent fetching the buffered batches from upstream (it is told when each fetch
    starts), so downstream learning time is not counted as sampling (RLlib timed the whole gap
    between two emitted batches, learning included; that is still the fallback when the
    operator is called outside ``for_each``/``combine``). Empty batches are ignored. More than twice the target is logged (typical with
    ``complete_episodes`` or many workers).

    Args:
        min_batch_size: Steps to collect per train batch (>= 1).
        count_steps_by: ``"env_steps"`` (``batch.count``) or ``"agent_steps"``.

    Examples:
        >>> from rlcore.data import SampleBatch
        >>> from rlcore.dataflow import LocalIterator, SharedMetrics
        >>> rollouts = LocalIterator(lambda t: iter([SampleBatch({"x": [0] * 3})] * 7), SharedMetrics())
        >>> [b.count for b in rollouts.combine(ConcatBatches(min_batch_size=8))]
        [9, 9]
    """

    def __init__(self, min_batch_size: int, count_steps_by: str = "env_steps"):
        if isinstance(min_batch_size, bool) or not isinstance(min_batch_size, int) or min_batch_size < 1:
            raise ValueError(f"min_batch_size={min_batch_size!r}: expected an int >= 1 (steps per train batch)")
        if count_steps_by not in ("env_steps", "agent_steps"):
            raise ValueError(f"count_steps_by={count_steps_by!r}: expected 'env_steps' or 'agent_steps'")
        self.min_batch_size = min_batch_size
        self.count_steps_by = count_steps_by
        self.buffer: List[SampleBatchType] = []
        self.count = 0
        self.last_batch_time = time.perf_counter()
        self._fetch_start: float | None = None
        self._fetch_time = 0.0
        self._hooked = False

    def on_fetch_start(self) -> None:
        """Called by ``for_each``/``combine`` before each upstream fetch (times sampling)."""
        self._hooked = True
        self._fetch_start = time.perf_counter()

    def __call__(self, batch: SampleBatchType) -> List[SampleBatchType]:
        now = time.perf_counter()
        if self._fetch_start is not None:
            self._fetch_time += now - self._fetch_start
            self._fetch_start = None
        _check_sample_batch_type(batch)
        size = batch.count if self.count_steps_by == "env_steps" else agent_steps(batch)
        if size == 0:
            return []
        self.count += size
        self.buffer.append(batch)
        if self.count < self.min_batch_size:
            return []
        if self.count > 2 * self.min_batch_size:
            logger.info(
                "Collected more training samples than expected (actual=%d, expected=%d). This may be because "
                "you have many workers or long episodes in 'complete_episodes' batch mode.",
                self.count, self.min_batch_size)
        out = self.buffer[0] if len(self.buffer) == 1 else concat_samples(self.buffer)
        timer = _get_shared_metrics().timers[SAMPLE_TIMER]
        timer.push(self._fetch_time if self._hooked else now - self.last_batch_time)
        timer.push_units_processed(self.count)
        self.last_batch_time = now
        self._fetch_time = 0.0
        self.buffer = []
        self.count = 0
        return [out]


def _check_names(arg: str, values: Any) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(f"{arg}={values!r}: expected a list of names, not {type(values).__name__}")
    return list(values)


class SelectExperiences:
    """Keeps only the batches of ``policy_ids`` in a MultiAgentBatch (use with ``.for_each()``).

    A plain SampleBatch passes unchanged.

    Args:
        policy_ids: The policy ids to keep (a list, set or tuple).

    Examples:
        >>> from rlcore.data import MultiAgentBatch, SampleBatch
        >>> ma = MultiAgentBatch({"a": SampleBatch({"x": [1]}), "b": SampleBatch({"x": [2]})}, 1)
        >>> SelectExperiences(["a"])(ma)
        MultiAgentBatch({'a': 1}, env_steps=1)
    """

    def __init__(self, policy_ids: Iterable[str]):
        self.policy_ids = _check_names("policy_ids", policy_ids)

    def __call__(self, samples: SampleBatchType) -> SampleBatchType:
        _check_sample_batch_type(samples)
        if isinstance(samples, MultiAgentBatch):
            keep = {k: v for k, v in samples.policy_batches.items() if k in self.policy_ids}
            samples = MultiAgentBatch(keep, samples.count)
        return samples


class StandardizeFields:
    """Standardizes columns in place, per policy batch: ``(x - mean) / max(1e-4, std)``.

    Use with ``.for_each()``. A plain SampleBatch is treated as the default policy's batch.

    Args:
        fields: Column names, e.g. ``["advantages"]``.

    Raises:
        ValueError: When called on a batch lacking one of the columns.

    Examples:
        >>> from rlcore.data import SampleBatch
        >>> StandardizeFields(["adv"])(SampleBatch({"adv": [1.0, 3.0]}))["adv"].tolist()
        [-1.0, 1.0]
    """

    def __init__(self, fields: Iterable[str]):
        self.fields = _check_names("fields", fields)

    def __call__(self, samples: SampleBatchType) -> SampleBatchType:
        _check_sample_batch_type(samples)
        per_policy = samples.policy_batches if isinstance(samples, MultiAgentBatch) else {DEFAULT_POLICY_ID: samples}
        for pid, batch in per_policy.items():
            for field in self.fields:
                if field not in batch:
                    raise ValueError(f"StandardizeFields: column {field!r} is missing from policy {pid!r}'s batch "
                                     f"(columns: {sorted(batch)})")
                batch[field] = standardized(batch[field])
        return samples
