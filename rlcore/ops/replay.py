"""Replay operators: store experience in replay buffers and stream replayed batches out.

- :class:`StoreToReplayBuffer` (``.for_each()``): adds each batch to a local buffer, or to one
  random replay actor, and passes it on;
- :func:`replay` ``(local_buffer= | actors=)``: a stream of replayed batches, ``NOT_READY``
  while the buffer has fewer than ``learning_starts`` steps;
- :class:`ReplayActor`: a :class:`~rlcore.data.MultiAgentReplayBuffer` that is also a
  ``ParallelIteratorWorker`` whose items are ``replay()`` results, so ``from_actors`` reads it,
  in process or as a Ray actor (``ReplayActor.as_remote()``);
- :class:`WaitUntilTimestepsElapsed` (``.filter()``): passes once ``num_steps_sampled`` exceeds a
  target.

The buffers ``StoreToReplayBuffer`` and ``replay`` use need only ``add_batch(batch)`` and
``replay()`` (``None`` when not ready), so a user's own buffer fits. A not-ready buffer yields
``NOT_READY`` (never blocks), so a ``concurrently(..., mode="round_robin")`` plan keeps storing
while the replay side waits for ``learning_starts``.

Examples:
    >>> import numpy as np
    >>> from rlcore.data import SampleBatch
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> buf = ReplayActor(capacity=100, learning_starts=4, replay_batch_size=2, seed=0)
    >>> rollouts = LocalIterator(lambda t: iter([SampleBatch({"obs": np.arange(2.0)})] * 3), SharedMetrics())
    >>> [b.count for b in rollouts.for_each(StoreToReplayBuffer(local_buffer=buf))]
    [2, 2, 2]
    >>> replay(local_buffer=buf).take(1)[0].policy_batches["default_policy"].count
    2
"""

from __future__ import annotations

import platform
import random
from typing import Any, Iterator, Optional, Sequence

from rlcore.data.replay_buffers.multi_agent import MultiAgentReplayBuffer, ReplayMode
from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.creation import from_actors
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import SharedMetrics
from rlcore.dataflow.worker import ParallelIteratorWorker
from rlcore.ops.common import STEPS_SAMPLED_COUNTER, SampleBatchType, _get_shared_metrics, call_actor

__all__ = ["StoreToReplayBuffer", "replay", "ReplayActor", "WaitUntilTimestepsElapsed"]


def _one_of(local_buffer: Any, actors: Optional[Sequence[Any]], op: str) -> None:
    if (local_buffer is None) == (not actors):
        raise ValueError(f"{op}: give exactly one of local_buffer= (a buffer) and actors= (a non-empty list of "
                         f"replay actors), got local_buffer={local_buffer!r}, actors={actors!r}")


class StoreToReplayBuffer:
    """Adds each batch to a replay buffer and passes the batch on (use with ``.for_each()``).

    Args:
        local_buffer: A buffer with ``add_batch(batch)`` in this process.
        actors: Replay actors (Ray handles or in-process ``ReplayActor`` objects); each batch
            goes to one chosen at random (a Ray call is not waited on).
        seed: Seed for choosing the actor.

    Raises:
        ValueError: Unless exactly one of ``local_buffer`` and ``actors`` is given.
    """

    def __init__(self, *, local_buffer: Any = None, actors: Optional[Sequence[Any]] = None, seed: Optional[int] = None):
        _one_of(local_buffer, actors, "StoreToReplayBuffer")
        self.local_actor = local_buffer
        self.replay_actors = list(actors) if actors else None
        self._rng = random.Random(seed)

    def __call__(self, batch: SampleBatchType) -> SampleBatchType:
        if self.local_actor is not None:
            self.local_actor.add_batch(batch)
        else:
            call_actor(self._rng.choice(self.replay_actors), "add_batch", batch)
        return batch


def _none_to_not_ready(it: Iterator[Any]) -> Iterator[Any]:
    for item in it:
        yield NOT_READY if item is None else item


