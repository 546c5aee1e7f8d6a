"""Import path ``ray.rllib.utils.replay_buffers``: rlcore's replay buffers, the same objects.

RLlib 1.1-1.4 had no such package (its buffers lived in ``ray.rllib.execution.replay_buffer``,
see :mod:`rllib_compat.execution.replay_buffer`); later releases moved replay buffers here with
a row/unit-based API close to rlcore's, so this path exposes the rlcore classes themselves:
``ReplayBuffer(capacity, storage_unit=...)``, ``PrioritizedReplayBuffer(capacity, alpha=...)``
with ``sample(num_items, beta)`` and ``update_priorities(idxes, priorities)``,
``ReservoirReplayBuffer`` (rlcore's ``ReservoirBuffer``), ``MultiAgentReplayBuffer``,
``ReplayMode`` and ``StorageUnit``. Their arguments are rlcore's, not those of RLlib 2.x.

Examples:
    >>> from rllib_compat.utils.replay_buffers import ReplayBuffer, ReservoirReplayBuffer
    >>> import rlcore.data.replay_buffers as rb
    >>> ReplayBuffer is rb.ReplayBuffer, ReservoirReplayBuffer is rb.ReservoirBuffer
    (True, True)
"""

from rlcore.data.replay_buffers import (
    MultiAgentReplayBuffer,
    PrioritizedReplayBuffer,
    ReplayBuffer,
    ReplayMode,
    ReservoirBuffer,
    StorageUnit,
)

ReservoirReplayBuffer = ReservoirBuffer

__all__ = [
    "MultiAgentReplayBuffer",
    "PrioritizedReplayBuffer",
    "ReplayBuffer",
    "ReplayMode",
    "ReservoirReplayBuffer",
    "StorageUnit",
]
