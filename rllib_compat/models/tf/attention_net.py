"""RLlib 1.x import path ``ray.rllib.models.tf.attention_net``: the same objects as :mod:`rlcore.models.tf.attention_net`.

The memories are RNN state (``[memory, attention_dim]`` per unit), see :mod:`rlcore.models.attention`.
"""

from rlcore.models.tf.attention_net import (
    AttentionWrapper,
    GTrXLNet,
    PositionwiseFeedforward,
    relative_position_embedding,
)

__all__ = ["AttentionWrapper", "GTrXLNet", "PositionwiseFeedforward", "relative_position_embedding"]
