"""Soft Actor-Critic (RLlib 1.x ``agents/sac``): continuous (squashed Gaussian) and discrete actions,
twin Q networks, a learned entropy coefficient, torch and TF2 policies, on DQN's replay plan.

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`).

Examples:
    >>> from rlcore.algorithms.sac import SACTrainer, DEFAULT_CONFIG
    >>> SACTrainer.__name__, DEFAULT_CONFIG["target_entropy"]
    ('SAC', 'auto')
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    "SACTrainer": "sac",
    "SACTFPolicy": "sac_tf_policy",
    "SACTorchPolicy": "sac_torch_policy",
    "get_policy_class": "sac",
    "resolve_target_entropy": "sac",
    "validate_config": "sac",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
