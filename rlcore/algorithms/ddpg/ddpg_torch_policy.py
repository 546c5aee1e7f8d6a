"""DDPGTorchPolicy: DDPG and TD3 in torch (RLlib 1.x ``ddpg_torch_policy.py``).

Per replayed row, with ``mu`` the actor, ``d`` the bootstrap mask and ``gamma_n = gamma ** n_step``:

- target action ``a' = mu'(s')``; with ``smooth_target_policy`` plus
  ``clip(N(0, target_noise), -target_noise_clip, target_noise_clip)``, clipped to the actor's bounds;
- ``y = r + gamma_n (1 - d) Q'(s', a')`` (``min`` of both target critics with ``twin_q``);
- critic loss ``mean(w * e)`` with ``e = huber(Q(s, a) - y)`` (``use_huber``, threshold
  ``huber_threshold``) or ``0.5 (Q(s, a) - y)^2``, summed over both critics with ``twin_q``;
- actor loss ``-mean(Q(s, mu(s)))``;
- ``l2_reg * sum(w^2) / 2`` over the non-bias weights added to each loss.

Two Adam optimizers (eps 1e-7, ``actor_lr`` / ``critic_lr``); the actor steps only every
``policy_delay``-th update (TD3), the critic every update; both losses' gradients come from one
backward pass (:class:`~rlcore.algorithms.off_policy_ac.SummedBackward`: neither loss reaches the
other optimizer's parameters). ``td_error`` (``Q(s, a) - y``) is a
fetch for prioritized replay. Actions live in the actor's bounds
(:func:`~rlcore.algorithms.off_policy_ac.actor_bounds`).

Examples:
    >>> [c.__name__ for c in DDPGTorchPolicy.__mro__][:4]
    ['DDPGTorchPolicy', 'TDErrorFetches', 'NStepPostprocessing', 'DelayedActorUpdates']
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

import numpy as np

from rlcore.algorithms.ddpg.defaults import DEFAULT_CONFIG
from rlcore.algorithms.dqn.common import PRIO_WEIGHTS, NStepPostprocessing, TDErrorFetches, done_column, \
    postprocess_nstep_and_prio
from rlcore.algorithms.dqn.dqn_torch_policy import ComputeTDErrorMixin, huber_loss
from rlcore.algorithms.off_policy_ac import BoundedExploration, SoftTargetUpdate, SummedBackward, actor_bounds, \
    check_continuous_space, frozen
from rlcore.algorithms.torch_mixins import TorchTargetNetworkMixin
from rlcore.data.columns import Columns
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["DDPGTorchPolicy", "DelayedActorUpdates", "build_ddpg_model", "action_distribution_fn",
           "ddpg_actor_critic_loss", "stats", "optimizer_fn", "validate_spaces", "ddpg_model_kwargs"]

#: Adam's epsilon for DDPG's optimizers (RLlib 1.x).
ADAM_EPS = 1e-7


def validate_spaces(policy: Any, observation_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """A bounded 1-D float Box action space."""
    check_continuous_space(action_space, "DDPG")


def ddpg_model_kwargs(action_space: Any, config: Dict[str, Any]) -> Dict[str, Any]:
    """The DDPG model's keyword arguments from the policy config (both frameworks)."""
    low, high = actor_bounds(action_space, config)
    return dict(actor_hiddens=list(config["actor_hiddens"]), actor_hidden_activation=config["actor_hidden_activation"],
                critic_hiddens=list(config["critic_hiddens"]),
                critic_hidden_activation=config["critic_hidden_activation"], twin_q=bool(config["twin_q"]),
                low=low, high=high)


