"""RLlib 1.x import path ``ray.rllib.env``: the same objects as :mod:`rlcore.env`.

Examples:
    >>> from rllib_compat.env import MultiAgentEnv, VectorEnv, BaseEnv, EnvContext, register_env
    >>> import rlcore.env
    >>> MultiAgentEnv is rlcore.env.MultiAgentEnv and register_env is rlcore.env.register_env
    True
    >>> BaseEnv is rlcore.env.AsyncEnv  # RLlib 1.x's poll/send_actions protocol
    True
"""

from rlcore.env import EnvContext, ExternalEnv, ExternalMultiAgentEnv, MultiAgentEnv, VectorEnv, register_env
from rllib_compat.env.base_env import BaseEnv

__all__ = ["BaseEnv", "EnvContext", "ExternalEnv", "ExternalMultiAgentEnv", "MultiAgentEnv", "VectorEnv",
           "register_env"]
