"""RLlib 1.x import path ``ray.rllib.models.torch.modules``: the attention modules of :mod:`rlcore.models.torch.attention_net`."""

from rlcore.models.torch.attention_net import GRUGate, RelativeMultiHeadAttention, SkipConnection

__all__ = ["GRUGate", "RelativeMultiHeadAttention", "SkipConnection"]
