"""Ape-X DDPG: DDPG's policies on Ape-X's distributed prioritized-replay plan (RLlib 1.x
``agents/ddpg/apex.py``).

The plan is :func:`rlcore.algorithms.apex.execution_plan` itself (replay shards as Ray actors,
worker-side initial priorities, a learner thread, priority updates back to the shards, weight
pushes every ``optimizer.max_weight_sync_delay`` steps); the policy is DDPG's (torch or TF2),
whose ``td_error`` fetch feeds the priorities and whose ``postprocess_nstep_and_prio`` computes
the workers' initial priorities. Each remote worker explores with its own constant
Ornstein-Uhlenbeck scale (``PerWorkerOrnsteinUhlenbeckNoise``; ``PerWorkerGaussianNoise`` also
works), and the third of the workers with the smallest scales report the episodes.

Defaults: DDPG's, merged (as RLlib 1.x's ``DDPGTrainer.merge_trainer_configs``) with Ape-X's
``optimizer``, ``n_step: 3``, ``buffer_size: 2000000``, ``learning_starts: 50000``,
``train_batch_size: 512``, ``rollout_fragment_length: 50``, ``target_network_update_freq: 500000``,
``timesteps_per_iteration: 25000``, ``worker_side_prioritization: True``, ``min_iter_time_s: 30``,
``num_workers: 32``, ``num_gpus: 0``; the ``exploration_config`` is replaced whole (its type
changes), so the OU parameters are the exploration class's defaults, as in 1.x.

Examples:
    >>> APEX_DDPG_DEFAULT_CONFIG["n_step"], APEX_DDPG_DEFAULT_CONFIG["optimizer"]["num_replay_buffer_shards"]
    (3, 4)
    >>> APEX_DDPG_DEFAULT_CONFIG["exploration_config"], APEX_DDPG_DEFAULT_CONFIG["actor_hiddens"]
    ({'type': 'PerWorkerOrnsteinUhlenbeckNoise'}, [400, 300])
    >>> ApexDDPGTrainer.__name__
    'APEX_DDPG'
    >>> validate_config(dict(APEX_DDPG_DEFAULT_CONFIG, optimizer={"max_weight_sync_delay": 0,
    ...                                                          "num_replay_buffer_shards": 1}))
    Traceback (most recent call last):
    ...
    ValueError: optimizer.max_weight_sync_delay=0: expected an int >= 1
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.apex.apex import APEX_DEFAULT_CONFIG, _ApexTrainerMixin, validate_apex_keys
from rlcore.algorithms.apex.apex import execution_plan as apex_execution_plan
from rlcore.algorithms.ddpg.ddpg import DEFAULT_CONFIG as DDPG_CONFIG
from rlcore.algorithms.ddpg.ddpg import DDPGTrainer
from rlcore.algorithms.ddpg.ddpg import validate_config as validate_ddpg_config

__all__ = ["APEX_DDPG_DEFAULT_CONFIG", "DEFAULT_CONFIG", "ApexDDPGTrainer", "validate_config"]

# fmt: off
#: Ape-X DDPG's defaults: DDPG's with RLlib 1.x's Ape-X DDPG overrides.
APEX_DDPG_DEFAULT_CONFIG: Dict[str, Any] = DDPGTrainer.merge_trainer_configs(DDPG_CONFIG, {
    # Ape-X's sharding keys (see rlcore.algorithms.apex): weight pushes, replay shards, debug stats.
    "optimizer": dict(APEX_DEFAULT_CONFIG["optimizer"]),
    # Each remote worker adds OU noise of its own constant scale; the local worker none.
    "exploration_config": {"type": "PerWorkerOrnsteinUhlenbeckNoise"},
    "n_step": 3,
    "num_gpus": 0,
    "num_workers": 32,
    "buffer_size": 2000000,
    "learning_starts": 50000,
    "train_batch_size": 512,
    "rollout_fragment_length": 50,
    "target_network_update_freq": 500000,
    "timesteps_per_iteration": 25000,
    "worker_side_prioritization": True,
    "min_iter_time_s": 30,
    # Ape-X's plan keys that DDPG's defaults do not have (Ape-X's values).
    "replay_buffer_shards_colocated_with_driver": APEX_DEFAULT_CONFIG["replay_buffer_shards_colocated_with_driver"],
}, _allow_unknown_configs=True)
# fmt: on

DEFAULT_CONFIG = APEX_DDPG_DEFAULT_CONFIG


def validate_config(config: Dict[str, Any]) -> None:
    """Ape-X's sharding checks (:func:`rlcore.algorithms.apex.validate_apex_keys`), then DDPG's.

    Raises:
        ValueError: Naming the key, its value and what was expected.
    """
    validate_apex_keys(config)
    validate_ddpg_config(config)


ApexDDPGTrainer = DDPGTrainer.with_updates(
    name="APEX_DDPG",
    default_config=APEX_DDPG_DEFAULT_CONFIG,
    validate_config=validate_config,
    execution_plan=apex_execution_plan,
    mixins=[_ApexTrainerMixin],
)
