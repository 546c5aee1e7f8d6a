"""``ray.rllib.agents.impala.vtrace_torch_policy``: ``VTraceTorchPolicy`` of :mod:`rlcore.algorithms.impala.vtrace_torch_policy`.

Examples:
    >>> from rllib_compat.agents.impala.vtrace_torch_policy import VTraceTorchPolicy
    >>> import rlcore.algorithms.impala.vtrace_torch_policy
    >>> VTraceTorchPolicy is rlcore.algorithms.impala.vtrace_torch_policy.VTraceTorchPolicy
    True
"""

from rlcore.algorithms.impala.vtrace_torch_policy import VTraceTorchPolicy

__all__ = ["VTraceTorchPolicy"]
