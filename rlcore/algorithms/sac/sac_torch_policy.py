"""SACTorchPolicy: Soft Actor-Critic in torch, continuous and discrete (RLlib 1.x ``sac_torch_policy.py``).

Per replayed row, with ``alpha = exp(log_alpha)``, ``d`` the bootstrap mask and
``gamma_n = gamma ** n_step``:

- continuous: ``a' ~ pi(s')`` (reparameterised), ``y = r + gamma_n (1 - d) (min_i Q'_i(s', a')
  - alpha log pi(a'|s'))``; discrete: the same with the expectation over ``pi(.|s')``;
- critic loss(es): ``mean(w * huber(Q_i(s, a) - stop_grad(y)))``, one per Q network;
- actor loss: ``mean(alpha log pi(a~|s) - min_i Q_i(s, a~))`` for ``a~ ~ pi(s)`` (discrete:
  ``mean(sum_a pi(a|s) (alpha log pi(a|s) - Q(s, a)))``), with ``alpha`` held fixed;
- alpha loss: ``-mean(log_alpha * stop_grad(log pi + target_entropy))`` (discrete: weighted by
  ``pi``).

Three kinds of Adam optimizers (eps 1e-7): actor, one per critic, alpha (RLlib 1.x); their
gradients come from one backward pass over all losses (:class:`~rlcore.algorithms.off_policy_ac.SummedBackward`:
no loss reaches another optimizer's parameters). The log-prob of
a sampled action comes from its pre-tanh value (no ``atanh`` round trip). ``td_error`` (mean over
the critics of ``|Q_i - y|``) is a fetch for prioritized replay. The critics are read through
:func:`q_and_twin_q`: both from one ``obs || action`` input for models that keep
:class:`SACTorchModel`'s Q methods, through a subclass's own ``get_q_values`` /
``get_twin_q_values`` otherwise (RLlib 1.x's loss calls them). The actions live in
:func:`~rlcore.algorithms.off_policy_ac.actor_bounds` (``[-1, 1]`` with ``normalize_actions``).

Examples:
    >>> [c.__name__ for c in SACTorchPolicy.__mro__][:3]
    ['SACTorchPolicy', 'TDErrorFetches', 'NStepPostprocessing']
"""

from __future__ import annotations

import functools
from typing import Any, Dict, List, Tuple

import numpy as np

from rlcore.algorithms.dqn.common import PRIO_WEIGHTS, NStepPostprocessing, TDErrorFetches, done_column, \
    postprocess_nstep_and_prio
from rlcore.algorithms.dqn.dqn_torch_policy import ComputeTDErrorMixin, huber_loss
from rlcore.algorithms.off_policy_ac import BoundedExploration, SoftTargetUpdate, SummedBackward, actor_bounds, \
    check_continuous_space, frozen
from rlcore.algorithms.sac.defaults import DEFAULT_CONFIG
from rlcore.algorithms.torch_mixins import TorchTargetNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["SACTorchPolicy", "build_sac_model", "action_distribution_fn", "actor_critic_loss", "stats",
           "optimizer_fn", "validate_spaces", "sac_dist_class", "q_and_twin_q"]

#: Adam's epsilon for SAC's optimizers (RLlib 1.x).
ADAM_EPS = 1e-7


