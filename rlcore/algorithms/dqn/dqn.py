"""DQN (with RLlib 1.x's Rainbow options): defaults, config checks, the plan and the trainer.

The plan, top to bottom (RLlib 1.x ``agents/dqn/dqn.py``)::

    buffer = QReplayBuffer(buffer_size, learning_starts, train_batch_size, prioritized_replay_*)
    store_op  = parallel_rollouts(bulk_sync) -> StoreToReplayBuffer(local_buffer=buffer)
                -> AnnealPrioritizedReplayBeta(buffer, ...)          # beta over the sampled steps
    replay_op = replay(local_buffer=buffer) -> before_learn_on_batch(batch, workers, config)
                -> TrainOneStep(workers) -> UpdatePriorities(buffer)   # |td_error| + eps
                -> UpdateTargetNetwork(workers, target_network_update_freq)
    concurrently([store_op, replay_op], round_robin, output_indexes=[1],
                 round_robin_weights=calculate_rr_weights(config)) -> standard_metrics_reporting

Priorities are updated only with ``prioritized_replay`` (without it the buffer samples
uniformly). ``compress_observations`` stores observations LZ4-compressed in the buffer.

Examples:
    >>> DEFAULT_CONFIG["dueling"], DEFAULT_CONFIG["double_q"], DEFAULT_CONFIG["hiddens"], DEFAULT_CONFIG["n_step"]
    (True, True, [256], 1)
    >>> calculate_rr_weights({"training_intensity": 16, "train_batch_size": 32, "rollout_fragment_length": 4})
    [1, 2.0]
    >>> validate_config(dict(DEFAULT_CONFIG, num_atoms=0))
    Traceback (most recent call last):
    ...
    ValueError: num_atoms=0: expected an int >= 1
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rlcore.algorithms.dqn.defaults import DEFAULT_CONFIG
from rlcore.algorithms.dqn.dqn_tf_policy import DQNTFPolicy
from rlcore.algorithms.dqn.dqn_torch_policy import DQNTorchPolicy
from rlcore.algorithms.dqn.simple_q import ReplayBufferAccess, check_common_q_config
from rlcore.trainer import build_trainer

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_CONFIG", "DQNTrainer", "execution_plan", "get_policy_class", "validate_config",
           "calculate_rr_weights", "UpdatePriorities", "td_error_priorities", "AnnealPrioritizedReplayBeta"]


def _check_number(config: Dict[str, Any], key: str, low: float, *, strict: bool = False) -> None:
    value = config[key]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (value > low if strict else value >= low)
    if not ok:
        raise ValueError(f"{key}={value!r}: expected a number {'>' if strict else '>='} {low}")


def validate_config(config: Dict[str, Any]) -> None:
    """Checks DQN's keys (RLlib 1.x rules); errors name the key, the value and the expectation.

    Also raises ``rollout_fragment_length`` to at least ``n_step`` (RLlib 1.x), and switches to
    ``batch_mode="complete_episodes"`` for ``ParameterNoise`` exploration (with a warning).
    """
    check_common_q_config(config)
    for key in ("num_atoms", "n_step"):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key}={value!r}: expected an int >= 1")
    if config["num_atoms"] > 1 and not config["v_min"] < config["v_max"]:
        raise ValueError(f"v_min={config['v_min']!r}: expected a value < v_max ({config['v_max']!r}) "
                         "for distributional Q-learning")
    hiddens = config["hiddens"]
    if not isinstance(hiddens, (list, tuple)) or any(isinstance(h, bool) or not isinstance(h, int) or h < 1
                                                     for h in hiddens):
        raise ValueError(f"hiddens={hiddens!r}: expected a list of positive ints (may be empty)")
    _check_number(config, "sigma0", 0.0)
    for key in ("prioritized_replay_alpha", "prioritized_replay_beta", "final_prioritized_replay_beta"):
        _check_number(config, key, 0.0)
    _check_number(config, "prioritized_replay_eps", 0.0, strict=True)
    _check_number(config, "prioritized_replay_beta_annealing_timesteps", 0.0)
    if config["training_intensity"] is not None:
        _check_number(config, "training_intensity", 0.0, strict=True)
    hook = config["before_learn_on_batch"]
    if hook is not None and not callable(hook):
        raise ValueError(f"before_learn_on_batch={hook!r}: expected None or fn(batch, workers, config) -> batch")
    if config["worker_side_prioritization"] and not config["prioritized_replay"]:
        raise ValueError("worker_side_prioritization=True: expected prioritized_replay=True (the workers compute "
                         "initial priorities for a prioritized buffer)")
    exploration = (config.get("exploration_config") or {}).get("type")
    if exploration == "ParameterNoise":
        if config["noisy"]:
            raise ValueError("exploration_config.type='ParameterNoise' with noisy=True: ParameterNoise exploration "
                             "and noisy networks cannot be used at the same time")
        if config["batch_mode"] != "complete_episodes":
            logger.warning("ParameterNoise exploration needs batch_mode='complete_episodes'; switching to it")
            config["batch_mode"] = "complete_episodes"
    config["rollout_fragment_length"] = max(config["rollout_fragment_length"], config["n_step"])


def calculate_rr_weights(config: Dict[str, Any]) -> List[float]:
    """Round-robin weights ``[store, replay]`` so replayed / sampled steps match ``training_intensity``.

    RLlib 1.x: ``[1, 1]`` without ``training_intensity``, else the natural ratio is
    ``train_batch_size / rollout_fragment_length`` and the weights are ``[1, training_intensity /
    natural]``.

    Examples:
        >>> calculate_rr_weights({"training_intensity": None})
        [1, 1]
        >>> calculate_rr_weights({"training_intensity": 4, "train_batch_size": 32, "rollout_fragment_length": 4})
        [1, 0.5]
    """
    if not config.get("training_intensity"):
        return [1, 1]
    native_ratio = config["train_batch_size"] / config["rollout_fragment_length"]
    return [1, config["training_intensity"] / native_ratio]


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``DQNTorchPolicy`` for ``framework="torch"``, else ``DQNTFPolicy``."""
    return DQNTorchPolicy if config.get("framework") == "torch" else DQNTFPolicy


