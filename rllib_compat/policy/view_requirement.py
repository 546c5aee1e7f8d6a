"""RLlib 1.x import path ``ray.rllib.policy.view_requirement``: the same objects as :mod:`rlcore.data.view_requirement`.

Examples:
    >>> from rllib_compat.policy.view_requirement import ViewRequirement
    >>> import rlcore.data.view_requirement
    >>> ViewRequirement is rlcore.data.view_requirement.ViewRequirement
    True
"""

from rlcore.data.view_requirement import ViewRequirement

__all__ = ["ViewRequirement"]
