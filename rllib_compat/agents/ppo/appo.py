"""``ray.rllib.agents.ppo.appo``: the same objects as :mod:`rlcore.algorithms.appo.appo`.

Examples:
    >>> from rllib_compat.agents.ppo.appo import APPOTrainer, UpdateTargetAndKL
    >>> import rlcore.algorithms.appo.appo as appo
    >>> APPOTrainer is appo.APPOTrainer, UpdateTargetAndKL is appo.UpdateTargetAndKL
    (True, True)
"""

from rlcore.algorithms.appo.appo import (DEFAULT_CONFIG, APPOTrainer, UpdateTargetAndKL, execution_plan,
                                         get_policy_class, initialize_target, validate_config)

__all__ = ["DEFAULT_CONFIG", "APPOTrainer", "UpdateTargetAndKL", "execution_plan", "get_policy_class",
           "initialize_target", "validate_config"]
