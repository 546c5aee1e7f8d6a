"""ConcreteDispatch: calling a ``tf.function`` without its per-call signature matching.

Used by :class:`~rlcore.policy.tf_policy.TFPolicy` for its traced ``compute_actions`` and learn
step (``eager_tracing``, or ``framework="tf"``).
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

__all__ = ["ConcreteDispatch"]


class ConcreteDispatch:
    """Calls a ``tf.function`` through one concrete function per input layout, batch dim relaxed.

    A ``tf.function`` called with nested Python structures spends ~0.3 ms per call matching them
    against its traces (``function_type`` canonicalization), more than a small policy's graph
    takes to run. This keeps one concrete function per layout: the structure (dict keys, list
    lengths), each tensor's dtype, rank and non-batch dims, and the Python values (``explore``,
    ``apply``). The leading (batch) dim is ``None``, so every batch size shares one trace. A
    layout it has not seen is traced once (``get_concrete_function``); later calls go straight to
    that concrete function, about 2.4x cheaper per call here.

    Examples:
        >>> import tensorflow as tf
        >>> traces = []
        >>> f = ConcreteDispatch(tf.function(lambda d, scale: traces.append(1) or d["x"] * scale))
        >>> f({"x": tf.ones([2, 3])}, 2.0).shape, f({"x": tf.ones([5, 3])}, 2.0).shape, len(traces)
        (TensorShape([2, 3]), TensorShape([5, 3]), 1)
        >>> _ = f({"x": tf.ones([5, 3])}, 3.0); len(traces)  # another Python value: one more trace
        2
        >>> f({"x": tf.ones([1, 3])}, np.array(2.0, np.float32)).shape  # unhashable: tf.function's own dispatch
        TensorShape([1, 3])
    """

    def __init__(self, function: Any):
        self.function = function
        self._concrete: Dict[Any, Any] = {}

    def __call__(self, *args: Any) -> Any:
        key = _layout(args)
        try:
            concrete = self._concrete.get(key)
        except TypeError:  # an unhashable Python value among the arguments: tf.function's own dispatch
            return self.function(*args)
        if concrete is None:
            concrete = self._concrete[key] = self.function.get_concrete_function(*_relaxed_specs(args))
        return concrete(*args)


def _layout(x: Any) -> Any:
    """A hashable key of a call's structure, tensor dtypes/ranks/non-batch dims and Python values."""
    if isinstance(x, dict):
        return ("d",) + tuple((k, _layout(v)) for k, v in sorted(x.items()))
    if isinstance(x, (list, tuple)):
        return ("l" if isinstance(x, list) else "t",) + tuple(_layout(v) for v in x)
    shape = getattr(x, "shape", None)
    if shape is not None and hasattr(x, "dtype") and not isinstance(x, np.ndarray):
        dims = shape.as_list() if shape.rank is not None else None
        return ("T", x.dtype, None if dims is None else tuple(dims[1:]), None if dims is None else len(dims))
    return ("v", type(x), x)


def _relaxed_specs(x: Any) -> Any:
    """``TensorSpec``s with a ``None`` batch dim in place of the tensors of a call's arguments."""
    import tensorflow as tf

    if isinstance(x, dict):
        return {k: _relaxed_specs(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_relaxed_specs(v) for v in x)
    if tf.is_tensor(x):
        if x.shape.rank is None:
            return tf.TensorSpec(None, x.dtype)
        dims = x.shape.as_list()
        return tf.TensorSpec(dims if not dims else [None] + dims[1:], x.dtype)
    return x
