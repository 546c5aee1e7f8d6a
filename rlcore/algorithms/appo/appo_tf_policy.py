"""AsyncPPOTFPolicy: APPO's clipped surrogate loss in TensorFlow 2 (eager, or traced with ``eager_tracing``).

The same loss, target network and learner stats as
:mod:`~rlcore.algorithms.appo.appo_torch_policy`; V-trace runs on the compiled kernel through
``tf.numpy_function``. The KL and entropy coefficients are ``tf.Variable``\\ s, so a traced loss
sees ``update_kl`` and schedule updates.

Examples:
    >>> AsyncPPOTFPolicy.__name__
    'AsyncPPOTFPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.appo.defaults import DEFAULT_CONFIG
from rlcore.algorithms.impala.vtrace import VTracePostprocessing, postprocess_vtrace_or_gae
from rlcore.algorithms.impala.vtrace_tf_policy import choose_optimizer, grad_stats, layout_and_bootstrap, vtrace_returns
from rlcore.algorithms.ppo.kl_coeff import TFKLCoeffMixin
from rlcore.algorithms.tf_mixins import (TFEntropyCoeffSchedule, TFTargetNetworkMixin, TFValueNetworkMixin,
                                         explained_variance, masked_mean_fn)
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import LearningRateSchedule, start_schedules
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["AsyncPPOTFPolicy", "appo_surrogate_loss", "stats", "make_appo_model", "setup_mixins", "init_target"]


def appo_surrogate_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The APPO loss; keeps its parts on the policy for the stats."""
    import tensorflow as tf

    cfg = policy.config
    vtrace = cfg["vtrace"]
    if vtrace:
        layout = layout_and_bootstrap(policy, model, train_batch)
        old_logits = tf.stop_gradient(policy.target_model.from_batch(train_batch, is_training=False)[0])
    logits, _ = model.from_batch(train_batch)
    values = tf.reshape(model.value_function(), [-1])
    actions = train_batch[Columns.ACTIONS]
    dist = dist_class(logits, model)
    behaviour_dist = dist_class(train_batch[Columns.ACTION_DIST_INPUTS], model)
    logp = tf.reshape(dist.logp(actions), [-1])
    behaviour_logp = tf.reshape(behaviour_dist.logp(actions), [-1])
    reduce_mean = masked_mean_fn(train_batch, tf.shape(logits)[0])
    if vtrace:
        old_dist = dist_class(old_logits, model)
        old_logp = tf.reshape(old_dist.logp(actions), [-1])
        value_targets, advantages = vtrace_returns(policy, train_batch, layout, behaviour_logp, old_logp, values)
        is_ratio = tf.clip_by_value(tf.exp(behaviour_logp - old_logp), 0.0, 2.0)
        logp_ratio = is_ratio * tf.exp(logp - behaviour_logp)
        action_kl = old_dist.kl(dist)
    else:
        value_targets, advantages = train_batch[Columns.VALUE_TARGETS], train_batch[Columns.ADVANTAGES]
        is_ratio = None
        logp_ratio = tf.exp(logp - behaviour_logp)
        action_kl = behaviour_dist.kl(dist)
    clip = cfg["clip_param"]
    surrogate = tf.minimum(advantages * logp_ratio, advantages * tf.clip_by_value(logp_ratio, 1 - clip, 1 + clip))
    mean_kl = reduce_mean(action_kl)
    mean_policy_loss = -reduce_mean(surrogate)
    mean_vf_loss = 0.5 * reduce_mean(tf.square(values - value_targets))
    mean_entropy = reduce_mean(tf.reshape(dist.entropy(), [-1]))
    total = mean_policy_loss + cfg["vf_loss_coeff"] * mean_vf_loss - policy.entropy_coeff * mean_entropy
    if cfg["use_kl_loss"]:
        total = total + policy.kl_coeff * mean_kl
    policy._loss_stats = {
        "policy_loss": mean_policy_loss,
        "vf_loss": mean_vf_loss,
        "entropy": mean_entropy,
        "vf_explained_var": explained_variance(value_targets, values),
        "total_loss": total,
    }
    if vtrace:
        mean_is, var_is = tf.nn.moments(is_ratio, axes=[0])
        policy._loss_stats.update(mean_IS=mean_is, var_IS=var_is)
    if cfg["use_kl_loss"]:
        policy._loss_stats.update(kl=mean_kl, KL_Coeff=tf.identity(policy.kl_coeff))
    return total


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's APPO learner stats (``grad_gnorm`` comes from the gradient stats)."""
    import tensorflow as tf

    return dict(policy._loss_stats,
                cur_lr=tf.cast(policy._optimizer.learning_rate, tf.float32),
                entropy_coeff=tf.identity(policy.entropy_coeff),
                var_gnorm=tf.linalg.global_norm(policy.model.trainable_variables()))


def make_appo_model(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> Any:
    """The model and, as ``policy.target_model``, a second one of the same architecture."""
    from rlcore.models.catalog import ModelCatalog

    _, logit_dim = ModelCatalog.get_action_dist(action_space, config["model"], framework="tf2")
    policy.target_model = ModelCatalog.get_model_v2(obs_space, action_space, logit_dim, config["model"],
                                                    framework="tf2", name="target_model")
    return ModelCatalog.get_model_v2(obs_space, action_space, logit_dim, config["model"], framework="tf2",
                                     name="model")


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, KL, learning-rate and entropy-coefficient mixins (before the optimizer)."""
    TFValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    TFKLCoeffMixin.__init__(policy, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    TFEntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


def init_target(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the schedules at timestep 0 and the target network equal to the model."""
    start_schedules(policy, obs_space, action_space, config)
    policy.update_target()


AsyncPPOTFPolicy = build_tf_policy(
    "AsyncPPOTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=appo_surrogate_loss,
    stats_fn=stats,
    grad_stats_fn=grad_stats,
    postprocess_fn=postprocess_vtrace_or_gae,
    optimizer_fn=choose_optimizer,
    make_model=make_appo_model,
    before_init=setup_mixins,
    after_init=init_target,
    mixins=[VTracePostprocessing, TFValueNetworkMixin, TFTargetNetworkMixin, TFKLCoeffMixin,
            LearningRateSchedule, TFEntropyCoeffSchedule],
)
