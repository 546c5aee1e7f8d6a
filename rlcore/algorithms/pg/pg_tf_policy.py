"""PGTFPolicy: the vanilla policy-gradient loss ``-mean(logp(a) * return)`` in TensorFlow 2.

Examples:
    >>> PGTFPolicy.__name__
    'PGTFPolicy'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.pg.defaults import DEFAULT_CONFIG
from rlcore.algorithms.pg.utils import ReturnsPostprocessingMixin, post_process_advantages
from rlcore.data.columns import Columns
from rlcore.policy.tf_policy_template import build_tf_policy

__all__ = ["PGTFPolicy", "pg_tf_loss", "pg_loss_stats"]


def pg_tf_loss(policy: Any, model: Any, dist_class: Any, train_batch: Any) -> Any:
    """``-mean(logp(actions) * advantages)``; the advantages are the discounted returns."""
    import tensorflow as tf

    logits, _ = model.from_batch(train_batch)
    action_dist = dist_class(logits, model)
    log_probs = action_dist.logp(train_batch[Columns.ACTIONS])
    policy.pi_err = -tf.reduce_mean(log_probs * train_batch[Columns.ADVANTAGES])
    return policy.pi_err


def pg_loss_stats(policy: Any, train_batch: Any) -> Dict[str, Any]:
    """``{"policy_loss": ...}`` of the last loss."""
    return {"policy_loss": policy.pi_err}


PGTFPolicy = build_tf_policy(
    "PGTFPolicy",
    get_default_config=lambda: DEFAULT_CONFIG,
    loss_fn=pg_tf_loss,
    stats_fn=pg_loss_stats,
    postprocess_fn=post_process_advantages,
    mixins=[ReturnsPostprocessingMixin],
)
