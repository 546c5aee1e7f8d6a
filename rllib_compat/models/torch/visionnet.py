"""RLlib 1.x import path ``ray.rllib.models.torch.visionnet``: the same objects as :mod:`rlcore.models.torch.visionnet`."""

from rlcore.models.torch.visionnet import VisionNetwork

__all__ = ["VisionNetwork"]
