"""MARWILTFPolicy: advantage-weighted imitation in TensorFlow 2 (RLlib 1.x's ``marwil_tf_policy``).

The loss of :mod:`~rlcore.algorithms.marwil.marwil_torch_policy`; ``c^2`` is a non-trainable
``tf.Variable`` updated inside the (traced) loss.

Examples:
    >>> MARWILTFPolicy.__name__
    'MARWILTFPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.marwil.defaults import DEFAULT_CONFIG
from rlcore.algorithms.marwil.postprocessing import STATE_KEY, MARWILPostprocessing, postprocess_advantages
from rlcore.algorithms.tf_mixins import TFValueNetworkMixin, explained_variance
from rlcore.data.columns import Columns
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["MARWILTFPolicy", "MovingAverageSqdAdvNormState", "marwil_loss", "stats", "setup_mixins",
           "reset_moving_average"]


def marwil_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The MARWIL loss; keeps its parts on the policy for the stats."""
    import tensorflow as tf

    cfg = policy.config
    logits, _ = model.from_batch(train_batch)
    dist = dist_class(logits, model)
    logp = dist.logp(train_batch[Columns.ACTIONS])
    if cfg["beta"] != 0.0:
        returns = train_batch[Columns.ADVANTAGES]
        values = tf.reshape(model.value_function(), [-1])
        adv = returns - values
        adv_sq = tf.reduce_mean(tf.square(adv))
        norm = policy._moving_average_sqd_adv_norm
        norm.assign_add(cfg["moving_average_sqd_adv_norm_update_rate"] * (tf.stop_gradient(adv_sq) - norm))
        weights = tf.stop_gradient(tf.exp(cfg["beta"] * (adv / (1e-8 + tf.sqrt(norm)))))
        policy._vf_explained_var = explained_variance(returns, values)
        policy.v_loss = 0.5 * adv_sq
    else:
        weights = 1.0
        policy.v_loss = tf.constant(0.0)
    logstd_coeff = cfg["bc_logstd_coeff"]
    logstds = tf.reduce_mean(dist.log_std, axis=1) if logstd_coeff > 0.0 else 0.0
    policy.p_loss = -tf.reduce_mean(weights * (logp + logstd_coeff * logstds))
    policy.total_loss = policy.p_loss + cfg["vf_coeff"] * policy.v_loss
    return policy.total_loss


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """As the torch policy's stats."""
    import tensorflow as tf

    out = {"policy_loss": policy.p_loss, "total_loss": policy.total_loss}
    if policy.config["beta"] != 0.0:
        out.update(vf_loss=policy.v_loss, vf_explained_var=policy._vf_explained_var,
                   moving_average_sqd_adv_norm=tf.identity(policy._moving_average_sqd_adv_norm))
    return out


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """The value mixin and the ``c^2`` variable."""
    import tensorflow as tf

    TFValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    policy._moving_average_sqd_adv_norm = tf.Variable(float(config["moving_average_sqd_adv_norm_start"]),
                                                      trainable=False, dtype=tf.float32,
                                                      name="moving_average_of_advantage_norm")


class MovingAverageSqdAdvNormState:
    """Policy mixin: the ``c^2`` variable is part of the policy state, so a checkpoint restores it
    with the weights (a state without it, from before it was saved, leaves the current value)."""

    def get_state(self) -> Dict[str, Any]:
        state = super().get_state()
        state[STATE_KEY] = float(self._moving_average_sqd_adv_norm.numpy())
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        super().set_state(state)
        if STATE_KEY in state:
            self._moving_average_sqd_adv_norm.assign(float(state[STATE_KEY]))


def reset_moving_average(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: ``c^2`` back to ``moving_average_sqd_adv_norm_start`` (the loss pass on the
    dummy batch at construction moved it)."""
    policy._moving_average_sqd_adv_norm.assign(float(config["moving_average_sqd_adv_norm_start"]))


MARWILTFPolicy = build_tf_policy(
    "MARWILTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=marwil_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_advantages,
    before_init=setup_mixins,
    after_init=reset_moving_average,
    mixins=[MARWILPostprocessing, TFValueNetworkMixin, MovingAverageSqdAdvNormState],
)
