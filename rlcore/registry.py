"""The trainer registry: algorithm names (``"PPO"``) mapped to trainer classes, imported lazily.

The built-in algorithms live in ``rlcore.algorithms.<name>``; their modules (and torch or
TensorFlow) are imported only when their name is looked up. ``register_trainer`` adds a user's
algorithm under a name. An unknown name is an error naming the closest known one.

Examples:
    >>> sorted(n for n in trainer_names() if n in BUILTIN_TRAINERS)
    ['A2C', 'A3C', 'APEX', 'APEX_DDPG', 'APPO', 'BC', 'DDPG', 'DQN', 'IMPALA', 'MARWIL', 'PG', 'PPO', 'SAC', 'SimpleQ', 'TD3']
    >>> get_trainer_class("PP0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown algorithm 'PP0'; did you mean 'PPO'? Known: A2C, A3C, ...PPO...
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any, Dict, List, Tuple, Union

#: Built-in algorithm names -> (module, class name); imported on first lookup.
BUILTIN_TRAINERS: Dict[str, Tuple[str, str]] = {
    "PG": ("rlcore.algorithms.pg", "PGTrainer"),
    "A2C": ("rlcore.algorithms.a2c", "A2CTrainer"),
    "A3C": ("rlcore.algorithms.a3c", "A3CTrainer"),
    "PPO": ("rlcore.algorithms.ppo", "PPOTrainer"),
    "IMPALA": ("rlcore.algorithms.impala", "ImpalaTrainer"),
    "APPO": ("rlcore.algorithms.appo", "APPOTrainer"),
    "DQN": ("rlcore.algorithms.dqn", "DQNTrainer"),
    "SimpleQ": ("rlcore.algorithms.dqn", "SimpleQTrainer"),
    "APEX": ("rlcore.algorithms.apex", "ApexTrainer"),
    "SAC": ("rlcore.algorithms.sac", "SACTrainer"),
    "DDPG": ("rlcore.algorithms.ddpg", "DDPGTrainer"),
    "TD3": ("rlcore.algorithms.ddpg", "TD3Trainer"),
    "APEX_DDPG": ("rlcore.algorithms.ddpg", "ApexDDPGTrainer"),
    "MARWIL": ("rlcore.algorithms.marwil", "MARWILTrainer"),
    "BC": ("rlcore.algorithms.marwil", "BCTrainer"),
}

_USER_TRAINERS: Dict[str, type] = {}


def register_trainer(name: str, trainer_class: type) -> None:
    """Makes ``trainer_class`` available as ``name`` (to ``get_trainer_class`` and ``rlcore train --run``).

    A later registration of the same name replaces the earlier one; a built-in name can be shadowed.

    Examples:
        >>> class MyTrainer: pass
        >>> register_trainer("MY_ALGO", MyTrainer)
        >>> get_trainer_class("MY_ALGO") is MyTrainer
        True
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_trainer name={name!r}: expected a non-empty str")
    if not isinstance(trainer_class, type):
        raise TypeError(f"register_trainer({name!r}, trainer_class={trainer_class!r}): expected a class")
    _USER_TRAINERS[name] = trainer_class


def trainer_names() -> List[str]:
    """Every known algorithm name, sorted (built-in and registered).

    Examples:
        >>> "PPO" in trainer_names()
        True
    """
    return sorted(set(BUILTIN_TRAINERS) | set(_USER_TRAINERS))


def get_trainer_class(alg: str, return_config: bool = False) -> Union[type, Tuple[type, Dict[str, Any]]]:
    """The trainer class registered as ``alg`` (RLlib's ``get_trainer_class``).

    Args:
        alg: An algorithm name, e.g. ``"PPO"``.
        return_config: Also return the class's default config.

    Returns:
        The class, or ``(class, default_config)``.

    Raises:
        ValueError: For an unknown name, naming the closest known one.
        ImportError: When a built-in algorithm's module cannot be imported (e.g. no torch/TF).
    """
    if not isinstance(alg, str):
        raise TypeError(f"algorithm name {alg!r}: expected a str such as 'PPO', got {type(alg).__name__}")
    if alg in _USER_TRAINERS:
        cls = _USER_TRAINERS[alg]
    elif alg in BUILTIN_TRAINERS:
        module_name, class_name = BUILTIN_TRAINERS[alg]
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name, None)
        if cls is None:
            raise ImportError(f"algorithm {alg!r}: module {module_name} has no {class_name}")
    else:
        names = trainer_names()
        close = difflib.get_close_matches(alg, names, n=1, cutoff=0.5) or \
            difflib.get_close_matches(alg.upper(), names, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown algorithm {alg!r}{hint} Known: {', '.join(names)}")
    if return_config:
        return cls, dict(getattr(cls, "_default_config", {}))
    return cls


def register_all_with_tune() -> List[str]:
    """Registers every algorithm that imports as a Ray Tune trainable, so ``tune.run("PPO")`` works.

    RLlib did this on import; here it is explicit (it imports the algorithms and ``ray.tune``, not
    Ray's cluster). Algorithms whose module cannot be imported (a missing framework) are skipped.

    Returns:
        The names registered.
    """
    from ray.tune.registry import register_trainable

    done = []
    for name in trainer_names():
        try:
            cls = get_trainer_class(name)
        except ImportError:
            continue
        register_trainable(name, cls)
        done.append(name)
    return done

