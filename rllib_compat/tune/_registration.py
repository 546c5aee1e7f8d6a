"""rlcore's trainers as Ray Tune trainables under their 1.x names, as ``import ray.rllib`` did.

How Ray 2.60's Tune resolves a string trainable (``ray/tune/registry.py``): ``get_trainable_cls``
and ``validate_trainable`` look the name up in Tune's registry; on a miss they call
``_has_rllib_trainable``, which imports ``ray.rllib`` and calls its ``_register_all()``: RLlib 2.x's
algorithms, registered under the same names (``PPO`` ...). A miss happens for every name Tune has
not been told about, and again after ``ray.shutdown()`` + ``ray.init()`` (the registry lives in
the cluster's key-value store).

:func:`install` (run when any ``rllib_compat`` module is imported) replaces that fallback, as
soon as ``ray.tune.registry`` is imported, with :func:`_has_rlcore_trainable`: a miss for a name
of rlcore's algorithm registry (:func:`rlcore.registry.trainer_names`: ``PG``, ``A2C``, ``A3C``,
``PPO`` and whatever is added there later) registers that trainer with Tune and finds it; any
other name is a ``TuneError`` listing rlcore's algorithms. So ``tune.run("PPO", ...)`` and YAML
experiments with ``run: PPO`` run rlcore's trainers (each imported when first looked up), and
Tune never imports ``ray.rllib``: an RLlib 2.x installed beside rllib_compat cannot run instead.
Nothing is imported before Tune is: ``import rllib_compat`` stays free of Ray.

Examples:
    >>> from ray.tune.registry import get_trainable_cls
    >>> from rlcore.registry import get_trainer_class
    >>> get_trainable_cls("PPO") is get_trainer_class("PPO")
    True
    >>> get_trainable_cls("ES")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ray.tune.error.TuneError: Unknown trainable: 'ES'. rllib_compat registers rlcore's algorithms (A2C, A3C, ...); RLlib 2.x's ray.rllib is not consulted.
"""

from __future__ import annotations

import difflib
from types import ModuleType

from rlcore.registry import get_trainer_class, trainer_names
from rllib_compat.util._on_import import when_imported

__all__ = ["install"]


def _has_rlcore_trainable(trainable_name: str) -> bool:
    """Tune's fallback for a name missing from its registry, in place of importing ``ray.rllib``.

    A name of rlcore's registry whose class is a Tune ``Trainable`` is registered and found;
    anything else is a ``TuneError`` (an unknown name lists rlcore's algorithms).
    """
    from ray.tune import Trainable
    from ray.tune.error import TuneError
    from ray.tune.registry import register_trainable

    names = trainer_names()
    if trainable_name in names:
        cls = get_trainer_class(trainable_name)  # ImportError when a built-in's framework is missing
        if not (isinstance(cls, type) and issubclass(cls, Trainable)):
            raise TuneError(f"{trainable_name!r} is registered with rlcore as {cls!r}, which is not a Tune Trainable")
        register_trainable(trainable_name, cls)
        return True
    close = difflib.get_close_matches(str(trainable_name), names, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise TuneError(
        f"Unknown trainable: {trainable_name!r}.{hint} rllib_compat registers rlcore's algorithms "
        f"({', '.join(names)}); RLlib 2.x's ray.rllib is not consulted."
    )


def _route_fallback(tune_registry: ModuleType) -> None:
    if not hasattr(tune_registry, "_has_rllib_trainable"):
        raise ImportError(
            "ray.tune.registry has no _has_rllib_trainable: this Ray resolves string trainables "
            "differently from Ray 2.60; check rllib_compat.tune._registration against it"
        )
    tune_registry._has_rllib_trainable = _has_rlcore_trainable


def install() -> None:
    """Routes Tune's ``ray.rllib`` fallback to rlcore, now or when ``ray.tune.registry`` is imported.

    Raises:
        ImportError: When that Tune has no such fallback (a Ray other than the one rlcore pins),
            rather than silently leaving RLlib 2.x a way in.
    """
    when_imported("ray.tune.registry", _route_fallback)
