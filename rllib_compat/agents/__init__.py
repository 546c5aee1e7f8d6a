"""``ray.rllib.agents``."""
