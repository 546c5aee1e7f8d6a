"""ray.util.iter iterators inside rlcore plans: as_local_iterator, union, one metrics context."""

import pytest

from rlcore.dataflow import NOT_READY, LocalIterator, SharedMetrics, as_local_iterator, from_range, get_metrics
from rlcore.dataflow.ray_util_iter import share_metrics_slot


@pytest.fixture
def ray_iter():
    import ray.util.iter as ray_iter

    share_metrics_slot(ray_iter)
    return ray_iter


def ray_list(ray_iter, values):
    """A ray.util.iter LocalIterator over ``values`` (RLlib 1.x's tests' ``iter_list``)."""
    from ray.util.iter_metrics import SharedMetrics as RaySharedMetrics

    return ray_iter.LocalIterator(lambda timeout: iter(values), RaySharedMetrics(), name="values")


def count(name):
    def counting(x):
        get_metrics().counters[name] += 1
        return x

    return counting


def test_rlcore_iterator_is_returned_as_is():
    it = LocalIterator(lambda t: iter([1]), SharedMetrics())
    assert as_local_iterator(it) is it


def test_ray_iterator_is_read_with_items_and_not_ready_mapped(ray_iter):
    src = ray_list(ray_iter, [1, ray_iter._NextValueNotReady(), 2]).for_each(lambda x: x * 10)
    it = as_local_iterator(src)
    assert repr(it) == "LocalIterator[ray.util.iter:values.for_each()]"
    assert it.take(5) == [10, NOT_READY, 20]


def test_counters_of_ray_stages_and_rlcore_stages_land_in_one_context(ray_iter):
    src = ray_list(ray_iter, [1, 2, 3]).for_each(count("in_ray"))
    src.shared_metrics.get().counters["before"] = 5  # kept across the wrap
    it = as_local_iterator(src).for_each(count("in_rlcore"))
    assert list(it) == [1, 2, 3]
    counters = it.shared_metrics.get().counters
    assert (counters["before"], counters["in_ray"], counters["in_rlcore"]) == (5, 3, 3)
    assert src.shared_metrics.get() is it.shared_metrics.get()


def test_ray_get_metrics_inside_rlcore_stage_and_rlcore_get_metrics_inside_ray_stage(ray_iter):
    seen = []

    def in_ray_stage(x):
        seen.append(("rlcore", get_metrics()))
        return x

    def in_rlcore_stage(x):
        seen.append(("ray", ray_iter.LocalIterator.get_metrics()))
        return x

    it = as_local_iterator(ray_list(ray_iter, [1]).for_each(in_ray_stage)).for_each(in_rlcore_stage)
    assert it.take(1) == [1]
    context = it.shared_metrics.get()
    assert seen == [("rlcore", context), ("ray", context)]


def test_outside_any_operator_both_get_metrics_raise_after_ray_stages_ran(ray_iter):
    assert ray_list(ray_iter, [1, 2]).for_each(lambda x: x).filter(lambda x: True).take(2) == [1, 2]
    with pytest.raises(ValueError, match="Cannot access context outside an iterator"):
        get_metrics()
    with pytest.raises(ValueError, match="Cannot access context outside an iterator"):
        ray_iter.LocalIterator.get_metrics()


def test_union_accepts_ray_iterators_and_merges_their_contexts(ray_iter):
    a = from_range(4, num_shards=1, backend="inprocess").gather_sync().for_each(count("rl"))
    b = ray_list(ray_iter, ["x", "y"]).for_each(count("ray"))
    u = a.union(b, deterministic=True)
    assert list(u) == [0, "x", 1, "y", 2, 3]
    counters = u.shared_metrics.get().counters
    assert (counters["rl"], counters["ray"]) == (4, 2) and b.shared_metrics.get() is u.shared_metrics.get()


@pytest.mark.parametrize("make, match", [
    (lambda ray_iter: [1, 2], r"iterator=\[1, 2\]: expected a LocalIterator \(rlcore's or ray.util.iter's\), got list"),
    (lambda ray_iter: from_range(2, num_shards=1, backend="inprocess"), "a ParallelIterator; gather it first"),
], ids=["list", "parallel"])
def test_non_local_iterators_are_type_errors(ray_iter, make, match):
    with pytest.raises(TypeError, match=match):
        as_local_iterator(make(ray_iter))


@pytest.mark.ray
def test_async_union_polls_a_ray_gather_without_blocking(ray_iter, oracle_pool):
    ray_par = oracle_pool.par([range(0, 3), range(3, 6)])
    assert isinstance(ray_par, ray_iter.ParallelIterator)
    with pytest.raises(TypeError, match="gather it first"):
        as_local_iterator(ray_par)
    rl = LocalIterator(lambda t: iter(["a", "b"]), SharedMetrics())
    merged = rl.union(ray_par.gather_async())  # deterministic=False: both children polled with timeout 0
    items = [x for x in merged if x is not NOT_READY]
    assert sorted(map(str, items)) == ["0", "1", "2", "3", "4", "5", "a", "b"]
