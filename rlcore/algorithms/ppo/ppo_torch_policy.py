"""PPOTorchPolicy: PPO's clipped surrogate loss in torch, with adaptive KL penalty and value clipping.

Per row: ``ratio = exp(logp(a) - logp_old(a))``, surrogate ``min(A * ratio, A * clip(ratio, 1 - ε,
1 + ε))``; value loss ``max((V - V_t)^2, (V_old + clip(V - V_old, ±vf_clip_param) - V_t)^2)``;
``total = mean(-surrogate + kl_coeff * KL(old || new) + vf_loss_coeff * vf_loss - entropy_coeff *
H)`` (RLlib 1.x). As in RLlib 1.x, ``use_gae`` switches the value loss (and its clipping), not
``use_critic``: with ``use_gae=False`` (complete episodes) a critic still gives the baseline
``vf_preds`` but the loss does not train it, and ``vf_loss`` reports 0. Recurrent batches average
over their valid rows only. Postprocessing is GAE (batched over a whole sample via
``postprocess_fragments``).

Examples:
    >>> PPOTorchPolicy.__name__, "KLCoeffMixin" in [c.__name__ for c in PPOTorchPolicy.__mro__]
    ('PPOTorchPolicy', True)
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.ppo.defaults import DEFAULT_CONFIG
from rlcore.algorithms.ppo.kl_coeff import KLCoeffMixin
from rlcore.algorithms.torch_mixins import (TorchValueNetworkMixin, adam_optimizer, explained_variance,
                                           masked_mean_fn, sequence_mask)
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule, start_schedules
from rlcore.policy.torch_policy_template import build_torch_policy
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch

__all__ = ["PPOTorchPolicy", "ppo_surrogate_loss", "kl_and_loss_stats", "setup_mixins", "start_schedules"]


def ppo_surrogate_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The PPO loss (see the module docstring); keeps its statistics on the policy.

    A plain ``TorchCategorical`` policy on float32 CPU tensors takes the fused path of
    :func:`rlcore.algorithms.ppo.fused_loss.ppo_categorical_loss` (the same loss and gradients from
    the compiled core, one autograd node); anything else builds the loss from the distribution's
    methods.
    """
    from rlcore.models.torch.torch_action_dist import TorchCategorical  # torch loads with the policy, not before

    from rlcore.algorithms.ppo.fused_loss import fused_loss_applies

    logits, _ = model.from_batch(train_batch)
    if dist_class is TorchCategorical and fused_loss_applies(logits):
        return _fused_categorical_loss(policy, model, logits, train_batch)
    return _generic_loss(policy, model, dist_class, logits, train_batch)


def _generic_loss(policy: Any, model: Any, dist_class: Any, logits: Any, train_batch: Any) -> Any:
    import torch

    cfg = policy.config
    curr_action_dist = dist_class(logits, model)
    prev_action_dist = dist_class(train_batch[Columns.ACTION_DIST_INPUTS], model)
    reduce_mean = masked_mean_fn(train_batch, logits.shape[0])

    logp_ratio = torch.exp(curr_action_dist.logp(train_batch[Columns.ACTIONS]) - train_batch[Columns.ACTION_LOGP])
    action_kl = prev_action_dist.kl(curr_action_dist)
    curr_entropy = curr_action_dist.entropy()
    advantages = train_batch[Columns.ADVANTAGES]
    surrogate = torch.min(advantages * logp_ratio,
                          advantages * torch.clamp(logp_ratio, 1 - cfg["clip_param"], 1 + cfg["clip_param"]))
    per_row = policy.kl_coeff * action_kl - surrogate - policy.entropy_coeff * curr_entropy
    vf_loss = value_fn_out = targets = None
    if cfg["use_gae"]:  # RLlib 1.x's switch for the value loss (see the module docstring)
        value_fn_out = model.value_function()
        prev_value_fn_out = train_batch[Columns.VF_PREDS]
        targets = train_batch[Columns.VALUE_TARGETS]
        vf_loss1 = (value_fn_out - targets) ** 2
        vf_clipped = prev_value_fn_out + torch.clamp(value_fn_out - prev_value_fn_out,
                                                     -cfg["vf_clip_param"], cfg["vf_clip_param"])
        vf_loss = torch.max(vf_loss1, (vf_clipped - targets) ** 2)
        per_row = per_row + cfg["vf_loss_coeff"] * vf_loss
    policy._total_loss = total = reduce_mean(per_row)
    with torch.no_grad():  # the stats: not part of the graph (cheaper, and nothing to backpropagate)
        zero = torch.zeros((), dtype=total.dtype)
        policy._loss_stats = torch.stack([
            -reduce_mean(surrogate),
            zero if vf_loss is None else reduce_mean(vf_loss),
            reduce_mean(action_kl),
            reduce_mean(curr_entropy),
            zero if vf_loss is None else explained_variance(targets, value_fn_out),
        ])
    return total


def _fused_categorical_loss(policy: Any, model: Any, logits: Any, train_batch: Any) -> Any:
    from rlcore.algorithms.ppo.fused_loss import ppo_categorical_loss

    cfg = policy.config
    weights = None
    if Columns.SEQ_LENS in train_batch:
        mask = sequence_mask(train_batch[Columns.SEQ_LENS], logits.shape[0] // len(train_batch[Columns.SEQ_LENS]))
        weights = mask.to(logits.dtype) / mask.sum()
    critic = bool(cfg["use_gae"])  # the value loss is on with GAE (RLlib 1.x)
    total, policy._loss_stats = ppo_categorical_loss(
        logits, model.value_function() if critic else None, actions=train_batch[Columns.ACTIONS],
        logp_old=train_batch[Columns.ACTION_LOGP], logits_old=train_batch[Columns.ACTION_DIST_INPUTS],
        advantages=train_batch[Columns.ADVANTAGES], vf_preds=train_batch[Columns.VF_PREDS] if critic else None,
        value_targets=train_batch[Columns.VALUE_TARGETS] if critic else None, weights=weights,
        clip_param=cfg["clip_param"], kl_coeff=policy.kl_coeff, entropy_coeff=policy.entropy_coeff,
        vf_loss_coeff=cfg["vf_loss_coeff"], vf_clip_param=cfg["vf_clip_param"])
    policy._total_loss = total
    return total


def kl_and_loss_stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """RLlib's PPO learner stats: coefficients, losses, KL, entropy, explained variance."""
    from rlcore.algorithms.ppo.fused_loss import STAT_NAMES

    stats = dict(zip(STAT_NAMES, policy._loss_stats.tolist()))  # one conversion for all of them
    return {
        "cur_kl_coeff": policy.kl_coeff,
        "cur_lr": policy.cur_lr,
        "total_loss": policy._total_loss.item(),
        "policy_loss": stats["policy_loss"],
        "vf_loss": stats["vf_loss"],
        "vf_explained_var": stats["vf_explained_var"],
        "kl": stats["kl"],
        "entropy": stats["entropy"],
        "entropy_coeff": policy.entropy_coeff,
    }


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, KL, learning-rate and entropy-coefficient mixins."""
    TorchValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    KLCoeffMixin.__init__(policy, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    EntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


PPOTorchPolicy = build_torch_policy(
    "PPOTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    optimizer_fn=adam_optimizer,
    loss_fn=ppo_surrogate_loss,
    stats_fn=kl_and_loss_stats,
    postprocess_fn=compute_gae_for_sample_batch,
    before_init=setup_mixins,
    after_init=start_schedules,
    mixins=[TorchValueNetworkMixin, KLCoeffMixin, LearningRateSchedule, EntropyCoeffSchedule],
)
