"""Tree aggregation: Ray actors between the rollout workers and the learner (RLlib 1.x ``execution/tree_agg.py``).

With ``num_aggregation_workers = k > 0`` the remote rollout workers are dealt round-robin into
``k`` groups; each group gets an :class:`AggregatorWorker` actor that gathers its workers'
batches asynchronously, forwards the latest weights to the worker each batch came from, mixes in
replay, concatenates to ``train_batch_size`` and hands the train batches on. The driver then
gathers from the ``k`` aggregators only, so the concatenation and replay work leaves the
trainer's process. Inside an aggregator::

    from_actors(group).gather_async(num_async) -> zip_with_source_actor -> forward weights
    -> count fresh steps -> MixInReplay(num_slots, replay_proportion) -> flatten
    -> ConcatBatches(train_batch_size)

Each item an aggregator yields is ``(train_batch, env_steps, agent_steps)``: the steps newly
sampled into that train batch (replayed rows excluded), which the driver adds to
``num_steps_sampled`` / ``num_agent_steps_sampled``. (RLlib 1.x counted the whole train batch,
replay included, as sampled.) Each aggregator reserves one CPU, as in RLlib.

Examples:
    >>> sorted(AGGREGATOR_KEYS)
    ['max_sample_requests_in_flight_per_worker', 'replay_buffer_num_slots', 'replay_proportion', 'train_batch_size']
"""

from __future__ import annotations

import platform
from typing import Any, Dict, List, Mapping, Optional, Tuple

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.creation import from_actors
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import MetricsContext
from rlcore.dataflow.worker import ParallelIteratorWorker
from rlcore.ops.common import AGENT_STEPS_SAMPLED_COUNTER, STEPS_SAMPLED_COUNTER, _get_shared_metrics, agent_steps
from rlcore.ops.mix_in_replay import MixInReplay
from rlcore.ops.rollout import ConcatBatches

__all__ = ["AggregatorWorker", "gather_experiences_tree_aggregation", "AGGREGATOR_KEYS", "AGGREGATION_ACTOR"]

AGGREGATION_ACTOR = "aggregation actor"
"""What a failure of an aggregator calls it (``WorkerSet.register_plan_actors``)."""

AGGREGATOR_FAILURE_REMEDY = (
    "set recreate_failed_workers=True or ignore_worker_failures=True to go on: the trainer then rebuilds its "
    "execution plan with new aggregation actors (the rows the dead one had not handed on are lost, never counted)")
"""What the two settings do when an aggregation actor dies (the end of its error message)."""

#: The config keys an aggregator reads (only these are sent to the actors).
AGGREGATOR_KEYS = ("max_sample_requests_in_flight_per_worker", "replay_buffer_num_slots", "replay_proportion",
                   "train_batch_size")

INIT_TIMEOUT_S = 120.0
"""How long the aggregation actors may take to start (a missing CPU shows up here)."""


class AggregatorWorker(ParallelIteratorWorker):
    """An actor that turns its rollout workers' batches into train batches (RLlib's ``AggregatorWorker``).

    Call :meth:`init` with the rollout workers of its group before gathering from it.

    Args:
        config: A dict with :data:`AGGREGATOR_KEYS`.
    """

    def __init__(self, config: Mapping[str, Any]):
        missing = [k for k in AGGREGATOR_KEYS if k not in config]
        if missing:
            raise ValueError(f"AggregatorWorker config: missing keys {missing} (expected {list(AGGREGATOR_KEYS)})")
        self.config = {k: config[k] for k in AGGREGATOR_KEYS}
        self.weights: Any = None
        self.global_vars: Optional[Dict[str, Any]] = None
        self.rollout_group: List[Any] = []

    def init(self, rollout_group: List[Any]) -> None:
        """Starts gathering from ``rollout_group`` (Ray actor handles of rollout workers)."""
        if not rollout_group:
            raise ValueError("AggregatorWorker.init: rollout_group=[]: expected at least one rollout worker")
        self.rollout_group = list(rollout_group)
        config = self.config

        def generator() -> Any:
            fresh = [0, 0]

            def count_fresh(batch: Any) -> Any:
                fresh[0] += batch.count
                fresh[1] += agent_steps(batch)
                return batch

            it = (from_actors(self.rollout_group)
                  .gather_async(num_async=config["max_sample_requests_in_flight_per_worker"])
                  .zip_with_source_actor()
                  .for_each(self._update_worker)
                  .for_each(count_fresh)
                  .for_each(MixInReplay(num_slots=config["replay_buffer_num_slots"],
                                        replay_proportion=config["replay_proportion"]))
                  .flatten()
                  .combine(ConcatBatches(min_batch_size=config["train_batch_size"])))
            for train_batch in it:
                if train_batch is NOT_READY:
                    continue
                item = (train_batch, fresh[0], fresh[1])
                fresh[0] = fresh[1] = 0
                yield item

        ParallelIteratorWorker.__init__(self, generator, repeat=False)

    def _update_worker(self, item: Tuple[Any, Any]) -> Any:
        worker, batch = item
        if self.weights is not None:
            worker.set_weights.remote(self.weights, self.global_vars)
        return batch

    def set_weights(self, weights: Any, global_vars: Optional[Dict[str, Any]] = None) -> None:
        """Keeps the weights to forward to each rollout worker with its next batch."""
        self.weights = weights
        self.global_vars = global_vars

    def get_host(self) -> str:
        return platform.node()

    def whereabouts(self) -> Dict[str, Any]:
        """Where this actor runs: ``{"host", "ip", "pid", "node_id"}`` (named in a failure)."""
        from rlcore.sampling.worker_set import whereabouts

        return whereabouts()


