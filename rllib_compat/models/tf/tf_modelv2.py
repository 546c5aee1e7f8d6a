"""RLlib 1.x import path ``ray.rllib.models.tf.tf_modelv2``: the same objects as :mod:`rlcore.models.tf.tf_modelv2`."""

from rlcore.models.tf.tf_modelv2 import TFModelV2

__all__ = ["TFModelV2"]
