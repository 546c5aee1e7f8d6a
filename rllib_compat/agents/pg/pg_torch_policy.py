"""``ray.rllib.agents.pg.pg_torch_policy``: the same objects as :mod:`rlcore.algorithms.pg.pg_torch_policy`.

Examples:
    >>> from rllib_compat.agents.pg.pg_torch_policy import PGTorchPolicy
    >>> import rlcore.algorithms.pg.pg_torch_policy
    >>> PGTorchPolicy is rlcore.algorithms.pg.pg_torch_policy.PGTorchPolicy
    True
"""

from rlcore.algorithms.pg.pg_torch_policy import PGTorchPolicy, pg_torch_loss, pg_loss_stats
from rlcore.algorithms.pg.utils import post_process_advantages

__all__ = ["PGTorchPolicy", "pg_torch_loss", "pg_loss_stats", "post_process_advantages"]
