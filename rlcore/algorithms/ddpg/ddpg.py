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

from rlcore.algorithms.ddpg.ddpg_tf_policy import DDPGTFPolicy
from rlcore.algorithms.ddpg.ddpg_torch_policy import DDPGTorchPolicy
from rlcore.algorithms.dqn.simple_q import ReplayBufferAccess
from rlcore.algorithms.sac.sac import _check_int, _check_number, check_replay_config
from rlcore.trainer import build_trainer
from rlcore.trainer_config import with_common_config

__all__ = ["DEFAULT_CONFIG", "DDPGTrainer", "validate_config", "get_policy_class", "execution_plan"]

# fmt: off
#: DDPG's defaults over ``COMMON_CONFIG`` (RLlib 1.x values).
DEFAULT_CONFIG: Dict[str, Any] = with_common_config({
    # === Twin Delayed DDPG (TD3) and Soft Actor-Critic (SAC) tricks ===
    # TD3: https://spinningup.openai.com/en/latest/algorithms/td3.html
    # twin Q-net
    "twin_q": False,
    # delayed policy update
    "policy_delay": 1,
    # target policy smoothing (this also replaces OU exploration noise with IID Gaussian exploration noise, for now)
    "smooth_target_policy": False,
    # gaussian stddev of target action noise for smoothing
    "target_noise": 0.2,
    # target noise limit (bound)
    "target_noise_clip": 0.5,
    # === Evaluation ===
    # Evaluate with epsilon=0 every `evaluation_interval` training iterations.
    "evaluation_interval": None,
    # Number of episodes to run per evaluation period.
    "evaluation_num_episodes": 10,
    # === Model ===
    # Apply a state preprocessor with spec given by the "model" config option (RLlib 1.x; only False here).
    "use_state_preprocessor": False,
    # Postprocess the policy network model output with these hidden layers.
    "actor_hiddens": [400, 300],
    # Hidden layers activation of the postprocessing stage of the policy network
    "actor_hidden_activation": "relu",
    # Postprocess the critic network model output with these hidden layers.
    "critic_hiddens": [400, 300],
    # Hidden layers activation of the postprocessing state of the critic.
    "critic_hidden_activation": "relu",
    # N-step Q learning
    "n_step": 1,
    # === Exploration ===
    "exploration_config": {
        # DDPG uses OrnsteinUhlenbeck (stateful) noise to be added to NN-output actions (after a
        # possible pure random phase of n timesteps).
        "type": "OrnsteinUhlenbeckNoise",
        # For how many timesteps should we return completely random actions, before we start
        # adding (scaled) noise?
        "random_timesteps": 1000,
        # The OU-base scaling factor to always apply to action-added noise.
        "ou_base_scale": 0.1,
        # The OU theta param.
        "ou_theta": 0.15,
        # The OU sigma param.
        "ou_sigma": 0.2,
        # The initial noise scaling factor.
        "initial_scale": 1.0,
        # The final noise scaling factor.
        "final_scale": 0.02,
        # Timesteps over which to anneal scale (from initial to final values).
        "scale_timesteps": 10000,
    },
    # Number of env steps to optimize for before returning
    "timesteps_per_iteration": 1000,
    # Extra configuration that disables exploration.
    "evaluation_config": {
        "explore": False,
    },
    # === Replay buffer ===
    # Size of the replay buffer. Note that if async_updates is set, then each worker will have a
    # replay buffer of this size.
    "buffer_size": 50000,
    # If True prioritized replay buffer will be used.
    "prioritized_replay": True,
    # Alpha parameter for prioritized replay buffer.
    "prioritized_replay_alpha": 0.6,
    # Beta parameter for sampling from prioritized replay buffer.
    "prioritized_replay_beta": 0.4,
    # Time steps over which the beta parameter is annealed.
    "prioritized_replay_beta_annealing_timesteps": 20000,
    # Final value of beta
    "final_prioritized_replay_beta": 0.4,
    # Epsilon to add to the TD errors when updating priorities.
    "prioritized_replay_eps": 1e-6,
    # Whether to LZ4 compress observations
    "compress_observations": False,
    # If set, this will fix the ratio of replayed from a buffer and learned on timesteps to
    # sampled from an environment and stored in the replay buffer timesteps.
    "training_intensity": None,
    # === Optimization ===
    # Learning rate for the critic (Q-function) optimizer.
    "critic_lr": 1e-3,
    # Learning rate for the actor (policy) optimizer.
    "actor_lr": 1e-3,
    # Update the target network every `target_network_update_freq` steps.
    "target_network_update_freq": 0,
    # Update the target by \tau * policy + (1-\tau) * target_policy
    "tau": 0.002,
    # If True, use huber loss instead of squared loss for critic network. Conventionally, no
    # need to clip gradients if using a huber loss
    "use_huber": False,
    # Threshold of a huber loss
    "huber_threshold": 1.0,
    # Weights for L2 regularization
    "l2_reg": 1e-6,
    # If not None, clip gradients during optimization at this value
    "grad_clip": None,
    # How many steps of the model to sample before learning starts.
    "learning_starts": 1500,
    # Update the replay buffer with this many samples at once. Note that this setting applies
    # per-worker if num_workers > 1.
    "rollout_fragment_length": 1,
    # Size of a batched sampled from replay buffer for training. Note that if async_updates is
    # set, then each worker returns gradients for a batch of this size.
    "train_batch_size": 256,
    # === Parallelism ===
    # Number of workers for collecting samples with. This only makes sense to increase if your
    # environment is particularly slow to sample, or if you're using the Async or Ape-X optimizers.
    "num_workers": 0,
    # Whether to compute priorities on workers.
    "worker_side_prioritization": False,
    # Prevent iterations from going lower than this time span
    "min_iter_time_s": 1,
})
# fmt: on

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
