"""build_torch_policy: the torch flavour of :func:`build_policy_class` (RLlib 1.x name).

Examples:
    >>> P = build_torch_policy("P", loss_fn=lambda policy, model, dist_class, batch: None)
    >>> from rlcore.policy.torch_policy import TorchPolicy
    >>> issubclass(P, TorchPolicy)
    True
"""

from __future__ import annotations

from typing import Any

from rlcore.policy.policy_template import build_policy_class

__all__ = ["build_torch_policy"]


def build_torch_policy(name: str, **kwargs: Any) -> type:
    """``build_policy_class(name, framework="torch", **kwargs)``; see there for the hooks.

    Args:
        name: the class name.
        **kwargs: the builder arguments (``loss_fn``, ``stats_fn``, ``postprocess_fn``, ...).
    """
    return build_policy_class(name, "torch", **kwargs)
