"""Ape-X's replay shard, in a module of its own: a Ray actor process that unpickles the class
imports this module, which loads the replay buffer and the dataflow worker only, not the trainer
(and with it Ray Tune, pandas and pyarrow: about 1 s and 70 MB per shard).

Examples:
    >>> ApexReplayActor.__module__
    'rlcore.algorithms.apex.replay_actor'
"""

from __future__ import annotations

from typing import Any, Dict

from rlcore.algorithms.dqn.replay_buffer import QReplayBuffer
from rlcore.ops.replay import ReplayActor

__all__ = ["ApexReplayActor"]


class ApexReplayActor(QReplayBuffer, ReplayActor):
    """A replay shard: :class:`~rlcore.ops.replay.ReplayActor` (prioritized per-policy replay on the
    native trees, a ``ParallelIteratorWorker`` of ``replay()`` results) with DQN's
    ``compress_observations``.

    Examples:
        >>> import numpy as np
        >>> from rlcore.data import SampleBatch
        >>> shard = ApexReplayActor(8, learning_starts=2, replay_batch_size=2, compress_observations=True, seed=0)
        >>> shard.add_batch(SampleBatch({"obs": np.ones((3, 2), np.float32), "rewards": np.ones(3, np.float32)}))
        >>> shard.par_iter_init([])
        >>> shard.par_iter_next().policy_batches["default_policy"]["obs"].shape
        (2, 2)
    """

    def whereabouts(self) -> Dict[str, Any]:
        """Where this shard runs: ``{"host", "ip", "pid", "node_id"}`` (named in a failure)."""
        from rlcore.sampling.worker_set import whereabouts

        return whereabouts()
