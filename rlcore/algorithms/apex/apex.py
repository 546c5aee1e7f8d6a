"""Ape-X DQN: distributed prioritized replay (RLlib 1.x ``agents/dqn/apex.py``).

Many workers sample with their own constant epsilons and compute the initial priorities of what
they collect; replay shards (Ray actors running the native sum/min trees) store it; a learner
thread trains on what the shards replay and sends the new priorities back to the shard each batch
came from. The plan, top to bottom::

    replay_actors = num_replay_buffer_shards x ApexReplayActor   # 0-CPU actors on the driver's node
    store_op  = parallel_rollouts(async, num_async=2) -> StoreToReplayBuffer(actors=replay_actors)
                -> zip_with_source_actor -> UpdateWorkerWeights(learner, workers, max_weight_sync_delay)
    replay_op = replay(actors=replay_actors, num_async=4) -> before_learn_on_batch
                -> zip_with_source_actor -> Enqueue(learner.inqueue)
    update_op = dequeue(learner.outqueue, check=learner.check_alive) -> UpdateReplayPriorities
                -> UpdateTargetNetwork(workers, target_network_update_freq, by_steps_trained=True)
    concurrently([store_op, replay_op, update_op], async, output_indexes=[2])
        (round_robin with weights calculate_rr_weights(config) + ["*"] when training_intensity is set)
    -> standard_metrics_reporting(selected_workers=the third of the workers with the lowest epsilons)
    -> learner.add_learner_metrics -> ApexMetrics (exploration_infos, replay_shard_0)

``Trainer.stop()`` runs the plan's stop hook: the learner thread is joined and the replay actors
are killed. Without remote workers (``num_workers: 0``) the shards are in-process objects and Ray
is not started; the local worker samples while the learner thread trains.

Examples:
    >>> APEX_DEFAULT_CONFIG["n_step"], APEX_DEFAULT_CONFIG["optimizer"]["num_replay_buffer_shards"]
    (3, 4)
    >>> APEX_DEFAULT_CONFIG["exploration_config"]["type"], APEX_DEFAULT_CONFIG["worker_side_prioritization"]
    ('PerWorkerEpsilonGreedy', True)
    >>> validate_config(merge_apex_config({"optimizer": {"max_weight_sync_delay": 0}}))
    Traceback (most recent call last):
    ...
    ValueError: optimizer.max_weight_sync_delay=0: expected an int >= 1
"""

from __future__ import annotations

import copy
import logging
import platform
import time
from collections import defaultdict
from typing import Any, Dict, List, Optional, Tuple

from rlcore.algorithms.dqn.dqn import DEFAULT_CONFIG as DQN_DEFAULT_CONFIG
from rlcore.algorithms.dqn.dqn import calculate_rr_weights, get_policy_class, td_error_priorities
from rlcore.algorithms.dqn.dqn import validate_config as validate_dqn_config
from rlcore.algorithms.dqn.simple_q import ReplayBufferAccess
from rlcore.algorithms.dqn.dqn_tf_policy import DQNTFPolicy
from rlcore.algorithms.apex.replay_actor import ApexReplayActor
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import MetricsContext
from rlcore.dataflow.shard_backend import is_actor_handle
from rlcore.ops.common import (
    AGENT_STEPS_TRAINED_COUNTER,
    LEARNER_INFO,
    STEPS_TRAINED_COUNTER,
    STEPS_TRAINED_THIS_ITER_COUNTER,
    WORKER_UPDATE_TIMER,
    _get_global_vars,
    _get_shared_metrics,
    agent_steps,
    call_actor,
    learner_stats_by_policy,
)
from rlcore.ops.learner_thread import LearnerThread
from rlcore.trainer import build_trainer
from rlcore.trainer_config import deep_update

logger = logging.getLogger(__name__)

