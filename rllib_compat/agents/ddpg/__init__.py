"""``ray.rllib.agents.ddpg``: the same objects as :mod:`rlcore.algorithms.ddpg` (``ApexDDPGTrainer``:
DDPG's policies on Ape-X's plan, :mod:`rlcore.algorithms.ddpg.apex`).

Examples:
    >>> from rllib_compat.agents.ddpg import DDPGTrainer, TD3Trainer, DEFAULT_CONFIG
    >>> import rlcore.algorithms.ddpg.ddpg
    >>> DDPGTrainer is rlcore.algorithms.ddpg.ddpg.DDPGTrainer, TD3Trainer.__name__, DEFAULT_CONFIG["twin_q"]
    (True, 'TD3', False)
    >>> from rllib_compat.agents.ddpg import ApexDDPGTrainer
    >>> ApexDDPGTrainer.__name__
    'APEX_DDPG'
"""

from rlcore.algorithms.ddpg.apex import ApexDDPGTrainer
from rlcore.algorithms.ddpg.ddpg import DEFAULT_CONFIG, DDPGTrainer
from rlcore.algorithms.ddpg.ddpg_tf_policy import DDPGTFPolicy
from rlcore.algorithms.ddpg.ddpg_torch_policy import DDPGTorchPolicy
from rlcore.algorithms.ddpg.td3 import TD3Trainer

__all__ = ["DEFAULT_CONFIG", "DDPGTrainer", "TD3Trainer", "ApexDDPGTrainer", "DDPGTFPolicy", "DDPGTorchPolicy"]
