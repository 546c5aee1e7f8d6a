"""RLlib 1.x import path ``ray.rllib.models.torch.recurrent_net``: the same objects as :mod:`rlcore.models.torch.recurrent_net`."""

from rlcore.models.torch.recurrent_net import LSTMWrapper, RecurrentNetwork

__all__ = ["LSTMWrapper", "RecurrentNetwork"]