__all__ = ["APEX_DEFAULT_CONFIG", "ApexTrainer", "ApexLearnerThread", "ApexReplayActor", "ApexMetrics",
           "UpdateWorkerWeights", "UpdateReplayPriorities", "create_replay_actors", "execution_plan",
           "merge_apex_config", "validate_config", "validate_apex_keys", "LEARNER_QUEUE_MAX_SIZE", "NUM_WEIGHT_SYNCS"]

#: The name of the replay shards in ``WorkerSet.plan_resources``.
REPLAY_ACTORS = "apex_replay_actors"

#: What a failure of a replay shard calls it (``WorkerSet.register_plan_actors``).
REPLAY_SHARD = "replay shard"

#: What the two settings do when a replay shard dies (the end of its error message).
REPLAY_SHARD_REMEDY = ("set recreate_failed_workers=True to go on with an empty shard in its place (its rows are "
                       "lost); ignore_worker_failures=True does not replace a replay shard")


#: In-queue capacity of the Ape-X learner thread (RLlib 1.x's ``LEARNER_QUEUE_MAX_SIZE``).
LEARNER_QUEUE_MAX_SIZE = 16

#: Counter of weight pushes to single workers (RLlib 1.x's ``"num_weight_syncs"``).
NUM_WEIGHT_SYNCS = "num_weight_syncs"

#: Seconds to wait for a replay shard's answer when reporting (``replay_shard_0``).
STATS_TIMEOUT_S = 60.0

# fmt: off
#: Ape-X's defaults over DQN's (RLlib 1.x values, except ``num_gpus``: see below).
APEX_DEFAULT_CONFIG: Dict[str, Any] = deep_update(copy.deepcopy(DQN_DEFAULT_CONFIG), {
    "optimizer": {
        # Steps a worker samples between two pushes of the learner's weights to it.
        "max_weight_sync_delay": 400,
        # Replay buffer shards (actors); buffer_size and learning_starts are split among them.
        "num_replay_buffer_shards": 4,
        # Report the first shard's debug statistics (num_priority_updates, ...) in info.replay_shard_0.
        "debug": False,
    },
    "n_step": 3,
    # GPUs of the learner. RLlib 1.x's default is 1; rlcore trains on CPU, and reserving a GPU would
    # leave Tune trials pending on a machine without one, so the default is 0 (as IMPALA's).
    "num_gpus": 0,
    "num_workers": 32,
    "buffer_size": 2000000,
    # Place all replay shards on the driver's node (the learner reads from them every step).
    "replay_buffer_shards_colocated_with_driver": True,
    "learning_starts": 50000,
    "train_batch_size": 512,
    "rollout_fragment_length": 50,
    "target_network_update_freq": 500000,
    "timesteps_per_iteration": 25000,
    "exploration_config": {"type": "PerWorkerEpsilonGreedy"},
    "worker_side_prioritization": True,
    "min_iter_time_s": 30,
    # If set, fixes the ratio of replayed (and learned-on) to sampled timesteps (round-robin plan);
    # otherwise replay proceeds as fast as possible (async plan).
    "training_intensity": None,
}, True, ["optimizer", "exploration_config"])
# fmt: on


def merge_apex_config(overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """``APEX_DEFAULT_CONFIG`` with ``overrides`` merged over a copy (sub-dicts merged key by key).

    Examples:
        >>> merge_apex_config({"optimizer": {"num_replay_buffer_shards": 1}})["optimizer"]
        {'max_weight_sync_delay': 400, 'num_replay_buffer_shards': 1, 'debug': False}
    """
    return deep_update(copy.deepcopy(APEX_DEFAULT_CONFIG), copy.deepcopy(overrides or {}), True,
                       ["optimizer", "exploration_config"])


def _check_positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r}: expected an int >= 1")


def validate_config(config: Dict[str, Any]) -> None:
    """DQN's checks plus Ape-X's (:func:`validate_apex_keys`).

    Raises:
        ValueError: Naming the key, its value and what was expected.
    """
    validate_apex_keys(config)
    validate_dqn_config(config)


