"""RLlib 1.x import path ``ray.rllib.models.torch.attention_net``: the same objects as :mod:`rlcore.models.torch.attention_net`.

The memories are RNN state (``[memory, attention_dim]`` per unit), see :mod:`rlcore.models.attention`.
"""

from rlcore.models.torch.attention_net import AttentionWrapper, GTrXLNet

__all__ = ["AttentionWrapper", "GTrXLNet"]
