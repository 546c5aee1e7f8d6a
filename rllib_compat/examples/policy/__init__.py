"""``ray.rllib.examples.policy``."""