def validate_apex_keys(config: Dict[str, Any]) -> None:
    """Ape-X's own checks, whatever the policy (DQN, or DDPG for Ape-X DDPG): ``num_gpus <= 1``
    (RLlib 1.x) and the ``optimizer`` sharding keys.

    Raises:
        ValueError: Naming the key, its value and what was expected.
    """
    if config["num_gpus"] > 1:
        raise ValueError(f"num_gpus={config['num_gpus']!r}: expected at most 1 (Ape-X has one learner; "
                         "more than one GPU is not supported, as in RLlib 1.x)")
    optimizer = config["optimizer"]
    for key in ("max_weight_sync_delay", "num_replay_buffer_shards"):
        if key not in optimizer:
            raise ValueError(f"optimizer.{key} is missing: expected an int >= 1 (optimizer={optimizer!r})")
        _check_positive_int(f"optimizer.{key}", optimizer[key])


def create_replay_actors(config: Dict[str, Any], remote: bool, indices: Optional[List[int]] = None) -> List[Any]:
    """The ``optimizer.num_replay_buffer_shards`` replay shards of a config (or those at ``indices``).

    Each holds ``buffer_size / shards`` rows and starts replaying after ``learning_starts /
    shards`` steps. As Ray actors (``remote``) they ask for 0 CPUs (RLlib 1.x's ``ReplayActor``),
    and with ``replay_buffer_shards_colocated_with_driver`` they are pinned to this node.

    Args:
        config: A merged Ape-X config.
        remote: Ray actors (True) or in-process objects (False, for ``num_workers: 0``).
        indices: The shards to create (default: all); a shard's seed is ``seed + index``.
    """
    n = config["optimizer"]["num_replay_buffer_shards"]
    indices = list(range(n)) if indices is None else indices
    seed = config.get("seed")
    kwargs = dict(num_shards=n, learning_starts=config["learning_starts"],
                  replay_batch_size=config["train_batch_size"], alpha=config["prioritized_replay_alpha"],
                  beta=config["prioritized_replay_beta"], eps=config["prioritized_replay_eps"],
                  replay_mode=config["multiagent"]["replay_mode"],
                  replay_sequence_length=config.get("replay_sequence_length") or 1,
                  compress_observations=bool(config.get("compress_observations")))
    if not config["prioritized_replay"]:
        kwargs["alpha"] = 0.0  # uniform sampling, all weights 1
    if not remote:
        return [ApexReplayActor(config["buffer_size"], seed=None if seed is None else seed + i, **kwargs)
                for i in indices]
    import ray

    options: Dict[str, Any] = {}
    if config["replay_buffer_shards_colocated_with_driver"]:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(
            node_id=ray.get_runtime_context().get_node_id(), soft=False)
    cls = ApexReplayActor.as_remote(num_cpus=0, **options)
    return [cls.remote(config["buffer_size"], seed=None if seed is None else seed + i, **kwargs) for i in indices]


