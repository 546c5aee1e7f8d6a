"""``ray.rllib.evaluation``."""
