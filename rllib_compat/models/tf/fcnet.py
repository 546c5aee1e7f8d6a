"""RLlib 1.x import path ``ray.rllib.models.tf.fcnet``: the same objects as :mod:`rlcore.models.tf.fcnet`."""

from rlcore.models.tf.fcnet import FullyConnectedNetwork

__all__ = ["FullyConnectedNetwork"]
