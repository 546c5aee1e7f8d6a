"""SimpleQ: Q-learning with a target network and uniform replay (RLlib 1.x ``agents/dqn/simple_q.py``).

The plan, top to bottom::

    buffer = QReplayBuffer(buffer_size, learning_starts, replay_batch_size=train_batch_size)
    store_op  = parallel_rollouts(bulk_sync) -> StoreToReplayBuffer(local_buffer=buffer)
    replay_op = replay(local_buffer=buffer) -> TrainOneStep(workers)
                -> UpdateTargetNetwork(workers, target_network_update_freq)
    concurrently([store_op, replay_op], round_robin, output_indexes=[1]) -> standard_metrics_reporting

``timesteps_per_iteration`` and ``min_iter_time_s`` end an iteration (RLlib's reporting). The
trainer's ``local_replay_buffer`` is the plan's buffer.

Examples:
    >>> DEFAULT_CONFIG["lr"], DEFAULT_CONFIG["train_batch_size"], DEFAULT_CONFIG["target_network_update_freq"]
    (0.0005, 32, 500)
    >>> validate_config(dict(DEFAULT_CONFIG, learning_starts=-1))
    Traceback (most recent call last):
    ...
    ValueError: learning_starts=-1: expected an int >= 0
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.dqn.defaults import SIMPLE_Q_DEFAULT_CONFIG as DEFAULT_CONFIG
from rlcore.algorithms.dqn.simple_q_tf_policy import SimpleQTFPolicy
from rlcore.algorithms.dqn.simple_q_torch_policy import SimpleQTorchPolicy
from rlcore.trainer import build_trainer

__all__ = ["DEFAULT_CONFIG", "SimpleQTrainer", "execution_plan", "get_policy_class", "validate_config",
           "ReplayBufferAccess", "check_common_q_config"]


def _check_int(config: Dict[str, Any], key: str, minimum: int) -> None:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{key}={value!r}: expected an int >= {minimum}")


def check_common_q_config(config: Dict[str, Any]) -> None:
    """Checks the keys SimpleQ and DQN share (sizes, learning start, target update period, lr)."""
    _check_int(config, "buffer_size", 1)
    _check_int(config, "learning_starts", 0)
    _check_int(config, "train_batch_size", 1)
    _check_int(config, "target_network_update_freq", 0)
    if config["train_batch_size"] > config["buffer_size"]:
        raise ValueError(f"train_batch_size={config['train_batch_size']!r}: expected a value <= buffer_size "
                         f"({config['buffer_size']})")
    if not config["adam_epsilon"] > 0:
        raise ValueError(f"adam_epsilon={config['adam_epsilon']!r}: expected a value > 0")
    if config["grad_clip"] is not None and not config["grad_clip"] > 0:
        raise ValueError(f"grad_clip={config['grad_clip']!r}: expected None or a value > 0")


def validate_config(config: Dict[str, Any]) -> None:
    """Checks SimpleQ's keys (errors name the key, the value and what is expected)."""
    check_common_q_config(config)


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``SimpleQTorchPolicy`` for ``framework="torch"``, else ``SimpleQTFPolicy``."""
    return SimpleQTorchPolicy if config.get("framework") == "torch" else SimpleQTFPolicy


def execution_plan(workers: Any, config: Dict[str, Any], local_replay_buffer: Any = None) -> Any:
    """SimpleQ's plan (see the module docstring); ``local_replay_buffer`` defaults to a new
    uniform :class:`~rlcore.algorithms.dqn.replay_buffer.QReplayBuffer`."""
    from rlcore.algorithms.dqn.replay_buffer import make_replay_buffer
    from rlcore.ops.concurrency import concurrently
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.replay import StoreToReplayBuffer, replay
    from rlcore.ops.rollout import parallel_rollouts
    from rlcore.ops.train import TrainOneStep, UpdateTargetNetwork

    buffer = local_replay_buffer if local_replay_buffer is not None else make_replay_buffer(config, prioritized=False)
    rollouts = parallel_rollouts(workers, mode="bulk_sync")
    store_op = rollouts.for_each(StoreToReplayBuffer(local_buffer=buffer))
    replay_op = (replay(local_buffer=buffer)
                 .for_each(TrainOneStep(workers))
                 .for_each(UpdateTargetNetwork(workers, config["target_network_update_freq"])))
    train_op = concurrently([store_op, replay_op], mode="round_robin", output_indexes=[1])
    out = standard_metrics_reporting(train_op, workers, config)
    out.local_replay_buffer = buffer
    return out


class ReplayBufferAccess:
    """Trainer mixin: ``local_replay_buffer`` is the current plan's replay buffer, and the
    replay buffer implements ``compress_observations`` (no longer refused for these trainers)."""

    #: RLlib 1.x keys of ``rlcore.trainer_config.NOT_YET_IMPLEMENTED`` these trainers implement.
    implemented_1x_keys = ("compress_observations",)

    @property
    def local_replay_buffer(self) -> Any:
        """The replay buffer of the running plan (None before the plan exists)."""
        plan = getattr(self, "train_exec_impl", None)
        return getattr(plan, "local_replay_buffer", None)


SimpleQTrainer = build_trainer(
    name="SimpleQ",
    default_config=DEFAULT_CONFIG,
    default_policy=SimpleQTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
    mixins=[ReplayBufferAccess],
)
