"""RLlib 1.x import path ``ray.rllib.env.external_multi_agent_env``: :class:`rlcore.env.ExternalMultiAgentEnv`.

Examples:
    >>> from rllib_compat.env.external_multi_agent_env import ExternalMultiAgentEnv
    >>> import rlcore.env
    >>> ExternalMultiAgentEnv is rlcore.env.ExternalMultiAgentEnv
    True
"""

from rlcore.env.external_env import ExternalMultiAgentEnv

__all__ = ["ExternalMultiAgentEnv"]
