"""IMPALA: importance-weighted actor-learner architecture; defaults, V-trace policies, async plan, trainer.

The policies (``VTraceTorchPolicy``, ``VTraceTFPolicy``) import their framework, so they are
loaded on first access (``from rlcore.algorithms.impala import VTraceTorchPolicy``).

Examples:
    >>> from rlcore.algorithms.impala import ImpalaTrainer, DEFAULT_CONFIG
    >>> ImpalaTrainer.__name__, DEFAULT_CONFIG["broadcast_interval"]
    ('IMPALA', 1)
"""

import importlib
from typing import Any

from rlcore.algorithms.impala.impala import (DEFAULT_CONFIG, BroadcastUpdateLearnerWeights, ImpalaTrainer,
                                             execution_plan, get_policy_class, make_learner_thread,
                                             validate_config)

_POLICIES = {
    "VTraceTorchPolicy": "rlcore.algorithms.impala.vtrace_torch_policy",
    "VTraceTFPolicy": "rlcore.algorithms.impala.vtrace_tf_policy",
}

__all__ = ["DEFAULT_CONFIG", "ImpalaTrainer", "BroadcastUpdateLearnerWeights", "execution_plan", "get_policy_class",
           "make_learner_thread", "validate_config", *_POLICIES]


def __getattr__(name: str) -> Any:
    if name in _POLICIES:
        return getattr(importlib.import_module(_POLICIES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
