"""VTraceTFPolicy: IMPALA's V-trace actor-critic loss in TensorFlow 2 (eager, or traced with ``eager_tracing``).

The same loss, options and learner stats as :mod:`~rlcore.algorithms.impala.vtrace_torch_policy`.
The V-trace targets come from the compiled kernel through ``tf.numpy_function`` (static shapes
set, no gradient), so a traced learn step runs the kernel once per call as well; the batch
layout is found the same way and the bootstrap values ``V(new_obs)`` by a small forward pass of
the gathered rows. The entropy coefficient is a ``tf.Variable`` (its schedule reaches a traced loss).

Examples:
    >>> VTraceTFPolicy.__name__
    'VTraceTFPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.impala.defaults import DEFAULT_CONFIG
from rlcore.algorithms.impala.vtrace import (VTracePostprocessing, check_not_recurrent, layout_columns,
                                             postprocess_vtrace_or_gae, segment_layout, vtrace_targets)
from rlcore.algorithms.tf_mixins import TFEntropyCoeffSchedule, TFValueNetworkMixin, explained_variance, masked_sum_fn
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import LearningRateSchedule, start_schedules
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["VTraceTFPolicy", "build_vtrace_loss", "layout_and_bootstrap", "vtrace_returns", "stats", "grad_stats",
           "choose_optimizer", "setup_mixins"]


def layout_and_bootstrap(policy: Any, model: Any, train_batch: Any) -> tuple:
    """``(ends, boot_rows, boot_values)`` as tensors: the batch's segments (one ``numpy_function``)
    and ``V(new_obs)`` at the bootstrapping ends (a forward pass of those rows, no gradient).
    Call before the loss's forward pass, so ``model.value_function()`` stays the batch's."""
    import tensorflow as tf

    check_not_recurrent(policy)
    dones, terminals, ids = layout_columns(policy, train_batch)
    fragment_length = policy.config["rollout_fragment_length"]

    def layout(dones, terminals, *ids):
        return segment_layout(len(dones), fragment_length, dones, terminals, ids)

    ends, boot_rows = tf.numpy_function(layout, [dones, terminals, *ids], [tf.bool, tf.int64], stateful=False,
                                        name="vtrace_layout")
    ends.set_shape(dones.shape)
    boot_rows.set_shape([None])
    model({Columns.OBS: tf.gather(train_batch[Columns.NEXT_OBS], boot_rows), "is_training": False})
    return ends, boot_rows, tf.stop_gradient(tf.reshape(model.value_function(), [-1]))


def vtrace_returns(policy: Any, train_batch: Any, layout: tuple, behaviour_logp: Any, target_logp: Any,
                   values: Any) -> tuple:
    """The V-trace targets ``(vs, pg_advantages)`` (no gradient): one kernel call."""
    import tensorflow as tf

    cfg = policy.config
    gamma, rho_clip, pg_clip = cfg["gamma"], cfg["vtrace_clip_rho_threshold"], cfg["vtrace_clip_pg_rho_threshold"]

    def kernel(behaviour_logp, target_logp, rewards, values, ends, boot_rows, boot_values):
        return vtrace_targets(behaviour_logp, target_logp, rewards, values, ends, boot_rows, boot_values,
                              gamma=gamma, clip_rho_threshold=rho_clip, clip_pg_rho_threshold=pg_clip)

    ends, boot_rows, boot_values = layout
    vs, pg = tf.numpy_function(
        kernel, [tf.cast(behaviour_logp, tf.float32), tf.stop_gradient(target_logp),
                 tf.cast(train_batch[Columns.REWARDS], tf.float32), tf.stop_gradient(values), ends, boot_rows,
                 boot_values], [tf.float32, tf.float32], stateful=False, name="vtrace")
    vs.set_shape(values.shape)
    pg.set_shape(values.shape)
    return vs, pg


def build_vtrace_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The IMPALA loss; keeps its parts on the policy for the stats."""
    import tensorflow as tf

    cfg = policy.config
    layout = layout_and_bootstrap(policy, model, train_batch) if cfg["vtrace"] else None
    logits, _ = model.from_batch(train_batch)
    values = tf.reshape(model.value_function(), [-1])
    dist = dist_class(logits, model)
    logp = tf.reshape(dist.logp(train_batch[Columns.ACTIONS]), [-1])
    if cfg["vtrace"]:
        value_targets, advantages = vtrace_returns(policy, train_batch, layout, train_batch[Columns.ACTION_LOGP],
                                                   logp, values)
    else:
        value_targets, advantages = train_batch[Columns.VALUE_TARGETS], train_batch[Columns.ADVANTAGES]
    reduce_sum = masked_sum_fn(train_batch, tf.shape(logits)[0])
    pi_loss = -reduce_sum(logp * advantages)
    vf_loss = 0.5 * reduce_sum(tf.square(values - value_targets))
    entropy = reduce_sum(tf.reshape(dist.entropy(), [-1]))
    total = pi_loss + cfg["vf_loss_coeff"] * vf_loss - policy.entropy_coeff * entropy
    rows = reduce_sum(tf.ones_like(values))
    policy._loss_stats = {
        "policy_loss": pi_loss / rows,
        "vf_loss": vf_loss / rows,
        "entropy": entropy / rows,
        "vf_explained_var": explained_variance(value_targets, values),
        "total_loss": total,
    }
    return total


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's IMPALA learner stats (``grad_gnorm`` comes from :func:`grad_stats`)."""
    import tensorflow as tf

    return dict(policy._loss_stats,
                cur_lr=tf.cast(policy._optimizer.learning_rate, tf.float32),
                entropy_coeff=tf.identity(policy.entropy_coeff),
                var_gnorm=tf.linalg.global_norm(policy.model.trainable_variables()))


def grad_stats(policy: Any, train_batch: Any, grads: Any) -> Dict[str, Any]:
    """``grad_gnorm``: the gradients' global norm (before clipping, when ``grad_clip`` is set)."""
    import tensorflow as tf

    return {"grad_gnorm": tf.linalg.global_norm([g for g in grads if g is not None])}


def choose_optimizer(policy: Any, config: Dict[str, Any]) -> Any:
    """``opt_type``: Keras Adam (lr ``cur_lr``) or RMSprop (``rho=decay``, ``momentum``, ``epsilon``).

    Examples:
        >>> class P: cur_lr = 0.1
        >>> type(choose_optimizer(P(), {"opt_type": "rmsprop", "decay": 0.9, "momentum": 0.0, "epsilon": 0.1})).__name__
        'RMSprop'
    """
    import tensorflow as tf

    if config["opt_type"] == "adam":
        return tf.keras.optimizers.Adam(learning_rate=policy.cur_lr)
    if config["opt_type"] == "rmsprop":
        return tf.keras.optimizers.RMSprop(learning_rate=policy.cur_lr, rho=config["decay"],
                                           momentum=config["momentum"], epsilon=config["epsilon"])
    raise ValueError(f"opt_type={config['opt_type']!r}: expected 'adam' or 'rmsprop'")


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, learning-rate and entropy-coefficient mixins (before the optimizer)."""
    TFValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    TFEntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


VTraceTFPolicy = build_tf_policy(
    "VTraceTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=build_vtrace_loss,
    stats_fn=stats,
    grad_stats_fn=grad_stats,
    postprocess_fn=postprocess_vtrace_or_gae,
    optimizer_fn=choose_optimizer,
    before_init=setup_mixins,
    after_init=start_schedules,
    mixins=[VTracePostprocessing, TFValueNetworkMixin, LearningRateSchedule, TFEntropyCoeffSchedule],
)
