"""RLlib 1.x import path ``ray.rllib.env.multi_agent_env``: :mod:`rlcore.env.multi_agent_env`.

``ENV_STATE`` is RLlib 1.x's key for the global env state in a multi-agent observation dict
(QMIX-style grouped agents read ``obs[ENV_STATE]``): the string ``"state"``.

Examples:
    >>> from rllib_compat.env.multi_agent_env import MultiAgentEnv, make_multi_agent, ENV_STATE
    >>> import rlcore.env
    >>> make_multi_agent is rlcore.env.make_multi_agent, ENV_STATE
    (True, 'state')
"""

from rlcore.env.multi_agent_env import MultiAgentEnv, make_multi_agent

#: Key of the global env state in a multi-agent observation dict (RLlib 1.x).
ENV_STATE = "state"

__all__ = ["ENV_STATE", "MultiAgentEnv", "make_multi_agent"]
