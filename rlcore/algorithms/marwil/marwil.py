"""MARWIL: monotonic advantage re-weighted imitation learning (RLlib 1.x ``agents/marwil/marwil.py``).

Learns from offline data (``input``); evaluate on a live env with ``evaluation_config: {"input":
"sampler"}``. The plan, top to bottom::

    store_op  = parallel_rollouts(bulk_sync) -> StoreToReplayBuffer(buffer)
    replay_op = replay(buffer) -> TrainOneStep            # train_batch_size rows per step
    concurrently([store_op, replay_op], round_robin, output_indexes=[1]) -> standard_metrics_reporting

The buffer holds ``replay_buffer_size`` single steps and samples ``train_batch_size`` of them
uniformly once ``learning_starts`` steps are in (1.x's ``LocalReplayBuffer``).

Examples:
    >>> DEFAULT_CONFIG["beta"], DEFAULT_CONFIG["postprocess_inputs"], DEFAULT_CONFIG["input_evaluation"]
    (1.0, True, ['is', 'wis'])
    >>> validate_config(dict(DEFAULT_CONFIG, beta=2.0))
    Traceback (most recent call last):
    ...
    ValueError: config key 'beta' = 2.0: expected a value within [0.0, 1.0]
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.marwil.defaults import DEFAULT_CONFIG
from rlcore.algorithms.marwil.marwil_tf_policy import MARWILTFPolicy
from rlcore.algorithms.marwil.marwil_torch_policy import MARWILTorchPolicy
from rlcore.trainer import build_trainer

__all__ = ["DEFAULT_CONFIG", "MARWILTrainer", "execution_plan", "get_policy_class", "validate_config"]


def validate_config(config: Dict[str, Any]) -> None:
    """RLlib 1.x's checks: ``0 <= beta <= 1``; returns need ``postprocess_inputs`` when ``beta > 0``."""
    beta = config["beta"]
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"config key 'beta' = {beta!r}: expected a value within [0.0, 1.0]")
    if beta > 0.0 and not config["postprocess_inputs"] and config["input"] != "sampler":
        raise ValueError("config key 'postprocess_inputs' = False: MARWIL with beta > 0 needs True (the discounted "
                         "returns are computed when the inputs are read)")


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``MARWILTorchPolicy`` for ``framework="torch"``, else ``MARWILTFPolicy``."""
    return MARWILTorchPolicy if config.get("framework") == "torch" else MARWILTFPolicy


def execution_plan(workers: Any, config: Dict[str, Any]) -> Any:
    """MARWIL's plan (see the module docstring)."""
    from rlcore.data.replay_buffers.multi_agent import MultiAgentReplayBuffer
    from rlcore.ops.concurrency import concurrently
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.replay import StoreToReplayBuffer, replay
    from rlcore.ops.rollout import parallel_rollouts
    from rlcore.ops.train import TrainOneStep

    buffer = MultiAgentReplayBuffer(capacity=config["replay_buffer_size"], learning_starts=config["learning_starts"],
                                    replay_batch_size=config["train_batch_size"], replay_sequence_length=1,
                                    seed=config.get("seed"))
    store_op = parallel_rollouts(workers, mode="bulk_sync").for_each(StoreToReplayBuffer(local_buffer=buffer))
    replay_op = replay(local_buffer=buffer).for_each(TrainOneStep(workers))
    train_op = concurrently([store_op, replay_op], mode="round_robin", output_indexes=[1])
    out = standard_metrics_reporting(train_op, workers, config)
    out.local_replay_buffer = buffer
    return out


MARWILTrainer = build_trainer(
    name="MARWIL",
    default_config=DEFAULT_CONFIG,
    default_policy=MARWILTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
)
