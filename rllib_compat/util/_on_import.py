"""``when_imported(name, fn)``: call ``fn(module)`` once a module is imported, without importing it.

rllib_compat adapts two of Ray's modules (Tune's trainable registry, ``ray.util.iter``) but must
not import Ray itself: importing any ``rllib_compat`` module stays light (no Ray, torch or
TensorFlow). A module already imported is handled at once; otherwise a finder placed first on
``sys.meta_path`` wraps that module's loader, and ``fn`` runs right after the module's own code,
inside the import that loads it. Keep ``fn`` to attribute changes on ``module`` (it runs while
the import is in progress).

Examples:
    >>> seen = []
    >>> when_imported("sys", lambda m: seen.append(m.__name__))  # imported already: called now
    >>> seen
    ['sys']
"""

from __future__ import annotations

import importlib.abc
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional

__all__ = ["when_imported"]

_pending: Dict[str, List[Callable[[ModuleType], None]]] = {}
_lock = threading.Lock()


def when_imported(name: str, fn: Callable[[ModuleType], None]) -> None:
    """Calls ``fn(module)`` now if ``name`` is imported, else right after it is.

    Args:
        name: A full module name, e.g. ``"ray.tune.registry"``.
        fn: Called once with the module object.
    """
    module = sys.modules.get(name)
    if module is not None:
        fn(module)
        return
    with _lock:
        _pending.setdefault(name, []).append(fn)
        if _FINDER not in sys.meta_path:
            sys.meta_path.insert(0, _FINDER)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds watched modules through the other finders and wraps their loaders."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Optional[Any]:
        if fullname not in _pending:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _HookedLoader(spec.loader)
                return spec
        return None


class _HookedLoader(importlib.abc.Loader):
    """Delegates to the real loader, then runs the functions waiting for the module."""

    def __init__(self, loader: Any):
        self._loader = loader

    def create_module(self, spec: Any) -> Optional[ModuleType]:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        with _lock:
            waiting = _pending.pop(module.__name__, [])
            if not _pending and _FINDER in sys.meta_path:
                sys.meta_path.remove(_FINDER)
        for fn in waiting:
            fn(module)

    def __getattr__(self, attr: str) -> Any:  # get_data, get_resource_reader, is_package, ...
        return getattr(self._loader, attr)


_FINDER = _Finder()
