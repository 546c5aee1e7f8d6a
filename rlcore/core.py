"""The contracts of rlcore, on one screen. Read this module first.

Every layer is written against these protocols, not against concrete classes, so a user's own
worker, operator or batch type fits wherever the protocol fits.

The sampling loop they describe::

    worker: RolloutWorkerLike
    batch = worker.sample()                 # a BatchLike of rollout_fragment_length * num_envs rows
    learner.learn_on_batch(batch)           # somewhere else, usually the local worker
    worker.set_weights(learner.get_weights())

Execution plans chain ``Operator``\\ s over a dataflow iterator. Synchronous (PG, A2C, PPO)::

    rollouts.combine(ConcatBatches(min_batch_size=4000)).for_each(TrainOneStep(workers))

Asynchronous (IMPALA, APPO): workers sample without waiting, a learner thread trains on whatever
arrives, and each batch's worker gets the new weights back::

    learner = LearnerThread(workers.local_worker(), minibatch_buffer_size=1, num_sgd_iter=1,
                            learner_queue_size=16, learner_queue_timeout=300)
    learner.start()
    enqueue = (parallel_rollouts(workers, mode="async").combine(ConcatBatches(500))
               .for_each(Enqueue(learner.inqueue)).zip_with_source_actor()
               .for_each(BroadcastUpdateLearnerWeights(learner, workers, broadcast_interval=1)))
    trained = dequeue(learner.outqueue, check=learner.check_alive)
    plan = concurrently([enqueue, trained], mode="async", output_indexes=[1])
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")
U = TypeVar("U", covariant=True)


@runtime_checkable
class BatchLike(Protocol):
    """A batch of experience: named columns with ``count`` rows (``SampleBatch``, ``MultiAgentBatch``)."""

    count: int

    def copy(self) -> BatchLike: ...

    def size_bytes(self) -> int: ...


@runtime_checkable
class RolloutWorkerLike(Protocol):
    """Anything that produces experience and takes weights: a ``RolloutWorker`` or a user's own."""

    def sample(self) -> BatchLike: ...

    def get_weights(self, policies: list[str] | None = None) -> Mapping[str, Any]: ...

    def set_weights(self, weights: Mapping[str, Any], global_vars: Mapping[str, Any] | None = None) -> None: ...


@runtime_checkable
class Operator(Protocol[T, U]):
    """One stage of an execution plan: a callable object applied by ``for_each`` or ``combine``.

    ``for_each`` operators map one item to one item; ``combine`` operators map one item to a
    list of zero or more items.
    """

    def __call__(self, item: T) -> U: ...


@runtime_checkable
class ParallelIteratorWorker(Protocol):
    """What ``from_actors`` needs of a shard: a generator of items it can be asked for."""

    def par_iter_init(self, transforms: list[Any]) -> None: ...

    def par_iter_next(self) -> Any: ...


@runtime_checkable
class FetchAware(Protocol):
    """An operator told when a new item is about to be fetched (timers and rate limiters use it)."""

    def on_fetch_start(self) -> None: ...


def iterate(worker: RolloutWorkerLike, n: int) -> Iterator[BatchLike]:
    """Draws ``n`` batches from a worker: the smallest use of the contract.

    Examples:
        >>> class Const:
        ...     count = 1
        ...     def sample(self): return self
        ...     def get_weights(self, policies=None): return {}
        ...     def set_weights(self, weights, global_vars=None): pass
        ...     def copy(self): return self
        ...     def size_bytes(self): return 0
        >>> isinstance(Const(), RolloutWorkerLike)
        True
        >>> len(list(iterate(Const(), 3)))
        3
    """
    for _ in range(n):
        yield worker.sample()
