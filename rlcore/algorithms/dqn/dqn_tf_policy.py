"""DQNTFPolicy: DQN in TensorFlow 2, eager or traced (``eager_tracing``); RLlib 1.x ``dqn_tf_policy.py``.

The same loss, Q head, masking, statistics and postprocessing as
:mod:`~rlcore.algorithms.dqn.dqn_torch_policy`; the target network's outputs and the projected
target distribution are under ``tf.stop_gradient``. ``td_error`` leaves the traced learn step
as a learner statistic and becomes a fetch next to them (``info["td_error"]``).

Examples:
    >>> DQNTFPolicy.__name__, [c.__name__ for c in DQNTFPolicy.__mro__][1:4]
    ('DQNTFPolicy', ['TDErrorFetches', 'NStepPostprocessing', 'TFComputeTDErrorMixin'])
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from rlcore.algorithms.dqn.common import PRIO_WEIGHTS, NStepPostprocessing, TDErrorFetches, build_q_model, \
    done_column, postprocess_nstep_and_prio, q_options
from rlcore.algorithms.dqn.defaults import DEFAULT_CONFIG
from rlcore.algorithms.tf_mixins import TFTargetNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.exploration.epsilon_greedy import FLOAT_MIN
from rlcore.policy.schedule_mixins import LearningRateSchedule, start_schedules
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["DQNTFPolicy", "TFComputeTDErrorMixin", "build_q_model_and_distribution", "build_q_losses",
           "build_q_stats", "compute_q_values", "get_distribution_inputs_and_class", "huber_loss",
           "project_distribution", "reduce_mean_ignore_inf", "adam_optimizer", "setup_early_mixins",
           "init_target_and_schedules"]


def huber_loss(x: Any, delta: float = 1.0) -> Any:
    """``0.5 x^2`` for ``|x| < delta``, else ``delta (|x| - delta / 2)``.

    Examples:
        >>> import tensorflow as tf
        >>> huber_loss(tf.constant([0.5, -3.0])).numpy().tolist()
        [0.125, 2.5]
    """
    import tensorflow as tf

    return tf.where(tf.abs(x) < delta, 0.5 * tf.square(x), delta * (tf.abs(x) - 0.5 * delta))


def reduce_mean_ignore_inf(x: Any, axis: int) -> Any:
    """Mean over ``axis`` of the entries above ``FLOAT_MIN / 2`` (masked actions left out).

    Examples:
        >>> import tensorflow as tf
        >>> reduce_mean_ignore_inf(tf.constant([[1.0, 3.0, FLOAT_MIN]]), 1).numpy().tolist()
        [2.0]
    """
    import tensorflow as tf

    valid = x > FLOAT_MIN / 2
    total = tf.reduce_sum(tf.where(valid, x, tf.zeros_like(x)), axis)
    return total / tf.maximum(tf.reduce_sum(tf.cast(valid, x.dtype), axis), 1.0)


def project_distribution(rewards: Any, done_mask: Any, probs_tp1_best: Any, z: Any, gamma_n: float, v_min: float,
                         v_max: float) -> Any:
    """C51's projection onto the support ``z`` (see the torch policy's :func:`project_distribution`).

    Examples:
        >>> import tensorflow as tf
        >>> z = tf.linspace(-1.0, 1.0, 3)
        >>> project_distribution(tf.constant([0.5]), tf.constant([1.0]), tf.constant([[1.0, 0.0, 0.0]]),
        ...                      z, 0.9, -1.0, 1.0).numpy().tolist()
        [[0.0, 0.5, 0.5]]
    """
    import tensorflow as tf

    num_atoms = int(z.shape[0])
    r_tau = tf.expand_dims(rewards, -1) + gamma_n * tf.expand_dims(1.0 - done_mask, -1) * tf.expand_dims(z, 0)
    r_tau = tf.clip_by_value(r_tau, v_min, v_max)
    b = (r_tau - v_min) / ((v_max - v_min) / float(num_atoms - 1))
    lb, ub = tf.floor(b), tf.math.ceil(b)
    floor_equal_ceil = tf.cast(ub - lb < 0.5, b.dtype)
    l_project = tf.one_hot(tf.cast(lb, tf.int32), num_atoms, dtype=b.dtype)
    u_project = tf.one_hot(tf.cast(ub, tf.int32), num_atoms, dtype=b.dtype)
    ml_delta = probs_tp1_best * (ub - b + floor_equal_ceil)
    mu_delta = probs_tp1_best * (b - lb)
    return (tf.reduce_sum(l_project * tf.expand_dims(ml_delta, -1), axis=1)
            + tf.reduce_sum(u_project * tf.expand_dims(mu_delta, -1), axis=1))


def build_q_model_and_distribution(policy: Any, obs_space: Any, action_space: Any,
                                   config: Dict[str, Any]) -> Tuple[Any, Any]:
    """The Q model and, as ``policy.target_model``, a second one; ``(model, Categorical)``.

    Raises:
        ValueError: For an action space that is not Discrete.
    """
    import gymnasium as gym

    from rlcore.algorithms.dqn.dqn_tf_model import DQNTFModel
    from rlcore.models.tf.tf_action_dist import Categorical

    if not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(f"action space {action_space!r}: DQN needs a Discrete action space")
    model = build_q_model(obs_space, action_space, config, "q_func", "tf2", DQNTFModel)
    policy.target_model = build_q_model(obs_space, action_space, config, "target_q_func", "tf2", DQNTFModel)
    return model, Categorical


def compute_q_values(policy: Any, model: Any, input_dict: Dict[str, Any], state_batches: Any = None,
                     seq_lens: Any = None, explore: Any = None, is_training: bool = False):
    """``(q_values [B, A], logits [B, A, atoms], probs [B, A, atoms], state_out)`` of ``model``."""
    import tensorflow as tf

    opts = q_options(policy.config)
    model_out, state = model(dict(input_dict, is_training=is_training), state_batches or [], seq_lens)
    if opts["num_atoms"] > 1:
        action_scores, z, support_logits_per_action, logits, dist = model.get_q_value_distributions(model_out)
    else:
        action_scores, logits, dist = model.get_q_value_distributions(model_out)
    if opts["dueling"]:
        state_score = model.get_state_value(model_out)
        if opts["num_atoms"] > 1:
            centered = support_logits_per_action - tf.reduce_mean(support_logits_per_action, 1, keepdims=True)
            support_logits_per_action = tf.expand_dims(state_score, 1) + centered
            dist = tf.nn.softmax(support_logits_per_action)
            value = tf.reduce_sum(z * dist, axis=-1)
            logits = support_logits_per_action
        else:
            value = state_score + (action_scores - tf.expand_dims(reduce_mean_ignore_inf(action_scores, 1), 1))
    else:
        value = action_scores
    return value, logits, dist, state


def get_distribution_inputs_and_class(policy: Any, model: Any, obs_batch: Any, *, explore: bool = True,
                                      is_training: bool = False, **kwargs: Any):
    """``action_distribution_fn``: the Q-values as the inputs of a categorical distribution."""
    from rlcore.models.tf.tf_action_dist import Categorical

    q_vals, _, _, _ = compute_q_values(policy, model, {Columns.OBS: obs_batch}, explore=explore,
                                       is_training=is_training)
    return q_vals, Categorical, []


def _select(q: Any, one_hot: Any) -> Any:
    import tensorflow as tf

    return tf.reduce_sum(tf.where(q > FLOAT_MIN, q, tf.zeros_like(q)) * one_hot, 1)


def build_q_losses(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The DQN loss; keeps ``td_error`` and the Q stats on the policy (graph tensors when traced)."""
    import tensorflow as tf

    cfg = policy.config
    opts = q_options(cfg)
    n_actions = policy.action_space.n
    q_t, q_logits_t, _, _ = compute_q_values(policy, model, {Columns.OBS: train_batch[Columns.OBS]},
                                              explore=False, is_training=True)
    q_tp1, _, q_probs_tp1, _ = compute_q_values(policy, policy.target_model,
                                                {Columns.OBS: train_batch[Columns.NEXT_OBS]}, explore=False)
    q_tp1, q_probs_tp1 = tf.stop_gradient(q_tp1), tf.stop_gradient(q_probs_tp1)
    one_hot_selection = tf.one_hot(tf.cast(train_batch[Columns.ACTIONS], tf.int32), n_actions, dtype=q_t.dtype)
    q_t_selected = _select(q_t, one_hot_selection)
    q_logits_t_selected = tf.reduce_sum(q_logits_t * tf.expand_dims(one_hot_selection, -1), 1)
    if opts["double_q"]:
        q_tp1_online, _, _, _ = compute_q_values(policy, model, {Columns.OBS: train_batch[Columns.NEXT_OBS]},
                                                 explore=False)
        best = tf.argmax(tf.stop_gradient(q_tp1_online), 1)
    else:
        best = tf.argmax(q_tp1, 1)
    best_one_hot = tf.one_hot(best, n_actions, dtype=q_t.dtype)
    q_tp1_best = _select(q_tp1, best_one_hot)
    q_probs_tp1_best = tf.reduce_sum(q_probs_tp1 * tf.expand_dims(best_one_hot, -1), 1)
    rewards = tf.cast(train_batch[Columns.REWARDS], q_t.dtype)
    done_mask = tf.cast(train_batch[done_column(cfg, train_batch)], q_t.dtype)
    weights = tf.cast(train_batch[PRIO_WEIGHTS], q_t.dtype) if PRIO_WEIGHTS in train_batch else tf.ones_like(rewards)
    gamma_n = cfg["gamma"] ** opts["n_step"]
    if opts["num_atoms"] > 1:
        z = tf.linspace(opts["v_min"], opts["v_max"], opts["num_atoms"])
        m = tf.stop_gradient(project_distribution(rewards, done_mask, q_probs_tp1_best, tf.cast(z, q_t.dtype),
                                                  gamma_n, opts["v_min"], opts["v_max"]))
        td_error = tf.nn.softmax_cross_entropy_with_logits(labels=m, logits=q_logits_t_selected)
        loss = tf.reduce_mean(td_error * weights)
    else:
        target = tf.stop_gradient(rewards + gamma_n * (1.0 - done_mask) * q_tp1_best)
        td_error = q_t_selected - target
        loss = tf.reduce_mean(weights * huber_loss(td_error))
    policy._td_error = td_error
    policy._q_t_selected = q_t_selected
    policy._q_loss = loss
    return loss


