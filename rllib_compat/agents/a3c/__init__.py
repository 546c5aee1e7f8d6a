"""``ray.rllib.agents.a3c``: the same objects as :mod:`rlcore.algorithms.a3c`.

Examples:
    >>> from rllib_compat.agents.a3c import A3CTrainer
    >>> import rlcore.algorithms.a3c.a3c
    >>> A3CTrainer is rlcore.algorithms.a3c.a3c.A3CTrainer
    True
"""

from rlcore.algorithms.a3c.a3c import DEFAULT_CONFIG, A3CTrainer
from rlcore.algorithms.a2c.a2c import A2CTrainer
from rlcore.algorithms.a3c.a3c_tf_policy import A3CTFPolicy
from rlcore.algorithms.a3c.a3c_torch_policy import A3CTorchPolicy

__all__ = ["DEFAULT_CONFIG", "A3CTrainer", "A2CTrainer", "A3CTFPolicy", "A3CTorchPolicy"]
