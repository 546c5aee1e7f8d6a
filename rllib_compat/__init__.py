"""RLlib 1.x's ``ray.rllib`` on rlcore: 1.x programs run after renaming ``ray.rllib`` to ``rllib_compat``.

As ``import ray.rllib`` did, importing ``rllib_compat`` (or any module under it) makes rlcore's
trainers Ray Tune trainables under their 1.x names: ``tune.run("PPO", ...)`` and YAML experiments
with ``run: PPO`` run rlcore's trainers, and Tune's fallback for names it does not know never
imports ``ray.rllib``, so an RLlib 2.x installed beside it cannot run instead
(:mod:`rllib_compat.tune._registration`). It also lets ``ray.util.iter`` pipelines and rlcore's
execution operators share one metrics context (:mod:`rlcore.dataflow.ray_util_iter`), and makes
``ray.init(local_mode=True)`` name its replacement (:func:`rllib_compat._absent.guard_local_mode`).

These take effect when Ray, Ray Tune or ``ray.util.iter`` is imported (at once if it already is):
importing ``rllib_compat`` imports neither Ray, torch nor TensorFlow.

The top-level names are those of 1.x's ``ray/rllib/__init__.py`` that exist in rlcore (``Policy``,
``TFPolicy``, ``TorchPolicy``, ``RolloutWorker``, ``SampleBatch``, ``BaseEnv``, ``MultiAgentEnv``,
``VectorEnv``): the same objects as their 1.x module paths give, imported on first use. 1.x's
``ExternalEnv`` is not provided.

Examples:
    >>> import rllib_compat
    >>> from rllib_compat.policy.policy import Policy
    >>> from rllib_compat.evaluation.rollout_worker import RolloutWorker
    >>> rllib_compat.Policy is Policy, rllib_compat.RolloutWorker is RolloutWorker
    (True, True)
"""

import importlib
from typing import Any, List

from rlcore.dataflow.ray_util_iter import share_metrics_slot
from rllib_compat._absent import guard_local_mode
from rllib_compat.tune._registration import install as _install_tune_registration
from rllib_compat.util._on_import import when_imported as _when_imported

_install_tune_registration()
_when_imported("ray.util.iter", share_metrics_slot)
_when_imported("ray", guard_local_mode)

#: 1.x's top-level names -> the 1.x module path they come from (imported on first access).
_EXPORTS = {
    "Policy": "rllib_compat.policy.policy",
    "TFPolicy": "rllib_compat.policy.tf_policy",
    "TorchPolicy": "rllib_compat.policy.torch_policy",
    "RolloutWorker": "rllib_compat.evaluation.rollout_worker",
    "SampleBatch": "rllib_compat.policy.sample_batch",
    "BaseEnv": "rllib_compat.env.base_env",
    "ExternalEnv": "rllib_compat.env.external_env",
    "MultiAgentEnv": "rllib_compat.env.multi_agent_env",
    "VectorEnv": "rllib_compat.env.vector_env",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """1.x's top-level names, imported on first use so that importing a submodule stays light."""
    path = _EXPORTS.get(name)
    if path is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(path), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(_EXPORTS))
