"""IMPALA: importance-weighted actor-learner architecture (defaults, V-trace policies, plan, trainer)."""

from rlcore.algorithms.impala.impala import DEFAULT_CONFIG, validate_config

__all__ = ["DEFAULT_CONFIG", "validate_config"]
