"""``ray.rllib.execution.replay_ops``: the same objects as :mod:`rlcore.ops.replay` and
:mod:`rlcore.ops.mix_in_replay`.

Examples:
    >>> from rllib_compat.execution.replay_ops import Replay
    >>> import rlcore.ops
    >>> Replay is rlcore.ops.replay
    True
"""

from rlcore.ops.mix_in_replay import MixInReplay, SimpleReplayBuffer
from rlcore.ops.replay import StoreToReplayBuffer, WaitUntilTimestepsElapsed
from rlcore.ops.replay import replay as Replay

__all__ = ["StoreToReplayBuffer", "Replay", "WaitUntilTimestepsElapsed", "SimpleReplayBuffer", "MixInReplay"]
