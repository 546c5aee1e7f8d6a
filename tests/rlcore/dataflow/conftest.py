"""Shared Ray fixtures of the dataflow tests: a pool of reusable shard actors.

Starting an actor costs about a second on the test machines, so tests that only need shards
over some generators take them from one pool of long-lived ``ParallelIteratorWorker`` actors,
reset with new generators for each use, instead of creating actors through ``from_iterators``
(which test_operators.py and the fault tests still exercise).
"""

import pytest

POOL_SIZE = 4


def _resettable(base):
    """A subclass of ``base`` whose generator can be replaced (defined locally: pickled by value)."""

    class ResettableWorker(base):
        def __init__(self):
            base.__init__(self, [], False)

        def reset(self, generator, repeat):
            base.__init__(self, generator, repeat)

    return ResettableWorker


class ShardPool:
    """Hands out pool actors round-robin, reset with the given generators."""

    def __init__(self, ray, base, from_actors):
        self.ray, self.from_actors = ray, from_actors
        cls = ray.remote(_resettable(base))
        self.actors = [cls.remote() for _ in range(POOL_SIZE)]
        self.next = 0

    def take(self, generators, repeat=False):
        """Returns actors reset to ``generators`` (distinct actors within one call)."""
        if len(generators) > POOL_SIZE:
            raise ValueError(f"{len(generators)} shards: the pool has {POOL_SIZE}")
        picked = []
        for _ in generators:
            picked.append(self.actors[self.next % POOL_SIZE])
            self.next += 1
        self.ray.get([a.reset.remote(g, repeat) for a, g in zip(picked, generators)], timeout=60)
        return picked

    def par(self, generators, repeat=False, name=None):
        """A parallel iterator over pool actors reset to ``generators``."""
        return self.from_actors(self.take(generators, repeat), name=name)


@pytest.fixture(scope="session")
def rlcore_pool(ray_session):
    """A pool of rlcore ``ParallelIteratorWorker`` actors."""
    from rlcore import dataflow

    return ShardPool(ray_session, dataflow.ParallelIteratorWorker, dataflow.from_actors)


@pytest.fixture(scope="session")
def oracle_pool(ray_session):
    """A pool of ``ray.util.iter.ParallelIteratorWorker`` actors (the oracle)."""
    import ray.util.iter as oracle

    return ShardPool(ray_session, oracle.ParallelIteratorWorker, oracle.from_actors)
