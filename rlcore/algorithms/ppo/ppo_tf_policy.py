"""PPOTFPolicy: PPO's clipped surrogate loss in TensorFlow 2 (eager, or traced with ``eager_tracing``).

The same loss and stats as :mod:`~rlcore.algorithms.ppo.ppo_torch_policy` (the value loss and its
clipping switched by ``use_gae``, as in RLlib 1.x). The KL and entropy coefficients are
``tf.Variable``\\ s, so a traced loss sees their updates.

Examples:
    >>> PPOTFPolicy.__name__
    'PPOTFPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.ppo.defaults import DEFAULT_CONFIG
from rlcore.algorithms.ppo.kl_coeff import TFKLCoeffMixin
from rlcore.algorithms.tf_mixins import TFEntropyCoeffSchedule, TFValueNetworkMixin, explained_variance, masked_mean_fn
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import LearningRateSchedule, start_schedules
from rlcore.policy.tf_policy_template import build_tf_policy
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch

__all__ = ["PPOTFPolicy", "ppo_surrogate_loss", "kl_and_loss_stats", "setup_mixins", "start_schedules"]


def ppo_surrogate_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The PPO loss; keeps its parts on the policy for the stats."""
    import tensorflow as tf

    cfg = policy.config
    logits, _ = model.from_batch(train_batch)
    curr_action_dist = dist_class(logits, model)
    prev_action_dist = dist_class(train_batch[Columns.ACTION_DIST_INPUTS], model)
    reduce_mean = masked_mean_fn(train_batch, tf.shape(logits)[0])

    logp_ratio = tf.exp(curr_action_dist.logp(train_batch[Columns.ACTIONS]) - train_batch[Columns.ACTION_LOGP])
    action_kl = prev_action_dist.kl(curr_action_dist)
    curr_entropy = curr_action_dist.entropy()
    advantages = train_batch[Columns.ADVANTAGES]
    surrogate = tf.minimum(advantages * logp_ratio,
                           advantages * tf.clip_by_value(logp_ratio, 1 - cfg["clip_param"], 1 + cfg["clip_param"]))
    per_row = -surrogate + policy.kl_coeff * action_kl - policy.entropy_coeff * curr_entropy
    if cfg["use_gae"]:  # RLlib 1.x's switch for the value loss, not use_critic
        value_fn_out = model.value_function()
        prev_value_fn_out = train_batch[Columns.VF_PREDS]
        targets = train_batch[Columns.VALUE_TARGETS]
        vf_loss1 = tf.square(value_fn_out - targets)
        vf_clipped = prev_value_fn_out + tf.clip_by_value(value_fn_out - prev_value_fn_out,
                                                          -cfg["vf_clip_param"], cfg["vf_clip_param"])
        vf_loss = tf.maximum(vf_loss1, tf.square(vf_clipped - targets))
        per_row = per_row + cfg["vf_loss_coeff"] * vf_loss
        policy._mean_vf_loss = reduce_mean(vf_loss)
        policy._vf_explained_var = explained_variance(targets, value_fn_out)
    else:
        policy._mean_vf_loss = tf.constant(0.0)
        policy._vf_explained_var = tf.constant(0.0)
    policy._total_loss = reduce_mean(per_row)
    policy._mean_policy_loss = reduce_mean(-surrogate)
    policy._mean_kl = reduce_mean(action_kl)
    policy._mean_entropy = reduce_mean(curr_entropy)
    return policy._total_loss


def kl_and_loss_stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib's PPO learner stats: coefficients, losses, KL, entropy, explained variance."""
    import tensorflow as tf

    return {
        "cur_kl_coeff": tf.identity(policy.kl_coeff),
        "cur_lr": tf.cast(policy._optimizer.learning_rate, tf.float32),
        "total_loss": policy._total_loss,
        "policy_loss": policy._mean_policy_loss,
        "vf_loss": policy._mean_vf_loss,
        "vf_explained_var": policy._vf_explained_var,
        "kl": policy._mean_kl,
        "entropy": policy._mean_entropy,
        "entropy_coeff": tf.identity(policy.entropy_coeff),
    }


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, KL, learning-rate and entropy-coefficient mixins."""
    TFValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    TFKLCoeffMixin.__init__(policy, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    TFEntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


PPOTFPolicy = build_tf_policy(
    "PPOTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=ppo_surrogate_loss,
    stats_fn=kl_and_loss_stats,
    postprocess_fn=compute_gae_for_sample_batch,
    before_init=setup_mixins,
    after_init=start_schedules,
    mixins=[TFValueNetworkMixin, TFKLCoeffMixin, LearningRateSchedule, TFEntropyCoeffSchedule],
)
