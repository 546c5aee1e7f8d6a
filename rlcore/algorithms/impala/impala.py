"""IMPALA: defaults, config checks, the asynchronous execution plan and the trainer (RLlib 1.x ``agents/impala/impala.py``).

Workers sample continuously; a learner thread trains on whatever arrives; each worker gets the
newest weights back with its next request. The plan, top to bottom::

    gather_async(workers, num_async=max_sample_requests_in_flight_per_worker)  # or tree aggregation
    -> MixInReplay(replay_buffer_num_slots, replay_proportion) -> ConcatBatches(train_batch_size)
    -> Enqueue(learner.inqueue) -> BroadcastUpdateLearnerWeights(broadcast_interval)
    dequeue(learner.outqueue) -> record_steps_trained [-> after_train_step]
    concurrently([enqueue_op, dequeue_op], mode="async", output_indexes=[1])
    -> standard_metrics_reporting -> learner.add_learner_metrics

Counters as in RLlib 1.x: ``num_steps_sampled`` counts new env steps (replayed ones excluded),
``num_steps_trained`` every row learned on, once per pass (``num_sgd_iter`` passes and replayed
rows included). With ``num_workers: 0`` the local worker samples in the trainer's thread while
the learner thread trains its policies. The learner thread and any aggregation actors are
released by ``Trainer.stop()`` (the pipeline's stop hooks).

Examples:
    >>> DEFAULT_CONFIG["vtrace"], DEFAULT_CONFIG["train_batch_size"], DEFAULT_CONFIG["learner_queue_size"]
    (True, 500, 16)
    >>> validate_config(dict(DEFAULT_CONFIG, opt_type="sgd"))
    Traceback (most recent call last):
    ...
    ValueError: opt_type='sgd': expected one of 'adam', 'rmsprop'
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Tuple

import numpy as np

from rlcore.algorithms.impala.defaults import DEFAULT_CONFIG
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import MetricsContext
from rlcore.ops.common import (
    AGENT_STEPS_TRAINED_COUNTER,
    LEARNER_INFO,
    NUM_WEIGHT_BROADCASTS,
    STEPS_TRAINED_COUNTER,
    STEPS_TRAINED_THIS_ITER_COUNTER,
    WORKER_UPDATE_TIMER,
    _get_global_vars,
    _get_shared_metrics,
)
from rlcore.ops.concurrency import Enqueue, concurrently, dequeue
from rlcore.ops.learner_thread import LearnerThread
from rlcore.ops.metrics import standard_metrics_reporting
from rlcore.ops.mix_in_replay import MixInReplay
from rlcore.ops.multi_gpu_learner_thread import MultiGPULearnerThread
from rlcore.ops.rollout import ConcatBatches, parallel_rollouts
from rlcore.ops.tree_agg import gather_experiences_tree_aggregation
from rlcore.trainer import build_trainer

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CONFIG", "ImpalaTrainer", "BroadcastUpdateLearnerWeights", "execution_plan",
           "gather_experiences_directly", "get_policy_class", "make_learner_thread", "record_steps_trained",
           "validate_config"]


_OPT_TYPES = ("adam", "rmsprop")

DEQUEUE_POLL_S = 0.005
"""How long the plan's driver waits on the learner's out-queue when nothing else is ready (remote workers).

