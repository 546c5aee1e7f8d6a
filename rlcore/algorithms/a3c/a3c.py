"""A3C: defaults, config checks, the asynchronous-gradients execution plan and the trainer.

Each remote rollout worker samples, computes gradients on its own sample and sends them; the
driver applies each gradient as it arrives and sends the new weights back to that worker only
(RLlib 1.x ``agents/a3c/a3c.py``)::

    async_gradients(workers) -> ApplyGradients(workers, update_all=False) -> standard_metrics_reporting

As in RLlib, ``sample_async: True`` by default: each worker samples in a background thread
(:class:`~rlcore.sampling.async_sampler.AsyncSampler`) while it computes gradients.

Examples:
    >>> DEFAULT_CONFIG["grad_clip"], DEFAULT_CONFIG["vf_loss_coeff"], DEFAULT_CONFIG["min_iter_time_s"]
    (40.0, 0.5, 5)
    >>> validate_config(dict(DEFAULT_CONFIG, entropy_coeff=-1.0))
    Traceback (most recent call last):
    ...
    ValueError: entropy_coeff=-1.0: expected a value >= 0.0
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.a3c.defaults import DEFAULT_CONFIG
from rlcore.algorithms.a3c.a3c_tf_policy import A3CTFPolicy
from rlcore.algorithms.a3c.a3c_torch_policy import A3CTorchPolicy
from rlcore.trainer import build_trainer

__all__ = ["DEFAULT_CONFIG", "A3CTrainer", "execution_plan", "get_policy_class", "validate_config"]


def validate_config(config: Dict[str, Any]) -> None:
    """Checks A3C's keys (RLlib 1.x rules)."""
    if config["entropy_coeff"] < 0:
        raise ValueError(f"entropy_coeff={config['entropy_coeff']!r}: expected a value >= 0.0")
    if config["use_gae"] and not config["use_critic"]:
        raise ValueError("use_gae=True needs use_critic=True (GAE needs a value function)")


def get_policy_class(config: Dict[str, Any]) -> Any:
    """``A3CTorchPolicy`` for ``framework="torch"``, else ``A3CTFPolicy``."""
    return A3CTorchPolicy if config.get("framework") == "torch" else A3CTFPolicy


def execution_plan(workers: Any, config: Dict[str, Any]) -> Any:
    """Gradients computed by the workers, applied as they arrive; weights back to the sender only."""
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.rollout import async_gradients
    from rlcore.ops.train import ApplyGradients

    grads = async_gradients(workers)
    train_op = grads.for_each(ApplyGradients(workers, update_all=False))
    return standard_metrics_reporting(train_op, workers, config)


A3CTrainer = build_trainer(
    name="A3C",
    default_config=DEFAULT_CONFIG,
    default_policy=A3CTFPolicy,
    get_policy_class=get_policy_class,
    validate_config=validate_config,
    execution_plan=execution_plan,
)