def replay(*, local_buffer: Any = None, actors: Optional[Sequence[Any]] = None, num_async: int = 4) -> LocalIterator[Any]:
    """A stream of batches replayed from a local buffer or from replay actors.

    Args:
        local_buffer: A buffer with ``replay()`` returning a batch, or ``None`` before it has
            ``learning_starts`` steps.
        actors: ``ParallelIteratorWorker`` replay shards (:class:`ReplayActor` objects or Ray
            handles of them), gathered asynchronously (``metrics.current_actor`` is the source,
            for ``update_priorities``).
        num_async: Replay requests in flight per actor.

    Returns:
        A ``LocalIterator`` of replayed batches, yielding ``NOT_READY`` while a buffer is not ready.

    Raises:
        ValueError: Unless exactly one of ``local_buffer`` and ``actors`` is given.
    """
    _one_of(local_buffer, actors, "replay")
    if actors:
        return from_actors(list(actors)).gather_async(num_async=num_async).transform(_none_to_not_ready)

    def replay_locally(timeout: Any = None) -> Iterator[Any]:
        while True:
            item = local_buffer.replay()
            yield NOT_READY if item is None else item

    return LocalIterator(replay_locally, SharedMetrics(), name="replay[local_buffer]")


class ReplayActor(MultiAgentReplayBuffer, ParallelIteratorWorker):
    """A replay shard: per-policy prioritized replay whose items are ``replay()`` results.

    Takes the arguments of :class:`~rlcore.data.MultiAgentReplayBuffer`. As a
    ``ParallelIteratorWorker`` it yields ``replay()`` forever (``None`` until ready), so
    ``replay(actors=[...])`` and ``from_actors`` read it, here or as a Ray actor.

    Examples:
        >>> import numpy as np
        >>> from rlcore.data import SampleBatch
        >>> shard = ReplayActor(capacity=10, learning_starts=2, replay_batch_size=1, seed=0)
        >>> shard.add_batch(SampleBatch({"obs": np.arange(3.0)}))
        >>> shard.par_iter_init([])
        >>> shard.par_iter_next().env_steps()
        1
    """

    def __init__(self, capacity: int = 10000, *, num_shards: int = 1, learning_starts: int = 1000,
                 replay_batch_size: int = 1, alpha: float = 0.6, beta: float = 0.4, eps: float = 1e-6,
                 replay_mode: ReplayMode | str = ReplayMode.INDEPENDENT, replay_sequence_length: int = 1,
                 seed: Optional[int] = None) -> None:
        MultiAgentReplayBuffer.__init__(
            self, capacity, num_shards=num_shards, learning_starts=learning_starts,
            replay_batch_size=replay_batch_size, alpha=alpha, beta=beta, eps=eps, replay_mode=replay_mode,
            replay_sequence_length=replay_sequence_length, seed=seed)

        def replay_forever() -> Iterator[Any]:
            while True:
                yield self.replay()

        ParallelIteratorWorker.__init__(self, replay_forever, False)

    def get_host(self) -> str:
        """The host this shard runs on (to co-locate replay actors with the learner)."""
        return platform.node()

    @classmethod
    def as_remote(cls, num_cpus: float = 0, **options: Any) -> Any:
        """This class as a Ray actor class (``ray`` is imported here); 0 CPUs by default."""
        import ray

        return ray.remote(num_cpus=num_cpus, **options)(cls)


class WaitUntilTimestepsElapsed:
    """A filter that passes once ``num_steps_sampled`` exceeds ``target_num_timesteps``.

    Examples:
        >>> from rlcore.dataflow import LocalIterator, SharedMetrics, get_metrics
        >>> def sample(x):
        ...     get_metrics().counters["num_steps_sampled"] += 10
        ...     return x
        >>> it = LocalIterator(lambda t: iter(range(5)), SharedMetrics()).for_each(sample)
        >>> it.filter(WaitUntilTimestepsElapsed(25)).take(5)
        [2, 3, 4]
    """

    def __init__(self, target_num_timesteps: int):
        if isinstance(target_num_timesteps, bool) or not isinstance(target_num_timesteps, int):
            raise TypeError(f"target_num_timesteps={target_num_timesteps!r}: expected an int")
        self.target_num_timesteps = target_num_timesteps

    def __call__(self, item: Any) -> bool:
        return _get_shared_metrics().counters[STEPS_SAMPLED_COUNTER] > self.target_num_timesteps
