"""``ray.rllib.agents.dqn``: the same objects as :mod:`rlcore.algorithms.dqn`.

Examples:
    >>> from rllib_compat.agents.dqn import DQNTrainer, SimpleQTrainer, DEFAULT_CONFIG
    >>> import rlcore.algorithms.dqn.dqn
    >>> DQNTrainer is rlcore.algorithms.dqn.dqn.DQNTrainer, SimpleQTrainer.__name__, DEFAULT_CONFIG["n_step"]
    (True, 'SimpleQ', 1)
    >>> from rllib_compat.agents.dqn import ApexTrainer, APEX_DEFAULT_CONFIG
    >>> ApexTrainer.__name__, APEX_DEFAULT_CONFIG["n_step"]
    ('APEX', 3)
"""

from rlcore.algorithms.apex.apex import APEX_DEFAULT_CONFIG, ApexTrainer
from rlcore.algorithms.dqn.dqn import DEFAULT_CONFIG, DQNTrainer
from rlcore.algorithms.dqn.dqn_tf_policy import DQNTFPolicy
from rlcore.algorithms.dqn.dqn_torch_policy import DQNTorchPolicy
from rlcore.algorithms.dqn.simple_q import DEFAULT_CONFIG as SIMPLE_Q_DEFAULT_CONFIG
from rlcore.algorithms.dqn.simple_q import SimpleQTrainer
from rlcore.algorithms.dqn.simple_q_tf_policy import SimpleQTFPolicy
from rlcore.algorithms.dqn.simple_q_torch_policy import SimpleQTorchPolicy

__all__ = ["DEFAULT_CONFIG", "SIMPLE_Q_DEFAULT_CONFIG", "APEX_DEFAULT_CONFIG", "DQNTrainer", "SimpleQTrainer",
           "ApexTrainer", "DQNTFPolicy", "DQNTorchPolicy", "SimpleQTFPolicy", "SimpleQTorchPolicy"]
