"""A3CTorchPolicy: the advantage actor-critic loss in torch (also A2C's policy).

``loss = -sum(logp(a) * A) + vf_loss_coeff * 0.5 * sum((V - V_target)^2) - entropy_coeff * sum(H)``
over the batch (RLlib 1.x sums, not means; gradients are clipped to ``grad_clip``). Advantages are
GAE (``use_gae``, ``lambda``) or returns minus values; the learning rate and entropy coefficient
follow ``lr_schedule`` / ``entropy_coeff_schedule``.

Examples:
    >>> A3CTorchPolicy.__name__, [c.__name__ for c in A3CTorchPolicy.__mro__[1:4]]
    ('A3CTorchPolicy', ['TorchValueNetworkMixin', 'ValueNetworkMixin', 'LearningRateSchedule'])
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.a3c.defaults import DEFAULT_CONFIG
from rlcore.algorithms.torch_mixins import TorchValueNetworkMixin, adam_optimizer, explained_variance, masked_sum_fn
from rlcore.data.columns import Columns
from rlcore.policy.schedule_mixins import EntropyCoeffSchedule, LearningRateSchedule, start_schedules
from rlcore.policy.torch_policy_template import build_torch_policy
from rlcore.sampling.postprocessing import compute_gae_for_sample_batch

__all__ = ["A3CTorchPolicy", "actor_critic_loss", "loss_and_entropy_stats", "setup_mixins", "start_schedules"]


def actor_critic_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The A3C loss (see the module docstring); keeps its parts on the policy for the stats."""
    logits, _ = model.from_batch(train_batch)
    values = model.value_function().reshape(-1)
    dist = dist_class(logits, model)
    reduce_sum = masked_sum_fn(train_batch, logits.shape[0])
    log_probs = dist.logp(train_batch[Columns.ACTIONS]).reshape(-1)
    policy.entropy = reduce_sum(dist.entropy())
    policy.pi_err = -reduce_sum(log_probs * train_batch[Columns.ADVANTAGES])
    policy.value_err = 0.5 * reduce_sum((values - train_batch[Columns.VALUE_TARGETS]) ** 2)
    policy._vf_explained_var = explained_variance(train_batch[Columns.VALUE_TARGETS], values.detach())
    return policy.pi_err + policy.config["vf_loss_coeff"] * policy.value_err - policy.entropy_coeff * policy.entropy


def loss_and_entropy_stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """``cur_lr``, ``entropy_coeff``, ``policy_entropy``, ``policy_loss``, ``vf_loss``, ``vf_explained_var``."""
    return {
        "cur_lr": policy.cur_lr,
        "entropy_coeff": policy.entropy_coeff,
        "policy_entropy": policy.entropy,
        "policy_loss": policy.pi_err,
        "vf_loss": policy.value_err,
        "vf_explained_var": policy._vf_explained_var,
    }


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """Initialises the value, learning-rate and entropy-coefficient mixins."""
    TorchValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    LearningRateSchedule.__init__(policy, config["lr"], config["lr_schedule"])
    EntropyCoeffSchedule.__init__(policy, config["entropy_coeff"], config["entropy_coeff_schedule"])


A3CTorchPolicy = build_torch_policy(
    "A3CTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    optimizer_fn=adam_optimizer,
    loss_fn=actor_critic_loss,
    stats_fn=loss_and_entropy_stats,
    postprocess_fn=compute_gae_for_sample_batch,
    before_init=setup_mixins,
    after_init=start_schedules,
    mixins=[TorchValueNetworkMixin, LearningRateSchedule, EntropyCoeffSchedule],
)
