"""Environments: creation and registry, BaseEnv (what the sampler drives), VectorEnv, MultiAgentEnv,
AsyncEnv (RLlib 1.x's poll/send_actions BaseEnv protocol) and ExternalEnv (applications that ask
for actions).

Importing this package imports gymnasium but never ray, torch or tensorflow.

Examples:
    >>> from rlcore.env import make_base_env
    >>> env = make_base_env("CartPole-v1", num_envs=2, seed=0)
    >>> env.reset()[0].shape
    (2, 4)
"""

from rlcore.env.async_env import ASYNC_RESET_RETURN, AsyncEnv, RemoteAsyncEnv, convert_to_base_env
from rlcore.env.base_env import BaseEnv, EnvError, VectorStep, env_name_of
from rlcore.env.base_env_factory import make_base_env
from rlcore.env.env_context import EnvContext
from rlcore.env.external_env import ExternalEnv, ExternalMultiAgentEnv
from rlcore.env.gym_vector_base_env import GymVectorBaseEnv
from rlcore.env.multi_agent_env import MultiAgentEnv, as_gymnasium_multi_agent, make_multi_agent
from rlcore.env.remote_base_env import RemoteBaseEnv
from rlcore.env.registry import get_env_creator, make_env_creator, register_env, registered_env_names
from rlcore.env.sub_env_loop import SubEnvLoop
from rlcore.env.vector_env import VectorEnv
from rlcore.env.vector_env_adapter import VectorEnvAdapter
from rlcore.env.wrappers import OldGymAPIAdapter, as_gymnasium_env

__all__ = [
    "ASYNC_RESET_RETURN",
    "AsyncEnv",
    "BaseEnv",
    "EnvContext",
    "EnvError",
    "ExternalEnv",
    "ExternalMultiAgentEnv",
    "GymVectorBaseEnv",
    "MultiAgentEnv",
    "OldGymAPIAdapter",
    "RemoteAsyncEnv",
    "RemoteBaseEnv",
    "SubEnvLoop",
    "VectorEnv",
    "VectorEnvAdapter",
    "VectorStep",
    "as_gymnasium_env",
    "as_gymnasium_multi_agent",
    "convert_to_base_env",
    "env_name_of",
    "get_env_creator",
    "make_base_env",
    "make_env_creator",
    "make_multi_agent",
    "register_env",
    "registered_env_names",
]
