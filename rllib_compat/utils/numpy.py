"""RLlib 1.x import path ``ray.rllib.utils.numpy``: numpy versions of the small NN pieces 1.x tests compare against.

``sigmoid``, ``softmax``, ``relu``, ``one_hot``, ``fc`` (a dense layer), ``lstm`` (an LSTM layer
with TensorFlow's gate order ``i, j, f, o`` and ``forget_bias``), ``huber_loss``, ``l2_loss``,
``convert_to_numpy`` and 1.x's constants. Importing this module imports no framework; ``fc`` and
``convert_to_numpy`` accept torch/TF tensors when their framework is loaded.

Examples:
    >>> softmax(np.array([0.0, np.log(3.0)])).round(3).tolist()
    [0.25, 0.75]
    >>> one_hot(np.array([0, 2])).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    >>> fc(np.ones((1, 2)), np.array([[1.0], [2.0]]), np.array([0.5])).tolist()
    [[3.5]]
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from rlcore.policy.utils import to_numpy
from rllib_compat.utils._tree import map_structure

__all__ = [
    "LARGE_INTEGER", "MAX_LOG_NN_OUTPUT", "MIN_LOG_NN_OUTPUT", "SMALL_NUMBER", "convert_to_numpy", "fc",
    "huber_loss", "l2_loss", "lstm", "one_hot", "relu", "sigmoid", "softmax",
]

#: A small positive number (keeps logs and divisions finite).
SMALL_NUMBER = 1e-6
#: A large integer.
LARGE_INTEGER = 100000000
#: Bounds of log-std outputs of Gaussian heads.
MIN_LOG_NN_OUTPUT = -5
MAX_LOG_NN_OUTPUT = 2


def sigmoid(x: Any, derivative: bool = False) -> np.ndarray:
    """``1 / (1 + exp(-x))``; with ``derivative``, ``x * (1 - x)`` for ``x`` already a sigmoid output.

    Examples:
        >>> float(sigmoid(0.0)), float(sigmoid(0.5, derivative=True))
        (0.5, 0.25)
    """
    x = np.asarray(x, dtype=np.float64) if np.isscalar(x) else np.asarray(x)
    return x * (1 - x) if derivative else 1 / (1 + np.exp(-x))


def softmax(x: Any, axis: int = -1) -> np.ndarray:
    """Softmax over ``axis`` (exponentials kept above ``SMALL_NUMBER``, as in RLlib 1.x)."""
    x = np.asarray(x)
    e = np.maximum(np.exp(x - np.max(x, axis=axis, keepdims=True)), SMALL_NUMBER)
    return e / np.sum(e, axis=axis, keepdims=True)


def relu(x: Any, alpha: float = 0.0) -> np.ndarray:
    """``max(x, alpha * x)`` (a leaky ReLU when ``alpha > 0``).

    Examples:
        >>> relu(np.array([-2.0, 3.0]), alpha=0.5).tolist()
        [-1.0, 3.0]
    """
    x = np.asarray(x)
    return np.maximum(x, x * alpha)


def one_hot(x: Any, depth: int = 0, on_value: float = 1.0, off_value: float = 0.0) -> np.ndarray:
    """One-hot of integer array ``x``: shape ``x.shape + (depth,)`` (``depth=0``: ``max(x) + 1``).

    Raises:
        ValueError: ``x`` holds a value outside ``[0, depth)``.
    """
    x = np.asarray(to_numpy(x)).astype(np.int64)
    depth = int(depth) or int(x.max()) + 1
    if x.size and (x.min() < 0 or x.max() >= depth):
        raise ValueError(f"one_hot: values {x.tolist()} are outside [0, depth={depth})")
    out = np.full(x.shape + (depth,), off_value, dtype=np.float64)
    np.put_along_axis(out, x[..., None], on_value, axis=-1)
    return out


def fc(x: Any, weights: Any, biases: Any = None, framework: Optional[str] = None) -> np.ndarray:
    """A dense layer: ``x @ weights (+ biases)``; tensors are converted to numpy first."""
    x, weights, biases = (to_numpy(v) for v in (x, weights, biases))
    out = np.matmul(x, weights)
    return out if biases is None else out + biases


def lstm(x: Any, weights: Any, biases: Any = None, initial_internal_states: Any = None, time_major: bool = False,
         forget_bias: float = 1.0) -> Tuple[np.ndarray, Tuple[np.ndarray, np.ndarray]]:
    """An LSTM layer over ``x`` (``[B, T, in]``, or ``[T, B, in]`` when ``time_major``).

    Args:
        weights: ``[in + units, 4 * units]`` kernel, gates in TensorFlow's order ``i, j, f, o``.
        biases: ``[4 * units]`` (default zeros).
        initial_internal_states: ``(c, h)``, each ``[B, units]`` (default zeros).
        forget_bias: Added to the forget gate's pre-activation.

    Returns:
        ``(outputs, (c, h))``: ``outputs`` ``[B, T, units]`` (``[T, B, units]`` when ``time_major``)
        and the last cell and hidden states.

    Examples:
        >>> out, (c, h) = lstm(np.zeros((2, 3, 1)), np.zeros((1 + 2, 8)))
        >>> out.shape, c.shape, float(h[0, 0])
        ((2, 3, 2), (2, 2), 0.0)
    """
    x, weights, biases = to_numpy(x), to_numpy(weights), to_numpy(biases)
    x = np.asarray(x, np.float64)
    if not time_major:
        x = np.transpose(x, (1, 0, 2))
    units = weights.shape[1] // 4
    batch = x.shape[1]
    if initial_internal_states is None:
        c, h = np.zeros((batch, units)), np.zeros((batch, units))
    else:
        c, h = (np.asarray(to_numpy(s), np.float64) for s in initial_internal_states)
    biases = np.zeros(4 * units) if biases is None else biases
    outputs = np.zeros((x.shape[0], batch, units))
    for t in range(x.shape[0]):
        z = np.concatenate([x[t], h], axis=1) @ weights + biases
        i, j, f, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = c * sigmoid(f + forget_bias) + sigmoid(i) * np.tanh(j)
        h = sigmoid(o) * np.tanh(c)
        outputs[t] = h
    if not time_major:
        outputs = np.transpose(outputs, (1, 0, 2))
    return outputs, (c, h)


def huber_loss(x: Any, delta: float = 1.0) -> np.ndarray:
    """Elementwise Huber loss: ``x**2 / 2`` below ``delta``, ``delta * (|x| - delta / 2)`` above.

    Examples:
        >>> huber_loss(np.array([0.5, 3.0])).tolist()
        [0.125, 2.5]
    """
    x = np.asarray(x)
    return np.where(np.abs(x) < delta, np.power(x, 2.0) * 0.5, delta * (np.abs(x) - 0.5 * delta))


def l2_loss(x: Any) -> float:
    """``sum(x**2) / 2``."""
    return float(np.sum(np.square(x)) / 2.0)


def convert_to_numpy(x: Any, reduce_floats: bool = False) -> Any:
    """``x`` (nested) with torch/TF tensors as numpy arrays; ``reduce_floats``: float64 stored as float32.

    Examples:
        >>> convert_to_numpy({"a": [np.float64(1.5)]}, reduce_floats=True)["a"][0].dtype
        dtype('float32')
    """

    def mapping(item: Any) -> Any:
        item = to_numpy(item)
        if reduce_floats and getattr(item, "dtype", None) == np.float64:
            return np.asarray(item, np.float32)
        return item

    return map_structure(mapping, x)
