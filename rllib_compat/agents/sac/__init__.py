"""``ray.rllib.agents.sac``: the same objects as :mod:`rlcore.algorithms.sac`.

Examples:
    >>> from rllib_compat.agents.sac import SACTrainer, DEFAULT_CONFIG
    >>> import rlcore.algorithms.sac.sac
    >>> SACTrainer is rlcore.algorithms.sac.sac.SACTrainer, DEFAULT_CONFIG["twin_q"]
    (True, True)
"""

from rlcore.algorithms.sac.sac import DEFAULT_CONFIG, SACTrainer
from rlcore.algorithms.sac.sac_tf_policy import SACTFPolicy
from rlcore.algorithms.sac.sac_torch_policy import SACTorchPolicy

__all__ = ["DEFAULT_CONFIG", "SACTrainer", "SACTFPolicy", "SACTorchPolicy"]