def build_q_stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """``cur_lr``, ``mean_q``, ``min_q``, ``max_q``, ``mean_td_error`` and the per-row ``td_error``."""
    import tensorflow as tf

    q = policy._q_t_selected
    return {
        "cur_lr": tf.cast(policy._optimizer.learning_rate, tf.float32),
        "mean_q": tf.reduce_mean(q),
        "min_q": tf.reduce_min(q),
        "max_q": tf.reduce_max(q),
        "mean_td_error": tf.reduce_mean(policy._td_error),
        "td_error": tf.identity(policy._td_error),
    }


def adam_optimizer(policy: Any, config: Dict[str, Any]) -> Any:
    """Keras Adam with the scheduled learning rate and ``adam_epsilon``."""
    import tensorflow as tf

    return tf.keras.optimizers.Adam(learning_rate=policy.cur_lr, epsilon=config.get("adam_epsilon", 1e-8))


class TFComputeTDErrorMixin:
    """``compute_td_error(obs_t, act_t, rew_t, obs_tp1, done_mask, importance_weights)``: the
    per-row TD errors of the loss (eager; worker-side prioritization)."""

    def compute_td_error(self, obs_t: Any, act_t: Any, rew_t: Any, obs_tp1: Any, done_mask: Any,
                         importance_weights: Any) -> Any:
        import numpy as np

        from rlcore.policy.train_batch import TrainBatch

        cols = {Columns.OBS: obs_t, Columns.ACTIONS: act_t, Columns.REWARDS: np.asarray(rew_t, np.float32),
                Columns.NEXT_OBS: obs_tp1, Columns.DONES: np.asarray(done_mask, np.float32),
                PRIO_WEIGHTS: np.asarray(importance_weights, np.float32)}
        batch = TrainBatch({k: self._tensor(np.asarray(v)) for k, v in cols.items()}, len(cols[Columns.REWARDS]),
                           is_training=False)
        with self._lock:  # no terminateds column: done_mask is the mask
            self._loss(self, self.model, self.dist_class, batch)
            return np.asarray(self._td_error.numpy())


def setup_early_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``before_init``: the learning-rate schedule (the optimizer reads ``cur_lr``)."""
    LearningRateSchedule.__init__(policy, config["lr"], config.get("lr_schedule"))


def init_target_and_schedules(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the schedules at timestep 0 and the target network equal to the model."""
    start_schedules(policy, obs_space, action_space, config)
    policy.update_target()


DQNTFPolicy = build_tf_policy(
    "DQNTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    make_model_and_action_dist=build_q_model_and_distribution,
    action_distribution_fn=get_distribution_inputs_and_class,
    loss_fn=build_q_losses,
    stats_fn=build_q_stats,
    postprocess_fn=postprocess_nstep_and_prio,
    optimizer_fn=adam_optimizer,
    before_init=setup_early_mixins,
    after_init=init_target_and_schedules,
    mixins=[TDErrorFetches, NStepPostprocessing, TFComputeTDErrorMixin, TFTargetNetworkMixin, LearningRateSchedule],
)