def _replay_actors_for(workers: Any, config: Dict[str, Any]) -> List[Any]:
    """A plan's replay shards: new ones, or after a worker failure those of the plan it replaces
    (their buffers kept), any shard that died meanwhile recreated empty when
    ``recreate_failed_workers`` is set.

    Raises:
        WorkerFailure: A kept shard died and ``recreate_failed_workers`` is off: names the shard,
            its host and both settings.
    """
    kept = workers.plan_resources.get(REPLAY_ACTORS)
    if not kept:
        return create_replay_actors(config, remote=bool(workers.remote_workers()))
    remote = [i for i, actor in enumerate(kept) if is_actor_handle(actor)]
    if not remote:
        return kept
    import ray

    dead = {}
    for i in remote:
        try:
            ray.get(kept[i].stats.remote(), timeout=STATS_TIMEOUT_S)
        except ray.exceptions.RayActorError as err:
            dead[i] = err
    if not dead:
        return kept
    if not config["recreate_failed_workers"]:
        i, err = next(iter(dead.items()))
        failure = workers.failure_of(err)
        if failure is None:  # a shard list given to plan_resources by hand, never registered
            from rlcore.sampling.worker_set import WorkerFailure

            failure = WorkerFailure(f"{REPLAY_SHARD} {i} of {len(kept)} on unknown host failed ({type(err).__name__}); "
                                    "config['recreate_failed_workers']=False and config['ignore_worker_failures']="
                                    f"{bool(config['ignore_worker_failures'])}: {REPLAY_SHARD_REMEDY}",
                                    i, "unknown host", REPLAY_SHARD)
        raise failure from err
    logger.warning("replay shards %s died; recreating them empty (recreate_failed_workers)", sorted(dead))
    kept = list(kept)
    for i, actor in zip(sorted(dead), create_replay_actors(config, remote=True, indices=sorted(dead))):
        kept[i] = actor
    return kept


class ApexLearnerThread(LearnerThread):
    """IMPALA's :class:`~rlcore.ops.learner_thread.LearnerThread` fed from replay shards.

    In-queue items are ``(replay_actor, MultiAgentBatch)``; each is learned on once, and the
    out-queue gets ``(replay_actor, prio_dict, env_steps, agent_steps, stats)`` with ``prio_dict =
    {policy_id: (batch_indexes, td_error)}`` (empty unless ``prioritized``). The in-queue holds
    :data:`LEARNER_QUEUE_MAX_SIZE` batches; the thread waits for batches without a time limit
    (replay starts only after ``learning_starts``), checking for ``stop()`` between short waits.

    Args:
        local_worker: The worker whose policies learn.
        prioritized: Compute priority updates from the fetches' ``td_error``.
        replay_sequence_length: Rows per replayed sequence (one TD error may stand for a sequence).

    Examples:
        >>> import numpy as np
        >>> from rlcore.data import MultiAgentBatch, SampleBatch
        >>> class Worker:
        ...     def learn_on_batch(self, batch):
        ...         return {"default_policy": {"learner_stats": {"loss": 1.0}, "td_error": np.array([0.5])}}
        >>> learner = ApexLearnerThread(Worker())
        >>> learner.start()
        >>> learner.inqueue.put(("shard", MultiAgentBatch({"default_policy": SampleBatch({"batch_indexes": [3]})}, 1)))
        >>> actor, prio, env_steps, agent_steps, stats = learner.outqueue.get(timeout=10)
        >>> actor, prio, env_steps, stats
        ('shard', {'default_policy': (array([3]), array([0.5]))}, 1, {'default_policy': {'loss': 1.0}})
        >>> learner.stop(); learner.is_alive()
        False
    """

    def __init__(self, local_worker: Any, prioritized: bool = True, replay_sequence_length: int = 1):
        super().__init__(local_worker, minibatch_buffer_size=1, num_sgd_iter=1,
                         learner_queue_size=LEARNER_QUEUE_MAX_SIZE, learner_queue_timeout=float("inf"))
        self.name = "rlcore-apex-learner"
        self.prioritized = bool(prioritized)
        self.replay_sequence_length = int(replay_sequence_length)

    def step(self) -> bool:
        """Learns on the next ``(replay_actor, batch)`` and puts its priority update on ``outqueue``.

        Returns:
            False when the thread was stopped while waiting for a batch, else True.
        """
        t0 = time.perf_counter()
        item, released = self._next_minibatch()
        if item is None:
            return False
        actor, batch = self._take(item, time.perf_counter() - t0)
        t1 = time.perf_counter()
        fetches = self._learn(batch)
        t2 = time.perf_counter()
        self.weights_updated = True
        self.stats = learner_stats_by_policy(fetches, batch)
        prio_dict = td_error_priorities(batch, fetches, self.replay_sequence_length) if self.prioritized else {}
        self.num_steps += 1
        with self._lock:
            self.grad_timer.push(t2 - t1)
            self.learner_queue_size.push(self.inqueue.qsize())
        self._release(item, released)
        self.outqueue.put((actor, prio_dict, batch.count, agent_steps(batch), self.stats))
        return True


