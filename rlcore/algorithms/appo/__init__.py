"""APPO: asynchronous PPO on IMPALA's data flow (defaults, policies, plan, trainer)."""

from rlcore.algorithms.appo.appo import DEFAULT_CONFIG, validate_config

__all__ = ["DEFAULT_CONFIG", "validate_config"]
