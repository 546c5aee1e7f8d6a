"""RLlib 1.x import path ``ray.rllib.env``: the same objects as :mod:`rlcore.env`.

Examples:
    >>> from rllib_compat.env import MultiAgentEnv, VectorEnv, BaseEnv, EnvContext, register_env
    >>> import rlcore.env
    >>> MultiAgentEnv is rlcore.env.MultiAgentEnv and register_env is rlcore.env.register_env
    True
"""

from rlcore.env import BaseEnv, EnvContext, MultiAgentEnv, VectorEnv, register_env

__all__ = ["BaseEnv", "EnvContext", "MultiAgentEnv", "VectorEnv", "register_env"]
