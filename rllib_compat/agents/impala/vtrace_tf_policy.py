"""``ray.rllib.agents.impala.vtrace_tf_policy``: ``VTraceTFPolicy`` of :mod:`rlcore.algorithms.impala.vtrace_tf_policy`.

Examples:
    >>> from rllib_compat.agents.impala.vtrace_tf_policy import VTraceTFPolicy
    >>> import rlcore.algorithms.impala.vtrace_tf_policy
    >>> VTraceTFPolicy is rlcore.algorithms.impala.vtrace_tf_policy.VTraceTFPolicy
    True
"""

from rlcore.algorithms.impala.vtrace_tf_policy import VTraceTFPolicy

__all__ = ["VTraceTFPolicy"]
