"""A3CTFPolicy: the advantage actor-critic loss in TensorFlow 2 (also A2C's policy).

The same loss as :mod:`~rlcore.algorithms.a3c.a3c_torch_policy` (RLlib 1.x ``A3CLoss``), with
``grad_gnorm`` and ``vf_explained_var`` as gradient stats. The entropy coefficient is a
``tf.Variable`` so that its schedule reaches a traced (``eager_tracing``) loss.

Examples:
    >>> A3CTFPolicy.__name__
    'A3CTFPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.a3c.defaults import DEFAULT_CONFIG
from rlcore.algorithms.tf_mixins import TFEntropyCoeffSchedule, TFValueNetworkMixin, explained_variance, masked_sum_fn
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import LearningRateSchedule, start_schedules
from rlcore.policy.tf_policy_template import build_tf_policy
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch

__all__ = ["A3CTFPolicy", "actor_critic_loss", "stats", "grad_stats", "setup_mixins", "start_schedules"]


def actor_critic_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The A3C loss; keeps its parts on the policy for the stats."""
    import tensorflow as tf

    logits, _ = model.from_batch(train_batch)
    values = tf.reshape(model.value_function(), [-1])
    dist = dist_class(logits, model)
    reduce_sum = masked_sum_fn(train_batch, tf.shape(logits)[0])
    log_probs = tf.reshape(dist.logp(train_batch[Columns.ACTIONS]), [-1])
    policy.entropy = reduce_sum(dist.entropy())
    policy.pi_err = -reduce_sum(log_probs * train_batch[Columns.ADVANTAGES])
    policy.value_err = 0.5 * reduce_sum(tf.square(values - train_batch[Columns.VALUE_TARGETS]))
    policy._values = values
    return policy.pi_err + policy.config["vf_loss_coeff"] * policy.value_err - policy.entropy_coeff * policy.entropy


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """``cur_lr``, ``entropy_coeff``, ``policy_entropy``, ``policy_loss``, ``vf_loss``."""
    import tensorflow as tf

    return {
        "cur_lr": tf.cast(policy._optimizer.learning_rate, tf.float32),
        "entropy_coeff": tf.identity(policy.entropy_coeff),
        "policy_entropy": policy.entropy,
        "policy_loss": policy.pi_err,
        "vf_loss": policy.value_err,
    }


def grad_stats(policy: Any, train_batch: Any, grads: Any) -> Dict[str, Any]:
    """``grad_gnorm`` (before clipping) and ``vf_explained_var``."""
    import tensorflow as tf

    return {
        "grad_gnorm": tf.linalg.global_norm([g for g in grads if g is not None]),
        "vf_explained_var": explained_variance(train_batch[Columns.VALUE_TARGETS], policy._values),
    }


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, learning-rate and entropy-coefficient mixins."""
    TFValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    TFEntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


A3CTFPolicy = build_tf_policy(
    "A3CTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=actor_critic_loss,
    stats_fn=stats,
    grad_stats_fn=grad_stats,
    postprocess_fn=compute_gae_for_sample_batch,
    before_init=setup_mixins,
    after_init=start_schedules,
    mixins=[TFValueNetworkMixin, LearningRateSchedule, TFEntropyCoeffSchedule],
)
