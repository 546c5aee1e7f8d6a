"""RLlib 1.x import path ``ray.rllib.models.tf``: TensorFlow models and distributions (importing a submodule imports tensorflow)."""
