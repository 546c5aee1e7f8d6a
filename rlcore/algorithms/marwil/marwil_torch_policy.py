"""MARWILTorchPolicy: advantage-weighted imitation in torch (RLlib 1.x's ``marwil_torch_policy``).

With ``adv = return - V(s)`` and ``c^2`` a moving average of ``mean(adv^2)`` (started at
``moving_average_sqd_adv_norm_start``, moved by ``moving_average_sqd_adv_norm_update_rate``):
``policy_loss = -mean(exp(beta * adv / (1e-8 + c)) * logp(a))`` (the weights carry no gradient),
``vf_loss = 0.5 * mean(adv^2)``, ``total = policy_loss + vf_coeff * vf_loss``. With ``beta=0``
(BC) the weights are 1 and there is no value loss. ``bc_logstd_coeff > 0`` adds the mean log-std
of a Gaussian to ``logp`` (more entropy).

Examples:
    >>> MARWILTorchPolicy.__name__
    'MARWILTorchPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.marwil.defaults import DEFAULT_CONFIG
from rlcore.algorithms.marwil.postprocessing import STATE_KEY, MARWILPostprocessing, postprocess_advantages
from rlcore.algorithms.torch_mixins import TorchValueNetworkMixin, adam_optimizer, explained_variance
from rlcore.data.columns import Columns
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["MARWILTorchPolicy", "MovingAverageSqdAdvNormState", "marwil_loss", "stats", "setup_mixins",
           "reset_moving_average"]


def marwil_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """The MARWIL loss (see the module docstring); keeps its parts on the policy."""
    import torch

    cfg = policy.config
    logits, _ = model.from_batch(train_batch)
    dist = dist_class(logits, model)
    logp = dist.logp(train_batch[Columns.ACTIONS])
    if cfg["beta"] != 0.0:
        returns = train_batch[Columns.ADVANTAGES]
        values = model.value_function().reshape(-1)
        adv = returns - values
        adv_sq = torch.mean(adv ** 2)
        with torch.no_grad():
            norm = policy._moving_average_sqd_adv_norm
            norm.add_(cfg["moving_average_sqd_adv_norm_update_rate"] * (adv_sq - norm))
            weights = torch.exp(cfg["beta"] * (adv / (1e-8 + torch.sqrt(norm))))
            policy._vf_explained_var = explained_variance(returns, values)
        policy.v_loss = 0.5 * adv_sq
    else:
        weights = 1.0
        policy.v_loss = torch.zeros(())
    logstd_coeff = cfg["bc_logstd_coeff"]
    logstds = torch.mean(dist.log_std, dim=1) if logstd_coeff > 0.0 else 0.0
    policy.p_loss = -torch.mean(weights * (logp + logstd_coeff * logstds))
    policy.total_loss = policy.p_loss + cfg["vf_coeff"] * policy.v_loss
    return policy.total_loss


def stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """``policy_loss`` and ``total_loss``; with ``beta != 0`` also ``vf_loss``,
    ``vf_explained_var`` and ``moving_average_sqd_adv_norm``."""
    out = {"policy_loss": policy.p_loss.item(), "total_loss": policy.total_loss.item()}
    if policy.config["beta"] != 0.0:
        out.update(vf_loss=policy.v_loss.item(), vf_explained_var=float(policy._vf_explained_var),
                   moving_average_sqd_adv_norm=float(policy._moving_average_sqd_adv_norm))
    return out


def setup_mixins(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """The value mixin and the ``c^2`` moving average (a no-grad tensor)."""
    import torch

    TorchValueNetworkMixin.__init__(policy, obs_space, action_space, config)
    policy._moving_average_sqd_adv_norm = torch.tensor(float(config["moving_average_sqd_adv_norm_start"]))
    policy._vf_explained_var = 0.0


class MovingAverageSqdAdvNormState:
    """Policy mixin: ``c^2`` (the moving average of ``mean(adv^2)``) is part of the policy state,
    so a checkpoint restores it with the weights (a state without it, from before it was saved,
    leaves the current value)."""

    def get_state(self) -> Dict[str, Any]:
        state = super().get_state()
        state[STATE_KEY] = float(self._moving_average_sqd_adv_norm)
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        super().set_state(state)
        if STATE_KEY in state:
            self._moving_average_sqd_adv_norm.fill_(float(state[STATE_KEY]))


def reset_moving_average(policy: Any, obs_space: Any, action_space: Any, config: Dict[str, Any]) -> None:
    """``after_init``: ``c^2`` back to ``moving_average_sqd_adv_norm_start`` (the loss pass on the
    dummy batch at construction moved it)."""
    policy._moving_average_sqd_adv_norm.fill_(float(config["moving_average_sqd_adv_norm_start"]))


MARWILTorchPolicy = build_torch_policy(
    "MARWILTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    optimizer_fn=adam_optimizer,
    loss_fn=marwil_loss,
    stats_fn=stats,
    postprocess_fn=postprocess_advantages,
    before_init=setup_mixins,
    after_init=reset_moving_average,
    mixins=[MARWILPostprocessing, TorchValueNetworkMixin, MovingAverageSqdAdvNormState],
)
