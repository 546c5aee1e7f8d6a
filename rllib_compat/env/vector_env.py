"""RLlib 1.x import path ``ray.rllib.env.vector_env``: :class:`rlcore.env.VectorEnv`.

Examples:
    >>> from rllib_compat.env.vector_env import VectorEnv
    >>> import rlcore.env
    >>> VectorEnv is rlcore.env.VectorEnv
    True
"""

from rlcore.env.vector_env import VectorEnv

__all__ = ["VectorEnv"]
