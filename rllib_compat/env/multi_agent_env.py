"""RLlib 1.x import path ``ray.rllib.env.multi_agent_env``: :mod:`rlcore.env.multi_agent_env`.

Examples:
    >>> from rllib_compat.env.multi_agent_env import MultiAgentEnv, make_multi_agent
    >>> import rlcore.env
    >>> make_multi_agent is rlcore.env.make_multi_agent
    True
"""

from rlcore.env.multi_agent_env import MultiAgentEnv, make_multi_agent

__all__ = ["MultiAgentEnv", "make_multi_agent"]