def validate_spaces(policy: Any, observation_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """A Discrete action space, or a bounded 1-D float Box."""
    import gymnasium as gym

    if not isinstance(action_space, gym.spaces.Discrete):
        check_continuous_space(action_space, "SAC")


def sac_dist_class(action_space: Any, config: Dict[str, Any], framework: str) -> Any:
    """Categorical for Discrete actions; else the squashed Gaussian over the actor's bounds.

    Bounds that are the same in every dimension (always so with ``normalize_actions``: ``[-1, 1]``)
    go to the distribution as two floats: it then skips making bound tensors (and their log) on
    each of its three constructions per learn step and one per sampled step.

    Examples:
        >>> import gymnasium as gym
        >>> sac_dist_class(gym.spaces.Box(-2, 2, (1,)), {"normalize_actions": False}, "torch").keywords["high"]
        2.0
        >>> box = gym.spaces.Box(np.array([-1.0, 0.0]), np.array([1.0, 3.0]))
        >>> sac_dist_class(box, {"normalize_actions": False}, "torch").keywords["high"].tolist()
        [1.0, 3.0]
    """
    import gymnasium as gym

    if framework == "torch":
        from rlcore.models.torch.torch_action_dist import TorchCategorical as Categorical
        from rlcore.models.torch.torch_action_dist import TorchSquashedGaussian as SquashedGaussian
    else:
        from rlcore.models.tf.tf_action_dist import Categorical, SquashedGaussian
    if isinstance(action_space, gym.spaces.Discrete):
        return Categorical
    low, high = actor_bounds(action_space, config)
    if low.size and np.all(low == low.flat[0]) and np.all(high == high.flat[0]):
        low, high = float(low.flat[0]), float(high.flat[0])
    return functools.partial(SquashedGaussian, low=low, high=high)


def sac_model_kwargs(action_space: Any, config: Dict[str, Any]) -> Dict[str, Any]:
    """The SAC model's keyword arguments from the policy config (both frameworks)."""
    from rlcore.algorithms.sac.sac import resolve_target_entropy

    return dict(policy_model_config=dict(config["policy_model"]), q_model_config=dict(config["Q_model"]),
                twin_q=bool(config["twin_q"]), initial_alpha=float(config["initial_alpha"]),
                target_entropy=resolve_target_entropy(config["target_entropy"], action_space))


def build_sac_model(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> Tuple[Any, Any]:
    """The model and ``policy.target_model`` (same architecture); returns ``(model, dist_class)``."""
    from rlcore.algorithms.sac.sac_torch_model import SACTorchModel

    kwargs = sac_model_kwargs(action_space, config)
    model = SACTorchModel(obs_space, action_space, None, config["model"], "sac_model", **kwargs)
    policy.target_model = SACTorchModel(obs_space, action_space, None, config["model"], "target_sac_model", **kwargs)
    return model, sac_dist_class(action_space, config, "torch")


def action_distribution_fn(policy: Any, model: Any, obs_batch: Any, *, explore: bool = True,
                           is_training: bool = False, **kwargs: Any):
    """The policy network's outputs as the action distribution's inputs."""
    model_out, _ = model({Columns.OBS: obs_batch, "is_training": is_training}, [], None)
    return model.get_policy_output(model_out), policy.dist_class, []


def _passes_obs_through(model: Any) -> bool:
    """Whether ``model``'s forward is :class:`SACTorchModel`'s (the flattened observation, as is)."""
    from rlcore.algorithms.sac.sac_torch_model import SACTorchModel

    return type(model).forward is SACTorchModel.forward


def _reads_q_as_sac_model(model: Any) -> bool:
    """Whether ``model``'s class keeps :class:`SACTorchModel`'s ``get_q_values``,
    ``get_twin_q_values`` and ``_q`` (then ``get_q_and_twin_q_values`` returns what they would)."""
    from rlcore.algorithms.sac.sac_torch_model import SACTorchModel

    cls = type(model)
    return (cls.get_q_values is SACTorchModel.get_q_values and cls.get_twin_q_values is SACTorchModel.get_twin_q_values
            and cls._q is SACTorchModel._q)


def q_and_twin_q(model: Any, model_out: Any, actions: Any, twin_q: bool) -> Tuple[Any, Any]:
    """``(Q, twin Q)`` of ``actions`` (``None``: every action, Discrete); the twin is ``None``
    without ``twin_q``.

    A model that keeps :class:`SACTorchModel`'s Q methods answers both from one ``obs || action``
    input (``get_q_and_twin_q_values``); a subclass that overrides ``get_q_values``,
    ``get_twin_q_values`` or ``_q`` gets those methods called, as RLlib 1.x's loss calls them.

    Examples:
        >>> import gymnasium as gym, torch
        >>> from rlcore.algorithms.sac.sac_torch_model import SACTorchModel
        >>> class Shifted(SACTorchModel):
        ...     def get_q_values(self, model_out, actions=None):
        ...         return super().get_q_values(model_out, actions) + 1.0
        >>> kw = dict(policy_model_config={"fcnet_hiddens": [4]}, q_model_config={"fcnet_hiddens": [4]})
        >>> m = Shifted(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(-1, 1, (1,)), None, {}, "sac", **kw)
        >>> obs, act = torch.ones(2, 3), torch.zeros(2, 1)
        >>> q, twin = q_and_twin_q(m, obs, act, twin_q=True)
        >>> bool(torch.equal(q, SACTorchModel.get_q_values(m, obs, act) + 1.0))
        True
    """
    if _reads_q_as_sac_model(model):
        q, twin = model.get_q_and_twin_q_values(model_out, actions)
        return q, (twin if twin_q else None)
    if model.discrete:
        return model.get_q_values(model_out), (model.get_twin_q_values(model_out) if twin_q else None)
    return model.get_q_values(model_out, actions), (model.get_twin_q_values(model_out, actions) if twin_q else None)


def actor_critic_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> List[Any]:
    """``[actor_loss, critic_loss(es)..., alpha_loss]`` (see the module docstring)."""
    import torch
    import torch.nn.functional as F

    cfg = policy.config
    deterministic = cfg["_deterministic_loss"]
    target_model = policy.target_model
    model_out_t, _ = model({Columns.OBS: train_batch[Columns.OBS], "is_training": True}, [], None)
    model_out_tp1, _ = model({Columns.OBS: train_batch[Columns.NEXT_OBS], "is_training": True}, [], None)
    if _passes_obs_through(model) and _passes_obs_through(target_model):
        target_out_tp1 = model_out_tp1  # both forwards return the flattened observation
    else:
        target_out_tp1, _ = target_model({Columns.OBS: train_batch[Columns.NEXT_OBS], "is_training": True}, [], None)
    log_alpha = model.log_alpha
    alpha = torch.exp(log_alpha)
    twin_q = cfg["twin_q"]
    rewards = train_batch[Columns.REWARDS].float()
    done_mask = train_batch[done_column(cfg, train_batch)].float()
    weights = train_batch[PRIO_WEIGHTS].float() if PRIO_WEIGHTS in train_batch else torch.ones_like(rewards)
    actions = train_batch[Columns.ACTIONS]

    if model.discrete:
        log_pis_t = F.log_softmax(model.get_policy_output(model_out_t), dim=-1)
        policy_t = torch.exp(log_pis_t)
        with torch.no_grad():
            log_pis_tp1 = F.log_softmax(model.get_policy_output(model_out_tp1), dim=-1)
            policy_tp1 = torch.exp(log_pis_tp1)
            q_tp1, twin_q_tp1 = q_and_twin_q(target_model, target_out_tp1, None, twin_q)
            if twin_q:
                q_tp1 = torch.min(q_tp1, twin_q_tp1)
            q_tp1 = q_tp1 - alpha * log_pis_tp1
            q_tp1_best = torch.sum(policy_tp1 * q_tp1, dim=-1)
        q_t, twin_q_t = q_and_twin_q(model, model_out_t, None, twin_q)
        one_hot = F.one_hot(actions.long(), num_classes=q_t.shape[-1]).to(q_t.dtype)
        q_selected = [torch.sum(q_t * one_hot, dim=-1)]
        if twin_q:
            q_selected.append(torch.sum(twin_q_t * one_hot, dim=-1))
    else:
        dist_t = dist_class(model.get_policy_output(model_out_t), model)
        policy_t = dist_t.deterministic_sample() if deterministic else dist_t.sample()
        log_pis_t = dist_t.sampled_action_logp()
        with torch.no_grad():
            dist_tp1 = dist_class(model.get_policy_output(model_out_tp1), model)
            policy_tp1 = dist_tp1.deterministic_sample() if deterministic else dist_tp1.sample()
            log_pis_tp1 = dist_tp1.sampled_action_logp()
            q_tp1, twin_q_tp1 = q_and_twin_q(target_model, target_out_tp1, policy_tp1, twin_q)
            if twin_q:
                q_tp1 = torch.min(q_tp1, twin_q_tp1)
            q_tp1_best = q_tp1.squeeze(-1) - alpha * log_pis_tp1
        q_t, twin_q_t = q_and_twin_q(model, model_out_t, actions, twin_q)
        q_selected = [q_t.squeeze(-1)]
        if twin_q:
            q_selected.append(twin_q_t.squeeze(-1))
        with frozen(model.q_variables()):  # the actor loss needs dQ/da, not dQ/dW (see frozen())
            q_t_det_policy, twin_q_t_det_policy = q_and_twin_q(model, model_out_t, policy_t, twin_q)
            if twin_q:
                q_t_det_policy = torch.min(q_t_det_policy, twin_q_t_det_policy)

    target = (rewards + cfg["gamma"] ** cfg["n_step"] * (1.0 - done_mask) * q_tp1_best).detach()
    abs_td = [torch.abs(q - target) for q in q_selected]
    critic_losses = [torch.mean(weights * huber_loss(e)) for e in abs_td]
    td_error = abs_td[0] if len(abs_td) == 1 else 0.5 * (abs_td[0] + abs_td[1])

    if model.discrete:
        alpha_loss = torch.mean(torch.sum(
            policy_t.detach() * (-log_alpha * (log_pis_t + model.target_entropy).detach()), dim=-1))
        actor_loss = torch.mean(torch.sum(policy_t * (alpha.detach() * log_pis_t - q_t.detach()), dim=-1))
    else:
        alpha_loss = -torch.mean(log_alpha * (log_pis_t + model.target_entropy).detach())
        actor_loss = torch.mean(alpha.detach() * log_pis_t - q_t_det_policy.squeeze(-1))

    policy._q_t = q_selected[0].detach()
    policy._policy_t = policy_t.detach()
    policy._log_pis_t = log_pis_t.detach()
    policy._actor_loss, policy._critic_losses, policy._alpha_loss = actor_loss, critic_losses, alpha_loss
    policy._td_error = td_error.detach()
    return [actor_loss] + critic_losses + [alpha_loss]


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's SAC learner stats, plus the per-row ``td_error`` (moved to the fetches)."""
    import torch

    q = policy._q_t
    return {
        "td_error": policy._td_error.numpy(),
        "mean_td_error": float(policy._td_error.mean()),
        "actor_loss": float(policy._actor_loss.detach()),
        "critic_loss": float(torch.mean(torch.stack([c.detach() for c in policy._critic_losses]))),
        "alpha_loss": float(policy._alpha_loss.detach()),
        "alpha_value": float(torch.exp(policy.model.log_alpha.detach())),
        "log_alpha_value": float(policy.model.log_alpha.detach()),
        "target_entropy": float(policy.model.target_entropy),
        "policy_t": float(policy._policy_t.mean()),
        "mean_q": float(q.mean()),
        "max_q": float(q.max()),
        "min_q": float(q.min()),
    }


def optimizer_fn(policy: Any, config: Dict[str, Any]) -> List[Any]:
    """Adam for the actor, one per critic, one for ``log_alpha`` (the losses' order)."""
    from rlcore.policy.torch_optim import adam

    opt = config["optimization"]
    model = policy.model
    critics = [model.q_net] + ([model.twin_q_net] if model.twin_q_net is not None else [])
    return ([adam(model.policy_variables(), lr=opt["actor_learning_rate"], eps=ADAM_EPS)]
            + [adam(c.parameters(), lr=opt["critic_learning_rate"], eps=ADAM_EPS) for c in critics]
            + [adam([model.log_alpha], lr=opt["entropy_learning_rate"], eps=ADAM_EPS)])


def init_target(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the target networks start equal to the model."""
    policy.update_target(tau=1.0)


SACTorchPolicy = build_torch_policy(
    "SACTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    validate_spaces=validate_spaces,
    make_model_and_action_dist=build_sac_model,
    action_distribution_fn=action_distribution_fn,
    loss_fn=actor_critic_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_nstep_and_prio,
    optimizer_fn=optimizer_fn,
    after_init=init_target,
    mixins=[TDErrorFetches, NStepPostprocessing, ComputeTDErrorMixin, BoundedExploration, SoftTargetUpdate,
            TorchTargetNetworkMixin, SummedBackward],
)
SACTorchPolicy.disjoint_loss_fns = (actor_critic_loss,)
