"""RLlib 1.x import path ``ray.rllib.models.torch``: PyTorch models and distributions (importing a submodule imports torch)."""
