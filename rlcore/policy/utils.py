"""Small helpers shared by the policy classes: list coercion, hook calling, tensor-to-numpy.

Examples:
    >>> force_list((1, 2))
    [1, 2]
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional

import numpy as np

__all__ = ["force_list", "accepted_kwargs", "call_with_accepted_kwargs", "to_numpy", "to_python_stats"]


def force_list(x: Any) -> list:
    """``x`` as a list (``None`` -> ``[]``).

    Examples:
        >>> force_list(None), force_list(3), force_list((1, 2))
        ([], [3], [1, 2])
    """
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def accepted_kwargs(fn: Callable) -> Optional[frozenset]:
    """The keyword names ``fn`` accepts, or ``None`` if it takes ``**kwargs`` (or has no signature).

    Examples:
        >>> sorted(accepted_kwargs(lambda a, explore=True: a)), accepted_kwargs(lambda a, **kw: a)
        (['a', 'explore'], None)
    """
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params)


def call_with_accepted_kwargs(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Calls ``fn(*args, **kwargs)`` dropping keyword arguments ``fn`` does not accept
    (:func:`accepted_kwargs`).

    RLlib's hook signatures drifted between 1.x releases (``timestep``, ``state_batches``...);
    this lets user hooks written for any of them run.

    Examples:
        >>> call_with_accepted_kwargs(lambda a, explore=True: (a, explore), 1, explore=False, timestep=3)
        (1, False)
    """
    names = accepted_kwargs(fn)
    if names is None:
        return fn(*args, **kwargs)
    return fn(*args, **{k: v for k, v in kwargs.items() if k in names})


def to_numpy(x: Any) -> Any:
    """Converts torch / TF tensors (possibly nested in dicts, lists, tuples) to numpy arrays.

    Examples:
        >>> to_numpy({"a": [np.float32(1.0)]})
        {'a': [np.float32(1.0)]}
    """
    if isinstance(x, dict):
        return {k: to_numpy(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_numpy(v) for v in x)
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy") and not isinstance(x, (np.ndarray, np.generic)):
        return x.numpy()
    return x


def to_python_stats(stats: Dict[str, Any]) -> Dict[str, Any]:
    """Learner stats with tensors as numpy and scalars as Python numbers.

    Examples:
        >>> to_python_stats({"loss": np.float32(0.5), "v": np.zeros(2)})
        {'loss': 0.5, 'v': array([0., 0.])}
    """
    out = {}
    for k, v in stats.items():
        v = to_numpy(v)
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v.item()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out
