"""RLlib 1.x import path ``ray.rllib.models.tf.layers``: the attention layers of :mod:`rlcore.models.tf.attention_net`."""

from rlcore.models.tf.attention_net import GRUGate, RelativeMultiHeadAttention, SkipConnection

__all__ = ["GRUGate", "RelativeMultiHeadAttention", "SkipConnection"]
