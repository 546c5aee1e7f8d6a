"""Names and helpers shared by the execution operators: counters, timers, info keys.

Every operator of a plan writes to the pipeline's :class:`~rlcore.dataflow.MetricsContext`
under these names (RLlib 1.x ``ray.rllib.execution.common``), and the reporting operator turns
them into the result dict: ``counters`` land in ``result["info"]``, each timer becomes
``result["timers"]["<name>_time_ms"]`` (and ``"<name>_throughput"`` when units were pushed), and
``info[LEARNER_INFO]`` holds the learner statistics per policy id.

``_get_global_vars()`` is what workers receive with their weights: ``{"timestep":
num_steps_sampled}``, which drives schedules and exploration annealing.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> def count(x):
    ...     _get_shared_metrics().counters[STEPS_SAMPLED_COUNTER] += x
    ...     return _get_global_vars()
    >>> LocalIterator(lambda t: iter([3, 4]), SharedMetrics()).for_each(count).take(2)
    [{'timestep': 3}, {'timestep': 7}]
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch
from rlcore.dataflow.metrics import MetricsContext, get_metrics
from rlcore.dataflow.shard_backend import is_actor_handle

__all__ = [
    "STEPS_SAMPLED_COUNTER",
    "AGENT_STEPS_SAMPLED_COUNTER",
    "STEPS_TRAINED_COUNTER",
    "STEPS_TRAINED_THIS_ITER_COUNTER",
    "AGENT_STEPS_TRAINED_COUNTER",
    "LAST_TARGET_UPDATE_TS",
    "NUM_TARGET_UPDATES",
    "NUM_WEIGHT_BROADCASTS",
    "APPLY_GRADS_TIMER",
    "COMPUTE_GRADS_TIMER",
    "WORKER_UPDATE_TIMER",
    "GRAD_WAIT_TIMER",
    "SAMPLE_TIMER",
    "LEARN_ON_BATCH_TIMER",
    "LOAD_BATCH_TIMER",
    "LEARNER_INFO",
    "SampleBatchType",
    "_get_shared_metrics",
    "_get_global_vars",
    "_check_sample_batch_type",
]

# -- counters (metrics.counters[...]) -----------------------------------------------------------
STEPS_SAMPLED_COUNTER = "num_steps_sampled"  #: env steps sampled; drives timesteps_total
AGENT_STEPS_SAMPLED_COUNTER = "num_agent_steps_sampled"  #: agent steps sampled (multi-agent)
STEPS_TRAINED_COUNTER = "num_steps_trained"  #: env steps learned on
STEPS_TRAINED_THIS_ITER_COUNTER = "num_steps_trained_this_iter"  #: steps of the last train call
AGENT_STEPS_TRAINED_COUNTER = "num_agent_steps_trained"  #: agent steps learned on
LAST_TARGET_UPDATE_TS = "last_target_update_ts"  #: counter value at the last target-net update
NUM_TARGET_UPDATES = "num_target_updates"  #: target-network updates so far
NUM_WEIGHT_BROADCASTS = "num_weight_broadcasts"  #: weight pushes to remote workers

# -- timers (metrics.timers[...]) ---------------------------------------------------------------
APPLY_GRADS_TIMER = "apply_grad"  #: applying gradients on the local worker
COMPUTE_GRADS_TIMER = "compute_grads"  #: computing gradients on the local worker
WORKER_UPDATE_TIMER = "update"  #: broadcasting weights to the workers
GRAD_WAIT_TIMER = "grad_wait"  #: waiting for gradients from remote workers
SAMPLE_TIMER = "sample"  #: collecting one train batch (throughput = env steps / s)
LEARN_ON_BATCH_TIMER = "learn"  #: learning on one train batch (throughput = rows / s)
LOAD_BATCH_TIMER = "load"  #: loading a batch onto devices (multi-GPU learners)

# -- info (metrics.info[...]) -------------------------------------------------------------------
LEARNER_INFO = "learner"  #: {policy_id: learner stats} of the latest update

SampleBatchType = Any
"""A :class:`~rlcore.data.SampleBatch` or a :class:`~rlcore.data.MultiAgentBatch`."""


def _get_shared_metrics() -> MetricsContext:
    """The metrics context of the running pipeline (valid inside an operator only).

    Raises:
        ValueError: Outside an operator function.
    """
    return get_metrics()


def _get_global_vars() -> Dict[str, Any]:
    """``{"timestep": num_steps_sampled}`` of the running pipeline, sent to workers with weights."""
    return {"timestep": get_metrics().counters[STEPS_SAMPLED_COUNTER]}


def _check_sample_batch_type(batch: Any) -> None:
    """Raises ``TypeError`` unless ``batch`` is a SampleBatch or a MultiAgentBatch.

    Examples:
        >>> _check_sample_batch_type([1, 2])
        Traceback (most recent call last):
        ...
        TypeError: expected a SampleBatch or MultiAgentBatch, got list: [1, 2]
    """
    if not isinstance(batch, (SampleBatch, MultiAgentBatch)):
        raise TypeError(f"expected a SampleBatch or MultiAgentBatch, got {type(batch).__name__}: {batch!r:.100}")


def agent_steps(batch: SampleBatchType) -> int:
    """Agent steps of a batch (``count`` for a single-agent SampleBatch).

    Examples:
        >>> agent_steps(SampleBatch({"obs": [1, 2, 3]}))
        3
    """
    if isinstance(batch, MultiAgentBatch):
        return int(batch.agent_steps())
    return int(batch.count)


def learner_stats_by_policy(info: Mapping[str, Any], batch: Any = None) -> Dict[str, Any]:
    """``{policy_id: learner_stats}`` of a worker's ``learn_on_batch``/``compute_gradients`` info.

    A worker returns per-policy fetches (``{pid: {"learner_stats": {...}}}``); a single policy's
    ``compute_gradients`` returns ``{"learner_stats": {...}}``, which is filed under
    ``DEFAULT_POLICY_ID`` (or the only policy of a multi-agent ``batch``).

    Examples:
        >>> learner_stats_by_policy({"learner_stats": {"loss": 1.0}})
        {'default_policy': {'loss': 1.0}}
        >>> learner_stats_by_policy({"p0": {"learner_stats": {"loss": 2.0}, "td_error": [0.1]}})
        {'p0': {'loss': 2.0}}
    """
    from rlcore.sampling.metrics import LEARNER_STATS_KEY

    if LEARNER_STATS_KEY in info:
        pid = DEFAULT_POLICY_ID
        if isinstance(batch, MultiAgentBatch) and len(batch.policy_batches) == 1:
            pid = next(iter(batch.policy_batches))
        return {pid: dict(info[LEARNER_STATS_KEY])}
    return {k: dict(v[LEARNER_STATS_KEY]) for k, v in info.items() if isinstance(v, Mapping) and LEARNER_STATS_KEY in v}


def custom_metrics_by_policy(info: Mapping[str, Any]) -> Dict[str, Any]:
    """``{policy_id: custom_metrics}`` of per-policy fetches that carry a ``custom_metrics`` entry.

    Examples:
        >>> custom_metrics_by_policy({"p0": {"custom_metrics": {"x": 1}}, "p1": {}})
        {'p0': {'x': 1}}
    """
    return {k: v["custom_metrics"] for k, v in info.items() if isinstance(v, Mapping) and v.get("custom_metrics")}


def call_actor(actor: Any, method: str, *args: Any) -> Any:
    """Calls ``actor.method(*args)``: ``.remote`` on a Ray actor (returns the ObjectRef, not waited
    on; later calls from this process run after it), directly on an in-process object.

    Examples:
        >>> class Shard:
        ...     def add(self, x): return x + 1
        >>> call_actor(Shard(), "add", 1)
        2
    """
    fn = getattr(actor, method)
    if is_actor_handle(actor):
        return fn.remote(*args)
    return fn(*args)
