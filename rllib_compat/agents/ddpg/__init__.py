"""``ray.rllib.agents.ddpg``: the same objects as :mod:`rlcore.algorithms.ddpg` (no ``ApexDDPGTrainer``:
Ape-X is not built yet).

Examples:
    >>> from rllib_compat.agents.ddpg import DDPGTrainer, TD3Trainer, DEFAULT_CONFIG
    >>> import rlcore.algorithms.ddpg.ddpg
    >>> DDPGTrainer is rlcore.algorithms.ddpg.ddpg.DDPGTrainer, TD3Trainer.__name__, DEFAULT_CONFIG["twin_q"]
    (True, 'TD3', False)
"""

from rlcore.algorithms.ddpg.ddpg import DEFAULT_CONFIG, DDPGTrainer
from rlcore.algorithms.ddpg.ddpg_tf_policy import DDPGTFPolicy
from rlcore.algorithms.ddpg.ddpg_torch_policy import DDPGTorchPolicy
from rlcore.algorithms.ddpg.td3 import TD3Trainer

__all__ = ["DEFAULT_CONFIG", "DDPGTrainer", "TD3Trainer", "DDPGTFPolicy", "DDPGTorchPolicy"]
