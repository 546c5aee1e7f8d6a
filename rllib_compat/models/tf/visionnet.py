"""RLlib 1.x import path ``ray.rllib.models.tf.visionnet``: the same objects as :mod:`rlcore.models.tf.visionnet`."""

from rlcore.models.tf.visionnet import VisionNetwork

__all__ = ["VisionNetwork"]
