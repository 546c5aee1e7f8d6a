"""APPO: asynchronous PPO on IMPALA's data flow; defaults, policies, execution plan, trainer.

The policies (``AsyncPPOTorchPolicy``, ``AsyncPPOTFPolicy``) import their framework, so they are
loaded on first access (``from rlcore.algorithms.appo import AsyncPPOTorchPolicy``).

Examples:
    >>> from rlcore.algorithms.appo import APPOTrainer, DEFAULT_CONFIG
    >>> APPOTrainer.__name__, DEFAULT_CONFIG["clip_param"]
    ('APPO', 0.4)
"""

import importlib
from typing import Any

from rlcore.algorithms.appo.appo import (DEFAULT_CONFIG, APPOTrainer, UpdateTargetAndKL, execution_plan,
                                         get_policy_class, initialize_target, validate_config)

_POLICIES = {
    "AsyncPPOTorchPolicy": "rlcore.algorithms.appo.appo_torch_policy",
    "AsyncPPOTFPolicy": "rlcore.algorithms.appo.appo_tf_policy",
}

__all__ = ["DEFAULT_CONFIG", "APPOTrainer", "UpdateTargetAndKL", "execution_plan", "get_policy_class",
           "initialize_target", "validate_config", *_POLICIES]


def __getattr__(name: str) -> Any:
    if name in _POLICIES:
        return getattr(importlib.import_module(_POLICIES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
