"""DDPG and TD3 (RLlib 1.x ``agents/ddpg``): a deterministic actor with Ornstein-Uhlenbeck or
Gaussian exploration, Q network(s) with soft target updates; TD3 adds twin Q, delayed actor
updates and target policy smoothing. Torch and TF2 policies, on DQN's replay plan. Ape-X DDPG
(:mod:`rlcore.algorithms.ddpg.apex`) runs DDPG's policies on Ape-X's distributed plan.

Examples:
    >>> from rlcore.algorithms.ddpg import DDPGTrainer, TD3Trainer
    >>> from rlcore.algorithms.ddpg import ApexDDPGTrainer
    >>> DDPGTrainer.__name__, TD3Trainer.__name__, ApexDDPGTrainer.__name__
    ('DDPG', 'TD3', 'APEX_DDPG')
"""

from rlcore.algorithms.ddpg.apex import APEX_DDPG_DEFAULT_CONFIG, ApexDDPGTrainer
from rlcore.algorithms.ddpg.ddpg import DEFAULT_CONFIG, DDPGTrainer, get_policy_class, validate_config
from rlcore.algorithms.ddpg.ddpg_tf_policy import DDPGTFPolicy
from rlcore.algorithms.ddpg.ddpg_torch_policy import DDPGTorchPolicy
from rlcore.algorithms.ddpg.td3 import TD3_DEFAULT_CONFIG, TD3Trainer

__all__ = ["DEFAULT_CONFIG", "TD3_DEFAULT_CONFIG", "APEX_DDPG_DEFAULT_CONFIG", "DDPGTrainer", "TD3Trainer",
           "ApexDDPGTrainer", "DDPGTFPolicy", "DDPGTorchPolicy",
           "get_policy_class", "validate_config"]
