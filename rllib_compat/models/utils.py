"""RLlib 1.x import path ``ray.rllib.models.utils``: ``get_activation_fn``, ``get_filter_config``, ``get_initializer``.

``get_activation_fn(name, framework)`` and ``get_filter_config(shape)`` are rlcore's own (the ones
its default models use): an ``nn.Module`` class (torch) or a function (TF) per activation name,
``None`` for ``"linear"``; RLlib's default conv filters for 84x84, 42x42 and 10x10 inputs.
``get_initializer(name, framework)`` gives the weight initializer for ``"xavier_uniform"``
(also ``None``/``"default"``) and ``"xavier_normal"``: ``torch.nn.init`` functions or Keras
initializer classes. No framework is imported before a call.

Examples:
    >>> from rllib_compat.models.utils import get_filter_config, get_activation_fn
    >>> get_filter_config((84, 84, 3))[0]
    [16, [8, 8], 4]
    >>> get_activation_fn("linear", framework="torch") is None
    True
    >>> get_initializer("orthogonal", framework="torch")
    Traceback (most recent call last):
    ...
    ValueError: initializer 'orthogonal' is not supported for framework='torch'; expected one of [None, 'default', 'xavier_uniform', 'xavier_normal']
"""

from __future__ import annotations

from typing import Any, Optional

from rlcore.framework import get_activation_fn, normalize_framework, try_import_tf, try_import_torch
from rlcore.models.conv_filters import get_filter_config

__all__ = ["get_activation_fn", "get_filter_config", "get_initializer"]

_INITIALIZERS = (None, "default", "xavier_uniform", "xavier_normal")


def get_initializer(name: Optional[str], framework: str = "tf") -> Any:
    """The weight initializer for ``name``: ``torch.nn.init.xavier_*_`` or ``tf.keras.initializers.Glorot*``.

    Raises:
        ValueError: an unknown name (listing the known ones) or framework.

    Examples:
        >>> get_initializer("xavier_normal", framework="torch").__name__
        'xavier_normal_'
    """
    fw = normalize_framework(framework)
    if name not in _INITIALIZERS:
        raise ValueError(f"initializer {name!r} is not supported for framework={framework!r}; "
                         f"expected one of {list(_INITIALIZERS)}")
    normal = name == "xavier_normal"
    if fw == "torch":
        nn = try_import_torch()[1]
        return nn.init.xavier_normal_ if normal else nn.init.xavier_uniform_
    tf = try_import_tf()[1]
    return tf.keras.initializers.GlorotNormal if normal else tf.keras.initializers.GlorotUniform
