"""SAC's defaults over ``COMMON_CONFIG``.

Apart from the trainer module: a worker's policy loads without it (:mod:`rlcore.algorithms`).
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.trainer_config import with_common_config

__all__ = ["DEFAULT_CONFIG"]

# fmt: off
#: SAC's defaults over ``COMMON_CONFIG`` (RLlib 1.x values).
DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # === Model ===
    # Use two Q-networks (instead of one) for action-value estimation (each has its own target).
    "twin_q": True,
    # A state preprocessing network before the Q and policy networks (RLlib 1.x; only False here).
    "use_state_preprocessor": False,
    # Model options for the Q network(s).
    "Q_model": {
        "fcnet_activation": "relu",
        "fcnet_hiddens": [256, 256],
    },
    # Model options for the policy function.
    "policy_model": {
        "fcnet_activation": "relu",
        "fcnet_hiddens": [256, 256],
    },
    # Unsquash actions to the upper and lower bounds of env's action space.
    "normalize_actions": True,
    # === Learning ===
    # Disable setting done=True at end of episode. This should be set to True for infinite-horizon
    # MDPs (e.g., many continuous control problems).
    "no_done_at_end": False,
    # Update the target by \tau * policy + (1-\tau) * target_policy.
    "tau": 5e-3,
    # Initial value to use for the entropy weight alpha.
    "initial_alpha": 1.0,
    # Target entropy lower bound. If "auto", will be set to -|A| (e.g. -2.0 for Box(shape=(2,)))
    # or, for Discrete(n), to 0.98 * -log(1 / n).
    "target_entropy": "auto",
    # N-step target updates.
    "n_step": 1,
    # Number of env steps to optimize for before returning.
    "timesteps_per_iteration": 100,
    # === Replay buffer ===
    # Size of the replay buffer (in time steps).
    "buffer_size": int(1e6),
    # If True prioritized replay buffer will be used.
    "prioritized_replay": False,
    "prioritized_replay_alpha": 0.6,
    "prioritized_replay_beta": 0.4,
    "prioritized_replay_eps": 1e-6,
    "prioritized_replay_beta_annealing_timesteps": 20000,
    "final_prioritized_replay_beta": 0.4,
    # Whether to LZ4 compress observations.
    "compress_observations": False,
    # The intensity with which to update the model (vs collecting samples from the env). If None,
    # uses the "natural" value of train_batch_size / rollout_fragment_length.
    "training_intensity": None,
    # === Optimization ===
    "optimization": {
        "actor_learning_rate": 3e-4,
        "critic_learning_rate": 3e-4,
        "entropy_learning_rate": 3e-4,
    },
    # If not None, clip gradients during optimization at this value.
    "grad_clip": None,
    # How many steps of the model to sample before learning starts.
    "learning_starts": 1500,
    # Update the replay buffer with this many samples at once. Note that this setting applies
    # per-worker if num_workers > 1.
    "rollout_fragment_length": 1,
    # Size of a batched sampled from replay buffer for training.
    "train_batch_size": 256,
    # Update the target network every `target_network_update_freq` steps.
    "target_network_update_freq": 0,
    # === Parallelism ===
    # Whether to use a GPU for local optimization.
    "num_gpus": 0,
    # Number of workers for collecting samples with.
    "num_workers": 0,
    # Whether to allocate GPUs for workers (if > 0).
    "num_gpus_per_worker": 0,
    # Whether to allocate CPUs for workers (if > 0).
    "num_cpus_per_worker": 1,
    # Whether to compute priorities on workers.
    "worker_side_prioritization": False,
    # Prevent iterations from going lower than this time span.
    "min_iter_time_s": 1,
    # Whether the loss should be calculated deterministically (w/o the stochastic action sampling
    # step). True only useful for cont. actions and for debugging!
    "_deterministic_loss": False,
    # Use a Beta-distribution instead of a SquashedGaussian for bounded, continuous action spaces
    # (RLlib 1.x's debugging option; only False here).
    "_use_beta_distribution": False,
})
# fmt: on
