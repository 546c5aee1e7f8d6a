"""AsyncPPOTorchPolicy: APPO's clipped surrogate loss in torch, with V-trace or GAE advantages.

RLlib 1.x's APPO loss, means over the rows:

- ``vtrace: True``: a target network (``policy.target_model``, refreshed by ``update_target()``)
  gives the "old policy" logits. V-trace (one compiled-kernel call, no gradient) runs with the
  target network as target policy and the batch's behaviour logits as behaviour policy; the
  ratio is ``is_ratio * exp(logp - logp_behaviour)`` with ``is_ratio = clip(exp(logp_behaviour -
  logp_old), 0, 2)``; the KL is ``KL(old || current)``.
- ``vtrace: False``: GAE ``advantages``/``value_targets`` from postprocessing, ratio
  ``exp(logp - logp_behaviour)``, KL ``KL(behaviour || current)``.

``total = -mean(min(A r, A clip(r, 1 ± clip_param))) + vf_loss_coeff * 0.5 * mean((V - V_t)^2)
- entropy_coeff * mean(H)``, plus ``kl_coeff * mean(KL)`` with ``use_kl_loss`` (``update_kl``
adapts ``kl_coeff`` toward ``kl_target``). Stats: ``cur_lr``, ``policy_loss``, ``entropy``,
``entropy_coeff``, ``var_gnorm``, ``vf_loss``, ``vf_explained_var``, ``total_loss``,
``grad_gnorm``; ``mean_IS``/``var_IS`` with V-trace; ``kl``/``KL_Coeff`` with ``use_kl_loss``.

Examples:
    >>> [c.__name__ for c in AsyncPPOTorchPolicy.__mro__][:4]
    ['AsyncPPOTorchPolicy', 'VTracePostprocessing', 'TorchValueNetworkMixin', 'ValueNetworkMixin']
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.appo.defaults import DEFAULT_CONFIG
from rlcore.algorithms.impala.vtrace import VTracePostprocessing, check_opt_type, postprocess_vtrace_or_gae
from rlcore.algorithms.impala.vtrace_torch_policy import (choose_optimizer, clip_gradients, layout_and_bootstrap,
                                                          vtrace_returns)
from rlcore.algorithms.ppo.kl_coeff import KLCoeffMixin
from rlcore.algorithms.torch_mixins import TorchTargetNetworkMixin, TorchValueNetworkMixin, explained_variance, \
    masked_mean_fn
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule, start_schedules
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["AsyncPPOTorchPolicy", "appo_surrogate_loss", "stats", "make_appo_model", "setup_mixins",
           "init_target"]

_STATS = ("policy_loss", "vf_loss", "entropy", "vf_explained_var", "total_loss", "kl", "mean_IS", "var_IS")


def appo_surrogate_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The APPO loss (see the module docstring); keeps its statistics on the policy."""
    import torch

    cfg = policy.config
    vtrace = cfg["vtrace"]
    if vtrace:
        layout_and_bootstrap(policy, model, train_batch)
        with torch.no_grad():
            old_logits, _ = policy.target_model.from_batch(train_batch)
    logits, _ = model.from_batch(train_batch)
    values = model.value_function().reshape(-1)
    actions = train_batch[Columns.ACTIONS]
    dist = dist_class(logits, model)
    behaviour_dist = dist_class(train_batch[Columns.ACTION_DIST_INPUTS], model)
    logp = dist.logp(actions).reshape(-1)
    behaviour_logp = behaviour_dist.logp(actions).reshape(-1)
    reduce_mean = masked_mean_fn(train_batch, logits.shape[0])
    if vtrace:
        old_dist = dist_class(old_logits, model)
        old_logp = old_dist.logp(actions).reshape(-1)
        value_targets, advantages = vtrace_returns(policy, train_batch, behaviour_logp, old_logp, values)
        is_ratio = torch.clamp(torch.exp(behaviour_logp - old_logp), 0.0, 2.0)
        logp_ratio = is_ratio * torch.exp(logp - behaviour_logp)
        action_kl = old_dist.kl(dist)
    else:
        value_targets, advantages = train_batch[Columns.VALUE_TARGETS], train_batch[Columns.ADVANTAGES]
        is_ratio = None
        logp_ratio = torch.exp(logp - behaviour_logp)
        action_kl = behaviour_dist.kl(dist)
    clip = cfg["clip_param"]
    surrogate = torch.min(advantages * logp_ratio, advantages * torch.clamp(logp_ratio, 1 - clip, 1 + clip))
    mean_kl = reduce_mean(action_kl)
    mean_policy_loss = -reduce_mean(surrogate)
    mean_vf_loss = 0.5 * reduce_mean((values - value_targets) ** 2)
    mean_entropy = reduce_mean(dist.entropy().reshape(-1))
    total = mean_policy_loss + cfg["vf_loss_coeff"] * mean_vf_loss - policy.entropy_coeff * mean_entropy
    if cfg["use_kl_loss"]:
        total = total + policy.kl_coeff * mean_kl
    with torch.no_grad():
        zero = torch.zeros((), dtype=total.dtype)
        policy._loss_stats = torch.stack([
            mean_policy_loss, mean_vf_loss, mean_entropy, explained_variance(value_targets, values), total, mean_kl,
            zero if is_ratio is None else is_ratio.mean(), zero if is_ratio is None else is_ratio.var(unbiased=False),
        ])
    return total


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's APPO learner stats (see the module docstring)."""
    import torch

    values = dict(zip(_STATS, policy._loss_stats.tolist()))
    out = {k: values[k] for k in _STATS[:5]}
    out.update(cur_lr=policy.cur_lr, entropy_coeff=policy.entropy_coeff,
               var_gnorm=float(torch.nn.utils.get_total_norm([p.detach() for p in policy.model.parameters()])))
    if policy.config["vtrace"]:
        out.update(mean_IS=values["mean_IS"], var_IS=values["var_IS"])
    if policy.config["use_kl_loss"]:
        out.update(kl=values["kl"], KL_Coeff=policy.kl_coeff)
    return out


def make_appo_model(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> Any:
    """The model and, as ``policy.target_model``, a second one of the same architecture."""
    from rlcore.models.catalog import ModelCatalog

    _, logit_dim = ModelCatalog.get_action_dist(action_space, config["model"], framework="torch")
    policy.target_model = ModelCatalog.get_model_v2(obs_space, action_space, logit_dim, config["model"],
                                                    framework="torch", name="target_model")
    return ModelCatalog.get_model_v2(obs_space, action_space, logit_dim, config["model"], framework="torch",
                                     name="model")


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, KL, learning-rate and entropy-coefficient mixins."""
    check_opt_type(config)
    TorchValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    KLCoeffMixin.__init__(policy, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    EntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


def init_target(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: the schedules at timestep 0 and the target network equal to the model."""
    start_schedules(policy, obs_space, action_space, config)
    policy.target_model.train(False)
    policy.update_target()


AsyncPPOTorchPolicy = build_torch_policy(
    "AsyncPPOTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=appo_surrogate_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_vtrace_or_gae,
    optimizer_fn=choose_optimizer,
    extra_grad_process_fn=clip_gradients,
    make_model=make_appo_model,
    before_init=setup_mixins,
    after_init=init_target,
    mixins=[VTracePostprocessing, TorchValueNetworkMixin, TorchTargetNetworkMixin, KLCoeffMixin,
            LearningRateSchedule, EntropyCoeffSchedule],
)