def td_error_priorities(samples: Any, info_dict: Dict[str, Any], replay_sequence_length: int = 1) -> Dict[str, Any]:
    """``{policy_id: (batch_indexes, td_error)}`` for ``update_priorities`` from a replayed batch and
    the learner's fetches (``info[pid]["td_error"]``, or the learner stats' ``td_error`` as RLlib 1.x).

    With sequences (``replay_sequence_length > 1``) and one TD error per sequence, the first row's
    index of each sequence stands for it.

    Raises:
        ValueError: When a trained policy reported no ``td_error``, or one of another length
            than its batch.

    Examples:
        >>> import numpy as np
        >>> from rlcore.data import MultiAgentBatch, SampleBatch
        >>> b = MultiAgentBatch({"p": SampleBatch({"batch_indexes": np.array([4, 7])})}, 2)
        >>> td_error_priorities(b, {"p": {"td_error": np.array([0.5, -1.0])}})
        {'p': (array([4, 7]), array([ 0.5, -1. ]))}
    """
    from rlcore.policy.policy import LEARNER_STATS_KEY

    prio_dict = {}
    for policy_id, info in info_dict.items():
        td_error = info.get("td_error", info.get(LEARNER_STATS_KEY, {}).get("td_error"))
        if td_error is None:
            raise ValueError(f"UpdatePriorities: policy {policy_id!r} reported no 'td_error' "
                             f"(fetches: {sorted(info)}); expected a Q-learning policy")
        batch_indexes = samples.policy_batches[policy_id]["batch_indexes"]
        if len(batch_indexes) != len(td_error):
            seq = replay_sequence_length
            if len(batch_indexes) % seq or len(batch_indexes) // seq != len(td_error):
                raise ValueError(f"UpdatePriorities: policy {policy_id!r} has {len(td_error)} TD errors for "
                                 f"{len(batch_indexes)} replayed rows; expected one per row or per sequence")
            batch_indexes = batch_indexes.reshape(-1, seq)[:, 0]
        prio_dict[policy_id] = (batch_indexes, td_error)
    return prio_dict


