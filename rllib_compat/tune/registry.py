"""Import path ``ray.tune.registry``: ``register_env`` registering into rlcore's env registry.

Names registered with the real ``ray.tune.registry.register_env`` are accepted too (see
:func:`rlcore.env.get_env_creator`).

Examples:
    >>> from rllib_compat.tune.registry import register_env
    >>> import rlcore.env
    >>> register_env is rlcore.env.register_env
    True
"""

from rlcore.env.registry import register_env

__all__ = ["register_env"]
