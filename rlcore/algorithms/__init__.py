"""Training algorithms, one package each: defaults, torch and TF policies, execution plan, trainer.

Each algorithm package exports its names lazily (:func:`lazy_exports`): importing one of its
policy modules, as a rollout worker does when it unpickles its policy class, then loads the policy
and its ``defaults`` module only, not the trainer module, which imports Ray Tune (and with it
pandas and pyarrow).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, List, Mapping, Tuple

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """A package's module-level ``__getattr__`` and ``__dir__`` (PEP 562) importing names on first use.

    Args:
        package: The package's ``__name__``.
        exports: Exported name -> the submodule (relative to ``package``) that defines it.

    Returns:
        ``(__getattr__, __dir__)`` to assign in the package's ``__init__``; a name, once imported,
        is cached in the package's namespace.

    Examples:
        >>> getattr_, dir_ = lazy_exports("rlcore.algorithms.ppo", {"DEFAULT_CONFIG": "defaults"})
        >>> getattr_("DEFAULT_CONFIG")["clip_param"]
        0.3
        >>> getattr_("PPOTrainerr")
        Traceback (most recent call last):
        ...
        AttributeError: module 'rlcore.algorithms.ppo' has no attribute 'PPOTrainerr'
    """
    namespace: Dict[str, Any] = vars(importlib.import_module(package))

    def __getattr__(name: str) -> Any:
        submodule = exports.get(name)
        if submodule is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{submodule}"), name)
        namespace[name] = value
        return value

    def __dir__() -> List[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
