"""ParallelIterator on the in-process backend: user shard classes (RolloutWorker style), the
protocol minimum, message passing to the source shard, explain and backend selection."""

from __future__ import annotations

import pytest

from rlcore import dataflow
from rlcore.core import ParallelIteratorWorker as WorkerProtocol
from rlcore.dataflow import ParallelIteratorWorker, from_actors


class Sampler(ParallelIteratorWorker):
    """A rollout-worker-like shard: an endless generator over ``sample()``, weights settable."""

    def __init__(self, shard_id):
        self.shard_id, self.n, self.weights = shard_id, 0, 0
        ParallelIteratorWorker.__init__(self, lambda: (self.sample() for _ in iter(int, 1)), False)

    def sample(self):
        self.n += 1
        return (self.shard_id, self.n, self.weights)

    def set_weights(self, w):
        self.weights = w


class ProtocolOnly:
    """Only what rlcore.core.ParallelIteratorWorker states: par_iter_init and par_iter_next."""

    def __init__(self, items):
        self.items = items

    def par_iter_init(self, transforms):
        it = dataflow.LocalIterator(lambda timeout: iter(self.items), dataflow.SharedMetrics())
        for fn in transforms:
            it = fn(it)
        self.it = iter(it)

    def par_iter_next(self):
        return next(self.it)


def test_user_worker_subclass_in_process():
    workers = [Sampler(0), Sampler(1)]
    assert all(isinstance(w, WorkerProtocol) for w in workers)
    assert from_actors(workers).gather_sync().take(4) == [(0, 1, 0), (1, 1, 0), (0, 2, 0), (1, 2, 0)]
    rounds = from_actors(workers).batch_across_shards()
    assert next(rounds) == [(0, 3, 0), (1, 3, 0)]


def test_message_passing_to_the_source_shard_before_its_next_item():
    """Fetch ordering: fn(x_i) runs before x_{i+1} is fetched from the same shard."""
    workers = [Sampler(0), Sampler(1)]
    it = from_actors(workers).gather_async().zip_with_source_actor()
    it = it.for_each(lambda pair: pair[0].set_weights(pair[1][1]) or pair[1])
    out = it.take(6)
    for shard_id, n, weights in out:
        assert weights == (n - 1 if n > 1 else 0)


@pytest.mark.parametrize("gather", ["gather_sync", "gather_async"])
def test_protocol_only_objects_are_accepted(gather):
    par = from_actors([ProtocolOnly([1, 2]), ProtocolOnly([3])]).for_each(lambda x: x * 10)
    assert sorted(getattr(par, gather)()) == [10, 20, 30]


def test_explain_of_a_parallel_iterator_sums_stage_counters_over_shards():
    par = dataflow.from_range(10, num_shards=2, backend="inprocess").filter(lambda x: x % 3).batch(2)
    assert list(par.gather_sync()) == [[1, 2], [5, 7], [4], [8]]
    text = par.explain()
    assert text.splitlines()[0] == "ParallelIterator[from_range[10, shards=2].filter().batch(2)]"
    assert "shards 0..1 (inprocess)  items=4" in text
    assert "batch(2)  items=4" in text and "filter(<lambda>)  items=6" in text
    assert "from_range[10, shards=2]  items=10" in text


def test_repartition_in_process_keeps_every_item():
    par = dataflow.from_range(10, num_shards=3, backend="inprocess").for_each(lambda x: x + 100).repartition(4)
    assert par.num_shards() == 4
    assert sorted(x for shard in par.shards() for x in shard) == list(range(100, 110))


def test_union_across_backends_is_refused(monkeypatch):
    a = dataflow.from_range(2, backend="inprocess")
    b = dataflow.from_range(2, backend="inprocess")
    b.backend = type("FakeRay", (), {"name": "ray"})()
    with pytest.raises(TypeError, match="same backend"):
        a.union(b)


@pytest.mark.parametrize("imports", ["", "import ray; "])
def test_default_backend_is_in_process_without_a_ray_session(imports):
    """Ray not imported, or imported with no session: in-process. A fresh process, since the suite's
    own Ray session may be up in this one."""
    import subprocess
    import sys

    code = f"{imports}from rlcore import dataflow; print(dataflow.from_range(2).backend.name)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["inprocess"], done.stderr[-2000:]


@pytest.mark.ray
def test_default_backend_is_ray_with_a_ray_session(ray_session):
    from rlcore.dataflow.creation import resolve_backend

    assert resolve_backend(None).name == "ray"
