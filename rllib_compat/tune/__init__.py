"""Import path ``ray.tune`` as RLlib 1.x programs used it: Ray Tune, with rlcore's env registry.

``register_env`` registers into rlcore's env registry (which also reads Ray Tune's). Every other
name is Ray Tune's own (``tune.run``, ``tune.grid_search``, ...), looked up on first use. Importing
any ``rllib_compat`` module registers rlcore's trainers with Tune under their 1.x names (see
:mod:`rllib_compat.tune._registration`), so ``tune.run("PPO", ...)`` runs rlcore's PPO.
``tune.function``, which Tune had already dropped in 1.x, raises an error naming its replacement.

Examples:
    >>> from rllib_compat import tune
    >>> import ray.tune
    >>> import rlcore.env
    >>> tune.register_env is rlcore.env.register_env, tune.run is ray.tune.run
    (True, True)
    >>> tune.function(len)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rllib_compat._absent.AbsentFeatureError: tune.function(fn) (RLlib 1.x) does not exist ...; instead, put fn itself in the config (e.g. "policy_mapping_fn": fn).
"""

from typing import Any, Callable, NoReturn

from rlcore.env.registry import register_env
from rllib_compat._absent import absent

__all__ = ["register_env", "function"]


def function(func: Callable[..., Any]) -> NoReturn:
    """``tune.function(fn)``: always an error; Tune takes plain functions in configs.

    Raises:
        AbsentFeatureError: Naming the replacement.
    """
    absent("tune.function(fn)", 'put fn itself in the config (e.g. "policy_mapping_fn": fn)',
           reason="Tune no longer needs functions wrapped")


def __getattr__(name: str) -> Any:
    """Ray Tune's own names (``run``, ``grid_search``, ``Trainable``, ...), imported on first use."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import ray.tune

    try:
        return getattr(ray.tune, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} (nor has ray.tune)") from None
