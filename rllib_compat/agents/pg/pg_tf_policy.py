"""``ray.rllib.agents.pg.pg_tf_policy``: the same objects as :mod:`rlcore.algorithms.pg.pg_tf_policy`.

Examples:
    >>> from rllib_compat.agents.pg.pg_tf_policy import PGTFPolicy
    >>> import rlcore.algorithms.pg.pg_tf_policy
    >>> PGTFPolicy is rlcore.algorithms.pg.pg_tf_policy.PGTFPolicy
    True
"""

from rlcore.algorithms.pg.pg_tf_policy import PGTFPolicy, pg_tf_loss
from rlcore.algorithms.pg.utils import post_process_advantages

__all__ = ["PGTFPolicy", "pg_tf_loss", "post_process_advantages"]
