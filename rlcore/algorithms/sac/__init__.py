"""Soft Actor-Critic (RLlib 1.x ``agents/sac``): continuous (squashed Gaussian) and discrete actions,
twin Q networks, a learned entropy coefficient, torch and TF2 policies, on DQN's replay plan.

Examples:
    >>> from rlcore.algorithms.sac import SACTrainer, DEFAULT_CONFIG
    >>> SACTrainer.__name__, DEFAULT_CONFIG["target_entropy"]
    ('SAC', 'auto')
"""

from rlcore.algorithms.sac.sac import DEFAULT_CONFIG, SACTrainer, get_policy_class, resolve_target_entropy, \
    validate_config
from rlcore.algorithms.sac.sac_tf_policy import SACTFPolicy
from rlcore.algorithms.sac.sac_torch_policy import SACTorchPolicy

__all__ = ["DEFAULT_CONFIG", "SACTrainer", "SACTFPolicy", "SACTorchPolicy", "get_policy_class",
           "resolve_target_entropy", "validate_config"]