def build_ddpg_model(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> Tuple[Any, Any]:
    """The model and ``policy.target_model``; returns ``(model, TorchDeterministic)``."""
    from rlcore.algorithms.ddpg.ddpg_torch_model import DDPGTorchModel
    from rlcore.models.torch.torch_action_dist import TorchDeterministic

    kwargs = ddpg_model_kwargs(action_space, config)
    model = DDPGTorchModel(obs_space, action_space, None, config["model"], "ddpg_model", **kwargs)
    policy.target_model = DDPGTorchModel(obs_space, action_space, None, config["model"], "target_ddpg_model", **kwargs)
    return model, TorchDeterministic


def action_distribution_fn(policy: Any, model: Any, obs_batch: Any, *, explore: bool = True,
                           is_training: bool = False, **kwargs: Any):
    """The actor's actions as the inputs of a deterministic distribution (the exploration adds noise)."""
    model_out, _ = model({Columns.OBS: obs_batch, "is_training": is_training}, [], None)
    return model.get_policy_output(model_out), policy.dist_class, []


def _l2(named: Dict[str, Any]) -> Any:
    return sum(0.5 * (v * v).sum() for k, v in named.items() if "bias" not in k)


def ddpg_actor_critic_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> List[Any]:
    """``[actor_loss, critic_loss]`` (see the module docstring)."""
    import torch

    cfg = policy.config
    twin_q = cfg["twin_q"]
    target_model = policy.target_model
    model_out_t, _ = model({Columns.OBS: train_batch[Columns.OBS], "is_training": True}, [], None)
    target_out_tp1, _ = target_model({Columns.OBS: train_batch[Columns.NEXT_OBS], "is_training": True}, [], None)
    rewards = train_batch[Columns.REWARDS].float()
    done_mask = train_batch[done_column(cfg, train_batch)].float()
    weights = train_batch[PRIO_WEIGHTS].float() if PRIO_WEIGHTS in train_batch else torch.ones_like(rewards)
    actions = train_batch[Columns.ACTIONS]

    policy_t = model.get_policy_output(model_out_t)
    with torch.no_grad():
        policy_tp1 = target_model.get_policy_output(target_out_tp1)
        if cfg["smooth_target_policy"]:
            noise = torch.clamp(torch.randn_like(policy_tp1) * cfg["target_noise"], -cfg["target_noise_clip"],
                                cfg["target_noise_clip"])
            low = target_model.action_low
            policy_tp1 = torch.min(torch.max(policy_tp1 + noise, low), low + target_model.action_range)
        q_tp1 = target_model.get_q_values(target_out_tp1, policy_tp1)
        if twin_q:
            q_tp1 = torch.min(q_tp1, target_model.get_twin_q_values(target_out_tp1, policy_tp1))
        target = rewards + cfg["gamma"] ** cfg["n_step"] * (1.0 - done_mask) * q_tp1.squeeze(-1)

    q_t_selected = model.get_q_values(model_out_t, actions).squeeze(-1)
    with frozen(model.q_variables()):  # the actor loss needs dQ/da, not dQ/dW (see frozen())
        actor_loss = -torch.mean(model.get_q_values(model_out_t, policy_t))
    td_error = q_t_selected - target
    threshold = cfg["huber_threshold"]
    if cfg["use_huber"]:
        errors = huber_loss(td_error, threshold)
    else:
        errors = 0.5 * td_error * td_error
    if twin_q:
        twin_td_error = model.get_twin_q_values(model_out_t, actions).squeeze(-1) - target
        errors = errors + (huber_loss(twin_td_error, threshold) if cfg["use_huber"] else 0.5 * twin_td_error ** 2)
    critic_loss = torch.mean(weights * errors)
    if cfg["l2_reg"]:
        actor_loss = actor_loss + cfg["l2_reg"] * _l2(model.policy_variables(as_dict=True))
        critic_loss = critic_loss + cfg["l2_reg"] * _l2(model.q_variables(as_dict=True))

    policy._q_t = q_t_selected.detach()
    policy._actor_loss, policy._critic_loss = actor_loss, critic_loss
    policy._td_error = td_error.detach()
    return [actor_loss, critic_loss]


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's DDPG learner stats, plus the per-row ``td_error`` (moved to the fetches)."""
    q = policy._q_t
    return {
        "td_error": policy._td_error.numpy(),
        "mean_td_error": float(policy._td_error.mean()),
        "actor_loss": float(policy._actor_loss.detach()),
        "critic_loss": float(policy._critic_loss.detach()),
        "mean_q": float(q.mean()),
        "max_q": float(q.max()),
        "min_q": float(q.min()),
    }


def optimizer_fn(policy: Any, config: Dict[str, Any]) -> List[Any]:
    """Adam for the actor and for the critic(s) (the losses' order)."""
    from rlcore.policy.torch_optim import adam

    return [adam(policy.model.policy_variables(), lr=config["actor_lr"], eps=ADAM_EPS),
            adam(policy.model.q_variables(), lr=config["critic_lr"], eps=ADAM_EPS)]


class DelayedActorUpdates:
    """Torch policy mixin: the actor optimizer steps only every ``policy_delay``-th update
    (``global_step % policy_delay == 0``, RLlib 1.x), the critic optimizer every update."""

    global_step = 0

    def _step_optimizers(self) -> None:
        actor_opt, *critic_opts = self._optimizers
        if self.global_step % int(self.config["policy_delay"]) == 0:
            actor_opt.step()
        for opt in critic_opts:
            opt.step()
        self.global_step += 1

    def learn_on_batch(self, postprocessed_batch: Any) -> Dict[str, Any]:
        """One update: both losses' gradients, then the (possibly delayed) optimizer steps."""
        with self._lock:
            train_batch = self._prepare_train_batch(postprocessed_batch)
            self.set_training(True)
            grad_info, _ = self._backward(train_batch)
            self._step_optimizers()
            return self._learner_info(train_batch, grad_info)

    def apply_gradients(self, gradients: List[Any]) -> None:
        """Sets each parameter's ``.grad`` from the numpy list and steps (actor delayed)."""
        import torch

        params = self._params()
        if len(gradients) != len(params):
            raise ValueError(f"apply_gradients got {len(gradients)} gradients; expected {len(params)} (one per parameter)")
        with self._lock:
            for p, g in zip(params, gradients):
                p.grad = None if g is None else torch.tensor(np.asarray(g), dtype=p.dtype).reshape(p.shape)
            self._step_optimizers()

    def get_state(self) -> Dict[str, Any]:
        state = super().get_state()
        state["global_step"] = int(self.global_step)
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        super().set_state(state)
        self.global_step = int(state.get("global_step", 0))


def init_target(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the target networks start equal to the model."""
    policy.update_target(tau=1.0)


DDPGTorchPolicy = build_torch_policy(
    "DDPGTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    validate_spaces=validate_spaces,
    make_model_and_action_dist=build_ddpg_model,
    action_distribution_fn=action_distribution_fn,
    loss_fn=ddpg_actor_critic_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_nstep_and_prio,
    optimizer_fn=optimizer_fn,
    after_init=init_target,
    mixins=[TDErrorFetches, NStepPostprocessing, DelayedActorUpdates, ComputeTDErrorMixin, BoundedExploration,
            SoftTargetUpdate, TorchTargetNetworkMixin, SummedBackward],
)
DDPGTorchPolicy.disjoint_loss_fns = (ddpg_actor_critic_loss,)
