"""RLlib 1.x import path ``ray.rllib.models.tf.recurrent_net``: the same objects as :mod:`rlcore.models.tf.recurrent_net`."""

from rlcore.models.tf.recurrent_net import LSTMWrapper, RecurrentNetwork

__all__ = ["LSTMWrapper", "RecurrentNetwork"]
