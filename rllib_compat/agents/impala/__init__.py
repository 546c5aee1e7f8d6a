"""``ray.rllib.agents.impala``: the same objects as :mod:`rlcore.algorithms.impala`.

The V-trace policies import their framework, so they load on first access.

Examples:
    >>> from rllib_compat.agents.impala import ImpalaTrainer
    >>> import rlcore.algorithms.impala.impala
    >>> ImpalaTrainer is rlcore.algorithms.impala.impala.ImpalaTrainer
    True
"""

import importlib
from typing import Any

from rlcore.algorithms.impala.impala import DEFAULT_CONFIG, ImpalaTrainer

_POLICIES = {
    "VTraceTFPolicy": "rlcore.algorithms.impala.vtrace_tf_policy",
    "VTraceTorchPolicy": "rlcore.algorithms.impala.vtrace_torch_policy",
}

__all__ = ["DEFAULT_CONFIG", "ImpalaTrainer", *_POLICIES]


def __getattr__(name: str) -> Any:
    if name in _POLICIES:
        return getattr(importlib.import_module(_POLICIES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
