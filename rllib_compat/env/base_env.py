"""RLlib 1.x import path ``ray.rllib.env.base_env``: :class:`rlcore.env.BaseEnv`.

rlcore's ``BaseEnv`` is batch-synchronous (``reset``/``step`` over arrays); RLlib 1.x's
``poll``/``send_actions`` methods are not provided.

Examples:
    >>> from rllib_compat.env.base_env import BaseEnv
    >>> import rlcore.env
    >>> BaseEnv is rlcore.env.BaseEnv
    True
"""

from rlcore.env.base_env import BaseEnv

__all__ = ["BaseEnv"]
