"""Replay buffers over columnar storage: uniform, prioritized, reservoir, lockstep and multi-agent.

All of them keep one preallocated numpy array per column (:class:`ColumnStorage`), count
capacity in timesteps, draw from a seeded ``np.random.default_rng`` and return sampled rows as a
new :class:`~rlcore.data.sample_batch.SampleBatch`.

Examples:
    >>> from rlcore.data.replay_buffers import PrioritizedReplayBuffer, ReplayBuffer
    >>> issubclass(PrioritizedReplayBuffer, ReplayBuffer)
    True
"""

from rlcore.data.replay_buffers.column_storage import ColumnStorage
from rlcore.data.replay_buffers.lockstep import LockstepReplayBuffer
from rlcore.data.replay_buffers.multi_agent import MultiAgentReplayBuffer, ReplayMode
from rlcore.data.replay_buffers.prioritized import PrioritizedReplayBuffer
from rlcore.data.replay_buffers.reservoir import ReservoirBuffer
from rlcore.data.replay_buffers.uniform import ReplayBuffer, StorageUnit

__all__ = [
    "ColumnStorage",
    "LockstepReplayBuffer",
    "MultiAgentReplayBuffer",
    "PrioritizedReplayBuffer",
    "ReplayBuffer",
    "ReplayMode",
    "ReservoirBuffer",
    "StorageUnit",
]
