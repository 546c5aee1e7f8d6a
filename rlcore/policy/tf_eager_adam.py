"""The eager Adam step: Keras 3's ``Adam.apply_gradients`` as the same TF ops, without Keras' per-op layers.

Eagerly, Keras' optimizer step issues each TF op through ``keras.ops`` (dtype lattices,
``convert_to_tensor``, the distribution-strategy ``update`` wrapper, per variable), which costs
several times the ops themselves on a small policy network: about two thirds of an eager
``learn_on_batch`` for A2C's CartPole network. :func:`apply_adam_eagerly` issues the ops of
``keras.optimizers.Adam.update_step`` directly on the optimizer's own slot variables (``m``,
``v``) and iteration counter, in Keras' order and dtypes, so the variables, the slots and the
iteration count come out bit for bit as Keras' (tested). It is still eager (every op runs as it is
issued). It applies only to a stock ``Adam`` in the default distribution strategy, without AMSGrad,
weight decay, gradient clipping, EMA, gradient accumulation, loss scaling, variable constraints or
``overwrite_with_gradient`` variables; otherwise (and inside a ``tf.function``) it returns
``False`` and the caller uses Keras.

Examples:
    >>> import numpy as np, tensorflow as tf
    >>> w = tf.keras.Variable([1.0, 2.0]); opt = tf.keras.optimizers.Adam(0.1); opt.build([w])
    >>> apply_adam_eagerly(opt, [(tf.constant([1.0, -1.0]), w)]), [round(float(x), 4) for x in w.numpy()], int(opt.iterations)
    (True, [0.9, 2.1], 1)
    >>> apply_adam_eagerly(tf.keras.optimizers.Adam(0.1, amsgrad=True), [(tf.constant([1.0, -1.0]), w)])
    False
"""

from __future__ import annotations

from typing import Any, List, Tuple

__all__ = ["apply_adam_eagerly", "eager_adam_supported"]


def eager_adam_supported(optimizer: Any) -> bool:
    """Whether :func:`apply_adam_eagerly` reproduces this optimizer's Keras step (see the module docstring)."""
    import keras
    import tensorflow as tf

    if type(optimizer) is not keras.optimizers.Adam or not getattr(optimizer, "built", False):
        return False
    if optimizer.amsgrad or optimizer.gradient_accumulation_steps or optimizer.use_ema:
        return False
    if optimizer.loss_scale_factor is not None or optimizer.weight_decay is not None:
        return False
    if optimizer.clipnorm is not None or optimizer.clipvalue is not None or optimizer.global_clipnorm is not None:
        return False
    return not tf.distribute.has_strategy()


def apply_adam_eagerly(optimizer: Any, grads_and_vars: List[Tuple[Any, Any]]) -> bool:
    """Applies one Adam step eagerly; ``False`` (nothing applied) where Keras must do it.

    Args:
        optimizer: the Keras optimizer (only a stock ``keras.optimizers.Adam`` is handled).
        grads_and_vars: ``[(gradient, variable), ...]`` without ``None`` gradients, the variables
            among those the optimizer was built with.

    Returns:
        Whether the step was applied here.
    """
    import tensorflow as tf

    if not grads_and_vars or not tf.executing_eagerly() or not eager_adam_supported(optimizer):
        return False
    indices = optimizer._trainable_variables_indices
    slots = []
    for grad, var in grads_and_vars:
        index = indices.get(optimizer._var_key(var))
        if index is None or getattr(var, "constraint", None) is not None or getattr(var, "overwrite_with_gradient", False):
            return False  # Keras raises for unknown variables and handles the others
        slots.append((grad, getattr(var, "value", var), optimizer._momentums[index].value,
                      optimizer._velocities[index].value))
    learning_rate = optimizer.learning_rate
    iterations = optimizer.iterations
    powers = {}
    for grad, var, m, v in slots:
        dtype = var.dtype
        if dtype not in powers:  # Keras recomputes these per variable: the same values
            lr = tf.cast(learning_rate, dtype)
            local_step = tf.cast(iterations.value + 1, dtype)
            beta_1_power = tf.pow(tf.cast(optimizer.beta_1, dtype), local_step)
            beta_2_power = tf.pow(tf.cast(optimizer.beta_2, dtype), local_step)
            powers[dtype] = lr * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        alpha = powers[dtype]
        grad = tf.cast(grad, dtype)
        m.assign_add(tf.multiply(tf.subtract(grad, m), tf.constant(1 - optimizer.beta_1, dtype)))
        v.assign_add(tf.multiply(tf.subtract(tf.square(grad), v), tf.constant(1 - optimizer.beta_2, dtype)))
        var.assign_sub(tf.divide(tf.multiply(m, alpha), tf.add(tf.sqrt(v), tf.constant(optimizer.epsilon, dtype))))
    iterations.assign_add(1)
    return True
