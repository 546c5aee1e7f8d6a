"""A2C: A3C's defaults and policies with a synchronous execution plan (RLlib 1.x ``agents/a3c/a2c.py``).

Without ``microbatch_size``, batches of ``train_batch_size`` steps train with one step each::

    parallel_rollouts(bulk_sync) -> ConcatBatches(train_batch_size) -> TrainOneStep

With it, gradients of ``microbatch_size`` batches are accumulated over
``ceil(train_batch_size / microbatch_size)`` microbatches and applied at once::

    parallel_rollouts(bulk_sync) -> ConcatBatches(microbatch_size) -> ComputeGradients
        -> batch(n) -> AverageGradients -> ApplyGradients

Examples:
    >>> A2C_DEFAULT_CONFIG["rollout_fragment_length"], A2C_DEFAULT_CONFIG["min_iter_time_s"]
    (20, 10)
"""

from __future__ import annotations

import math
from typing import Any, Dict

from rlcore.algorithms.a3c.a3c import DEFAULT_CONFIG as A3C_CONFIG
from rlcore.algorithms.a3c.a3c import A3CTrainer
from rlcore.trainer_config import merge_config

__all__ = ["A2C_DEFAULT_CONFIG", "A2CTrainer", "execution_plan"]

# fmt: off
#: A2C's defaults: A3C's, with these changes.
A2C_DEFAULT_CONFIG: Dict[str, Any] = merge_config(A3C_CONFIG, {
    "rollout_fragment_length": 20,
    "min_iter_time_s": 10,
    "sample_async": False,
    # If not None, compute gradients on microbatches of this size and apply their sum once per
    # train_batch_size steps (gradient accumulation).
    "microbatch_size": None,
}, allow_unknown_configs=True)
# fmt: on


def execution_plan(workers: Any, config: Dict[str, Any]) -> Any:
    """A2C's synchronous plan (see the module docstring)."""
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.rollout import ConcatBatches, parallel_rollouts
    from rlcore.ops.train import ApplyGradients, AverageGradients, ComputeGradients, TrainOneStep

    rollouts = parallel_rollouts(workers, mode="bulk_sync")
    if config["microbatch_size"]:
        num_microbatches = math.ceil(config["train_batch_size"] / config["microbatch_size"])
        train_op = (rollouts
                    .combine(ConcatBatches(min_batch_size=config["microbatch_size"],
                                           count_steps_by=config["multiagent"]["count_steps_by"]))
                    .for_each(ComputeGradients(workers))
                    .batch(num_microbatches)
                    .for_each(AverageGradients())
                    .for_each(ApplyGradients(workers)))
    else:
        train_op = (rollouts
                    .combine(ConcatBatches(min_batch_size=config["train_batch_size"],
                                           count_steps_by=config["multiagent"]["count_steps_by"]))
                    .for_each(TrainOneStep(workers)))
    return standard_metrics_reporting(train_op, workers, config)


A2CTrainer = A3CTrainer.with_updates(name="A2C", default_config=A2C_DEFAULT_CONFIG, execution_plan=execution_plan)
