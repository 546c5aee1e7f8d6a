"""DDPG: defaults, config checks and the trainer (RLlib 1.x ``agents/ddpg/ddpg.py``).

DDPG (and TD3, :mod:`rlcore.algorithms.ddpg.td3`) train on DQN's replay plan
(:func:`rlcore.algorithms.dqn.dqn.execution_plan`, RLlib 1.x's ``GenericOffPolicyTrainer``):
store sampled fragments, replay ``train_batch_size`` rows per update, prioritized with
``prioritized_replay``, soft target updates by ``tau`` every ``target_network_update_freq`` steps.

Examples:
    >>> DEFAULT_CONFIG["actor_hiddens"], DEFAULT_CONFIG["tau"], DEFAULT_CONFIG["exploration_config"]["type"]
    ([400, 300], 0.002, 'OrnsteinUhlenbeckNoise')
    >>> validate_config(dict(DEFAULT_CONFIG, policy_delay=0))
    Traceback (most recent call last):
    ...
    ValueError: policy_delay=0: expected an int >= 1
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from rlcore.algorithms.ddpg.defaults import DEFAULT_CONFIG
from rlcore.algorithms.ddpg.ddpg_tf_policy import DDPGTFPolicy
from rlcore.algorithms.ddpg.ddpg_torch_policy import DDPGTorchPolicy
from rlcore.algorithms.dqn.simple_q import ReplayBufferAccess
from rlcore.algorithms.sac.sac import _check_int, _check_number, check_replay_config
from rlcore.trainer import build_trainer

__all__ = ["DEFAULT_CONFIG", "DDPGTrainer", "validate_config", "get_policy_class", "execution_plan"]


#: Exploration types DDPG/TD3 accept (additive noise on the actor's deterministic action).
EXPLORATION_TYPES = ("OrnsteinUhlenbeckNoise", "GaussianNoise", "PerWorkerOrnsteinUhlenbeckNoise",
                     "PerWorkerGaussianNoise", "Random")


def validate_config(config: Dict[str, Any]) -> None:
    """Checks DDPG's (and TD3's) keys; errors name the key, the value and the expectation."""
    check_replay_config(config)
    _check_int(config, "policy_delay", 1)
    for key in ("actor_hiddens", "critic_hiddens"):
        hiddens = config[key]
        if not isinstance(hiddens, (list, tuple)) or any(
                isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1 for h in hiddens):
            raise ValueError(f"{key}={hiddens!r}: expected a list of positive ints")
    for key in ("actor_lr", "critic_lr", "huber_threshold"):
        _check_number(config[key], key, 0.0)
    for key in ("target_noise", "target_noise_clip", "l2_reg"):
        _check_number(config[key], key, 0.0, low_open=False)
    exploration = (config.get("exploration_config") or {}).get("type")
    if isinstance(exploration, str) and exploration.rsplit(".", 1)[-1] not in EXPLORATION_TYPES:
        raise ValueError(f"exploration_config.type={exploration!r}: expected one of {list(EXPLORATION_TYPES)} "
                         "(noise added to the actor's deterministic action)")
    if config["use_state_preprocessor"]:
        raise ValueError("use_state_preprocessor=True: not supported; DDPG's networks read the flattened "
                         "(preprocessed) observation; leave it False")


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``DDPGTorchPolicy`` for ``framework="torch"``, else ``DDPGTFPolicy``."""
    return DDPGTorchPolicy if config.get("framework") == "torch" else DDPGTFPolicy


def execution_plan(workers: Any, config: Dict[str, Any]) -> Any:
    """DQN's replay plan (:func:`rlcore.algorithms.dqn.dqn.execution_plan`)."""
    from rlcore.algorithms.dqn.dqn import execution_plan as dqn_plan

    return dqn_plan(workers, config)


DDPGTrainer = build_trainer(
    name="DDPG",
    default_config=DEFAULT_CONFIG,
    default_policy=DDPGTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
    mixins=[ReplayBufferAccess],
)
