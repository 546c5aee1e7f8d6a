"""The Ray backend: async gathering with actors of different speeds, ``num_async`` in flight,
weighted unions, dead actors and remote errors; plus the static check that every Ray call in the
package carries a timeout."""

from __future__ import annotations

import ast
import pathlib
import time

import pytest

from rlcore import dataflow
from rlcore.dataflow import NOT_READY, ShardError

PACKAGE = pathlib.Path(dataflow.__file__).parent


def test_every_ray_get_and_wait_in_the_package_has_a_timeout():
    calls = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get", "wait")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ray"
            ):
                calls.append((path.name, node.lineno, any(k.arg == "timeout" for k in node.keywords)))
    assert len(calls) >= 8
    assert [c for c in calls if not c[2]] == []


def paced(tag, delay, n=None):
    """A generator factory: items ``(tag, i)``, one every ``delay`` seconds (forever if n is None)."""

    def gen():
        i = 0
        while n is None or i < n:
            time.sleep(delay)
            yield (tag, i)
            i += 1

    return gen


def make_counting_worker_cls():
    class CountingWorker(dataflow.ParallelIteratorWorker):
        """Counts the batch requests it has received."""

        def __init__(self, tag):
            super().__init__(lambda: ((tag, i) for i in range(10**9)), repeat=False)
            self.calls = 0

        def par_iter_next_batch(self, batch_ms):
            self.calls += 1
            return super().par_iter_next_batch(batch_ms)

        def get_calls(self):
            return self.calls

    return CountingWorker


def make_weighted_worker_cls():
    class WeightedSampler(dataflow.ParallelIteratorWorker):
        """Samples carry the weights the worker had when it produced them."""

        def __init__(self):
            self.n, self.weights = 0, 0
            super().__init__(lambda: (self.sample() for _ in iter(int, 1)), repeat=False)

        def sample(self):
            self.n += 1
            return (self.n, self.weights)

        def set_weights(self, weights):
            self.weights = weights

    return WeightedSampler


def drain_for(it, seconds, want=None):
    """Reads ``it`` for at most ``seconds``; returns (items, ShardErrors, elapsed)."""
    items, errors, t0 = [], [], time.monotonic()
    while time.monotonic() - t0 < seconds and (want is None or len(items) < want):
        try:
            x = next(it)
        except StopIteration:
            break
        except ShardError as err:
            errors.append((err, time.monotonic() - t0))
            continue
        if x is not NOT_READY:
            items.append(x)
    return items, errors, time.monotonic() - t0


@pytest.mark.ray
@pytest.mark.timeout(60)
def test_gather_async_yields_from_the_fast_shard_first(ray_mod, rlcore_pool):
    par = rlcore_pool.par([paced("slow", 0.5, 3), paced("fast", 0.0, 20)])
    it = par.gather_async().zip_with_source_actor()
    first = [next(it) for _ in range(5)]
    assert [item[0] for _, item in first] == ["fast"] * 5
    assert {id(actor) for actor, _ in first} == {id(par.shard_sets[0].shards[1])}


@pytest.mark.ray
@pytest.mark.timeout(60)
@pytest.mark.parametrize("num_async", [1, 3])
def test_num_async_bounds_requests_in_flight_per_shard(ray_mod, num_async):
    cls = ray_mod.remote(make_counting_worker_cls())
    workers = [cls.remote("a"), cls.remote("b")]
    it = dataflow.from_actors(workers).gather_async(num_async=num_async).zip_with_source_actor()
    consumed = {"a": 0, "b": 0}
    for _ in range(9):
        _, (tag, _) = next(it)
        consumed[tag] += 1
    # An actor runs the calls of one caller in the order they were sent: get_calls, sent after every
    # batch request the gatherer sent from this thread, counts them all (no sleep, no race).
    calls = dict(zip("ab", ray_mod.get([w.get_calls.remote() for w in workers], timeout=30)))
    in_flight = {tag: calls[tag] - consumed[tag] for tag in "ab"}
    assert in_flight == {"a": num_async, "b": num_async}


@pytest.mark.ray
@pytest.mark.timeout(60)
def test_star_weight_polls_a_slow_ray_stream_without_blocking(ray_mod, rlcore_pool):
    fast = rlcore_pool.par([range(10**6)]).gather_sync()
    slow = rlcore_pool.par([paced("slow", 0.2)]).gather_async()
    u = fast.union(slow, round_robin_weights=[1, "*"])
    next(u)  # start both
    t0 = time.monotonic()
    out = u.take(300)
    elapsed = time.monotonic() - t0
    slow_items = [x for x in out if isinstance(x, tuple)]
    assert len(out) == 300 and NOT_READY not in out
    assert len(slow_items) <= elapsed / 0.2 + 2  # never waited for the slow stream
    assert elapsed < 0.2 * (300 - len(slow_items))


