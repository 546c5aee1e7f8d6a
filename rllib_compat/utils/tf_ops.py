"""RLlib 1.x import path ``ray.rllib.utils.tf_ops``: TensorFlow helpers of 1.x policies and models.

As in RLlib 1.x, importing this module imports TensorFlow (through ``try_import_tf``). The
helpers that compute (``huber_loss``, ``one_hot``, ``reduce_mean_ignore_inf``,
``explained_variance`` (rlcore's own), ``convert_to_non_tf_type``, ``minimize_and_clip``) work on
eager and ``tf.function``-traced tensors. ``make_tf_callable(None)`` returns functions
unchanged, as 1.x did in eager mode. The TF1 graph helpers cannot exist next to TensorFlow 2
running eagerly and raise an :class:`~rllib_compat._absent.AbsentFeatureError` naming the
replacement: ``get_placeholder``, ``make_tf_callable`` given a session, ``scope_vars``.

Examples:
    >>> import tensorflow as tf
    >>> float(huber_loss(tf.constant(3.0)))
    2.5
    >>> make_tf_callable(None)(lambda x: x + 1)(tf.constant(1.0)).numpy()
    np.float32(2.0)
    >>> get_placeholder(value=np.zeros((1, 4)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rllib_compat._absent.AbsentFeatureError: tf_ops.get_placeholder (RLlib 1.x) does not exist in rllib_compat (...); instead, ...
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

import numpy as np

from rlcore.algorithms.tf_mixins import explained_variance
from rllib_compat._absent import absent
from rllib_compat.utils._tree import map_structure
from rllib_compat.utils.framework import try_import_tf

tf1, tf, tfv = try_import_tf()

__all__ = [
    "convert_to_non_tf_type", "explained_variance", "get_placeholder", "huber_loss", "make_tf_callable",
    "minimize_and_clip", "one_hot", "reduce_mean_ignore_inf", "scope_vars",
]

_NO_GRAPH = "TensorFlow 2 runs eagerly: there are no placeholders, sessions or graph collections"


def convert_to_non_tf_type(stats: Any) -> Any:
    """``stats`` (nested) with TF tensors and variables as numpy arrays.

    Examples:
        >>> convert_to_non_tf_type({"a": tf.constant([1.0]), "b": 2})
        {'a': array([1.], dtype=float32), 'b': 2}
    """
    return map_structure(lambda x: x.numpy() if isinstance(x, (tf.Tensor, tf.Variable)) else x, stats)


def get_placeholder(*, space: Any = None, value: Any = None, name: Optional[str] = None, time_axis: bool = False) -> Any:
    """RLlib 1.x made a ``tf1.placeholder`` here; TensorFlow 2 has none (raises)."""
    absent("tf_ops.get_placeholder", "pass numpy arrays or tensors straight to the model or to a tf.function",
           reason=_NO_GRAPH)


def huber_loss(x: Any, delta: float = 1.0) -> Any:
    """Elementwise Huber loss: ``x**2 / 2`` below ``delta``, ``delta * (|x| - delta / 2)`` above."""
    return tf.where(tf.abs(x) < delta, tf.math.square(x) * 0.5, delta * (tf.abs(x) - 0.5 * delta))


def one_hot(x: Any, space: Any) -> Any:
    """One-hot encodes ``x`` for a ``Discrete`` or ``MultiDiscrete`` space (float32).

    Raises:
        ValueError: for any other space, naming it.

    Examples:
        >>> import gymnasium as gym
        >>> one_hot(tf.constant([[1, 0]]), gym.spaces.MultiDiscrete([2, 3])).numpy().tolist()
        [[0.0, 1.0, 1.0, 0.0, 0.0]]
    """
    import gymnasium as gym

    if isinstance(space, gym.spaces.Discrete):
        return tf.one_hot(x, int(space.n))
    if isinstance(space, gym.spaces.MultiDiscrete):
        return tf.concat([tf.one_hot(x[:, i], int(n)) for i, n in enumerate(space.nvec)], axis=-1)
    raise ValueError(f"Unsupported space for `one_hot`: {space}; expected Discrete or MultiDiscrete")


def reduce_mean_ignore_inf(x: Any, axis: int) -> Any:
    """Mean over ``axis`` of the values that are not ``tf.float32.min`` (masked logits).

    Examples:
        >>> float(reduce_mean_ignore_inf(tf.constant([1.0, 3.0, tf.float32.min]), 0))
        2.0
    """
    mask = tf.not_equal(x, tf.float32.min)
    x_zeroed = tf.where(mask, x, tf.zeros_like(x))
    return tf.reduce_sum(x_zeroed, axis) / tf.reduce_sum(tf.cast(mask, tf.float32), axis)


def minimize_and_clip(optimizer: Any, objective: Any, var_list: List[Any], clip_val: Optional[float] = 10.0) -> list:
    """``[(grad, var)]`` of ``objective`` w.r.t. ``var_list``, each gradient clipped to norm ``clip_val``.

    ``optimizer`` is what a TF policy's ``gradients_fn`` receives: it has the ``GradientTape``
    the loss was recorded on (``optimizer.tape``) or a ``compute_gradients(objective, var_list)``
    method. Variables without a gradient are left out.

    Raises:
        ValueError: ``clip_val`` is not positive.

    Examples:
        >>> v = tf.Variable([3.0, 4.0])
        >>> class Opt: pass
        >>> opt = Opt()
        >>> with tf.GradientTape() as opt.tape:
        ...     loss = tf.reduce_sum(v * v)
        >>> [[round(float(x), 3) for x in g.numpy()] for g, _ in minimize_and_clip(opt, loss, [v], clip_val=1.0)]
        [[0.6, 0.8]]
    """
    if clip_val is not None and not clip_val > 0.0:
        raise ValueError(f"minimize_and_clip: clip_val={clip_val!r} must be > 0 (or None for no clipping)")
    tape = getattr(optimizer, "tape", None)
    if tape is not None:
        grads_and_vars = list(zip(tape.gradient(objective, var_list), var_list))
    else:
        grads_and_vars = list(optimizer.compute_gradients(objective, var_list))
    return [(tf.clip_by_norm(g, clip_val) if clip_val is not None else g, v) for g, v in grads_and_vars if g is not None]


def make_tf_callable(session_or_none: Any, dynamic_shape: bool = False) -> Callable[[Callable], Callable]:
    """A decorator that, with ``session_or_none=None`` (eager TensorFlow 2), returns the function as is.

    Raises:
        AbsentFeatureError: a TF1 session is given (RLlib 1.x then ran the function through
            placeholders and ``session.run``).
    """
    if session_or_none is not None:
        absent("tf_ops.make_tf_callable(session)", "call make_tf_callable(None) and run the function eagerly "
               "(or wrap it in tf.function)", reason=_NO_GRAPH)

    def make_wrapper(fn: Callable) -> Callable:
        return fn

    return make_wrapper


def scope_vars(scope: Any, trainable_only: bool = False) -> list:
    """RLlib 1.x read a TF1 graph collection here; eager TensorFlow 2 keeps none (raises)."""
    absent("tf_ops.scope_vars", "list the variables from the model (model.variables() or "
           "model.trainable_variables())", reason=_NO_GRAPH)
