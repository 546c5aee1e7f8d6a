"""``ray.rllib.agents.dqn.dqn``: the same objects as :mod:`rlcore.algorithms.dqn.dqn`.

Examples:
    >>> from rllib_compat.agents.dqn.dqn import DQNTrainer, calculate_rr_weights
    >>> import rlcore.algorithms.dqn.dqn
    >>> DQNTrainer is rlcore.algorithms.dqn.dqn.DQNTrainer, calculate_rr_weights({"training_intensity": None})
    (True, [1, 1])
"""

from rlcore.algorithms.dqn.dqn import (DEFAULT_CONFIG, DQNTrainer, calculate_rr_weights, execution_plan,
                                       get_policy_class, validate_config)

__all__ = ["DEFAULT_CONFIG", "DQNTrainer", "calculate_rr_weights", "execution_plan", "get_policy_class",
           "validate_config"]
