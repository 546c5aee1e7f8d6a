"""TD3: DDPG with RLlib 1.x's TD3 defaults (``agents/ddpg/td3.py``): twin Q networks, delayed
actor updates, target policy smoothing, Gaussian exploration after 10000 random steps, uniform
replay, ``tau=5e-3``, no L2 regularisation.

Examples:
    >>> TD3_DEFAULT_CONFIG["twin_q"], TD3_DEFAULT_CONFIG["policy_delay"], TD3_DEFAULT_CONFIG["exploration_config"]["type"]
    (True, 2, 'GaussianNoise')
    >>> TD3Trainer.__name__
    'TD3'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.ddpg.ddpg import DEFAULT_CONFIG as DDPG_CONFIG
from rlcore.algorithms.ddpg.ddpg import DDPGTrainer

__all__ = ["TD3_DEFAULT_CONFIG", "DEFAULT_CONFIG", "TD3Trainer"]

# fmt: off
#: TD3's defaults: DDPG's with RLlib 1.x's TD3 overrides.
TD3_DEFAULT_CONFIG: Dict[str, Any] = DDPGTrainer.merge_trainer_configs(DDPG_CONFIG, {
    # largest changes: twin Q functions, delayed policy updates, and target smoothing
    "twin_q": True,
    "policy_delay": 2,
    "smooth_target_policy": True,
    "target_noise": 0.2,
    "target_noise_clip": 0.5,
    "exploration_config": {
        # TD3 uses simple Gaussian noise on top of deterministic NN-output actions (after a
        # possible pure random phase of n timesteps).
        "type": "GaussianNoise",
        # For how many timesteps should we return completely random actions, before we start
        # adding (scaled) noise?
        "random_timesteps": 10000,
        # Gaussian stddev of action noise for exploration.
        "stddev": 0.1,
        # Scaling settings by which the Gaussian noise is scaled before being added to the actions.
        # NOTE: The scale timesteps start only after(!) any random steps have been finished.
        # By default, do not anneal over time (fixed 1.0).
        "initial_scale": 1.0,
        "final_scale": 1.0,
        "scale_timesteps": 1,
    },
    # other changes & things we want to keep fixed: larger batch size, and everything (other
    # than the above three) as specified in the TD3 paper
    "learning_starts": 10000,
    "timesteps_per_iteration": 1000,
    "actor_hiddens": [400, 300],
    "critic_hiddens": [400, 300],
    "n_step": 1,
    "gamma": 0.99,
    "actor_lr": 1e-3,
    "critic_lr": 1e-3,
    "l2_reg": 0.0,
    "tau": 5e-3,
    "train_batch_size": 100,
    "use_huber": False,
    "target_network_update_freq": 0,
    "num_workers": 0,
    "num_gpus_per_worker": 0,
    "worker_side_prioritization": False,
    "buffer_size": 1000000,
    "prioritized_replay": False,
    "clip_rewards": False,
    "use_state_preprocessor": False,
}, _allow_unknown_configs=False)
# fmt: on

DEFAULT_CONFIG = TD3_DEFAULT_CONFIG

TD3Trainer = DDPGTrainer.with_updates(name="TD3", default_config=TD3_DEFAULT_CONFIG)
