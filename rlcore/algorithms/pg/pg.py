"""PG: defaults, policy choice and the trainer (RLlib 1.x ``agents/pg/pg.py``).

The execution plan is the trainer template's default: synchronous rollouts concatenated to
``train_batch_size``, one ``learn_on_batch`` per batch, weights broadcast, metrics reported.

Examples:
    >>> DEFAULT_CONFIG["lr"], DEFAULT_CONFIG["num_workers"]
    (0.0004, 0)
    >>> get_policy_class({"framework": "torch"}).__name__, get_policy_class({"framework": "tf2"}).__name__
    ('PGTorchPolicy', 'PGTFPolicy')
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.pg.defaults import DEFAULT_CONFIG
from rlcore.algorithms.pg.pg_tf_policy import PGTFPolicy
from rlcore.algorithms.pg.pg_torch_policy import PGTorchPolicy
from rlcore.trainer import build_trainer

__all__ = ["DEFAULT_CONFIG", "PGTrainer", "get_policy_class"]


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``PGTorchPolicy`` for ``framework="torch"``, else ``PGTFPolicy``."""
    return PGTorchPolicy if config.get("framework") == "torch" else PGTFPolicy


PGTrainer = build_trainer(
    name="PG",
    default_config=DEFAULT_CONFIG,
    default_policy=PGTFPolicy,
    get_policy_class=get_policy_class,
)