@pytest.mark.ray
@pytest.mark.timeout(60)
def test_not_ready_passes_through_async_ray_union_and_never_reaches_fns(ray_mod, rlcore_pool):
    def check(x):
        assert x is not NOT_READY
        return x

    a = rlcore_pool.par([paced("a", 0.05, 6)]).gather_async().for_each(check)
    b = rlcore_pool.par([paced("b", 0.02, 6)]).gather_async().filter(check)
    out = list(a.union(b).for_each(check))
    assert sorted(out) == sorted([("a", i) for i in range(6)] + [("b", i) for i in range(6)])


@pytest.mark.ray
@pytest.mark.timeout(60)
@pytest.mark.parametrize("gather,kwargs", [("gather_async", {}), ("gather_async", {"num_async": 3}), ("gather_sync", {})])
def test_dead_actor_is_detected_in_bounded_time_and_the_rest_go_on(ray_mod, gather, kwargs):
    par = dataflow.from_iterators([paced(t, 0.01) for t in ("s0", "s1")], backend="ray")
    it = getattr(par, gather)(**kwargs)
    assert len(drain_for(it, 10, want=6)[0]) == 6
    ray_mod.kill(par.shard_sets[0].shards[1])
    items, errors, _ = drain_for(it, 15, want=40)
    assert len(errors) == 1
    err, after = errors[0]
    assert after < 10
    assert (err.shard_index, err.stage) == (1, f"{gather}()")
    assert "ActorDiedError" in str(err) or "died" in str(err).lower()
    assert len(items) == 40
    assert {tag for tag, _ in items[-20:]} == {"s0"}


def broken_after(n):
    def gen():
        yield from range(n)
        raise KeyError("remote generator broke")

    return gen


def explode(x):
    if x == 3:
        raise ValueError("explode on 3")
    return x


@pytest.mark.ray
@pytest.mark.timeout(60)
def test_remote_errors_name_shard_and_stage_with_the_remote_traceback(ray_mod, rlcore_pool):
    par = rlcore_pool.par([broken_after(2), range(10, 20)], name="from_iterators[shards=2]")
    items, errors, _ = drain_for(par.gather_sync(), 20)
    assert sorted(items) == [0, 1, *range(10, 20)]
    (err, _), = errors
    assert (err.shard_index, err.stage) == (0, "from_iterators[shards=2]")
    assert "KeyError" in str(err) and "in gen" in err.original_traceback

    par2 = rlcore_pool.par([range(0, 4), range(4, 8)], name="from_range[8, shards=2]").for_each(explode)
    items, errors, _ = drain_for(par2.gather_async(), 20)
    assert sorted(items) == [0, 1, 2, 4, 5, 6, 7]
    assert [(e.shard_index, e.stage) for e, _ in errors] == [(0, "for_each(explode)")]
    assert "explode on 3" in str(errors[0][0]) and "in explode" in errors[0][0].original_traceback


def double(x):
    return 2 * x


@pytest.mark.ray
@pytest.mark.timeout(60)
def test_explain_reads_stage_counters_from_the_actors(ray_mod, rlcore_pool):
    par = rlcore_pool.par([range(0, 3), range(3, 6)], name="from_range[6, shards=2]")
    it = par.for_each(double).gather_sync().batch(2)
    assert list(it) == [[0, 6], [2, 8], [4, 10]]
    text = it.explain()
    assert "gather_sync()  items=6" in text
    assert "shards 0..1 (ray)  items=6" in text
    assert "for_each(double)  items=6" in text
    assert "from_range[6, shards=2]  items=6" in text


@pytest.mark.ray
@pytest.mark.timeout(60)
def test_from_actors_rejects_a_mix_of_actors_and_local_objects(ray_mod, rlcore_pool):
    actor = rlcore_pool.actors[0]
    with pytest.raises(TypeError, match="not a mix"):
        dataflow.from_actors([actor, dataflow.ParallelIteratorWorker([2], False)])


@pytest.mark.ray
@pytest.mark.timeout(60)
@pytest.mark.parametrize("gather", ["gather_sync", "batch_across_shards"])
def test_sync_gathers_keep_fetch_ordering(ray_mod, gather):
    """fn(x_i) runs before x_{i+1} is requested: a weight update reaches the next sample."""
    workers = [ray_mod.remote(make_weighted_worker_cls()).remote() for _ in range(2)]

    def broadcast(item):
        n = item[0][0] if gather == "batch_across_shards" else item[0]
        ray_mod.get([w.set_weights.remote(n) for w in workers], timeout=30)
        return item

    out = getattr(dataflow.from_actors(workers), gather)().for_each(broadcast).take(6)
    samples = [s for r in out for s in r] if gather == "batch_across_shards" else out
    for i in range(2, len(samples)):  # each round saw the update made after the previous round
        n, weights = samples[i]
        assert weights == n - 1


def consume(it):
    return list(it)


@pytest.mark.ray
@pytest.mark.timeout(60)
def test_a_shard_iterator_is_serializable_and_readable_in_a_remote_task(ray_mod, rlcore_pool):
    par = rlcore_pool.par([range(0, 3), range(3, 6)]).for_each(double)
    shard = par.get_shard(1)
    assert ray_mod.get(ray_mod.remote(consume).remote(shard), timeout=60) == [6, 8, 10]
