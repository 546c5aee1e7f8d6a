"""``ray.rllib.agents.pg``: the same objects as :mod:`rlcore.algorithms.pg`.

Examples:
    >>> from rllib_compat.agents.pg import PGTrainer
    >>> import rlcore.algorithms.pg.pg
    >>> PGTrainer is rlcore.algorithms.pg.pg.PGTrainer
    True
"""

from rlcore.algorithms.pg.pg import DEFAULT_CONFIG, PGTrainer
from rlcore.algorithms.pg.pg_tf_policy import PGTFPolicy
from rlcore.algorithms.pg.pg_torch_policy import PGTorchPolicy

__all__ = ["DEFAULT_CONFIG", "PGTrainer", "PGTFPolicy", "PGTorchPolicy"]
