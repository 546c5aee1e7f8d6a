"""DQN and SimpleQ: Q-learning from replay with a target network (RLlib 1.x ``agents/dqn``).

SimpleQ is plain Q-learning; DQN adds RLlib 1.x's Rainbow options (double Q, dueling, n-step,
prioritized replay, distributional C51, noisy nets). Both have torch and TF2 policies and one
replay plan (store and replay-then-train, round robin).

Examples:
    >>> from rlcore.algorithms.dqn import DQNTrainer, SimpleQTrainer, DEFAULT_CONFIG
    >>> DQNTrainer.__name__, SimpleQTrainer.__name__, DEFAULT_CONFIG["prioritized_replay"]
    ('DQN', 'SimpleQ', True)
"""

from rlcore.algorithms.dqn.dqn import (DEFAULT_CONFIG, AnnealPrioritizedReplayBeta, DQNTrainer, UpdatePriorities,
                                       calculate_rr_weights, execution_plan, get_policy_class, validate_config)
from rlcore.algorithms.dqn.dqn_tf_policy import DQNTFPolicy
from rlcore.algorithms.dqn.dqn_torch_policy import DQNTorchPolicy
from rlcore.algorithms.dqn.replay_buffer import QReplayBuffer, make_replay_buffer
from rlcore.algorithms.dqn.simple_q import DEFAULT_CONFIG as SIMPLE_Q_DEFAULT_CONFIG
from rlcore.algorithms.dqn.simple_q import SimpleQTrainer
from rlcore.algorithms.dqn.simple_q_tf_policy import SimpleQTFPolicy
from rlcore.algorithms.dqn.simple_q_torch_policy import SimpleQTorchPolicy

__all__ = ["DEFAULT_CONFIG", "SIMPLE_Q_DEFAULT_CONFIG", "DQNTrainer", "SimpleQTrainer", "DQNTFPolicy",
           "DQNTorchPolicy", "SimpleQTFPolicy", "SimpleQTorchPolicy", "QReplayBuffer", "make_replay_buffer",
           "UpdatePriorities", "AnnealPrioritizedReplayBeta", "calculate_rr_weights", "execution_plan",
           "get_policy_class", "validate_config"]
