"""RLlib 1.x import path ``ray.rllib.env.env_context``: :class:`rlcore.env.EnvContext`.

Examples:
    >>> from rllib_compat.env.env_context import EnvContext
    >>> EnvContext({"a": 1}, worker_index=1).worker_index
    1
"""

from rlcore.env.env_context import EnvContext

__all__ = ["EnvContext"]
