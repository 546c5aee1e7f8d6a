"""RLlib 1.x import path ``ray.rllib.env``: the same objects as :mod:`rlcore.env`.

Examples:
    >>> from rllib_compat.env import MultiAgentEnv, VectorEnv, BaseEnv, EnvContext, register_env
    >>> import rlcore.env
    >>> MultiAgentEnv is rlcore.env.MultiAgentEnv and register_env is rlcore.env.register_env
    True
    >>> BaseEnv is rlcore.env.AsyncEnv  # RLlib 1.x's poll/send_actions protocol
    True

``PolicyClient`` and ``PolicyServerInput`` load on first use (they bring ``http``).
"""

from rlcore.env import EnvContext, ExternalEnv, ExternalMultiAgentEnv, MultiAgentEnv, VectorEnv, register_env
from rllib_compat.env.base_env import BaseEnv

__all__ = ["BaseEnv", "EnvContext", "ExternalEnv", "ExternalMultiAgentEnv", "MultiAgentEnv", "PolicyClient",
           "PolicyServerInput", "VectorEnv", "register_env"]

_LAZY = {"PolicyClient": "rlcore.env.policy_client", "PolicyServerInput": "rlcore.env.policy_server_input"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
