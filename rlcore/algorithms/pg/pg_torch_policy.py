"""PGTorchPolicy: the vanilla policy-gradient loss ``-mean(logp(a) * return)`` in torch.

Examples:
    >>> PGTorchPolicy.__name__
    'PGTorchPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.pg.defaults import DEFAULT_CONFIG
from rlcore.algorithms.pg.utils import ReturnsPostprocessingMixin, post_process_advantages
from rlcore.algorithms.torch_mixins import adam_optimizer
from rlcore.data.columns import Columns
from rlcore.policy.torch_policy_template import build_torch_policy

__all__ = ["PGTorchPolicy", "pg_torch_loss", "pg_loss_stats"]


def pg_torch_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """``-mean(logp(actions) * advantages)``; the advantages are the discounted returns."""
    import torch

    logits, _ = model.from_batch(train_batch)
    action_dist = dist_class(logits, model)
    log_probs = action_dist.logp(train_batch[Columns.ACTIONS])
    policy.pi_err = -torch.mean(log_probs * train_batch[Columns.ADVANTAGES])
    return policy.pi_err


def pg_loss_stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """``{"policy_loss": ...}`` of the last loss."""
    return {"policy_loss": policy.pi_err}


PGTorchPolicy = build_torch_policy(
    "PGTorchPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    optimizer_fn=adam_optimizer,
    loss_fn=pg_torch_loss,
    stats_fn=pg_loss_stats,
    postprocess_fn=post_process_advantages,
    mixins=[ReturnsPostprocessingMixin],
)