def _put(weights: Any, actor: Any) -> Any:
    """One object-store copy of ``weights`` for Ray actors; the weights themselves otherwise."""
    if is_actor_handle(actor):
        import ray

        return ray.put(weights)
    return weights


class UpdateWorkerWeights:
    """Pushes the learner's weights to a worker once it has sampled ``max_weight_sync_delay`` steps
    since its last push (``.for_each()`` after ``zip_with_source_actor``; items pass through).

    The weights are re-read from the local worker only when the learner has updated them since the
    last read (RLlib 1.x: pulling new weights avoids correlated workers). Each push also sends the
    global vars (``{"timestep": num_steps_sampled}``), sets them on the local worker and counts
    ``num_weight_syncs``.

    Args:
        learner_thread: The learner (its ``weights_updated`` flag is read and cleared).
        workers: The ``WorkerSet``.
        max_weight_sync_delay: Sampled steps per worker between pushes (>= 1).

    Examples:
        >>> from rlcore.dataflow import LocalIterator, SharedMetrics
        >>> from rlcore.data import SampleBatch
        >>> class Worker:
        ...     weights = None
        ...     def get_weights(self): return {"w": 1}
        ...     def set_weights(self, weights, global_vars=None): self.weights = weights
        ...     def set_global_vars(self, global_vars): pass
        >>> class Workers:
        ...     local = Worker()
        ...     def local_worker(self): return self.local
        >>> class Learner: weights_updated = True
        >>> remote = Worker()
        >>> op = UpdateWorkerWeights(Learner(), Workers(), max_weight_sync_delay=10)
        >>> items = [(remote, SampleBatch({"obs": [0] * 4}))] * 3
        >>> out = LocalIterator(lambda t: iter(items), SharedMetrics()).for_each(op).take(2)
        >>> remote.weights, op.steps_since_update[remote]
        (None, 8)
        >>> LocalIterator(lambda t: iter(items), SharedMetrics()).for_each(op).take(1) and remote.weights
        {'w': 1}
    """

    def __init__(self, learner_thread: Any, workers: Any, max_weight_sync_delay: int):
        _check_positive_int("max_weight_sync_delay", max_weight_sync_delay)
        self.learner_thread = learner_thread
        self.workers = workers
        self.max_weight_sync_delay = max_weight_sync_delay
        self.steps_since_update: Dict[Any, int] = defaultdict(int)
        self.weights: Any = None

    def __call__(self, item: Tuple[Any, Any]) -> Tuple[Any, Any]:
        actor, batch = item
        self.steps_since_update[actor] += batch.count
        if self.steps_since_update[actor] >= self.max_weight_sync_delay:
            metrics = _get_shared_metrics()
            with metrics.timers[WORKER_UPDATE_TIMER]:
                if self.weights is None or self.learner_thread.weights_updated:
                    self.learner_thread.weights_updated = False
                    self.weights = _put(self.workers.local_worker().get_weights(), actor)
                global_vars = _get_global_vars()
                call_actor(actor, "set_weights", self.weights, global_vars)
            self.workers.local_worker().set_global_vars(global_vars)
            self.steps_since_update[actor] = 0
            metrics.counters[NUM_WEIGHT_SYNCS] += 1
        return item


