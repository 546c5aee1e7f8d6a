"""DQNTorchPolicy: DQN with RLlib 1.x's options in torch (double Q, dueling, n-step, C51, noisy nets).

The loss, per replayed row ``i`` with importance weight ``w_i``:

- ``num_atoms == 1``: ``td_i = Q(s, a) - stop_grad(r + gamma**n_step * (1 - done) * Q'(s', a*))``,
  ``loss = mean(w * huber(td))``, where ``Q'`` is the target network and ``a*`` the argmax of the
  online network at ``s'`` (``double_q``) or of the target network;
- ``num_atoms > 1`` (C51): the target distribution ``r + gamma**n_step * (1 - done) * z`` of the
  target network at ``(s', a*)`` is projected onto the support ``z`` (:func:`project_distribution`)
  and ``td_i`` is the cross entropy of the online logits of ``(s, a)`` against it.

Masked actions (a custom model returning ``FLOAT_MIN`` for invalid ones, RLlib's parametric
actions pattern) never count in the dueling mean nor in ``Q(s, a)``/``Q'(s', a*)``. Learner stats:
``cur_lr``, ``mean_q``, ``min_q``, ``max_q``, ``mean_td_error``; the per-row ``td_error`` is a
fetch next to them (``info["td_error"]``) for the priority update.

Examples:
    >>> DQNTorchPolicy.__name__, [c.__name__ for c in DQNTorchPolicy.__mro__][1:4]
    ('DQNTorchPolicy', ['TDErrorFetches', 'NStepPostprocessing', 'ComputeTDErrorMixin'])
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from rlcore.algorithms.dqn.common import PRIO_WEIGHTS, NStepPostprocessing, TDErrorFetches, build_q_model, \
    done_column, postprocess_nstep_and_prio, q_options
from rlcore.algorithms.dqn.defaults import DEFAULT_CONFIG
from rlcore.algorithms.torch_mixins import TorchTargetNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.exploration.epsilon_greedy import FLOAT_MIN
from rlcore.policy.schedule_mixins import LearningRateSchedule, start_schedules
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["DQNTorchPolicy", "ComputeTDErrorMixin", "build_q_model_and_distribution", "build_q_losses",
           "build_q_stats", "compute_q_values", "get_distribution_inputs_and_class", "huber_loss",
           "project_distribution", "reduce_mean_ignore_inf", "adam_optimizer", "setup_early_mixins",
           "init_target_and_schedules"]


def huber_loss(x: Any, delta: float = 1.0) -> Any:
    """``0.5 x^2`` for ``|x| < delta``, else ``delta (|x| - delta / 2)`` (RLlib's ``huber_loss``).

    Examples:
        >>> import torch
        >>> huber_loss(torch.tensor([0.5, -3.0])).tolist()
        [0.125, 2.5]
    """
    import torch

    # torch's fused Huber (the same two pieces, one kernel instead of five) against a zero target
    return torch.nn.functional.huber_loss(x, torch.zeros_like(x), reduction="none", delta=float(delta))


def reduce_mean_ignore_inf(x: Any, axis: int) -> Any:
    """Mean over ``axis`` of the entries above ``FLOAT_MIN / 2`` (masked actions left out).

    Examples:
        >>> import torch
        >>> reduce_mean_ignore_inf(torch.tensor([[1.0, 3.0, FLOAT_MIN]]), 1).tolist()
        [2.0]
    """
    import torch

    valid = x > FLOAT_MIN / 2
    if not x.requires_grad and bool(valid.all()):  # acting, no masked action: the same sum over the same
        return torch.sum(x, axis) / float(x.shape[axis])  # values, divided by the same count (4 ops fewer)
    return torch.sum(torch.where(valid, x, torch.zeros_like(x)), axis) / torch.clamp(
        torch.sum(valid.to(x.dtype), axis), min=1.0)


def project_distribution(rewards: Any, done_mask: Any, probs_tp1_best: Any, z: Any, gamma_n: float, v_min: float,
                         v_max: float) -> Any:
    """C51's projection of ``r + gamma_n * (1 - done) * z`` (probabilities ``probs_tp1_best``) onto ``z``.

    Each atom's mass goes to its two neighbouring support points in proportion to the distance
    (all of it to one point when it falls exactly on it). Returns ``[B, num_atoms]``.

    Examples:
        >>> import torch
        >>> z = torch.linspace(-1.0, 1.0, 3)
        >>> project_distribution(torch.tensor([0.5]), torch.tensor([1.0]), torch.tensor([[1.0, 0.0, 0.0]]),
        ...                      z, 0.9, -1.0, 1.0).tolist()
        [[0.0, 0.5, 0.5]]
    """
    import torch

    num_atoms = z.shape[0]
    r_tau = rewards[:, None] + gamma_n * (1.0 - done_mask)[:, None] * z[None, :]
    r_tau = torch.clamp(r_tau, v_min, v_max)
    b = (r_tau - v_min) / ((v_max - v_min) / float(num_atoms - 1))
    lb, ub = torch.floor(b), torch.ceil(b)
    floor_equal_ceil = ((ub - lb) < 0.5).to(b.dtype)
    l_project = torch.nn.functional.one_hot(lb.long(), num_atoms).to(b.dtype)  # [B, atoms, atoms]
    u_project = torch.nn.functional.one_hot(ub.long(), num_atoms).to(b.dtype)
    ml_delta = probs_tp1_best * (ub - b + floor_equal_ceil)
    mu_delta = probs_tp1_best * (b - lb)
    return torch.sum(l_project * ml_delta[..., None], 1) + torch.sum(u_project * mu_delta[..., None], 1)


def build_q_model_and_distribution(policy: Any, obs_space: Any, action_space: Any,
                                   config: Dict[str, Any]) -> Tuple[Any, Any]:
    """The Q model and, as ``policy.target_model``, a second one of the same architecture.

    Returns ``(model, TorchCategorical)``. With ``hiddens`` the base network ends in its last
    hidden layer (``no_final_linear``) and the Q head follows; without, the base network's
    ``num_actions * num_atoms`` outputs are the action scores.

    Raises:
        ValueError: For an action space that is not Discrete.
    """
    import gymnasium as gym

    from rlcore.algorithms.dqn.dqn_torch_model import DQNTorchModel
    from rlcore.models.torch.torch_action_dist import TorchCategorical

    if not isinstance(action_space, gym.spaces.Discrete):
        raise ValueError(f"action space {action_space!r}: DQN needs a Discrete action space")
    model = build_q_model(obs_space, action_space, config, "q_func", "torch", DQNTorchModel)
    policy.target_model = build_q_model(obs_space, action_space, config, "target_q_func", "torch", DQNTorchModel)
    return model, TorchCategorical


def compute_q_values(policy: Any, model: Any, input_dict: Dict[str, Any], state_batches: Any = None,
                     seq_lens: Any = None, explore: Any = None, is_training: bool = False):
    """``(q_values [B, A], logits [B, A, atoms], probs [B, A, atoms], state_out)`` of ``model``."""
    import torch

    opts = _q_options(policy)
    model_out, state = model(dict(input_dict, is_training=is_training), state_batches or [], seq_lens)
    if opts["num_atoms"] > 1:
        action_scores, z, support_logits_per_action, logits, dist = model.get_q_value_distributions(model_out)
    else:
        action_scores, logits, dist = model.get_q_value_distributions(model_out)
    if opts["dueling"]:
        state_score = model.get_state_value(model_out)
        if opts["num_atoms"] > 1:
            centered = support_logits_per_action - support_logits_per_action.mean(dim=1, keepdim=True)
            support_logits_per_action = state_score[:, None, :] + centered
            dist = torch.softmax(support_logits_per_action, dim=-1)
            value = torch.sum(z * dist, dim=-1)
            logits = support_logits_per_action
        else:
            value = state_score + (action_scores - reduce_mean_ignore_inf(action_scores, 1)[:, None])
    else:
        value = action_scores
    return value, logits, dist, state


def get_distribution_inputs_and_class(policy: Any, model: Any, obs_batch: Any, *, explore: bool = True,
                                      is_training: bool = False, **kwargs: Any):
    """``action_distribution_fn``: the Q-values as the inputs of a categorical distribution."""
    from rlcore.models.torch.torch_action_dist import TorchCategorical

    q_vals, _, _, _ = compute_q_values(policy, model, {Columns.OBS: obs_batch}, explore=explore,
                                       is_training=is_training)
    policy.q_values = q_vals
    return q_vals, TorchCategorical, []


def _q_options(policy: Any) -> Dict[str, Any]:
    """:func:`q_options` of the policy's config, computed once per policy (read on every forward)."""
    opts = policy.__dict__.get("_q_opts")
    if opts is None:
        opts = policy.__dict__["_q_opts"] = q_options(policy.config)
    return opts


def _select(q: Any, actions: Any) -> Any:
    """``q[i, actions[i]]``, a masked (``<= FLOAT_MIN``) entry read as 0 (a gather: no one-hot).

    Examples:
        >>> import torch
        >>> _select(torch.tensor([[1.0, 2.0], [FLOAT_MIN, 4.0]]), torch.tensor([1, 0])).tolist()
        [2.0, 0.0]
    """
    import torch

    picked = q.gather(1, actions[:, None]).squeeze(1)
    return torch.where(picked > FLOAT_MIN, picked, 0.0)


def _select_atoms(x: Any, actions: Any) -> Any:
    """``x[i, actions[i], :]`` of a ``[B, A, atoms]`` tensor."""
    return x.gather(1, actions[:, None, None].expand(-1, 1, x.shape[2])).squeeze(1)


def build_q_losses(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The DQN loss (see the module docstring); keeps ``td_error`` and the Q stats on the policy."""
    import torch

    cfg = policy.config
    opts = _q_options(policy)
    distributional = opts["num_atoms"] > 1
    actions = train_batch[Columns.ACTIONS].long()
    q_t, q_logits_t, _, _ = compute_q_values(policy, model, {Columns.OBS: train_batch[Columns.OBS]},
                                              explore=False, is_training=True)
    with torch.no_grad():
        q_tp1, _, q_probs_tp1, _ = compute_q_values(policy, policy.target_model,
                                                    {Columns.OBS: train_batch[Columns.NEXT_OBS]}, explore=False)
    q_t_selected = _select(q_t, actions)
    with torch.no_grad():
        if opts["double_q"]:
            q_tp1_online, _, _, _ = compute_q_values(policy, model, {Columns.OBS: train_batch[Columns.NEXT_OBS]},
                                                     explore=False)
            best = torch.argmax(q_tp1_online, 1)
            q_tp1_best = _select(q_tp1, best)
        elif distributional:
            best = torch.argmax(q_tp1, 1)
        else:  # the largest Q-value itself (q_tp1 at its argmax: the same value, one op for three)
            q_tp1_best = torch.amax(q_tp1, 1)
            q_tp1_best = torch.where(q_tp1_best > FLOAT_MIN, q_tp1_best, 0.0)
    rewards = train_batch[Columns.REWARDS].to(q_t.dtype)
    done_mask = train_batch[done_column(cfg, train_batch)].to(q_t.dtype)
    weights = train_batch[PRIO_WEIGHTS].to(q_t.dtype) if PRIO_WEIGHTS in train_batch else torch.ones_like(rewards)
    gamma_n = cfg["gamma"] ** opts["n_step"]
    if distributional:
        q_logits_t_selected = _select_atoms(q_logits_t, actions)
        q_probs_tp1_best = _select_atoms(q_probs_tp1, best)
        z = torch.linspace(opts["v_min"], opts["v_max"], opts["num_atoms"])
        m = project_distribution(rewards, done_mask, q_probs_tp1_best, z, gamma_n, opts["v_min"], opts["v_max"])
        td_error = -torch.sum(m * torch.log_softmax(q_logits_t_selected, dim=-1), dim=-1)
        loss = torch.mean(td_error * weights)
    else:
        target = rewards + gamma_n * torch.rsub(done_mask, 1.0) * q_tp1_best  # rsub: 1 - done, no Python wrapper
        td_error = q_t_selected - target
        loss = torch.mean(weights * huber_loss(td_error))
    policy._td_error = td_error.detach()
    policy._q_t_selected = q_t_selected.detach()
    policy._q_loss = loss
    return loss


def _mean(x: Any) -> float:
    """The mean of a numpy array as a float (sum / size: ``np.mean``'s Python layer costs more than
    the sum at train-batch sizes); NaN when empty."""
    return float(x.sum()) / x.size if x.size else float("nan")


def build_q_stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """``cur_lr``, ``mean_q``, ``min_q``, ``max_q``, ``mean_td_error`` and the per-row ``td_error``."""
    q = policy._q_t_selected.numpy()  # CPU tensors without grad: views; numpy's reductions of a
    td = policy._td_error.numpy()       # train batch cost less than torch's plus .item()
    return {
        "cur_lr": float(policy.cur_lr),
        "mean_q": _mean(q),
        "min_q": float(q.min()),
        "max_q": float(q.max()),
        "mean_td_error": _mean(td),
        "td_error": td,
    }


def adam_optimizer(policy: Any, config: Dict[str, Any]) -> Any:
    """Adam with the scheduled learning rate and ``adam_epsilon``."""
    from rlcore.policy.torch_optim import adam

    return adam(policy.model.parameters(), lr=policy.cur_lr, eps=config.get("adam_epsilon", 1e-8))


class ComputeTDErrorMixin:
    """``compute_td_error(obs_t, act_t, rew_t, obs_tp1, done_mask, importance_weights)``: the
    per-row TD errors of the loss, without a gradient (worker-side prioritization)."""

    def compute_td_error(self, obs_t: Any, act_t: Any, rew_t: Any, obs_tp1: Any, done_mask: Any,
                         importance_weights: Any) -> Any:
        import numpy as np
        import torch

        from rlcore.policy.train_batch import TrainBatch

        cols = {Columns.OBS: obs_t, Columns.ACTIONS: act_t, Columns.REWARDS: np.asarray(rew_t, np.float32),
                Columns.NEXT_OBS: obs_tp1, Columns.DONES: np.asarray(done_mask, np.float32),
                PRIO_WEIGHTS: np.asarray(importance_weights, np.float32)}
        batch = TrainBatch({k: self._tensor(np.asarray(v)) for k, v in cols.items()}, len(cols[Columns.REWARDS]),
                           is_training=False)
        with self._lock, torch.no_grad():  # no terminateds column: done_mask is the mask
            self._loss(self, self.model, self.dist_class, batch)
        return self._td_error.numpy()


def setup_early_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``before_init``: the learning-rate schedule (the optimizer reads ``cur_lr``)."""
    LearningRateSchedule.__init__(policy, config["lr"], config.get("lr_schedule"))


def init_target_and_schedules(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the schedules at timestep 0 and the target network equal to the model."""
    start_schedules(policy, obs_space, action_space, config)
    policy.update_target()


DQNTorchPolicy = build_torch_policy(
    "DQNTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    make_model_and_action_dist=build_q_model_and_distribution,
    action_distribution_fn=get_distribution_inputs_and_class,
    loss_fn=build_q_losses,
    stats_fn=build_q_stats,
    postprocess_fn=postprocess_nstep_and_prio,
    optimizer_fn=adam_optimizer,
    before_init=setup_early_mixins,
    after_init=init_target_and_schedules,
    mixins=[TDErrorFetches, NStepPostprocessing, ComputeTDErrorMixin, TorchTargetNetworkMixin, LearningRateSchedule],
)
