"""RLlib 1.x import path ``ray.rllib.env.external_env``: :class:`rlcore.env.ExternalEnv`.

Examples:
    >>> from rllib_compat.env.external_env import ExternalEnv
    >>> import rlcore.env
    >>> ExternalEnv is rlcore.env.ExternalEnv
    True
"""

from rlcore.env.external_env import ExternalEnv

__all__ = ["ExternalEnv"]