class UpdateReplayPriorities:
    """Applies a learner step's output (``.for_each()`` after ``dequeue(learner.outqueue)``).

    Sends ``prio_dict`` to the shard the batch came from (``update_priorities``: each row's priority
    becomes ``|td_error| + eps``; not waited on), counts ``num_steps_trained`` (the learner runs
    outside the pipeline) and files the learner stats. Items pass through.

    Args:
        prioritized: Send priority updates (``prioritized_replay``).
    """

    def __init__(self, prioritized: bool = True):
        self.prioritized = bool(prioritized)

    def __call__(self, item: Tuple[Any, Dict[str, Any], int, int, Dict[str, Any]]) -> Any:
        actor, prio_dict, env_steps, agent_steps_, stats = item
        if self.prioritized and prio_dict:
            call_actor(actor, "update_priorities", prio_dict)
        metrics = _get_shared_metrics()
        metrics.counters[STEPS_TRAINED_THIS_ITER_COUNTER] = env_steps
        metrics.counters[STEPS_TRAINED_COUNTER] += env_steps
        metrics.counters[AGENT_STEPS_TRAINED_COUNTER] += agent_steps_
        metrics.info[LEARNER_INFO] = stats
        return item


class ApexMetrics:
    """Adds ``exploration_infos`` (per trainable policy of every worker) and ``replay_shard_0`` (the
    first shard's stats, with ``optimizer.debug`` its debug stats) to ``result["info"]``."""

    def __init__(self, workers: Any, replay_actors: List[Any], debug: bool = False):
        self.workers = workers
        self.replay_actors = replay_actors
        self.debug = bool(debug)

    def __call__(self, result: Dict[str, Any]) -> Dict[str, Any]:
        stats = call_actor(self.replay_actors[0], "stats", self.debug)
        if is_actor_handle(self.replay_actors[0]):
            import ray

            stats = ray.get(stats, timeout=STATS_TIMEOUT_S)
        infos = self.workers.foreach_trainable_policy(lambda p, pid: p.get_exploration_info())
        result.setdefault("info", {}).update(exploration_infos=infos, replay_shard_0=stats)
        return result


def _stop_learner_and_shards(learner: ApexLearnerThread, replay_actors: List[Any], workers: Any) -> Any:
    """The stop hook: joins the learner, counts what it trained that the plan had not read, kills the
    shards (kept for the next plan when the plan is rebuilt after a worker failure)."""

    def stop(metrics: MetricsContext) -> None:
        try:
            learner.stop()
            for _actor, _prio, env_steps, agent_steps_, stats in learner._drain_outqueue():
                metrics.counters[STEPS_TRAINED_COUNTER] += env_steps
                metrics.counters[AGENT_STEPS_TRAINED_COUNTER] += agent_steps_
                metrics.info[LEARNER_INFO] = stats
        finally:
            if not metrics.rebuilding:
                workers.plan_resources.pop(REPLAY_ACTORS, None)
                remote = [a for a in replay_actors if is_actor_handle(a)]
                if remote:
                    import ray

                    for actor in remote:
                        ray.kill(actor)

    return stop


def _set_local_global_vars(workers: Any) -> Any:
    """Without remote workers: the local worker's global vars after each stored batch."""

    def set_global_vars(batch: Any) -> Any:
        workers.local_worker().set_global_vars(_get_global_vars())
        return batch

    return set_global_vars


