"""RLlib 1.x import path ``ray.rllib.execution.replay_buffer``: RLlib's replay surface over
rlcore's columnar buffers.

* ``ReplayBuffer(size)``: stores each added batch as one *item* (``add(item, weight)``) and
  ``sample(num_items)`` returns the rows of ``num_items`` random items concatenated. ``size`` is in
  timesteps; unlike RLlib, the oldest whole items are evicted so that at most ``size`` rows are
  held (RLlib's ring could overshoot by one item). Items are SampleBatches (columns must match).
* ``PrioritizedReplayBuffer(size, alpha)``: the same, with ``add(item, weight)`` using ``weight``
  (or the max priority when None) as the item's priority, ``sample(num_items, beta)`` adding
  ``weights`` (float32) and ``batch_indexes`` repeated over each item's rows, and
  ``update_priorities(idxes, priorities)``. ``alpha = 0`` is allowed (uniform).
* ``LocalReplayBuffer(...)``: :class:`rlcore.data.replay_buffers.MultiAgentReplayBuffer` with
  RLlib's argument names, and a ``ParallelIteratorWorker`` whose items are ``replay()`` results,
  so ``from_actors`` can read it. ``ReplayActor`` is ``ray.remote(num_cpus=0)(LocalReplayBuffer)``,
  created on first access (importing this module does not import ray).

Each class is a thin subclass of the rlcore class, so ``isinstance`` against rlcore works.

Examples:
    >>> import numpy as np
    >>> from rllib_compat.execution.replay_buffer import PrioritizedReplayBuffer
    >>> from rllib_compat.policy.sample_batch import SampleBatch
    >>> buf = PrioritizedReplayBuffer(100, alpha=0.6)
    >>> buf.add(SampleBatch({"obs": np.zeros(3)}), weight=None)
    >>> b = buf.sample(2, beta=0.4)
    >>> b.count, b["batch_indexes"].tolist()
    (6, [0, 0, 0, 0, 0, 0])
    >>> buf.update_priorities([0], [2.0])
"""

from __future__ import annotations

import platform
from typing import Any

from rlcore.data.replay_buffers import multi_agent as _multi_agent
from rlcore.data.replay_buffers import prioritized as _prioritized
from rlcore.data.replay_buffers import uniform as _uniform
from rlcore.dataflow.worker import ParallelIteratorWorker

__all__ = ["ReplayBuffer", "PrioritizedReplayBuffer", "LocalReplayBuffer"]  # ReplayActor: lazy, imports ray


class ReplayBuffer(_uniform.ReplayBuffer):
    """RLlib's ``ReplayBuffer(size)``: a FIFO of whole batches, ``size`` counted in timesteps.

    Args:
        size: Timesteps held at most.
        seed: Seed of the sampling RNG (RLlib used the global ``random`` module).
    """

    def __init__(self, size: int, *, seed: int | None = None) -> None:
        _uniform.ReplayBuffer.__init__(self, size, storage_unit="items", seed=seed)

    def add(self, item, weight: float | None = None) -> None:
        """Stores ``item`` (a SampleBatch) as one unit; ``weight`` is ignored (uniform replay)."""
        _uniform.ReplayBuffer.add(self, item)

    def sample(self, num_items: int):
        """The rows of ``num_items`` items drawn uniformly with replacement, concatenated."""
        return _uniform.ReplayBuffer.sample(self, num_items)


class PrioritizedReplayBuffer(ReplayBuffer, _prioritized.PrioritizedReplayBuffer):
    """RLlib's ``PrioritizedReplayBuffer(size, alpha)`` over rlcore's native sum/min trees.

    Args:
        size: Timesteps held at most.
        alpha: Priority exponent (>= 0).
        seed: Seed of the sampling RNG.
    """

    def __init__(self, size: int, alpha: float = 0.6, *, seed: int | None = None) -> None:
        _prioritized.PrioritizedReplayBuffer.__init__(self, size, alpha=alpha, storage_unit="items", seed=seed)

    def add(self, item, weight: float | None = None) -> None:
        """Stores ``item`` with priority ``weight`` (the max priority so far when None)."""
        _prioritized.PrioritizedReplayBuffer.add(self, item, priorities=None if weight is None else [weight])

    def sample(self, num_items: int, beta: float = 0.4):
        """``num_items`` items drawn by priority, with ``weights`` and ``batch_indexes`` columns."""
        return _prioritized.PrioritizedReplayBuffer.sample(self, num_items, beta)


class LocalReplayBuffer(_multi_agent.MultiAgentReplayBuffer, ParallelIteratorWorker):
    """RLlib's replay shard: per-policy prioritized buffers, iterable as a ParallelIteratorWorker.

    Arguments are RLlib's (``buffer_size``, ``prioritized_replay_alpha`` ...), mapped onto
    :class:`rlcore.data.replay_buffers.MultiAgentReplayBuffer`.

    Examples:
        >>> import numpy as np
        >>> from rllib_compat.policy.sample_batch import SampleBatch
        >>> buf = LocalReplayBuffer(learning_starts=4, buffer_size=100, replay_batch_size=2)
        >>> buf.add_batch(SampleBatch({"obs": np.arange(4.0)}))
        >>> buf.par_iter_init([])
        >>> buf.par_iter_next().policy_batches["default_policy"].count
        2
    """

    def __init__(
        self,
        num_shards: int = 1,
        learning_starts: int = 1000,
        buffer_size: int = 10000,
        replay_batch_size: int = 1,
        prioritized_replay_alpha: float = 0.6,
        prioritized_replay_beta: float = 0.4,
        prioritized_replay_eps: float = 1e-6,
        replay_mode: str = "independent",
        replay_sequence_length: int = 1,
        *,
        seed: int | None = None,
    ) -> None:
        _multi_agent.MultiAgentReplayBuffer.__init__(
            self,
            buffer_size,
            num_shards=num_shards,
            learning_starts=learning_starts,
            replay_batch_size=replay_batch_size,
            alpha=prioritized_replay_alpha,
            beta=prioritized_replay_beta,
            eps=prioritized_replay_eps,
            replay_mode=replay_mode,
            replay_sequence_length=replay_sequence_length,
            seed=seed,
        )
        self.buffer_size = self.capacity
        self.prioritized_replay_beta = self.beta
        self.prioritized_replay_eps = self.eps

        def gen_replay():
            while True:
                yield self.replay()

        ParallelIteratorWorker.__init__(self, gen_replay, False)

    def get_host(self) -> str:
        """The host name this shard runs on (used to co-locate replay actors)."""
        return platform.node()


_replay_actor = None


def __getattr__(name: str) -> Any:
    if name == "ReplayActor":
        global _replay_actor
        if _replay_actor is None:
            import ray

            _replay_actor = ray.remote(num_cpus=0)(LocalReplayBuffer)
        return _replay_actor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
