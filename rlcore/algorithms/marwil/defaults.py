"""MARWIL's defaults over ``COMMON_CONFIG``.

Apart from the trainer module: a worker's policy loads without it (:mod:`rlcore.algorithms`).
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.trainer_config import with_common_config

__all__ = ["DEFAULT_CONFIG"]

# fmt: off
#: MARWIL's defaults over ``COMMON_CONFIG`` (RLlib 1.x values).
DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # Scaling of advantages in exponential terms. When beta is 0.0, MARWIL is reduced to behavior
    # cloning (imitation learning); see bc.py in this same directory.
    "beta": 1.0,
    # Balancing value estimation loss and policy optimization loss.
    "vf_coeff": 1.0,
    # If specified, clip the global norm of gradients by this amount.
    "grad_clip": None,
    # Whether to calculate cumulative rewards (the offline inputs are postprocessed per episode).
    "postprocess_inputs": True,
    # Whether to rollout "complete_episodes" or "truncate_episodes".
    "batch_mode": "complete_episodes",
    # Learning rate for adam optimizer.
    "lr": 1e-4,
    # Number of timesteps collected for each SGD round.
    "train_batch_size": 2000,
    # Size of the replay buffer in (single and independent) timesteps.
    "replay_buffer_size": 1000,
    # Number of steps to read before learning starts.
    "learning_starts": 0,
    # A coefficient to encourage higher action distribution entropy for exploration.
    "bc_logstd_coeff": 0.0,
    # Update rate and starting value of the squared moving average advantage norm (c^2).
    "moving_average_sqd_adv_norm_update_rate": 1e-8,
    "moving_average_sqd_adv_norm_start": 100.0,
    # Use importance sampling estimators for reward.
    "input_evaluation": ["is", "wis"],
    # No remote workers by default.
    "num_workers": 0,
})
# fmt: on