def record_steps_sampled(item: Tuple[Any, int, int]) -> Any:
    """Counts an aggregator's ``(train_batch, env_steps, agent_steps)`` and passes the batch on."""
    batch, env_steps, agent_steps_ = item
    metrics = _get_shared_metrics()
    metrics.counters[STEPS_SAMPLED_COUNTER] += env_steps
    metrics.counters[AGENT_STEPS_SAMPLED_COUNTER] += agent_steps_
    return batch


def gather_experiences_tree_aggregation(workers: Any, config: Mapping[str, Any]) -> LocalIterator[Any]:
    """Train batches from ``num_aggregation_workers`` aggregation actors over the remote workers.

    The actors are killed by the pipeline's stop hook (``Trainer.stop()``, or a plan rebuild
    after a worker failure) and registered with the worker set (kind ``"aggregation actor"``), so
    that the error of a dead one names it. When one dies, the run goes on only with
    ``recreate_failed_workers`` or ``ignore_worker_failures``: the Trainer rebuilds the plan,
    and with it new aggregators over the rollout workers left (as RLlib 1.x's plan rebuild
    did); the batches the dead one held were never handed on, so never counted as sampled.

    Args:
        workers: The ``WorkerSet`` (it must have remote workers).
        config: The trainer config (``num_aggregation_workers`` and :data:`AGGREGATOR_KEYS`).

    Returns:
        A ``LocalIterator`` of train batches, counting ``num_steps_sampled``; ``current_actor``
        is the aggregator each came from (so weights are broadcast to it).

    Raises:
        ValueError: Without remote workers, or with more aggregators than remote workers.
        TimeoutError: When the aggregators do not start (e.g. no free CPU for them).
    """
    import ray

    remote = workers.remote_workers()
    n = config["num_aggregation_workers"]
    if not remote:
        raise ValueError(f"num_aggregation_workers={n!r} needs remote rollout workers (num_workers > 0)")
    if n > len(remote):
        raise ValueError(f"num_aggregation_workers={n!r}: expected a value <= the {len(remote)} remote workers")
    workers.sync_weights()
    actor_cls = ray.remote(num_cpus=1)(AggregatorWorker)
    agg_config = {k: config[k] for k in AGGREGATOR_KEYS}
    aggregators = [actor_cls.remote(agg_config) for _ in range(n)]
    groups = [remote[i::n] for i in range(n)]
    refs = [a.init.remote(g) for a, g in zip(aggregators, groups)]
    ready, _ = ray.wait(refs, num_returns=len(refs), timeout=INIT_TIMEOUT_S)
    if len(ready) < len(refs):
        _kill(aggregators)
        raise TimeoutError(f"{len(refs) - len(ready)} of num_aggregation_workers={n} aggregation actors did not start "
                           f"within {INIT_TIMEOUT_S} s; each reserves 1 CPU (Ray has {ray.available_resources()} free)")
    ray.get(refs, timeout=INIT_TIMEOUT_S)
    workers.register_plan_actors(AGGREGATION_ACTOR, aggregators, AGGREGATOR_FAILURE_REMEDY)
    train_batches = (from_actors(aggregators, name=f"tree_aggregation[aggregators={n}]")
                     .gather_async(num_async=config["max_sample_requests_in_flight_per_worker"])
                     .for_each(record_steps_sampled))

    def kill_aggregators(_: MetricsContext) -> None:
        _kill(aggregators)

    train_batches.shared_metrics.get().stop_hooks.append(kill_aggregators)
    return train_batches


def _kill(actors: List[Any]) -> None:
    import ray

    for actor in actors:
        try:
            ray.kill(actor)
        except ray.exceptions.RayError:  # a handle from an ended Ray session: nothing to kill
            pass
