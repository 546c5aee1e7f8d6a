"""DDPGTFPolicy: DDPG and TD3 in TF2, eager or traced (RLlib 1.x ``ddpg_tf_policy.py``).

The same losses as :mod:`rlcore.algorithms.ddpg.ddpg_torch_policy` (see there) and the same
networks; Keras Adam (epsilon 1e-7) for the actor and the critic(s), each over its own variables
(:class:`~rlcore.algorithms.off_policy_ac.TFOptimizerGroups`). The actor's update runs under
``tf.cond(global_step % policy_delay == 0)`` with ``global_step`` a ``tf.Variable``, so the
delay holds inside a traced learn step too.

Examples:
    >>> [c.__name__ for c in DDPGTFPolicy.__mro__][:4]
    ['DDPGTFPolicy', 'TDErrorFetches', 'NStepPostprocessing', 'TFComputeTDErrorMixin']
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from rlcore.algorithms.ddpg.ddpg_torch_policy import ADAM_EPS, ddpg_model_kwargs, validate_spaces
from rlcore.algorithms.ddpg.defaults import DEFAULT_CONFIG
from rlcore.algorithms.dqn.common import PRIO_WEIGHTS, NStepPostprocessing, TDErrorFetches, done_column, \
    postprocess_nstep_and_prio
from rlcore.algorithms.dqn.dqn_tf_policy import TFComputeTDErrorMixin, huber_loss
from rlcore.algorithms.off_policy_ac import BoundedExploration, SoftTargetUpdate, TFOptimizerGroups, \
    tf_apply_groups, tf_group_gradients
from rlcore.algorithms.tf_mixins import TFTargetNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["DDPGTFPolicy", "TFDelayedActorUpdates", "build_ddpg_model", "action_distribution_fn",
           "ddpg_actor_critic_loss", "stats", "optimizer_fn"]


def build_ddpg_model(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> Tuple[Any, Any]:
    """The model and ``policy.target_model``; returns ``(model, Deterministic)``."""
    from rlcore.algorithms.ddpg.ddpg_tf_model import DDPGTFModel
    from rlcore.models.tf.tf_action_dist import Deterministic

    kwargs = ddpg_model_kwargs(action_space, config)
    model = DDPGTFModel(obs_space, action_space, None, config["model"], "ddpg_model", **kwargs)
    policy.target_model = DDPGTFModel(obs_space, action_space, None, config["model"], "target_ddpg_model", **kwargs)
    return model, Deterministic


def action_distribution_fn(policy: Any, model: Any, obs_batch: Any, *, explore: bool = True,
                           is_training: bool = False, **kwargs: Any):
    """The actor's actions as the inputs of a deterministic distribution (the exploration adds noise)."""
    model_out, _ = model({Columns.OBS: obs_batch, "is_training": is_training}, [], None)
    return model.get_policy_output(model_out), policy.dist_class, []


def _l2(named: Dict[str, Any]) -> Any:
    import tensorflow as tf

    return tf.add_n([tf.nn.l2_loss(v) for k, v in named.items() if "bias" not in k])


