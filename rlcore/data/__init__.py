"""Experience data: columns, SampleBatch, MultiAgentBatch, the wire codec (and replay buffers).

Importing this package imports neither torch, tensorflow nor ray.

Examples:
    >>> from rlcore.data import SampleBatch, Columns
    >>> SampleBatch({Columns.OBS: [0, 1]}).count
    2
"""

from rlcore.data.columns import Columns
from rlcore.data.concat import concat_samples
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch

__all__ = [
    "Columns",
    "DEFAULT_POLICY_ID",
    "SampleBatch",
    "MultiAgentBatch",
    "concat_samples",
]

# --- Re-exports owned by other engineers (replay buffers, view requirements) go below. ---------
# Add `from rlcore.data.<module> import <Name>` here and append the names to __all__.
from rlcore.data.replay_buffers import (  # noqa: E402
    LockstepReplayBuffer,
    MultiAgentReplayBuffer,
    PrioritizedReplayBuffer,
    ReplayBuffer,
    ReplayMode,
    ReservoirBuffer,
    StorageUnit,
)
from rlcore.data.view_requirement import ViewRequirement  # noqa: E402

__all__ += [
    "LockstepReplayBuffer",
    "MultiAgentReplayBuffer",
    "PrioritizedReplayBuffer",
    "ReplayBuffer",
    "ReplayMode",
    "ReservoirBuffer",
    "StorageUnit",
    "ViewRequirement",
]
