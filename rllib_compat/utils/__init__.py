"""RLlib 1.x import path ``ray.rllib.utils``: the names RLlib 1.x's ``ray/rllib/utils/__init__.py`` exported.

Framework access (``try_import_tf`` / ``try_import_torch`` / ``try_import_tfp``, importing their
framework only when called), the annotations (``override``, ``PublicAPI``, ``DeveloperAPI``),
``deprecation_warning`` and the renaming helpers, the test helpers (``check``,
``check_compute_single_action``, ``framework_iterator``), filters, schedules, and the small
dict/list helpers ``merge_dicts``, ``deep_update``, ``force_list``, ``force_tuple``,
``add_mixins``. Importing this package imports neither torch nor TensorFlow.

Examples:
    >>> from rllib_compat.utils import merge_dicts, force_list, add_mixins
    >>> merge_dicts({"a": {"x": 1, "y": 2}}, {"a": {"y": 3}})
    {'a': {'x': 1, 'y': 3}}
    >>> force_list(None), force_list(3), force_list((1, 2)), force_tuple([1])
    ([], [3], [1, 2], (1,))
    >>> class Base: pass
    >>> class Mixin:
    ...     def hello(self): return "hi"
    >>> add_mixins(Base, [Mixin])().hello()
    'hi'
"""

import copy
from functools import partial
from typing import Any, Iterable, Optional

from rlcore.trainer_config import deep_update
from rllib_compat.utils.annotations import DeveloperAPI, PublicAPI, override
from rllib_compat.utils.deprecation import deprecation_warning, renamed_class, renamed_function
from rllib_compat.utils.filter import Filter
from rllib_compat.utils.filter_manager import FilterManager
from rllib_compat.utils.framework import try_import_tf, try_import_tfp, try_import_torch
from rllib_compat.utils.schedules import (
    ConstantSchedule,
    ExponentialSchedule,
    LinearSchedule,
    PiecewiseSchedule,
    PolynomialSchedule,
)
from rllib_compat.utils.test_utils import check, check_compute_single_action, framework_iterator


def merge_dicts(d1: dict, d2: dict) -> dict:
    """A deep copy of ``d1`` with ``d2`` merged in, recursing into nested dicts (new keys allowed)."""
    merged = copy.deepcopy(d1)
    deep_update(merged, d2, True, [])
    return merged


def force_list(elements: Any = None, to_tuple: bool = False) -> Any:
    """``elements`` as a list (or tuple): ``None`` -> empty, a list/tuple/set -> its items, else ``[elements]``."""
    ctor = tuple if to_tuple else list
    if elements is None:
        return ctor()
    return ctor(elements) if type(elements) in (list, tuple, set) else ctor([elements])


force_tuple = partial(force_list, to_tuple=True)


def add_mixins(base: type, mixins: Optional[Iterable[type]], reversed: bool = False) -> type:  # noqa: A002
    """A subclass of ``base`` with ``mixins`` applied, the first mixin taking priority."""
    mixins = list(mixins or [])
    while mixins:
        mixin = mixins.pop()
        base = type(base.__name__, (base, mixin) if reversed else (mixin, base), {})
    return base


__all__ = [
    "ConstantSchedule", "DeveloperAPI", "ExponentialSchedule", "Filter", "FilterManager", "LinearSchedule",
    "PiecewiseSchedule", "PolynomialSchedule", "PublicAPI", "add_mixins", "check", "check_compute_single_action",
    "deep_update", "deprecation_warning", "force_list", "force_tuple", "framework_iterator", "merge_dicts", "override",
    "renamed_class", "renamed_function", "try_import_tf", "try_import_tfp", "try_import_torch",
]