def execution_plan(workers: Any, config: Dict[str, Any]) -> LocalIterator[Dict[str, Any]]:
    """Ape-X's plan (see the module docstring). The result iterator has ``replay_actors`` and
    ``learner_thread`` attributes."""
    from rlcore.ops.concurrency import Enqueue, concurrently, dequeue
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.replay import StoreToReplayBuffer, replay
    from rlcore.ops.rollout import parallel_rollouts
    from rlcore.ops.train import UpdateTargetNetwork

    remote = workers.remote_workers()
    # the shards outlive plan rebuilds after worker failures (their buffers are kept)
    replay_actors = _replay_actors_for(workers, config)
    workers.plan_resources[REPLAY_ACTORS] = replay_actors
    workers.register_plan_actors(REPLAY_SHARD, replay_actors, REPLAY_SHARD_REMEDY)
    prioritized = bool(config["prioritized_replay"])
    learner = ApexLearnerThread(workers.local_worker(), prioritized=prioritized,
                                replay_sequence_length=config.get("replay_sequence_length") or 1)
    learner.start()
    stop_hook = _stop_learner_and_shards(learner, replay_actors, workers)
    try:
        # (1) Sample, store in a random shard, push weights to workers that sampled enough.
        store_op = (parallel_rollouts(workers, mode="async", num_async=2)
                    .for_each(StoreToReplayBuffer(actors=replay_actors, seed=config.get("seed"))))
        if remote:
            store_op = (store_op.zip_with_source_actor()
                        .for_each(UpdateWorkerWeights(learner, workers, config["optimizer"]["max_weight_sync_delay"])))
        else:
            store_op = store_op.for_each(_set_local_global_vars(workers))

        # (2) Replay from the shards into the learner's in-queue, remembering each batch's shard.
        before_learn = config.get("before_learn_on_batch")
        replay_op = replay(actors=replay_actors, num_async=4)
        if before_learn is not None:
            replay_op = replay_op.for_each(lambda batch: before_learn(batch, workers, config))
        replay_op = replay_op.zip_with_source_actor().for_each(Enqueue(learner.inqueue))

        # (3) Priorities back to the shards; target network by trained steps.
        update_op = (dequeue(learner.outqueue, check=learner.check_alive)
                     .for_each(UpdateReplayPriorities(prioritized))
                     .for_each(UpdateTargetNetwork(workers, config["target_network_update_freq"],
                                                   by_steps_trained=True)))

        if config["training_intensity"]:
            merged_op = concurrently([store_op, replay_op, update_op], mode="round_robin", output_indexes=[2],
                                     round_robin_weights=calculate_rr_weights(config) + ["*"])
        else:
            merged_op = concurrently([store_op, replay_op, update_op], mode="async", output_indexes=[2])

        # Report the episodes of the third of the workers with the lowest epsilons (RLlib 1.x).
        selected_workers = remote[-len(remote) // 3:] if remote else None
        plan = (standard_metrics_reporting(merged_op, workers, config, selected_workers=selected_workers)
                .for_each(learner.add_learner_metrics)
                .for_each(ApexMetrics(workers, replay_actors, config["optimizer"].get("debug", False))))
    except BaseException:
        stop_hook(MetricsContext())
        raise
    plan.shared_metrics.get().stop_hooks.append(stop_hook)
    plan.replay_actors = replay_actors
    plan.learner_thread = learner
    return plan


class _ApexTrainerMixin(ReplayBufferAccess):
    """Tune resources as RLlib 1.x's Ape-X: the driver's bundle also holds one CPU per replay shard
    (the shards themselves are 0-CPU actors placed on the driver's node); and ``replay_actors``."""

    @classmethod
    def default_resource_request(cls, config: Dict[str, Any]) -> Any:
        from rlcore.trainer_resources import TrainerResources

        request = super().default_resource_request(config)
        merged = merge_apex_config(config)
        shards = merged["optimizer"]["num_replay_buffer_shards"]
        _check_positive_int("optimizer.num_replay_buffer_shards", shards)
        view = request.to_json()
        view["cpu"] += shards
        bundles = [dict(b) for b in request.bundles]
        bundles[0]["CPU"] = float(view["cpu"])
        return TrainerResources(bundles, strategy=request.strategy, view=view)

    @property
    def replay_actors(self) -> List[Any]:
        """The running plan's replay shards (empty before the plan exists)."""
        return list(getattr(getattr(self, "train_exec_impl", None), "replay_actors", []))


ApexTrainer = build_trainer(
    name="APEX",
    default_config=APEX_DEFAULT_CONFIG,
    default_policy=DQNTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
    mixins=[_ApexTrainerMixin],
)