class UpdatePriorities:
    """Sets the replayed rows' priorities from the learner's TD errors (``.for_each()`` after
    ``TrainOneStep``): ``buffer.update_priorities({pid: (batch_indexes, td_error)})``, so each
    row's priority becomes ``|td_error| + eps`` (sampled with weight ``priority ** alpha``).

    Reads ``info[pid]["td_error"]`` (or the learner stats' ``td_error``, as RLlib 1.x) and returns
    ``info``.

    Args:
        local_buffer: The replay buffer the batch came from.

    Raises:
        ValueError: When a trained policy reported no ``td_error``, or one of another length
            than its batch.
    """

    def __init__(self, local_buffer: Any):
        self.local_buffer = local_buffer

    def __call__(self, item: Any) -> Dict[str, Any]:
        samples, info_dict = item
        seq = getattr(self.local_buffer, "replay_sequence_length", 1)  # a user's buffer may have no sequences
        prio_dict = td_error_priorities(samples, info_dict, seq)
        self.local_buffer.update_priorities(prio_dict)
        return info_dict


class AnnealPrioritizedReplayBeta:
    """Moves the buffer's importance-sampling ``beta`` linearly from ``initial`` to ``final`` over
    ``annealing_timesteps`` sampled steps (``.for_each()`` on the store side; items pass through).

    Examples:
        >>> class Buf: beta = 0.4
        >>> from rlcore.dataflow import LocalIterator, SharedMetrics, get_metrics
        >>> def sample(x):
        ...     get_metrics().counters["num_steps_sampled"] += 50
        ...     return x
        >>> buf = Buf()
        >>> it = LocalIterator(lambda t: iter(range(3)), SharedMetrics()).for_each(sample)
        >>> it.for_each(AnnealPrioritizedReplayBeta(buf, 0.4, 1.0, 100)).take(3) and buf.beta
        1.0
    """

    def __init__(self, local_buffer: Any, initial: float, final: float, annealing_timesteps: int):
        self.local_buffer = local_buffer
        self.initial, self.final, self.steps = float(initial), float(final), max(1, int(annealing_timesteps))

    def __call__(self, item: Any) -> Any:
        from rlcore.ops.common import STEPS_SAMPLED_COUNTER, _get_shared_metrics

        t = _get_shared_metrics().counters[STEPS_SAMPLED_COUNTER]
        frac = min(1.0, t / self.steps)
        self.local_buffer.beta = self.initial + frac * (self.final - self.initial)
        return item


def execution_plan(workers: Any, config: Dict[str, Any], local_replay_buffer: Any = None) -> Any:
    """DQN's plan (see the module docstring); ``local_replay_buffer`` defaults to a new
    :class:`~rlcore.algorithms.dqn.replay_buffer.QReplayBuffer` from the config."""
    from rlcore.algorithms.dqn.replay_buffer import make_replay_buffer
    from rlcore.ops.concurrency import concurrently
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.replay import StoreToReplayBuffer, replay
    from rlcore.ops.rollout import parallel_rollouts
    from rlcore.ops.train import TrainOneStep, UpdateTargetNetwork

    prioritized = bool(config["prioritized_replay"])
    buffer = local_replay_buffer if local_replay_buffer is not None else make_replay_buffer(config, prioritized)
    rollouts = parallel_rollouts(workers, mode="bulk_sync")
    store_op = rollouts.for_each(StoreToReplayBuffer(local_buffer=buffer))
    if prioritized and config["final_prioritized_replay_beta"] != config["prioritized_replay_beta"]:
        store_op = store_op.for_each(AnnealPrioritizedReplayBeta(
            buffer, config["prioritized_replay_beta"], config["final_prioritized_replay_beta"],
            config["prioritized_replay_beta_annealing_timesteps"]))
    before_learn = config.get("before_learn_on_batch")
    replay_op = replay(local_buffer=buffer)
    if before_learn is not None:
        replay_op = replay_op.for_each(lambda batch: before_learn(batch, workers, config))
    replay_op = replay_op.for_each(TrainOneStep(workers))
    if prioritized:
        replay_op = replay_op.for_each(UpdatePriorities(buffer))
    replay_op = replay_op.for_each(UpdateTargetNetwork(workers, config["target_network_update_freq"]))
    train_op = concurrently([store_op, replay_op], mode="round_robin", output_indexes=[1],
                            round_robin_weights=calculate_rr_weights(config))
    out = standard_metrics_reporting(train_op, workers, config)
    out.local_replay_buffer = buffer
    return out


DQNTrainer = build_trainer(
    name="DQN",
    default_config=DEFAULT_CONFIG,
    default_policy=DQNTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
    mixins=[ReplayBufferAccess],
)
