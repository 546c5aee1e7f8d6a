"""SimpleQ's and DQN's defaults.

Apart from the trainer module: a worker's policy loads without it (:mod:`rlcore.algorithms`).
"""

from __future__ import annotations

import copy
from typing import Any, Dict

from rlcore.trainer_config import deep_update, with_common_config

__all__ = ["DEFAULT_CONFIG", "SIMPLE_Q_DEFAULT_CONFIG"]

# fmt: off
#: SimpleQ's defaults over ``COMMON_CONFIG`` (RLlib 1.x values).
SIMPLE_Q_DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # === Exploration Settings ===
    "exploration_config": {
        # The Exploration class to use.
        "type": "EpsilonGreedy",
        # Config for the Exploration class' constructor:
        "initial_epsilon": 1.0,
        "final_epsilon": 0.02,
        "epsilon_timesteps": 10000,  # Timesteps over which to anneal epsilon.
        # For soft_q, use: {"type": "SoftQ", "temperature": 1.0}
    },
    # Switch to greedy actions in evaluation workers.
    "evaluation_config": {
        "explore": False,
    },
    # Minimum env steps to optimize for per train call. This value does not affect learning, only
    # the length of iterations.
    "timesteps_per_iteration": 1000,
    # Update the target network every `target_network_update_freq` steps.
    "target_network_update_freq": 500,
    # === Replay buffer ===
    # Size of the replay buffer (rows per policy).
    "buffer_size": 50000,
    # Whether to LZ4-compress observations in the replay buffer.
    "compress_observations": False,
    # === Optimization ===
    # Learning rate for adam optimizer.
    "lr": 5e-4,
    # Learning rate schedule: [[timestep, value], ...].
    "lr_schedule": None,
    # Adam epsilon hyper parameter.
    "adam_epsilon": 1e-8,
    # If not None, clip gradients during optimization at this value.
    "grad_clip": 40,
    # How many steps of the model to sample before learning starts.
    "learning_starts": 1000,
    # Update the replay buffer with this many samples at once. Note that this setting applies
    # per-worker if num_workers > 1.
    "rollout_fragment_length": 4,
    # Size of a batch sampled from replay buffer for training.
    "train_batch_size": 32,
    # === Parallelism ===
    # Number of workers for collecting samples with.
    "num_workers": 0,
    # Prevent iterations from going lower than this time span.
    "min_iter_time_s": 1,
})
# fmt: on


# fmt: off
#: DQN's defaults: SimpleQ's plus the Rainbow options (RLlib 1.x values).
DEFAULT_CONFIG: Dict[str, Any] = deep_update(copy.deepcopy(SIMPLE_Q_DEFAULT_CONFIG), {
    # === Model ===
    # Number of atoms for representing the distribution of return. When this is greater than 1,
    # distributional Q-learning is used; the discrete supports are bounded by v_min and v_max.
    "num_atoms": 1,
    "v_min": -10.0,
    "v_max": 10.0,
    # Whether to use noisy network.
    "noisy": False,
    # Control the initial value of noisy nets.
    "sigma0": 0.5,
    # Whether to use dueling dqn.
    "dueling": True,
    # Dense-layer setup for each the advantage branch and the value branch in a dueling architecture.
    "hiddens": [256],
    # Whether to use double dqn.
    "double_q": True,
    # N-step Q learning.
    "n_step": 1,
    # === Prioritized replay buffer ===
    # If True prioritized replay buffer will be used.
    "prioritized_replay": True,
    # Alpha parameter for prioritized replay buffer.
    "prioritized_replay_alpha": 0.6,
    # Beta parameter for sampling from prioritized replay buffer.
    "prioritized_replay_beta": 0.4,
    # Final value of beta (by default, we use constant beta=0.4).
    "final_prioritized_replay_beta": 0.4,
    # Time steps over which the beta parameter is annealed.
    "prioritized_replay_beta_annealing_timesteps": 20000,
    # Epsilon to add to the TD errors when updating priorities.
    "prioritized_replay_eps": 1e-6,
    # Callback to run before learning on a multi-agent batch of experiences:
    # fn(batch, workers, config) -> batch.
    "before_learn_on_batch": None,
    # The intensity with which to update the model (vs collecting samples from the env). If None,
    # uses the "natural" value of train_batch_size / rollout_fragment_length. If provided, the
    # ratio of timesteps replayed to timesteps sampled matches it (see calculate_rr_weights).
    "training_intensity": None,
    # === Parallelism ===
    # Whether to compute priorities on workers.
    "worker_side_prioritization": False,
}, True)
# fmt: on
