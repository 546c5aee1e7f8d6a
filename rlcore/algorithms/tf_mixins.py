"""TensorFlow pieces shared by the algorithms' policies: value forward, coefficients, explained variance.

Under ``eager_tracing`` a TF policy's loss is traced once by ``tf.function``; a Python float read
inside it (an entropy or KL coefficient) would be frozen into the graph. The coefficients here
are therefore ``tf.Variable``\\ s: :class:`TFEntropyCoeffSchedule` is the schedule mixin with
``entropy_coeff`` stored in one, so schedule updates reach the traced loss.
:class:`TFValueNetworkMixin` computes bootstrap values (traced too when ``eager_tracing``).
TensorFlow is imported inside the functions.

Examples:
    >>> TFEntropyCoeffSchedule.__mro__[1].__name__
    'EntropyCoeffSchedule'
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from rlcore.algorithms.value_network import ValueNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import EntropyCoeffSchedule

__all__ = ["TFValueNetworkMixin", "TFTargetNetworkMixin", "TFEntropyCoeffSchedule", "explained_variance", "masked_mean_fn", "masked_sum_fn", "tf_scalar_var"]


def tf_scalar_var(owner: Any, attr: str, value: float) -> None:
    """Assigns ``value`` to the float32 ``tf.Variable`` ``owner.<attr>``, creating it the first time.

    Examples:
        >>> class O: pass
        >>> o = O(); tf_scalar_var(o, "_v", 0.5); tf_scalar_var(o, "_v", 0.25); float(o._v.numpy())
        0.25
    """
    import tensorflow as tf

    var = owner.__dict__.get(attr)
    if var is None:
        owner.__dict__[attr] = tf.Variable(float(value), trainable=False, dtype=tf.float32)
    else:
        var.assign(float(value))


def explained_variance(y: Any, pred: Any) -> Any:
    """``max(-1, 1 - Var[y - pred] / Var[y])`` as a TF scalar.

    Examples:
        >>> import tensorflow as tf
        >>> float(explained_variance(tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0])))
        1.0
    """
    import tensorflow as tf

    _, y_var = tf.nn.moments(y, axes=[0])
    _, diff_var = tf.nn.moments(y - pred, axes=[0])
    return tf.maximum(-1.0, 1.0 - diff_var / y_var)


def masked_mean_fn(train_batch: Any, num_rows: Any) -> Any:
    """``tf.reduce_mean``, or a mean over the valid rows when the batch has ``seq_lens``.

    Examples:
        >>> import tensorflow as tf
        >>> f = masked_mean_fn({"seq_lens": tf.constant([1, 2])}, 4)
        >>> float(f(tf.constant([1.0, 100.0, 2.0, 3.0])))
        2.0
    """
    import tensorflow as tf

    seq_lens = train_batch.get(Columns.SEQ_LENS) if hasattr(train_batch, "get") else None
    if seq_lens is None:
        return tf.reduce_mean
    max_len = num_rows // tf.shape(seq_lens)[0]
    mask = tf.reshape(tf.sequence_mask(seq_lens, max_len), [-1])

    def reduce_mean_valid(t: Any) -> Any:
        return tf.reduce_mean(tf.boolean_mask(t, mask))

    return reduce_mean_valid


def masked_sum_fn(train_batch: Any, num_rows: Any) -> Any:
    """``tf.reduce_sum``, or a sum over the valid rows when the batch has ``seq_lens``.

    Examples:
        >>> import tensorflow as tf
        >>> f = masked_sum_fn({"seq_lens": tf.constant([1, 2])}, 4)
        >>> float(f(tf.constant([1.0, 100.0, 2.0, 3.0])))
        6.0
    """
    import tensorflow as tf

    seq_lens = train_batch.get(Columns.SEQ_LENS) if hasattr(train_batch, "get") else None
    if seq_lens is None:
        return tf.reduce_sum
    max_len = num_rows // tf.shape(seq_lens)[0]
    mask = tf.reshape(tf.sequence_mask(seq_lens, max_len), [-1])
    return lambda t: tf.reduce_sum(tf.boolean_mask(t, mask))


class TFEntropyCoeffSchedule(EntropyCoeffSchedule):
    """``EntropyCoeffSchedule`` whose ``entropy_coeff`` is a ``tf.Variable`` (traced losses see updates).

    Reading ``policy.entropy_coeff`` gives the variable; assigning a float updates it.
    """

    @property
    def entropy_coeff(self) -> Any:
        return self.__dict__["_entropy_coeff_var"]

    @entropy_coeff.setter
    def entropy_coeff(self, value: float) -> None:
        tf_scalar_var(self, "_entropy_coeff_var", value)


class TFValueNetworkMixin(ValueNetworkMixin):
    """``ValueNetworkMixin`` for ``TFPolicy``: values of a batch of observations."""

    def _values_np(self, obs: np.ndarray, state_batches: List[np.ndarray],
                   inputs_extra: Optional[Dict[str, np.ndarray]] = None) -> np.ndarray:
        import tensorflow as tf

        fn = self.__dict__.get("_value_fn")
        if fn is None:
            def value_graph(obs, state, extra):
                seq_lens = tf.ones(tf.shape(obs)[:1], dtype=tf.int32) if state else None
                state = self._model_state(list(state))  # nested state re-nested
                self.model({Columns.OBS: obs, "is_training": False, **extra}, state, seq_lens)
                return self.model.value_function()

            fn = tf.function(value_graph, autograph=False, reduce_retracing=True) if self.config.get("eager_tracing") else value_graph
            self.__dict__["_value_fn"] = fn
        with self._lock:
            out = fn(self._tensor(obs), [self._tensor(s) for s in state_batches],
                     {k: self._tensor(v) for k, v in (inputs_extra or {}).items()})
        return np.asarray(out.numpy(), np.float32).reshape(-1)


class TFTargetNetworkMixin:
    """Mixin: a ``target_model`` (set by the policy's ``make_model``) following ``model`` on
    ``update_target()``; ``set_weights`` syncs it too (RLlib 1.x ``TargetNetworkMixin``).

    Examples:
        >>> import tensorflow as tf
        >>> class M:
        ...     def __init__(self, v): self.v = [tf.Variable(v)]
        ...     def variables(self): return self.v
        >>> class P(TFTargetNetworkMixin):
        ...     model, target_model = M(1.0), M(2.0)
        >>> p = P(); p.update_target(); float(p.target_model.v[0].numpy())
        1.0
        >>> _ = p.target_model.v[0].assign(0.0); p.update_target(tau=0.25); float(p.target_model.v[0].numpy())
        0.25
    """

    def update_target(self, tau: Optional[float] = None) -> None:
        """Assigns the model's variables to the target model's (same architecture, same order);
        with ``0 < tau < 1`` a soft update ``target = tau * model + (1 - tau) * target`` of the
        floating-point variables instead (others are copied).

        Args:
            tau: ``None`` or ``1.0`` for a hard copy; else a value in ``(0, 1)``.
        """
        own, target = self.model.variables(), self.target_model.variables()
        if len(own) != len(target):
            raise ValueError(f"update_target: the model has {len(own)} variables, the target model {len(target)}; "
                             "expected the same architecture")
        if tau is None or tau == 1.0:
            for t, v in zip(target, own):
                t.assign(v)
            return
        if not 0.0 < tau < 1.0:
            raise ValueError(f"update_target: tau={tau!r}: expected None or a value in (0, 1]")
        import tensorflow as tf

        # One traced function for all the variables: eager, each assign is a separate op dispatch,
        # which costs more than a learn step for SAC's networks. tau and 1 - tau come in as float64
        # tensors, cast to each variable's dtype (as eager arithmetic converts the Python floats), so
        # a new tau does not retrace.
        key = (tuple(map(id, own)), tuple(map(id, target)))
        fn = self.__dict__.get("_soft_update")
        if fn is None or fn[0] != key:
            pairs = [(t, v, tf.as_dtype(t.dtype)) for t, v in zip(target, own)]  # Keras 3 dtypes are names

            def soft_update(a: Any, b: Any) -> None:
                for t, v, dtype in pairs:
                    t.assign(tf.cast(a, dtype) * v + tf.cast(b, dtype) * t if dtype.is_floating else v)

            fn = self.__dict__["_soft_update"] = (key, tf.function(soft_update, autograph=False))
        fn[1](tf.constant(tau, tf.float64), tf.constant(1.0 - tau, tf.float64))

    def set_weights(self, weights: Dict[str, np.ndarray]) -> None:
        super().set_weights(weights)
        self.update_target(tau=1.0)
