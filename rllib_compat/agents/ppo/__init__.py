"""``ray.rllib.agents.ppo``: the same objects as :mod:`rlcore.algorithms.ppo`.

Examples:
    >>> from rllib_compat.agents.ppo import PPOTrainer
    >>> import rlcore.algorithms.ppo.ppo
    >>> PPOTrainer is rlcore.algorithms.ppo.ppo.PPOTrainer
    True
    >>> from rllib_compat.agents.ppo import APPOTrainer
    >>> APPOTrainer.__name__
    'APPO'
"""

from rlcore.algorithms.appo.appo import APPOTrainer
from rlcore.algorithms.ppo.ppo import DEFAULT_CONFIG, PPOTrainer
from rlcore.algorithms.ppo.ppo_tf_policy import PPOTFPolicy
from rlcore.algorithms.ppo.ppo_torch_policy import PPOTorchPolicy

__all__ = ["DEFAULT_CONFIG", "PPOTrainer", "APPOTrainer", "PPOTFPolicy", "PPOTorchPolicy"]
