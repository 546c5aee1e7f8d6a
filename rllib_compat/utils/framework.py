"""RLlib 1.x import path ``ray.rllib.utils.framework``: ``try_import_tf``, ``try_import_torch``, ``try_import_tfp``.

The return shapes are RLlib 1.x's: ``try_import_tf()`` gives ``(tf1, tf, tfv)``,
``try_import_torch()`` gives ``(torch, nn)``, ``try_import_tfp()`` gives the
``tensorflow_probability`` module; each gives ``None`` values when the package is not installed,
or raises ``ImportError`` with ``error=True``. Nothing is imported before the call.

``tf1`` is ``tf.compat.v1`` where it still works with TensorFlow 2 running eagerly (the only
mode rlcore runs TF in): ``tf1.executing_eagerly()``, ``tf1.enable_eager_execution()``,
``tf1.get_variable``, ``tf1.losses``, ``tf1.train``... pass through. Unlike RLlib 1.x, importing
does not call ``disable_v2_behavior()``. The TF1 graph-mode API raises an
:class:`~rllib_compat._absent.AbsentFeatureError` naming the replacement instead:
``tf1.Session``/``InteractiveSession``/``get_default_session`` and placeholders (no sessions or
feeds in TF2: call the model or a ``tf.function``), ``tf1.disable_v2_behavior()`` /
``disable_eager_execution()`` (they would switch every TF policy in the process to graph mode)
and ``tf1.layers`` (gone with Keras 3: use ``tf.keras.layers``).

Examples:
    >>> from rllib_compat.utils.framework import try_import_tf, try_import_torch, try_import_tfp
    >>> tf1, tf, tfv = try_import_tf()
    >>> tfv, tf1.executing_eagerly()
    (2, True)
    >>> tf1.placeholder(tf.float32, [None, 4])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rllib_compat._absent.AbsentFeatureError: tf1.placeholder (RLlib 1.x) does not exist in rllib_compat (...); instead, ...
"""

from __future__ import annotations

import types
from typing import Any, Optional, Tuple

from rlcore.framework import get_activation_fn
from rlcore.framework import try_import_tf as _rlcore_try_import_tf
from rlcore.framework import try_import_torch as _rlcore_try_import_torch

__all__ = ["TensorType", "get_activation_fn", "try_import_tf", "try_import_tfp", "try_import_torch"]

#: A numpy array, torch tensor or TF tensor (RLlib 1.x's annotation alias).
TensorType = Any

_NO_SESSION = ("run the computation eagerly (call the model, or a tf.function, on tensors); rllib_compat's "
               "TF policies need no session", "TensorFlow 2 has no graph sessions")
_NO_PLACEHOLDER = ("pass numpy arrays or tensors straight to the model or to a tf.function",
                   "TensorFlow 2 runs eagerly and has no feeds")
_KEEP_V2 = ("leave TensorFlow 2 behaviour on: rllib_compat's TF policies run eagerly or traced with "
            "tf.function (config eager_tracing=True)", "it would switch every TF policy in the process to graph mode")
#: tf.compat.v1 names that cannot work next to rlcore's eager TF policies: (replacement, reason).
TF1_ABSENT = {
    "Session": _NO_SESSION,
    "InteractiveSession": _NO_SESSION,
    "get_default_session": _NO_SESSION,
    "placeholder": _NO_PLACEHOLDER,
    "placeholder_with_default": _NO_PLACEHOLDER,
    "sparse_placeholder": _NO_PLACEHOLDER,
    "disable_v2_behavior": _KEEP_V2,
    "disable_eager_execution": _KEEP_V2,
    "disable_resource_variables": _KEEP_V2,
    "layers": ("use tf.keras.layers (Keras 3)", "Keras 3 has no tf1.layers"),
}


class TF1Compat(types.ModuleType):
    """``tf.compat.v1`` with the TF1 graph-mode names (:data:`TF1_ABSENT`) raising a clear error.

    Every other attribute is ``tf.compat.v1``'s own.
    """

    def __init__(self, compat_v1: types.ModuleType):
        super().__init__("tf1", "tf.compat.v1 as rllib_compat offers it (TF2, eager)")
        self.__dict__["_compat_v1"] = compat_v1

    def __getattr__(self, name: str) -> Any:
        if name in TF1_ABSENT:
            from rllib_compat._absent import absent

            replacement, reason = TF1_ABSENT[name]
            absent(f"tf1.{name}", replacement, reason=reason)
        return getattr(self.__dict__["_compat_v1"], name)

    def __dir__(self) -> list:
        return sorted(set(dir(self.__dict__["_compat_v1"])) - set(TF1_ABSENT))


_TF1: Optional[TF1Compat] = None


def try_import_tf(error: bool = False) -> Tuple[Any, Any, Any]:
    """Imports TensorFlow 2 (silenced) and returns ``(tf1, tf, tfv)``.

    Args:
        error: Raise ``ImportError`` when TensorFlow is not installed (default: return Nones).

    Returns:
        ``(tf1, tf, 2)``: :class:`TF1Compat` over ``tf.compat.v1``, the ``tensorflow`` module and
        the major version; or ``(None, None, None)`` when TensorFlow is not installed.
    """
    global _TF1
    tf1, tf, tfv = _rlcore_try_import_tf()
    if tf is None:
        if error:
            raise ImportError("try_import_tf(error=True): TensorFlow is not installed (pip install tensorflow-cpu)")
        return None, None, None
    if _TF1 is None or _TF1.__dict__["_compat_v1"] is not tf1:
        _TF1 = TF1Compat(tf1)
    return _TF1, tf, tfv


def try_import_torch(error: bool = False) -> Tuple[Any, Any]:
    """Imports torch and returns ``(torch, torch.nn)``; ``(None, None)`` when it is not installed.

    Args:
        error: Raise ``ImportError`` when torch is not installed.
    """
    torch, nn = _rlcore_try_import_torch()
    if torch is None and error:
        raise ImportError("try_import_torch(error=True): torch is not installed (pip install torch==2.13.0)")
    return torch, nn


def try_import_tfp(error: bool = False) -> Any:
    """Imports ``tensorflow_probability`` (after TensorFlow, silenced); ``None`` when it is not installed.

    Args:
        error: Raise ``ImportError`` when it is not installed.
    """
    _rlcore_try_import_tf()
    try:
        import tensorflow_probability as tfp
    except ImportError:
        if error:
            raise ImportError("try_import_tfp(error=True): tensorflow_probability is not installed "
                              "(pip install tensorflow-probability)") from None
        return None
    return tfp
