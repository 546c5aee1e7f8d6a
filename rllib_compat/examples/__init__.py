"""``ray.rllib.examples``."""
