"""VTraceTorchPolicy: IMPALA's V-trace actor-critic loss in torch.

Per batch (RLlib 1.x ``VTraceLoss``, sums over the rows):
``pi_loss = -sum(logp(a) * pg_advantages)``, ``vf_loss = 0.5 * sum((V - vs)^2)``,
``total = pi_loss + vf_loss_coeff * vf_loss - entropy_coeff * sum(H)``, where ``vs`` and
``pg_advantages`` are the V-trace targets (clipped with ``vtrace_clip_rho_threshold`` and
``vtrace_clip_pg_rho_threshold``) computed without gradient by one call of the compiled kernel
(:mod:`rlcore.algorithms.impala.vtrace`): behaviour ``logp`` from the batch, target ``logp`` and
values from the current model, bootstraps ``V(new_obs)`` at segment ends. With ``vtrace: False``
the same loss runs on GAE ``advantages``/``value_targets`` from postprocessing (RLlib 1.x's IMPALA
then used the A3C policy, whose loss this is).

``opt_type`` picks Adam or RMSprop (``decay``, ``momentum``, ``epsilon``); ``lr_schedule`` and
``entropy_coeff_schedule`` follow the global timestep; gradients are clipped to ``grad_clip``.
Learner stats: ``cur_lr``, ``policy_loss``, ``entropy``, ``entropy_coeff``, ``var_gnorm``,
``vf_loss``, ``vf_explained_var``, ``total_loss``, ``grad_gnorm`` (losses and entropy as means
over the rows, as RLlib 1.x's TF policy reports them).

Examples:
    >>> VTraceTorchPolicy.__name__, "VTracePostprocessing" in [c.__name__ for c in VTraceTorchPolicy.__mro__]
    ('VTraceTorchPolicy', True)
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np

from rlcore.algorithms.impala.defaults import DEFAULT_CONFIG
from rlcore.algorithms.impala.vtrace import (VTracePostprocessing, check_not_recurrent, check_opt_type,
                                             layout_columns, postprocess_vtrace_or_gae, segment_layout,
                                             vtrace_targets)
from rlcore.algorithms.torch_mixins import TorchValueNetworkMixin, explained_variance, masked_sum_fn
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule, start_schedules
from rlcore.policy.torch_policy import DEFAULT_OPTIMIZER
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["VTraceTorchPolicy", "build_vtrace_loss", "layout_and_bootstrap", "vtrace_returns", "bootstrap_values",
           "stats", "choose_optimizer", "clip_gradients", "setup_mixins"]

#: The order of the loss statistics kept on the policy (one tensor, one conversion).
_STATS = ("policy_loss", "vf_loss", "entropy", "vf_explained_var", "total_loss")


def bootstrap_values(model: Any, train_batch: Any, rows: np.ndarray) -> np.ndarray:
    """``V(new_obs)`` at ``rows`` with the current model, no gradient (one small forward).

    Runs before the loss's own forward pass, so ``model.value_function()`` stays the batch's.
    """
    import torch

    if not len(rows):
        return np.zeros(0, np.float32)
    with torch.no_grad():
        model({Columns.OBS: train_batch[Columns.NEXT_OBS][torch.from_numpy(rows)], "is_training": False})
        return model.value_function().reshape(-1).numpy()


def vtrace_returns(policy: Any, train_batch: Any, behaviour_logp: Any, target_logp: Any,
                   values: Any) -> tuple:
    """The V-trace targets ``(vs, pg_advantages)`` as torch tensors (no gradient).

    The batch layout and bootstrap values come from :func:`layout_and_bootstrap`, called before
    the loss's forward pass (it keeps them on the policy).
    """
    import torch

    cfg = policy.config
    ends, boot_rows, boot = policy._vtrace_layout
    vs, pg = vtrace_targets(
        behaviour_logp.detach().numpy(), target_logp.detach().numpy(), train_batch[Columns.REWARDS].numpy(),
        values.detach().numpy(), ends, boot_rows, boot, gamma=cfg["gamma"],
        clip_rho_threshold=cfg["vtrace_clip_rho_threshold"], clip_pg_rho_threshold=cfg["vtrace_clip_pg_rho_threshold"])
    return torch.from_numpy(vs), torch.from_numpy(pg)


def layout_and_bootstrap(policy: Any, model: Any, train_batch: Any) -> None:
    """Finds the batch's segments and their bootstrap values; keeps them on the policy for
    :func:`vtrace_returns`. Call before the loss's forward pass."""
    check_not_recurrent(policy)
    dones, terminals, ids = layout_columns(policy, train_batch)
    ends, boot_rows = segment_layout(len(dones), policy.config["rollout_fragment_length"], dones.numpy(),
                                     terminals.numpy(), [i.numpy() for i in ids])
    policy._vtrace_layout = (ends, boot_rows, bootstrap_values(model, train_batch, boot_rows))


