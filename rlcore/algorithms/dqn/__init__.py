"""DQN and SimpleQ: Q-learning from replay with a target network (RLlib 1.x ``agents/dqn``).

SimpleQ is plain Q-learning; DQN adds RLlib 1.x's Rainbow options (double Q, dueling, n-step,
prioritized replay, distributional C51, noisy nets). Both have torch and TF2 policies and one
replay plan (store and replay-then-train, round robin).

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`).

Examples:
    >>> from rlcore.algorithms.dqn import DQNTrainer, SimpleQTrainer, DEFAULT_CONFIG
    >>> DQNTrainer.__name__, SimpleQTrainer.__name__, DEFAULT_CONFIG["prioritized_replay"]
    ('DQN', 'SimpleQ', True)
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    "SIMPLE_Q_DEFAULT_CONFIG": "defaults",
    **dict.fromkeys(["DQNTrainer", "UpdatePriorities", "AnnealPrioritizedReplayBeta", "calculate_rr_weights",
                     "execution_plan", "get_policy_class", "validate_config"], "dqn"),
    "SimpleQTrainer": "simple_q",
    "DQNTFPolicy": "dqn_tf_policy",
    "DQNTorchPolicy": "dqn_torch_policy",
    "SimpleQTFPolicy": "simple_q_tf_policy",
    "SimpleQTorchPolicy": "simple_q_torch_policy",
    "QReplayBuffer": "replay_buffer",
    "make_replay_buffer": "replay_buffer",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
