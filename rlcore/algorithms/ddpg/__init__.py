"""DDPG and TD3 (RLlib 1.x ``agents/ddpg``): a deterministic actor with Ornstein-Uhlenbeck or
Gaussian exploration, Q network(s) with soft target updates; TD3 adds twin Q, delayed actor
updates and target policy smoothing. Torch and TF2 policies, on DQN's replay plan. Ape-X DDPG
(:mod:`rlcore.algorithms.ddpg.apex`) runs DDPG's policies on Ape-X's distributed plan.

Names are imported on first use (:func:`rlcore.algorithms.lazy_exports`).

Examples:
    >>> from rlcore.algorithms.ddpg import DDPGTrainer, TD3Trainer
    >>> from rlcore.algorithms.ddpg import ApexDDPGTrainer
    >>> DDPGTrainer.__name__, TD3Trainer.__name__, ApexDDPGTrainer.__name__
    ('DDPG', 'TD3', 'APEX_DDPG')
"""

from rlcore.algorithms import lazy_exports

_EXPORTS = {
    "DEFAULT_CONFIG": "defaults",
    "TD3_DEFAULT_CONFIG": "td3",
    "APEX_DDPG_DEFAULT_CONFIG": "apex",
    "DDPGTrainer": "ddpg",
    "TD3Trainer": "td3",
    "ApexDDPGTrainer": "apex",
    "DDPGTFPolicy": "ddpg_tf_policy",
    "DDPGTorchPolicy": "ddpg_torch_policy",
    "get_policy_class": "ddpg",
    "validate_config": "ddpg",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
