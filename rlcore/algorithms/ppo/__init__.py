"""PPO: proximal policy optimization; defaults, torch and TF policies, execution plan, trainer.

Examples:
    >>> from rlcore.algorithms.ppo import PPOTrainer, DEFAULT_CONFIG
    >>> PPOTrainer.__name__, DEFAULT_CONFIG["clip_param"], DEFAULT_CONFIG["model"]["vf_share_layers"]
    ('PPO', 0.3, False)
"""

from rlcore.algorithms.ppo.kl_coeff import KLCoeffMixin
from rlcore.algorithms.ppo.ppo import (DEFAULT_CONFIG, PPOTrainer, UpdateKL, execution_plan, get_policy_class,
                                       validate_config, warn_about_bad_reward_scales)
from rlcore.algorithms.ppo.ppo_tf_policy import PPOTFPolicy
from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy

__all__ = ["DEFAULT_CONFIG", "PPOTrainer", "PPOTFPolicy", "PPOTorchPolicy", "KLCoeffMixin", "UpdateKL",
           "execution_plan", "get_policy_class", "validate_config", "warn_about_bad_reward_scales"]