def build_vtrace_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The IMPALA loss (see the module docstring); keeps its statistics on the policy."""
    import torch

    cfg = policy.config
    if cfg["vtrace"]:
        layout_and_bootstrap(policy, model, train_batch)
    logits, _ = model.from_batch(train_batch)
    values = model.value_function().reshape(-1)
    dist = dist_class(logits, model)
    logp = dist.logp(train_batch[Columns.ACTIONS]).reshape(-1)
    if cfg["vtrace"]:
        value_targets, advantages = vtrace_returns(policy, train_batch, train_batch[Columns.ACTION_LOGP],
                                                   logp, values)
    else:
        value_targets, advantages = train_batch[Columns.VALUE_TARGETS], train_batch[Columns.ADVANTAGES]
    reduce_sum = masked_sum_fn(train_batch, logits.shape[0])
    pi_loss = -reduce_sum(logp * advantages)
    vf_loss = 0.5 * reduce_sum((values - value_targets) ** 2)
    entropy = reduce_sum(dist.entropy().reshape(-1))
    total = pi_loss + cfg["vf_loss_coeff"] * vf_loss - policy.entropy_coeff * entropy
    with torch.no_grad():
        rows = reduce_sum(torch.ones_like(values))
        policy._loss_stats = torch.stack([pi_loss / rows, vf_loss / rows, entropy / rows,
                                          explained_variance(value_targets, values), total])
    return total


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib 1.x's IMPALA learner stats (see the module docstring)."""
    import torch

    out = dict(zip(_STATS, policy._loss_stats.tolist()))
    out.update(cur_lr=policy.cur_lr, entropy_coeff=policy.entropy_coeff,
               var_gnorm=float(torch.nn.utils.get_total_norm([p.detach() for p in policy.model.parameters()])))
    return out


def choose_optimizer(policy: Any, config: Dict[str, Any]) -> Any:
    """``opt_type``: ``"adam"`` (lr ``cur_lr``) or ``"rmsprop"`` (``decay``, ``momentum``, ``epsilon``).

    RMSprop's ``decay`` is the moving-average factor (torch's ``alpha``, TensorFlow's ``rho``);
    RLlib 1.x's torch policy passed it as ``weight_decay``, an L2 penalty of 0.99, which its TF
    policy did not.

    Examples:
        >>> import torch
        >>> class P: model, cur_lr = torch.nn.Linear(2, 1), 0.1
        >>> type(choose_optimizer(P(), {"opt_type": "rmsprop", "decay": 0.9, "momentum": 0.0, "epsilon": 0.1})).__name__
        'RMSprop'
        >>> choose_optimizer(P(), {"opt_type": "sgd"})
        Traceback (most recent call last):
        ...
        ValueError: opt_type='sgd': expected 'adam' or 'rmsprop'
    """
    import torch

    from rlcore.policy.torch_optim import adam

    if config["opt_type"] == "adam":
        return adam(policy.model.parameters(), lr=policy.cur_lr)
    if config["opt_type"] == "rmsprop":
        return torch.optim.RMSprop(policy.model.parameters(), lr=policy.cur_lr, alpha=config["decay"],
                                   momentum=config["momentum"], eps=config["epsilon"])
    raise ValueError(f"opt_type={config['opt_type']!r}: expected 'adam' or 'rmsprop'")


setattr(choose_optimizer, DEFAULT_OPTIMIZER, True)  # no user code: built when first needed (not on samplers)


def clip_gradients(policy: Any, optimizer: Any, loss: Any) -> Dict[str, float]:
    """Clips the gradients to ``grad_clip`` (if set) and reports their norm before clipping.

    Examples:
        >>> import torch
        >>> class P: config = {"grad_clip": 1.0}
        >>> w = torch.nn.Parameter(torch.ones(4)); (3 * w.sum()).backward()
        >>> opt = torch.optim.SGD([w], lr=0.1)
        >>> clip_gradients(P(), opt, None)["grad_gnorm"], round(float(w.grad.norm()), 4)
        (6.0, 1.0)
    """
    import torch

    params = [p for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
    if not params:
        return {}
    clip = policy.config.get("grad_clip")
    if clip:
        return {"grad_gnorm": float(torch.nn.utils.clip_grad_norm_(params, float(clip)))}
    return {"grad_gnorm": float(torch.nn.utils.get_total_norm([p.grad for p in params]))}


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, learning-rate and entropy-coefficient mixins."""
    check_opt_type(config)
    TorchValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    EntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


VTraceTorchPolicy = build_torch_policy(
    "VTraceTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=build_vtrace_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_vtrace_or_gae,
    optimizer_fn=choose_optimizer,
    extra_grad_process_fn=clip_gradients,
    before_init=setup_mixins,
    after_init=start_schedules,
    mixins=[VTracePostprocessing, TorchValueNetworkMixin, LearningRateSchedule, EntropyCoeffSchedule],
)
