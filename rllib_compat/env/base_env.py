"""RLlib 1.x import path ``ray.rllib.env.base_env``: the 1.x ``BaseEnv`` protocol.

``BaseEnv`` here is :class:`rlcore.env.async_env.AsyncEnv`: subclass it and implement ``poll`` /
``send_actions`` (and ``try_reset``) as in RLlib 1.x; a rollout worker's multi-agent sampler
drives it. ``BaseEnv.to_base_env(env, make_env, num_envs, remote_envs, remote_env_batch_wait_ms)``
and ``convert_to_base_env`` wrap any other env in the protocol. (rlcore's own
:class:`rlcore.env.BaseEnv` is the batch-synchronous interface its fast sampler steps.)

Examples:
    >>> from rllib_compat.env.base_env import BaseEnv, ASYNC_RESET_RETURN, convert_to_base_env
    >>> import rlcore.env.async_env
    >>> BaseEnv is rlcore.env.async_env.AsyncEnv, ASYNC_RESET_RETURN
    (True, 'async_reset_return')
"""

from rlcore.env.async_env import ASYNC_RESET_RETURN, DUMMY_AGENT_ID as _DUMMY_AGENT_ID, convert_to_base_env
from rlcore.env.async_env import AsyncEnv as BaseEnv

__all__ = ["ASYNC_RESET_RETURN", "BaseEnv", "convert_to_base_env", "_DUMMY_AGENT_ID"]
