"""Deep-learning framework access: lazy imports of torch / TensorFlow and framework names.

rlcore never imports torch or TensorFlow at package import time. Code that needs one calls
``try_import_torch()`` or ``try_import_tf()`` inside the function or class that uses it, and gets
``None`` values back when the framework is not installed (RLlib 1.x ``ray.rllib.utils.framework``).
``normalize_framework`` maps the names users write in configs to the two backends rlcore has:
``"torch"`` and ``"tf2"`` (TensorFlow 2, eager or ``tf.function``-traced).

Examples:
    >>> normalize_framework("tfe")
    'tf2'
    >>> normalize_framework("torch")
    'torch'
"""

from __future__ import annotations

import os
from typing import Any

#: Config spellings accepted for each backend.
_FRAMEWORK_ALIASES = {"tf": "tf2", "tfe": "tf2", "tf2": "tf2", "torch": "torch"}


def normalize_framework(name: Any) -> str:
    """Maps a framework name from a config to ``"torch"`` or ``"tf2"``.

    Args:
        name: ``"torch"``, or one of ``"tf"``, ``"tfe"``, ``"tf2"`` (all TensorFlow 2).

    Returns:
        ``"torch"`` or ``"tf2"``.

    Raises:
        ValueError: for any other value, naming it and the accepted names.

    Examples:
        >>> [normalize_framework(n) for n in ("tf", "tf2", "torch")]
        ['tf2', 'tf2', 'torch']
        >>> normalize_framework("jax")
        Traceback (most recent call last):
        ...
        ValueError: framework='jax' is not supported; expected one of ['tf', 'tf2', 'tfe', 'torch']
    """
    if isinstance(name, str) and name in _FRAMEWORK_ALIASES:
        return _FRAMEWORK_ALIASES[name]
    raise ValueError(f"framework={name!r} is not supported; expected one of {sorted(_FRAMEWORK_ALIASES)}")


def try_import_torch() -> tuple[Any, Any]:
    """Imports torch lazily.

    Returns:
        ``(torch, torch.nn)``, or ``(None, None)`` when torch is not installed.

    Examples:
        >>> torch, nn = try_import_torch()
        >>> torch is None or hasattr(nn, "Module")
        True
    """
    try:
        import torch
        import torch.nn as nn
    except ImportError:
        return None, None
    return torch, nn


def try_import_tf() -> tuple[Any, Any, Any]:
    """Imports TensorFlow 2 lazily, silencing its start-up log lines first.

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` and ``TF_ENABLE_ONEDNN_OPTS=0`` in ``os.environ`` when unset
    (together they make the import silent; see stack_notes.md §1).

    Returns:
        ``(tf1, tf, tfv)``: ``tf.compat.v1``, the ``tensorflow`` module and the major version
        ``2``; or ``(None, None, None)`` when TensorFlow is not installed.

    Examples:
        >>> tf1, tf, tfv = try_import_tf()
        >>> tfv in (2, None)
        True
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    try:
        import tensorflow as tf
    except ImportError:
        return None, None, None
    return tf.compat.v1, tf, int(tf.__version__.split(".")[0])


_ACTIVATION_NAMES = ("tanh", "relu", "swish", "silu", "elu", "linear")


def get_activation_fn(name: Any = None, framework: str = "tf") -> Any:
    """The activation for a config name (``"tanh"``, ``"relu"``, ``"swish"``/``"silu"``,
    ``"elu"``, ``"linear"``/``None``): a ``torch.nn`` module class for torch, a function for TF;
    ``None`` for linear (RLlib 1.x ``ray.rllib.utils.framework.get_activation_fn``).

    Raises:
        ValueError: for an unknown name, listing the known ones.

    Examples:
        >>> get_activation_fn("linear", framework="torch") is None
        True
        >>> get_activation_fn("gelu2", framework="torch")
        Traceback (most recent call last):
        ...
        ValueError: activation='gelu2' is not supported; expected one of ('tanh', 'relu', 'swish', 'silu', 'elu', 'linear')
    """
    if name not in _ACTIVATION_NAMES and name is not None:
        raise ValueError(f"activation={name!r} is not supported; expected one of {_ACTIVATION_NAMES}")
    if name in (None, "linear"):
        return None
    if normalize_framework(framework) == "torch":
        _, nn = try_import_torch()
        return {"tanh": nn.Tanh, "relu": nn.ReLU, "swish": nn.SiLU, "silu": nn.SiLU, "elu": nn.ELU}[name]
    tf = try_import_tf()[1]
    return {"tanh": tf.nn.tanh, "relu": tf.nn.relu, "swish": tf.nn.silu, "silu": tf.nn.silu, "elu": tf.nn.elu}[name]


__all__ = ["get_activation_fn", "normalize_framework", "try_import_tf", "try_import_torch"]
