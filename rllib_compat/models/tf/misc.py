"""RLlib 1.x import path ``ray.rllib.models.tf.misc``: the same objects as :mod:`rlcore.models.tf.tf_modelv2`."""

from rlcore.models.tf.tf_modelv2 import normc_initializer

__all__ = ["normc_initializer"]
