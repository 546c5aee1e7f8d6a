"""Soft Actor-Critic (SAC): defaults, config checks and the trainer (RLlib 1.x ``agents/sac/sac.py``).

SAC trains on DQN's replay plan (:func:`rlcore.algorithms.dqn.dqn.execution_plan`, as RLlib
1.x's ``GenericOffPolicyTrainer``)::

    store_op  = parallel_rollouts(bulk_sync) -> StoreToReplayBuffer(local_buffer=buffer)
    replay_op = replay(local_buffer=buffer) -> TrainOneStep(workers) [-> UpdatePriorities]
                -> UpdateTargetNetwork(workers, target_network_update_freq)   # soft, by tau
    concurrently([store_op, replay_op], round_robin, output_indexes=[1],
                 round_robin_weights=calculate_rr_weights(config)) -> standard_metrics_reporting

Continuous (Box) actions use a tanh-squashed Gaussian; Discrete actions a categorical policy
with the expectation over actions in every loss (discrete SAC). ``target_entropy="auto"`` is
``-dim(A)`` for a Box and ``0.98 * -log(1 / n)`` for ``Discrete(n)`` (RLlib 1.x).

Examples:
    >>> DEFAULT_CONFIG["twin_q"], DEFAULT_CONFIG["tau"], DEFAULT_CONFIG["optimization"]["actor_learning_rate"]
    (True, 0.005, 0.0003)
    >>> import gymnasium as gym
    >>> resolve_target_entropy("auto", gym.spaces.Box(-1, 1, (3,))), round(resolve_target_entropy("auto", gym.spaces.Discrete(2)), 4)
    (-3.0, 0.6793)
    >>> validate_config(dict(DEFAULT_CONFIG, tau=1.5))
    Traceback (most recent call last):
    ...
    ValueError: tau=1.5: expected a number in (0, 1]
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from rlcore.algorithms.sac.defaults import DEFAULT_CONFIG
from rlcore.algorithms.dqn.simple_q import ReplayBufferAccess
from rlcore.algorithms.sac.sac_tf_policy import SACTFPolicy
from rlcore.algorithms.sac.sac_torch_policy import SACTorchPolicy
from rlcore.trainer import build_trainer

__all__ = ["DEFAULT_CONFIG", "SACTrainer", "validate_config", "get_policy_class", "resolve_target_entropy",
           "execution_plan", "check_replay_config"]


def resolve_target_entropy(target_entropy: Any, action_space: Any) -> float:
    """The target entropy: the number given, or for ``"auto"`` RLlib 1.x's ``-dim(A)`` (Box)
    and ``0.98 * -log(1 / n)`` (``Discrete(n)``)."""
    import gymnasium as gym

    if target_entropy is None or target_entropy == "auto":
        if isinstance(action_space, gym.spaces.Discrete):
            return float(0.98 * -np.log(1.0 / action_space.n))
        return -float(np.prod(action_space.shape))
    return float(target_entropy)


def _check_int(config: Dict[str, Any], key: str, minimum: int) -> None:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{key}={value!r}: expected an int >= {minimum}")


def _check_number(value: Any, key: str, low: float, high: float = float("inf"), *, low_open: bool = True) -> None:
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and \
        (low < value if low_open else low <= value) and value <= high
    if not ok:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]" if high != float("inf") else \
            (f"> {low:g}" if low_open else f">= {low:g}")
        raise ValueError(f"{key}={value!r}: expected a number {'in ' if high != float('inf') else ''}{interval}")


def check_replay_config(config: Dict[str, Any]) -> None:
    """Checks the replay keys SAC, DDPG and TD3 share with DQN's plan (sizes, learning start,
    target period, priorities, ``training_intensity``); raises ``rollout_fragment_length`` to
    at least ``n_step`` (RLlib 1.x)."""
    for key, minimum in (("buffer_size", 1), ("learning_starts", 0), ("train_batch_size", 1),
                         ("target_network_update_freq", 0), ("n_step", 1)):
        _check_int(config, key, minimum)
    if config["train_batch_size"] > config["buffer_size"]:
        raise ValueError(f"train_batch_size={config['train_batch_size']!r}: expected a value <= buffer_size "
                         f"({config['buffer_size']})")
    _check_number(config["tau"], "tau", 0.0, 1.0)
    if config["grad_clip"] is not None:
        _check_number(config["grad_clip"], "grad_clip", 0.0)
    for key in ("prioritized_replay_alpha", "prioritized_replay_beta", "final_prioritized_replay_beta"):
        _check_number(config[key], key, 0.0, low_open=False)
    _check_number(config["prioritized_replay_eps"], "prioritized_replay_eps", 0.0)
    if config["training_intensity"] is not None:
        _check_number(config["training_intensity"], "training_intensity", 0.0)
    if config["worker_side_prioritization"] and not config["prioritized_replay"]:
        raise ValueError("worker_side_prioritization=True: expected prioritized_replay=True (the workers compute "
                         "initial priorities for a prioritized buffer)")
    config["rollout_fragment_length"] = max(config["rollout_fragment_length"], config["n_step"])


def validate_config(config: Dict[str, Any]) -> None:
    """Checks SAC's keys; errors name the key, the value and the expectation."""
    check_replay_config(config)
    for key in ("Q_model", "policy_model"):
        sub = config[key]
        if not isinstance(sub, dict):
            raise ValueError(f"{key}={sub!r}: expected a dict with fcnet_hiddens and fcnet_activation")
        unknown = sorted(set(sub) - {"fcnet_hiddens", "fcnet_activation"})
        if unknown:
            raise ValueError(f"{key} has keys {unknown}: SAC's {key} takes fcnet_hiddens and fcnet_activation")
        hiddens = sub.get("fcnet_hiddens", [256, 256])
        if not isinstance(hiddens, (list, tuple)) or any(
                isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hiddens):
            raise ValueError(f"{key}.fcnet_hiddens={hiddens!r}: expected a list of positive ints")
    opt = config["optimization"]
    for key in ("actor_learning_rate", "critic_learning_rate", "entropy_learning_rate"):
        if key not in opt:
            raise ValueError(f"optimization has no {key!r} (keys: {sorted(opt)}); expected all of actor_learning_rate, "
                             "critic_learning_rate and entropy_learning_rate")
        _check_number(opt[key], f"optimization.{key}", 0.0)
    _check_number(config["initial_alpha"], "initial_alpha", 0.0)
    te = config["target_entropy"]
    if not (te == "auto" or te is None or (isinstance(te, (int, float)) and not isinstance(te, bool))):
        raise ValueError(f"target_entropy={te!r}: expected 'auto' or a number")
    if config["use_state_preprocessor"]:
        raise ValueError("use_state_preprocessor=True: not supported (RLlib 1.x deprecated it); SAC's networks read "
                         "the flattened (preprocessed) observation; leave it False")
    if config["_use_beta_distribution"]:
        raise ValueError("_use_beta_distribution=True: not supported; SAC uses the squashed Gaussian for Box actions")


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``SACTorchPolicy`` for ``framework="torch"``, else ``SACTFPolicy``."""
    return SACTorchPolicy if config.get("framework") == "torch" else SACTFPolicy


def execution_plan(workers: Any, config: Dict[str, Any]) -> Any:
    """DQN's replay plan (:func:`rlcore.algorithms.dqn.dqn.execution_plan`)."""
    from rlcore.algorithms.dqn.dqn import execution_plan as dqn_plan

    return dqn_plan(workers, config)


SACTrainer = build_trainer(
    name="SAC",
    default_config=DEFAULT_CONFIG,
    default_policy=SACTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
    mixins=[ReplayBufferAccess],
)