def ddpg_actor_critic_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> List[Any]:
    """``[actor_loss, critic_loss]`` (see the torch policy's docstring)."""
    import tensorflow as tf

    cfg = policy.config
    twin_q = cfg["twin_q"]
    target_model = policy.target_model
    model_out_t, _ = model({Columns.OBS: train_batch[Columns.OBS], "is_training": True}, [], None)
    target_out_tp1, _ = target_model({Columns.OBS: train_batch[Columns.NEXT_OBS], "is_training": True}, [], None)
    rewards = tf.cast(train_batch[Columns.REWARDS], tf.float32)
    done_mask = tf.cast(train_batch[done_column(cfg, train_batch)], tf.float32)
    weights = tf.cast(train_batch[PRIO_WEIGHTS], tf.float32) if PRIO_WEIGHTS in train_batch else tf.ones_like(rewards)
    actions = train_batch[Columns.ACTIONS]

    policy_t = model.get_policy_output(model_out_t)
    policy_tp1 = target_model.get_policy_output(target_out_tp1)
    if cfg["smooth_target_policy"]:
        noise = tf.clip_by_value(tf.random.normal(tf.shape(policy_tp1)) * cfg["target_noise"],
                                 -cfg["target_noise_clip"], cfg["target_noise_clip"])
        low = target_model.action_low
        policy_tp1 = tf.minimum(tf.maximum(policy_tp1 + noise, low), low + target_model.action_range)
    q_tp1 = target_model.get_q_values(target_out_tp1, policy_tp1)
    if twin_q:
        q_tp1 = tf.minimum(q_tp1, target_model.get_twin_q_values(target_out_tp1, policy_tp1))
    target = tf.stop_gradient(rewards + cfg["gamma"] ** cfg["n_step"] * (1.0 - done_mask) * tf.squeeze(q_tp1, -1))

    q_t_selected = tf.squeeze(model.get_q_values(model_out_t, actions), -1)
    actor_loss = -tf.reduce_mean(model.get_q_values(model_out_t, policy_t))
    td_error = q_t_selected - target
    threshold = cfg["huber_threshold"]
    errors = huber_loss(td_error, threshold) if cfg["use_huber"] else 0.5 * tf.square(td_error)
    if twin_q:
        twin_td_error = tf.squeeze(model.get_twin_q_values(model_out_t, actions), -1) - target
        errors = errors + (huber_loss(twin_td_error, threshold) if cfg["use_huber"] else 0.5 * tf.square(twin_td_error))
    critic_loss = tf.reduce_mean(weights * errors)
    if cfg["l2_reg"]:
        actor_loss = actor_loss + cfg["l2_reg"] * _l2(model.policy_variables(as_dict=True))
        critic_loss = critic_loss + cfg["l2_reg"] * _l2(model.q_variables(as_dict=True))

    policy._q_t = q_t_selected
    policy._actor_loss, policy._critic_loss = actor_loss, critic_loss
    policy._td_error = td_error
    return [actor_loss, critic_loss]


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's DDPG learner stats, plus the per-row ``td_error`` (moved to the fetches)."""
    import tensorflow as tf

    q = policy._q_t
    return {
        "td_error": tf.identity(policy._td_error),
        "mean_td_error": tf.reduce_mean(policy._td_error),
        "actor_loss": policy._actor_loss,
        "critic_loss": policy._critic_loss,
        "mean_q": tf.reduce_mean(q),
        "max_q": tf.reduce_max(q),
        "min_q": tf.reduce_min(q),
    }


def optimizer_fn(policy: Any, config: Dict[str, Any]) -> Any:
    """Keras Adam for the actor and the critic(s); sets ``policy._optimizer_groups``."""
    import tensorflow as tf

    model = policy.model
    policy._optimizer_groups = [
        (tf.keras.optimizers.Adam(learning_rate=config["actor_lr"], epsilon=ADAM_EPS), model.policy_variables),
        (tf.keras.optimizers.Adam(learning_rate=config["critic_lr"], epsilon=ADAM_EPS), model.q_variables),
    ]
    return policy._optimizer_groups[0][0]


class TFDelayedActorUpdates:
    """TF policy mixin: ``global_step`` (a ``tf.Variable``) counts the updates; the actor's
    optimizer applies only when ``global_step % policy_delay == 0``."""

    def apply_delayed(self, grads_and_vars: List[Tuple[Any, Any]]) -> None:
        """Applies the critic's gradients, and the actor's on every ``policy_delay``-th update."""
        import tensorflow as tf

        if "global_step" not in self.__dict__:
            raise ValueError(f"{type(self).__name__}: global_step is created in after_init; learn after construction")
        delay = tf.constant(int(self.config["policy_delay"]), tf.int64)
        apply_actor = tf.equal(tf.math.floormod(self.global_step, delay), 0)
        tf_apply_groups(self, grads_and_vars, conditions=[apply_actor, None])
        self.global_step.assign_add(1)

    def get_state(self) -> Dict[str, Any]:
        state = super().get_state()
        state["global_step"] = int(self.global_step.numpy())
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        super().set_state(state)
        self.global_step.assign(int(state.get("global_step", 0)))


def init_target_and_step(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the target networks start equal to the model; ``global_step`` starts at 0."""
    import tensorflow as tf

    policy.update_target(tau=1.0)
    policy.global_step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")


def _gradients(policy: Any, optimizer: Any, losses: List[Any]) -> List[Tuple[Any, Any]]:
    return tf_group_gradients(policy, optimizer.tape, losses)


def _apply(policy: Any, optimizer: Any, grads_and_vars: List[Tuple[Any, Any]]) -> None:
    policy.apply_delayed(grads_and_vars)


DDPGTFPolicy = build_tf_policy(
    "DDPGTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    validate_spaces=validate_spaces,
    make_model_and_action_dist=build_ddpg_model,
    action_distribution_fn=action_distribution_fn,
    loss_fn=ddpg_actor_critic_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_nstep_and_prio,
    optimizer_fn=optimizer_fn,
    gradients_fn=_gradients,
    apply_gradients_fn=_apply,
    after_init=init_target_and_step,
    mixins=[TDErrorFetches, NStepPostprocessing, TFComputeTDErrorMixin, TFDelayedActorUpdates, BoundedExploration,
            SoftTargetUpdate, TFTargetNetworkMixin, TFOptimizerGroups],
)
