"""Training operators: learn on train batches, or compute and apply gradients, then sync weights.

All are per-item callables for ``.for_each()`` (except :class:`AverageGradients`, which takes the
list a ``.batch(n)`` produces) and write the pipeline's counters and timers (see
:mod:`rlcore.ops.common`):

- :class:`TrainOneStep`: ``batch -> (batch, info)``; learns on the local worker (minibatch SGD
  when asked), counts ``num_steps_trained``, broadcasts weights and global vars;
- :class:`ComputeGradients`: ``batch -> (grads, count)`` on the local worker;
- :class:`AverageGradients`: ``[(grads, count), ...] -> (summed grads, total count)``;
- :class:`ApplyGradients`: ``(grads, count) -> (grads, count)``; applies on the local worker and
  pushes weights to all workers, or only to the one that sent the gradients;
- :class:`UpdateTargetNetwork`: calls ``policy.update_target()`` every ``target_update_freq`` steps.

``info`` (what :class:`TrainOneStep` returns) is per policy: ``{policy_id: {"learner_stats":
{...}, ...other fetches}}``; ``metrics.info["learner"]`` gets ``{policy_id: learner_stats}``.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> grads = LocalIterator(lambda t: iter([([1.0, 2.0], 10), ([3.0, 4.0], 20)]), SharedMetrics())
    >>> grads.batch(2).for_each(AverageGradients()).take(1)
    [([4.0, 6.0], 30)]
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, List, Tuple

import numpy as np

from rlcore.ops.common import (
    AGENT_STEPS_TRAINED_COUNTER,
    APPLY_GRADS_TIMER,
    COMPUTE_GRADS_TIMER,
    LAST_TARGET_UPDATE_TS,
    LEARN_ON_BATCH_TIMER,
    LEARNER_INFO,
    NUM_TARGET_UPDATES,
    NUM_WEIGHT_BROADCASTS,
    STEPS_SAMPLED_COUNTER,
    STEPS_TRAINED_COUNTER,
    STEPS_TRAINED_THIS_ITER_COUNTER,
    WORKER_UPDATE_TIMER,
    SampleBatchType,
    _check_sample_batch_type,
    _get_global_vars,
    _get_shared_metrics,
    agent_steps,
    call_actor,
    custom_metrics_by_policy,
    learner_stats_by_policy,
)
from rlcore.ops.sgd import do_minibatch_sgd

__all__ = ["TrainOneStep", "ComputeGradients", "ApplyGradients", "AverageGradients", "UpdateTargetNetwork"]

logger = logging.getLogger(__name__)


def _check_count(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name}={value!r}: expected an int >= {minimum}")
    return int(value)


def _policy_ids(workers: Any, policies: Iterable[str]) -> List[str]:
    if isinstance(policies, (str, bytes)):
        raise TypeError(f"policies={policies!r}: expected a collection of policy ids, not a string")
    chosen = list(policies or ())
    return chosen or list(workers.local_worker().policies_to_train)


def _sync_weights(workers: Any, policies: List[str]) -> None:
    """Broadcasts the local weights and global vars to every worker, under the ``update`` timer."""
    metrics = _get_shared_metrics()
    global_vars = _get_global_vars()
    if workers.remote_workers():
        with metrics.timers[WORKER_UPDATE_TIMER]:
            workers.sync_weights(policies=policies, global_vars=global_vars)
        metrics.counters[NUM_WEIGHT_BROADCASTS] += 1
    else:
        workers.local_worker().set_global_vars(global_vars)


class TrainOneStep:
    """Learns on one train batch on the local worker, then syncs weights to the remote workers.

    Use with ``.for_each()``: ``batch -> (batch, info)``. With ``num_sgd_iter > 1`` or
    ``sgd_minibatch_size > 0`` it runs :func:`~rlcore.ops.sgd.do_minibatch_sgd` (shuffled
    minibatches, ``num_sgd_iter`` epochs, stats of the last epoch averaged per policy);
    otherwise one ``local_worker().learn_on_batch(batch)``. Then it counts
    ``num_steps_trained`` (and agent steps), times the ``learn`` stage (throughput in rows/s),
    stores ``info["learner"] = {policy_id: learner_stats}`` (and ``info["custom_metrics"]``
    when the learner returned some) and sends the weights with global vars
    ``{"timestep": num_steps_sampled}`` to every remote worker (``update`` timer), also setting
    them on the local worker.

    Args:
        workers: The ``WorkerSet``.
        policies: Policy ids to train and broadcast (default: the local worker's
            ``policies_to_train``).
        num_sgd_iter: Epochs over each train batch (>= 1).
        sgd_minibatch_size: Rows per minibatch (``0``: the whole batch).

    Returns (per call):
        ``(batch, info)`` with ``info = {policy_id: {"learner_stats": {...}, ...}}``.
    """

    def __init__(self, workers: Any, policies: Iterable[str] = (), num_sgd_iter: int = 1, sgd_minibatch_size: int = 0):
        self.workers = workers
        self.policies = _policy_ids(workers, policies)
        self.num_sgd_iter = _check_count("num_sgd_iter", num_sgd_iter, 1)
        self.sgd_minibatch_size = _check_count("sgd_minibatch_size", sgd_minibatch_size, 0)

    def __call__(self, batch: SampleBatchType) -> Tuple[SampleBatchType, dict]:
        _check_sample_batch_type(batch)
        metrics = _get_shared_metrics()
        local = self.workers.local_worker()
        learn_timer = metrics.timers[LEARN_ON_BATCH_TIMER]
        with learn_timer:
            if self.num_sgd_iter > 1 or self.sgd_minibatch_size > 0:
                stats = do_minibatch_sgd(batch, {pid: local.get_policy(pid) for pid in self.policies}, local,
                                         self.num_sgd_iter, self.sgd_minibatch_size)
                from rlcore.sampling.metrics import LEARNER_STATS_KEY

                info = {pid: {LEARNER_STATS_KEY: s} for pid, s in stats.items()}
            else:
                info = local.learn_on_batch(batch)
                stats = learner_stats_by_policy(info, batch)
            learn_timer.push_units_processed(batch.count)
        metrics.info[LEARNER_INFO] = stats
        custom = custom_metrics_by_policy(info)
        if custom:
            metrics.info["custom_metrics"] = custom
        metrics.counters[STEPS_TRAINED_COUNTER] += batch.count
        metrics.counters[STEPS_TRAINED_THIS_ITER_COUNTER] = batch.count
        metrics.counters[AGENT_STEPS_TRAINED_COUNTER] += agent_steps(batch)
        _sync_weights(self.workers, self.policies)
        return batch, info


class ComputeGradients:
    """Computes gradients on the local worker: ``batch -> (grads, count)`` (``.for_each()``).

    Times ``compute_grads`` and stores ``info["learner"] = {policy_id: learner_stats}``.

    Args:
        workers: The ``WorkerSet``.
    """

    def __init__(self, workers: Any):
        self.workers = workers

    def __call__(self, samples: SampleBatchType) -> Tuple[Any, int]:
        _check_sample_batch_type(samples)
        metrics = _get_shared_metrics()
        with metrics.timers[COMPUTE_GRADS_TIMER]:
            grads, info = self.workers.local_worker().compute_gradients(samples)
        metrics.info[LEARNER_INFO] = learner_stats_by_policy(info, samples)
        return grads, samples.count


def _add_grads(a: Any, b: Any) -> Any:
    """Element-wise sum of two gradient structures (lists/tuples of arrays, dicts per policy)."""
    if a is None or b is None:
        if a is None and b is None:
            return None
        raise ValueError("AverageGradients: one gradient is None where another is not")
    if isinstance(a, dict):
        if set(a) != set(b):
            raise ValueError(f"AverageGradients: gradient keys differ: {sorted(a)} vs {sorted(b)}")
        return {k: _add_grads(a[k], b[k]) for k in a}
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise ValueError(f"AverageGradients: gradient lists differ in length: {len(a)} vs {len(b)}")
        return type(a)(_add_grads(x, y) for x, y in zip(a, b))
    return a + b


class AverageGradients:
    """Combines a list of ``(grads, count)`` into ``(summed grads, total count)``.

    Use after ``.batch(n)`` (e.g. A2C's microbatches). As in RLlib the gradients are *summed*
    element-wise, not averaged, so ``n`` microbatches act like one batch of the summed loss.

    Examples:
        >>> import numpy as np
        >>> grads, count = AverageGradients()([([np.ones(2)], 3), ([np.full(2, 2.0)], 5)])
        >>> grads[0].tolist(), count
        ([3.0, 3.0], 8)
    """

    def __call__(self, items: List[Tuple[Any, int]]) -> Tuple[Any, int]:
        if not isinstance(items, (list, tuple)) or not items:
            raise ValueError(f"AverageGradients: expected a non-empty list of (grads, count) from .batch(n), got {items!r:.100}")
        acc, total = None, 0
        for i, item in enumerate(items):
            if not isinstance(item, tuple) or len(item) != 2:
                raise ValueError(f"AverageGradients: item {i} must be a (grads, count) tuple, got {item!r:.100}")
            grads, count = item
            acc = grads if i == 0 else _add_grads(acc, grads)
            total += count
        logger.info("Computing average of %d microbatch gradients (%d samples total)", len(items), total)
        return acc, total


class ApplyGradients:
    """Applies ``(grads, count)`` on the local worker and sends the new weights out (``.for_each()``).

    Counts ``num_steps_trained`` by ``count``, times ``apply_grad`` (throughput in rows/s) and
    sets the global vars on the local worker. With ``update_all`` every remote worker gets the
    weights (``update`` timer); otherwise only ``metrics.current_actor``, the worker whose
    gradients these were (downstream of ``gather_async``, e.g. :func:`~rlcore.ops.rollout.async_gradients`).
    That push is not waited on: a Ray actor runs it before its next sample request.

    Args:
        workers: The ``WorkerSet``.
        policies: Policy ids whose weights are sent (default: ``policies_to_train``).
        update_all: Broadcast to all workers, or update only the source worker.

    Raises:
        ValueError: For an item that is not ``(grads, count)``, or with ``update_all=False`` when
            there are remote workers but no current actor.
    """

    def __init__(self, workers: Any, policies: Iterable[str] = (), update_all: bool = True):
        self.workers = workers
        self.policies = _policy_ids(workers, policies)
        self.update_all = bool(update_all)

    def __call__(self, item: Tuple[Any, int]) -> Tuple[Any, int]:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ValueError(f"ApplyGradients: input must be a tuple of (grads, count), got {item!r:.100}")
        gradients, count = item
        metrics = _get_shared_metrics()
        metrics.counters[STEPS_TRAINED_COUNTER] += count
        metrics.counters[STEPS_TRAINED_THIS_ITER_COUNTER] = count
        metrics.counters[AGENT_STEPS_TRAINED_COUNTER] += count
        local = self.workers.local_worker()
        apply_timer = metrics.timers[APPLY_GRADS_TIMER]
        with apply_timer:
            local.apply_gradients(gradients)
        apply_timer.push_units_processed(count)
        if self.update_all:
            _sync_weights(self.workers, self.policies)
            return item
        global_vars = _get_global_vars()
        local.set_global_vars(global_vars)
        if not self.workers.remote_workers():
            return item  # the local worker computed these gradients and already has the weights
        actor = metrics.current_actor
        if actor is None:
            raise ValueError("ApplyGradients(update_all=False): could not find the actor to update; "
                             "metrics.current_actor must be set (use it downstream of gather_async/async_gradients)")
        with metrics.timers[WORKER_UPDATE_TIMER]:
            call_actor(actor, "set_weights", local.get_weights(self.policies), global_vars)
        return item


class UpdateTargetNetwork:
    """Updates the target networks every ``target_update_freq`` steps (``.for_each()``).

    When the counter (``num_steps_sampled``, or ``num_steps_trained`` with ``by_steps_trained``)
    has grown by more than ``target_update_freq`` since the last update, calls
    ``policy.update_target()`` on the chosen policies of the local worker and bumps
    ``num_target_updates`` / ``last_target_update_ts``. Items pass through unchanged.

    Args:
        workers: The ``WorkerSet``.
        target_update_freq: Steps between updates (>= 0).
        by_steps_trained: Count trained instead of sampled steps.
        policies: Policy ids to update (default: ``policies_to_train``).
    """

    def __init__(self, workers: Any, target_update_freq: int, by_steps_trained: bool = False,
                 policies: Iterable[str] = ()):
        self.workers = workers
        self.target_update_freq = _check_count("target_update_freq", target_update_freq, 0)
        self.policies = _policy_ids(workers, policies)
        self.metric = STEPS_TRAINED_COUNTER if by_steps_trained else STEPS_SAMPLED_COUNTER

    def __call__(self, item: Any) -> Any:
        metrics = _get_shared_metrics()
        cur_ts = metrics.counters[self.metric]
        if cur_ts - metrics.counters[LAST_TARGET_UPDATE_TS] > self.target_update_freq:
            to_update = self.policies
            self.workers.local_worker().foreach_trainable_policy(
                lambda p, pid: pid in to_update and p.update_target())
            metrics.counters[NUM_TARGET_UPDATES] += 1
            metrics.counters[LAST_TARGET_UPDATE_TS] = cur_ts
        return item