The async merge alternates between polling the sample requests (``ray.wait`` without a timeout)
and this wait. With 1 ms (``dequeue``'s default) the driver thread made ~900 ``ray.wait`` calls/s
on CartPole with 2 workers, ~15 % of a core on a 2-core machine where the workers need every cycle;
5 ms cuts that about fivefold. Each worker keeps ``max_sample_requests_in_flight_per_worker``
requests queued, so one noticed up to 5 ms late leaves the worker busy with the next. Without
remote workers the trainer's thread samples itself and the default short wait is kept.
"""


def _check_int(config: Dict[str, Any], key: str, minimum: int) -> None:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key}={value!r}: expected an int >= {minimum}")


def _check_number(config: Dict[str, Any], key: str, *, minimum: float, strict: bool = False,
                  allow_none: bool = False) -> None:
    value = config[key]
    if value is None and allow_none:
        return
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    ok = ok and (value > minimum if strict else value >= minimum)
    if not ok:
        expected = f"a number {'>' if strict else '>='} {minimum}" + (" or None" if allow_none else "")
        raise ValueError(f"{key}={value!r}: expected {expected}")


def validate_config(config: Dict[str, Any]) -> None:
    """Checks IMPALA's keys (RLlib 1.x rules plus range checks); may rewrite deprecated keys.

    Raises:
        ValueError: Naming the key, its value and what was expected.
    """
    if config.get("num_data_loader_buffers") is not None:
        logger.warning("config['num_data_loader_buffers'] is deprecated (RLlib 1.5): use "
                       "config['num_multi_gpu_tower_stacks']")
        config["num_multi_gpu_tower_stacks"] = config["num_data_loader_buffers"]
        config["num_data_loader_buffers"] = None
    _check_number(config, "entropy_coeff", minimum=0.0)
    if config["vtrace"] and not config.get("in_evaluation") and config["batch_mode"] != "truncate_episodes":
        raise ValueError(f"batch_mode={config['batch_mode']!r}: expected 'truncate_episodes' when vtrace=True "
                         "(V-trace needs fixed-length fragments)")
    for key in ("vtrace_clip_rho_threshold", "vtrace_clip_pg_rho_threshold"):
        _check_number(config, key, minimum=0.0, strict=True, allow_none=True)
    for key, minimum in (("train_batch_size", 1), ("minibatch_buffer_size", 1), ("num_sgd_iter", 1),
                         ("replay_buffer_num_slots", 0), ("learner_queue_size", 1),
                         ("max_sample_requests_in_flight_per_worker", 1), ("broadcast_interval", 1),
                         ("num_aggregation_workers", 0), ("num_multi_gpu_tower_stacks", 1)):
        _check_int(config, key, minimum)
    _check_number(config, "learner_queue_timeout", minimum=0.0, strict=True)
    _check_number(config, "replay_proportion", minimum=0.0)
    if config["replay_proportion"] > 0 and config["replay_buffer_num_slots"] == 0:
        raise ValueError(f"replay_proportion={config['replay_proportion']!r} > 0 needs replay_buffer_num_slots > 0, "
                         "got replay_buffer_num_slots=0")
    if config["num_aggregation_workers"] > config["num_workers"]:
        raise ValueError(f"num_aggregation_workers={config['num_aggregation_workers']!r}: expected a value <= "
                         f"num_workers ({config['num_workers']}); each aggregation worker needs rollout workers")
    if config["opt_type"] not in _OPT_TYPES:
        raise ValueError(f"opt_type={config['opt_type']!r}: expected one of 'adam', 'rmsprop'")
    for key in ("decay", "momentum"):
        _check_number(config, key, minimum=0.0)
    _check_number(config, "epsilon", minimum=0.0, strict=True)
    _check_number(config, "grad_clip", minimum=0.0, strict=True, allow_none=True)
    if (config["num_gpus"] > 1 or config["num_multi_gpu_tower_stacks"] > 1) and \
            config["num_multi_gpu_tower_stacks"] < config["minibatch_buffer_size"]:
        raise ValueError(f"num_multi_gpu_tower_stacks={config['num_multi_gpu_tower_stacks']!r}: expected a value >= "
                         f"minibatch_buffer_size ({config['minibatch_buffer_size']}) with the multi-GPU learner")
    if config["after_train_step"] is not None and not callable(config["after_train_step"]):
        raise ValueError(f"after_train_step={config['after_train_step']!r}: expected None or "
                         "fn(workers, config) -> fn(learner info)")


def get_policy_class(config: Dict[str, Any]) -> Any:
    """V-trace policies (``vtrace: True``) or A3C's, for torch or TF (RLlib 1.x's choice; imported on use)."""
    if config.get("framework") == "torch":
        if config["vtrace"]:
            from rlcore.algorithms.impala.vtrace_torch_policy import VTraceTorchPolicy

            return VTraceTorchPolicy
        from rlcore.algorithms.a3c.a3c_torch_policy import A3CTorchPolicy

        return A3CTorchPolicy
    if config["vtrace"]:
        from rlcore.algorithms.impala.vtrace_tf_policy import VTraceTFPolicy

        return VTraceTFPolicy
    from rlcore.algorithms.a3c.a3c_tf_policy import A3CTFPolicy

    return A3CTFPolicy


def make_learner_thread(local_worker: Any, config: Dict[str, Any]) -> LearnerThread:
    """A :class:`MultiGPULearnerThread` when ``num_gpus > 1`` or ``num_multi_gpu_tower_stacks > 1``, else a
    :class:`LearnerThread` (RLlib 1.x's rule; both run on CPU)."""
    if config["num_gpus"] > 1 or config["num_multi_gpu_tower_stacks"] > 1:
        logger.info("Enabling the multi-GPU learner: %s tower stacks, on CPU with one tower",
                    config["num_multi_gpu_tower_stacks"])
        return MultiGPULearnerThread(
            local_worker, num_gpus=config["num_gpus"], lr=config["lr"], train_batch_size=config["train_batch_size"],
            num_multi_gpu_tower_stacks=config["num_multi_gpu_tower_stacks"], num_sgd_iter=config["num_sgd_iter"],
            learner_queue_size=config["learner_queue_size"], learner_queue_timeout=config["learner_queue_timeout"],
            minibatch_buffer_size=config["minibatch_buffer_size"])
    return LearnerThread(local_worker, minibatch_buffer_size=config["minibatch_buffer_size"],
                         num_sgd_iter=config["num_sgd_iter"], learner_queue_size=config["learner_queue_size"],
                         learner_queue_timeout=config["learner_queue_timeout"])


INLINE_WEIGHTS_BYTES = 64 * 1024
"""Weights up to this size are sent by value with each ``set_weights`` call, larger ones as one
``ray.put`` reference (below Ray's own 100 KiB limit for inlining a task argument, so a by-value
argument is never put in the object store by Ray once per call)."""


def _nbytes(value: Any) -> float:
    """Bytes of the arrays in nested dicts/lists/tuples of weights; ``inf`` for anything else unknown."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    if isinstance(value, (int, float, np.generic)) or value is None:
        return 8
    return float("inf")


class BroadcastUpdateLearnerWeights:
    """Sends weights to the worker each train batch came from (``.for_each()`` after ``zip_with_source_actor``).

    The weights sent are refreshed from the local worker (counted in ``num_weight_broadcasts``,
    timed as ``update``) once ``broadcast_interval`` batches have passed and the learner has
    updated them; in between, workers get the last refreshed weights. Every call also sends, and
    sets on the local worker, the global vars ``{"timestep": num_steps_sampled}`` (RLlib 1.x's
    ``BroadcastUpdateLearnerWeights``).

    How a refresh travels: weights over ``INLINE_WEIGHTS_BYTES`` are put in the object store once
    (``ray.put``) and every ``set_weights`` call gets the reference, so no worker causes another
    copy (RLlib 1.x). Smaller weights are sent by value: Ray inlines such arguments into the task
    itself, which is ~5x cheaper on the driver than a ``ray.put`` plus a reference (measured on
    the 2-core machine: 0.2 ms against 1.0-1.7 ms per call for CartPole's [32] network). Both
    send a snapshot: the torch and TF policies' ``get_weights`` return copies.

    Args:
        learner_thread: The learner (its ``weights_updated`` flag is read and cleared).
        workers: The ``WorkerSet``.
        broadcast_interval: Batches between weight refreshes (>= 1).
    """

    def __init__(self, learner_thread: Any, workers: Any, broadcast_interval: int):
        if isinstance(broadcast_interval, bool) or not isinstance(broadcast_interval, int) or broadcast_interval < 1:
            raise ValueError(f"broadcast_interval={broadcast_interval!r}: expected an int >= 1")
        self.learner_thread = learner_thread
        self.workers = workers
        self.broadcast_interval = broadcast_interval
        self.steps_since_broadcast = 0
        self.weights: Any = None

    def __call__(self, item: Tuple[Any, Any]) -> Tuple[Any, Any]:
        import ray

        actor, _ = item
        metrics = _get_shared_metrics()
        local = self.workers.local_worker()
        self.steps_since_broadcast += 1
        refresh = self.steps_since_broadcast >= self.broadcast_interval and self.learner_thread.weights_updated
        if self.weights is None or refresh:
            with metrics.timers[WORKER_UPDATE_TIMER]:
                weights = local.get_weights()
                self.weights = weights if _nbytes(weights) <= INLINE_WEIGHTS_BYTES else ray.put(weights)
            if refresh:
                self.steps_since_broadcast = 0
                self.learner_thread.weights_updated = False
                metrics.counters[NUM_WEIGHT_BROADCASTS] += 1
        global_vars = _get_global_vars()
        actor.set_weights.remote(self.weights, global_vars)
        local.set_global_vars(global_vars)
        return item


def _set_local_global_vars(workers: Any) -> Any:
    """Without remote workers: the local worker's global vars after each train batch."""

    def set_global_vars(batch: Any) -> Any:
        workers.local_worker().set_global_vars(_get_global_vars())
        return batch

    return set_global_vars


def record_steps_trained(item: Tuple[int, int, Dict[str, Any]]) -> Tuple[int, int, Dict[str, Any]]:
    """Counts a learner step's ``(env_steps, agent_steps, stats)`` in ``num_steps_trained`` and files the stats."""
    env_steps, agent_steps, stats = item
    metrics = _get_shared_metrics()
    metrics.counters[STEPS_TRAINED_COUNTER] += env_steps
    metrics.counters[STEPS_TRAINED_THIS_ITER_COUNTER] = env_steps
    metrics.counters[AGENT_STEPS_TRAINED_COUNTER] += agent_steps
    metrics.info[LEARNER_INFO] = stats
    return item


def gather_experiences_directly(workers: Any, config: Dict[str, Any]) -> LocalIterator[Any]:
    """Train batches straight from the workers: ``gather_async`` -> mix-in replay -> ``ConcatBatches``.

    Without remote workers the local worker samples (RLlib 1.x).
    """
    rollouts = parallel_rollouts(workers, mode="async", num_async=config["max_sample_requests_in_flight_per_worker"])
    return (rollouts
            .for_each(MixInReplay(num_slots=config["replay_buffer_num_slots"],
                                  replay_proportion=config["replay_proportion"]))
            .flatten()
            .combine(ConcatBatches(min_batch_size=config["train_batch_size"],
                                   count_steps_by=config["multiagent"]["count_steps_by"])))


def _stop_learner(learner: LearnerThread) -> Any:
    """The stop hook: joins the learner and counts what it trained that the plan had not read yet."""

    def stop_learner(metrics: MetricsContext) -> None:
        learner.stop()
        for env_steps, agent_steps, stats in learner._drain_outqueue():
            metrics.counters[STEPS_TRAINED_COUNTER] += env_steps
            metrics.counters[AGENT_STEPS_TRAINED_COUNTER] += agent_steps
            metrics.info[LEARNER_INFO] = stats

    return stop_learner


def execution_plan(workers: Any, config: Dict[str, Any]) -> LocalIterator[Dict[str, Any]]:
    """IMPALA's plan (see the module docstring); ``config["after_train_step"]`` hooks APPO's updates."""
    if config["num_aggregation_workers"] > 0:
        train_batches = gather_experiences_tree_aggregation(workers, config)
    else:
        train_batches = gather_experiences_directly(workers, config)
    learner = make_learner_thread(workers.local_worker(), config)
    learner.start()

    enqueue_op = train_batches.for_each(Enqueue(learner.inqueue))
    if workers.remote_workers():
        enqueue_op = (enqueue_op
                      .zip_with_source_actor()
                      .for_each(BroadcastUpdateLearnerWeights(learner, workers, config["broadcast_interval"])))
    else:
        enqueue_op = enqueue_op.for_each(_set_local_global_vars(workers))

    poll_s = DEQUEUE_POLL_S if workers.remote_workers() else None
    dequeue_op = dequeue(learner.outqueue, check=learner.check_alive, poll_s=poll_s).for_each(record_steps_trained)
    merged_op = concurrently([enqueue_op, dequeue_op], mode="async", output_indexes=[1])
    if config["after_train_step"]:
        merged_op = merged_op.for_each(lambda item: item[2]).for_each(config["after_train_step"](workers, config))

    plan = standard_metrics_reporting(merged_op, workers, config).for_each(learner.add_learner_metrics)
    plan.shared_metrics.get().stop_hooks.append(_stop_learner(learner))
    return plan


class _AggregationResources:
    """Tune resource request: the trainer's plus one CPU bundle per aggregation worker (RLlib 1.x)."""

    @classmethod
    def default_resource_request(cls, config: Dict[str, Any]) -> Any:
        from rlcore.trainer_resources import TrainerResources

        request = super().default_resource_request(config)
        n = int(dict(cls._default_config, **(config or {})).get("num_aggregation_workers") or 0)
        if not n:
            return request
        view = request.to_json()
        view["extra_cpu"] += n
        return TrainerResources(list(request.bundles) + [{"CPU": 1.0} for _ in range(n)],
                                strategy=request.strategy, view=view)


ImpalaTrainer = build_trainer(
    name="IMPALA",
    default_config=DEFAULT_CONFIG,
    default_policy=None,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
    mixins=[_AggregationResources],
)
