"""RLlib 1.x import path ``ray.rllib.utils.from_config``: build an object from a config spec.

``from_config(cls, config=None, **kwargs)`` reads a *constructor hint* and calls it with the
remaining keyword arguments (RLlib 1.x's rules, used for exploration, schedules, replay buffers):

- ``config`` a dict: its ``"type"`` key is the hint, the other keys are keyword arguments
  (``kwargs`` win over them) and a ``"_args"`` key holds positional arguments;
- otherwise ``config`` itself is the hint (``None`` means ``cls``);
- the hint may be a key of ``cls.__type_registry__``; a callable or class; a string naming a
  ``.json``/``.yaml`` file; a JSON or YAML string of a config dict; ``"module.path.Class"``; or
  the name of a class in ``cls``'s module or package; ``False`` returns ``False``;
- an object that already is a ``cls`` instance is returned as is.

Examples:
    >>> from rlcore.policy.schedules import PiecewiseSchedule, Schedule
    >>> s = from_config(Schedule, {"type": "PiecewiseSchedule", "endpoints": [(0, 1.0), (10, 0.0)],
    ...                            "framework": None})
    >>> type(s).__name__, s(5)
    ('PiecewiseSchedule', 0.5)
    >>> from_config(Schedule, s) is s
    True
    >>> from_config('{"type": "collections.OrderedDict", "a": 1}')
    OrderedDict([('a', 1)])
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import re
from typing import Any, Callable, Optional

import yaml

__all__ = ["from_config", "from_file", "lookup_type"]


def lookup_type(cls: Any, type_: Any) -> Optional[Callable]:
    """The constructor ``cls.__type_registry__`` holds for ``type_`` (also lower-cased without
    ``_``/punctuation), or ``None``.

    Examples:
        >>> class Base: __type_registry__ = {"epsilongreedy": dict}
        >>> lookup_type(Base, "Epsilon_Greedy") is dict, lookup_type(Base, "other")
        (True, None)
    """
    registry = getattr(cls, "__type_registry__", None) if cls is not None else None
    if not isinstance(registry, dict):
        return None
    try:
        if type_ in registry:
            return registry[type_]
    except TypeError:  # unhashable hint
        return None
    if isinstance(type_, str):
        return registry.get(re.sub(r"[\W_]", "", type_.lower()))
    return None


def _from_string(cls: Any, type_: str, args: list, kwargs: dict) -> Any:
    """Resolves a string hint: a file, a JSON/YAML config, a class path, or a name near ``cls``."""
    if re.search(r"\.(yaml|yml|json)$", type_):
        return True, from_file(cls, type_, *args, **kwargs)
    try:
        parsed = yaml.safe_load(type_)
    except yaml.YAMLError:
        parsed = None
    if isinstance(parsed, dict):
        return True, from_config(cls, parsed, **kwargs)
    candidates = []
    if "." in type_:
        candidates.append(type_.rsplit(".", 1))
    if cls is not None and isinstance(cls, type):
        candidates.append((cls.__module__, type_))
        package = getattr(importlib.import_module(cls.__module__), "__package__", None)
        if package:
            candidates.append((package, type_))
    for module_name, attr in candidates:
        try:
            return False, getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
    where = f"a class within '{cls.__module__}'" if isinstance(cls, type) else "a class"
    raise ValueError(f"from_config: string specifier {type_!r} must be a .json/.yaml filename, a JSON/YAML config "
                     f"dict, a 'module.Class' path, {where}, or a key of {getattr(cls, '__name__', cls)}.__type_registry__")


def from_config(cls: Any, config: Any = None, **kwargs: Any) -> Any:
    """Creates an object from ``config`` (see the module docstring for the accepted hints).

    Args:
        cls: The class to build (or, with ``config=None``, a dict/str config itself).
        config: A config dict, a constructor hint, or ``None``.
        **kwargs: Constructor keyword arguments (override the config dict's keys).

    Returns:
        The new object (``None`` when the constructor is an abstract class, as in RLlib 1.x).

    Raises:
        ValueError: an unresolvable string hint, naming it.
        TypeError: a hint that is not a constructor.
    """
    if config is None and isinstance(cls, (dict, str)):
        cls, config = None, cls
    elif isinstance(cls, type) and isinstance(config, cls):
        return config
    try:
        config = copy.deepcopy(config)
    except (TypeError, copy.Error):  # a spec holding e.g. a lock is used as given (top level copied below)
        config = dict(config) if isinstance(config, dict) else config
    if isinstance(config, dict):
        type_ = config.pop("type", None)
        ctor_kwargs = {**config, **kwargs}
    else:
        type_ = config
        ctor_kwargs = dict(kwargs)
        if type_ is None and "type" in ctor_kwargs:
            type_ = ctor_kwargs.pop("type")
    raw_args = ctor_kwargs.pop("_args", [])
    ctor_args = list(raw_args) if isinstance(raw_args, (list, tuple)) else [raw_args]

    if type_ is None:
        constructor = cls
    else:
        constructor = lookup_type(cls, type_)
        if constructor is None:
            if type_ is False:
                return False
            if isinstance(type_, str):
                done, result = _from_string(cls, type_, ctor_args, ctor_kwargs)
                if done:
                    return result
                constructor = result
            elif callable(type_):
                constructor = type_
    if not callable(constructor):
        raise TypeError(f"from_config: invalid type {type_!r} (for {getattr(cls, '__name__', cls)}): "
                        "expected a class, a callable or a string naming one")
    try:
        return constructor(*ctor_args, **ctor_kwargs)
    except TypeError as err:
        if str(err).startswith("Can't instantiate abstract class"):
            return None
        raise


def from_file(cls: Any, filename: str, *args: Any, **kwargs: Any) -> Any:
    """Creates an object from a JSON or YAML config file (relative paths: from the working directory).

    Raises:
        FileNotFoundError: the file does not exist, naming it.
    """
    path = os.path.join(os.getcwd(), filename)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"from_config: file {filename!r} not found")
    with open(path, "rt") as f:
        config = yaml.safe_load(f) if path.endswith((".yaml", ".yml")) else json.load(f)
    if args:
        config["_args"] = list(args)
    return from_config(cls, config=config, **kwargs)
