"""``ray.rllib.examples.policy.random_policy``."""

from rlcore.policy.random_policy import RandomPolicy

__all__ = ["RandomPolicy"]
