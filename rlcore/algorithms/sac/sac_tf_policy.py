"""SACTFPolicy: Soft Actor-Critic in TF2, eager or traced (RLlib 1.x ``sac_tf_policy.py``).

The same losses as :mod:`rlcore.algorithms.sac.sac_torch_policy` (see there), the same
networks (:class:`~rlcore.algorithms.sac.sac_tf_model.SACTFModel`) and the same optimizers:
Keras Adam (epsilon 1e-7) for the actor, each critic and ``log_alpha``, each over its own
variables (:class:`~rlcore.algorithms.off_policy_ac.TFOptimizerGroups`).

Examples:
    >>> [c.__name__ for c in SACTFPolicy.__mro__][:3]
    ['SACTFPolicy', 'TDErrorFetches', 'NStepPostprocessing']
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from rlcore.algorithms.dqn.common import PRIO_WEIGHTS, NStepPostprocessing, TDErrorFetches, done_column, \
    postprocess_nstep_and_prio
from rlcore.algorithms.dqn.dqn_tf_policy import TFComputeTDErrorMixin, huber_loss
from rlcore.algorithms.off_policy_ac import BoundedExploration, SoftTargetUpdate, TFOptimizerGroups, \
    tf_apply_groups, tf_group_gradients
from rlcore.algorithms.sac.defaults import DEFAULT_CONFIG
from rlcore.algorithms.sac.sac_torch_policy import ADAM_EPS, sac_dist_class, sac_model_kwargs, validate_spaces
from rlcore.algorithms.tf_mixins import TFTargetNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["SACTFPolicy", "build_sac_model", "action_distribution_fn", "actor_critic_loss", "stats", "optimizer_fn"]


def build_sac_model(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> Tuple[Any, Any]:
    """The model and ``policy.target_model`` (same architecture); returns ``(model, dist_class)``."""
    from rlcore.algorithms.sac.sac_tf_model import SACTFModel

    kwargs = sac_model_kwargs(action_space, config)
    model = SACTFModel(obs_space, action_space, None, config["model"], "sac_model", **kwargs)
    policy.target_model = SACTFModel(obs_space, action_space, None, config["model"], "target_sac_model", **kwargs)
    return model, sac_dist_class(action_space, config, "tf2")


def action_distribution_fn(policy: Any, model: Any, obs_batch: Any, *, explore: bool = True,
                           is_training: bool = False, **kwargs: Any):
    """The policy network's outputs as the action distribution's inputs."""
    model_out, _ = model({Columns.OBS: obs_batch, "is_training": is_training}, [], None)
    return model.get_policy_output(model_out), policy.dist_class, []


def actor_critic_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> List[Any]:
    """``[actor_loss, critic_loss(es)..., alpha_loss]`` (see the torch policy's docstring)."""
    import tensorflow as tf

    cfg = policy.config
    deterministic = cfg["_deterministic_loss"]
    target_model = policy.target_model
    model_out_t, _ = model({Columns.OBS: train_batch[Columns.OBS], "is_training": True}, [], None)
    model_out_tp1, _ = model({Columns.OBS: train_batch[Columns.NEXT_OBS], "is_training": True}, [], None)
    target_out_tp1, _ = target_model({Columns.OBS: train_batch[Columns.NEXT_OBS], "is_training": True}, [], None)
    log_alpha = model.log_alpha
    alpha = tf.exp(log_alpha)
    twin_q = cfg["twin_q"]
    rewards = tf.cast(train_batch[Columns.REWARDS], tf.float32)
    done_mask = tf.cast(train_batch[done_column(cfg, train_batch)], tf.float32)
    weights = tf.cast(train_batch[PRIO_WEIGHTS], tf.float32) if PRIO_WEIGHTS in train_batch else tf.ones_like(rewards)
    actions = train_batch[Columns.ACTIONS]

    if model.discrete:
        log_pis_t = tf.nn.log_softmax(model.get_policy_output(model_out_t), axis=-1)
        policy_t = tf.exp(log_pis_t)
        log_pis_tp1 = tf.nn.log_softmax(model.get_policy_output(model_out_tp1), axis=-1)
        policy_tp1 = tf.exp(log_pis_tp1)
        q_tp1 = target_model.get_q_values(target_out_tp1)
        if twin_q:
            q_tp1 = tf.minimum(q_tp1, target_model.get_twin_q_values(target_out_tp1))
        q_tp1 = q_tp1 - alpha * log_pis_tp1
        q_tp1_best = tf.reduce_sum(policy_tp1 * q_tp1, axis=-1)
        q_t = model.get_q_values(model_out_t)
        one_hot = tf.one_hot(tf.cast(actions, tf.int32), depth=model.action_dim, dtype=q_t.dtype)
        q_selected = [tf.reduce_sum(q_t * one_hot, axis=-1)]
        if twin_q:
            q_selected.append(tf.reduce_sum(model.get_twin_q_values(model_out_t) * one_hot, axis=-1))
    else:
        dist_t = dist_class(model.get_policy_output(model_out_t), model)
        policy_t = dist_t.deterministic_sample() if deterministic else dist_t.sample()
        log_pis_t = dist_t.sampled_action_logp()
        dist_tp1 = dist_class(model.get_policy_output(model_out_tp1), model)
        policy_tp1 = dist_tp1.deterministic_sample() if deterministic else dist_tp1.sample()
        log_pis_tp1 = dist_tp1.sampled_action_logp()
        q_tp1 = target_model.get_q_values(target_out_tp1, policy_tp1)
        if twin_q:
            q_tp1 = tf.minimum(q_tp1, target_model.get_twin_q_values(target_out_tp1, policy_tp1))
        q_tp1_best = tf.squeeze(q_tp1, axis=-1) - alpha * log_pis_tp1
        q_t = model.get_q_values(model_out_t, actions)
        q_selected = [tf.squeeze(q_t, axis=-1)]
        q_t_det_policy = model.get_q_values(model_out_t, policy_t)
        if twin_q:
            q_selected.append(tf.squeeze(model.get_twin_q_values(model_out_t, actions), axis=-1))
            q_t_det_policy = tf.minimum(q_t_det_policy, model.get_twin_q_values(model_out_t, policy_t))

    target = tf.stop_gradient(rewards + cfg["gamma"] ** cfg["n_step"] * (1.0 - done_mask) * q_tp1_best)
    abs_td = [tf.abs(q - target) for q in q_selected]
    critic_losses = [tf.reduce_mean(weights * huber_loss(e)) for e in abs_td]
    td_error = abs_td[0] if len(abs_td) == 1 else 0.5 * (abs_td[0] + abs_td[1])

    target_entropy = model.target_entropy
    if model.discrete:
        alpha_loss = tf.reduce_mean(tf.reduce_sum(
            tf.stop_gradient(policy_t) * (-log_alpha * tf.stop_gradient(log_pis_t + target_entropy)), axis=-1))
        actor_loss = tf.reduce_mean(tf.reduce_sum(
            policy_t * (tf.stop_gradient(alpha) * log_pis_t - tf.stop_gradient(q_t)), axis=-1))
    else:
        alpha_loss = -tf.reduce_mean(log_alpha * tf.stop_gradient(log_pis_t + target_entropy))
        actor_loss = tf.reduce_mean(tf.stop_gradient(alpha) * log_pis_t - tf.squeeze(q_t_det_policy, axis=-1))

    policy._q_t = q_selected[0]
    policy._policy_t = policy_t
    policy._actor_loss, policy._critic_losses, policy._alpha_loss = actor_loss, critic_losses, alpha_loss
    policy._td_error = td_error
    return [actor_loss] + critic_losses + [alpha_loss]


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's SAC learner stats, plus the per-row ``td_error`` (moved to the fetches)."""
    import tensorflow as tf

    q = policy._q_t
    return {
        "td_error": tf.identity(policy._td_error),
        "mean_td_error": tf.reduce_mean(policy._td_error),
        "actor_loss": policy._actor_loss,
        "critic_loss": tf.reduce_mean(tf.stack(policy._critic_losses)),
        "alpha_loss": policy._alpha_loss,
        "alpha_value": tf.exp(policy.model.log_alpha),
        "log_alpha_value": tf.identity(policy.model.log_alpha),
        "target_entropy": policy.model.target_entropy,
        "policy_t": tf.reduce_mean(policy._policy_t),
        "mean_q": tf.reduce_mean(q),
        "max_q": tf.reduce_max(q),
        "min_q": tf.reduce_min(q),
    }


def optimizer_fn(policy: Any, config: Dict[str, Any]) -> Any:
    """Keras Adam for the actor, one per critic, one for ``log_alpha`` (the losses' order); sets
    ``policy._optimizer_groups`` and returns the actor's."""
    import tensorflow as tf

    opt = config["optimization"]
    model = policy.model

    def adam(lr: float) -> Any:
        return tf.keras.optimizers.Adam(learning_rate=lr, epsilon=ADAM_EPS)

    groups = [(adam(opt["actor_learning_rate"]), model.policy_variables),
              (adam(opt["critic_learning_rate"]), lambda: list(model.q_net.trainable_variables))]
    if model.twin_q_net is not None:
        groups.append((adam(opt["critic_learning_rate"]), lambda: list(model.twin_q_net.trainable_variables)))
    groups.append((adam(opt["entropy_learning_rate"]), lambda: [model.log_alpha]))
    policy._optimizer_groups = groups
    return groups[0][0]


def init_target(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the target networks start equal to the model."""
    policy.update_target(tau=1.0)


SACTFPolicy = build_tf_policy(
    "SACTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    validate_spaces=validate_spaces,
    make_model_and_action_dist=build_sac_model,
    action_distribution_fn=action_distribution_fn,
    loss_fn=actor_critic_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_nstep_and_prio,
    optimizer_fn=optimizer_fn,
    gradients_fn=lambda policy, optimizer, losses: tf_group_gradients(policy, optimizer.tape, losses),
    apply_gradients_fn=lambda policy, optimizer, grads_and_vars: tf_apply_groups(policy, grads_and_vars),
    after_init=init_target,
    mixins=[TDErrorFetches, NStepPostprocessing, TFComputeTDErrorMixin, BoundedExploration, SoftTargetUpdate,
            TFTargetNetworkMixin, TFOptimizerGroups],
)
