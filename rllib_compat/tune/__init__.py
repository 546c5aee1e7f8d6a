"""Import path ``ray.tune`` as RLlib 1.x code used it for envs: ``register_env``.

Examples:
    >>> from rllib_compat import tune
    >>> import rlcore.env
    >>> tune.register_env is rlcore.env.register_env
    True
"""

from rlcore.env.registry import register_env

__all__ = ["register_env"]
