"""Faults on the in-process backend: errors name the shard and stage, keep the traceback, and
the consumer can go on with the remaining shards. (The Ray versions are in test_ray_backend.py.)"""

from __future__ import annotations

import pytest

from rlcore import dataflow
from rlcore.dataflow import ShardError


def failing_generator(n_ok):
    def gen():
        yield from range(100, 100 + n_ok)
        raise KeyError("generator broke")

    return gen


def boom(x):
    if x == 11:
        raise ZeroDivisionError("bad item 11")
    return x


def drain(it):
    """Consumes ``it``; returns (items, errors), continuing after each ShardError."""
    items, errors = [], []
    while True:
        try:
            x = next(it)
        except StopIteration:
            return items, errors
        except ShardError as err:
            errors.append(err)
            continue
        if x is not dataflow.NOT_READY:
            items.append(x)


def three_shards():
    return dataflow.from_iterators([range(0, 3), failing_generator(2), range(10, 13)], backend="inprocess")


GATHERS = {
    "gather_sync": lambda p: p.gather_sync(),
    "gather_async": lambda p: p.gather_async(),
    "batch_across_shards": lambda p: p.batch_across_shards().flatten(),
}


@pytest.mark.parametrize("gather", sorted(GATHERS))
def test_generator_error_names_shard_and_stage_and_the_rest_continues(gather):
    items, errors = drain(GATHERS[gather](three_shards()))
    assert sorted(items) == [0, 1, 2, 10, 11, 12, 100, 101]
    assert len(errors) == 1
    err = errors[0]
    assert err.shard_index == 1
    assert err.stage == "from_iterators[shards=3]"
    assert "shard 1 of ParallelIterator[from_iterators[shards=3]]" in str(err)
    assert "KeyError: 'generator broke'" in str(err)
    assert "in gen" in err.original_traceback and "raise KeyError" in err.original_traceback
    assert isinstance(err.__cause__, KeyError)


@pytest.mark.parametrize("gather", sorted(GATHERS))
def test_operator_error_names_the_operator_stage(gather):
    par = dataflow.from_range(15, num_shards=3, backend="inprocess").filter(lambda x: True).for_each(boom)
    items, errors = drain(GATHERS[gather](par))
    assert sorted(items) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert [(e.shard_index, e.stage) for e in errors] == [(2, "for_each(boom)")]
    assert "ZeroDivisionError: bad item 11" in str(errors[0])
    assert "in boom" in errors[0].original_traceback


def test_error_in_a_single_shard_iterator():
    shard = three_shards().get_shard(1)
    items, errors = drain(shard)
    assert items == [100, 101] and [e.shard_index for e in errors] == [1]


def test_error_inside_a_union_reaches_the_consumer_and_the_union_goes_on():
    u = three_shards().gather_sync().union(dataflow.from_range(2, num_shards=1, backend="inprocess").gather_sync())
    items, errors = drain(u)
    assert sorted(items) == [0, 0, 1, 1, 2, 10, 11, 12, 100, 101]
    assert [e.shard_index for e in errors] == [1]


def test_local_operator_error_propagates_with_its_stage_noted():
    it = dataflow.from_range(4, num_shards=1, backend="inprocess").gather_sync().for_each(lambda x: 1 / (x - 2))
    with pytest.raises(ZeroDivisionError) as info:
        list(it)
    assert "(raised in dataflow stage 'for_each(<lambda>)')" in info.value.__notes__


def test_repeat_with_one_shot_iterator_is_a_clear_error():
    par = dataflow.from_iterators([iter([1, 2])], repeat=True, backend="inprocess")
    items, errors = drain(par.gather_sync())
    assert items == []  # refused before the first pass, as in ray.util.iter
    assert "cannot iterate over a one-shot iterator" in str(errors[0])


BAD = [
    ("num_shards0", lambda: dataflow.from_range(4, num_shards=0), ValueError, "num_shards=0"),
    ("n_negative", lambda: dataflow.from_range(-1, backend="inprocess"), ValueError, "n=-1"),
    ("backend", lambda: dataflow.from_items([1], backend="threads"), ValueError, "backend='threads'"),
    ("no_generators", lambda: dataflow.from_iterators([], backend="inprocess"), ValueError, "generators"),
    ("no_actors", lambda: dataflow.from_actors([]), ValueError, "actors"),
    ("not_a_worker", lambda: dataflow.from_actors([object()]), TypeError, "par_iter_init"),
    ("num_async0", lambda: dataflow.from_range(4, backend="inprocess").gather_async(num_async=0), ValueError, "num_async=0"),
    ("batch_ms", lambda: dataflow.from_range(4, backend="inprocess").gather_async(batch_ms=-1), ValueError, "batch_ms=-1"),
    ("select_empty", lambda: dataflow.from_range(4, backend="inprocess").select_shards([]), ValueError, "at least one"),
    ("select_range", lambda: dataflow.from_range(4, backend="inprocess").select_shards([5]), ValueError, r"\[5\]"),
    ("shard_index", lambda: dataflow.from_range(4, backend="inprocess").get_shard(2), ValueError, "shard_index=2"),
    ("union_type", lambda: dataflow.from_range(4, backend="inprocess").union([1]), TypeError, "ParallelIterator"),
    ("iterate", lambda: iter(dataflow.from_range(4, backend="inprocess")), TypeError, "gather_sync"),
    ("repartition0", lambda: dataflow.from_range(4, backend="inprocess").repartition(0), ValueError, "num_partitions=0"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_arguments(case):
    _, call, exc, text = case
    with pytest.raises(exc, match=text):
        call()


def test_select_shards_after_union_is_refused():
    a = dataflow.from_range(4, backend="inprocess")
    with pytest.raises(ValueError, match="after union"):
        a.union(dataflow.from_range(2, backend="inprocess")).select_shards([0])


def test_fault_swallowed_by_a_blocking_union_is_raised_before_the_end():
    failing = dataflow.from_iterators([failing_generator(1)], backend="inprocess").gather_sync()
    other = dataflow.from_items([7], num_shards=1, backend="inprocess").gather_sync()
    items, errors = drain(failing.union(other, deterministic=True))
    assert sorted(items) == [7, 100]
    assert [e.shard_index for e in errors] == [0] and isinstance(errors[0].__cause__, KeyError)
