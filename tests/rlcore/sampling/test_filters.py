"""Observation filters: RunningStat against numpy, MeanStdFilter's outputs, buffer/sync semantics
as RLlib's, get_filter, serializable state."""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

from rlcore.policy import policy_state
from rlcore.sampling.filters import (
    SMALL_NUMBER,
    ConcurrentMeanStdFilter,
    Filter,
    MeanStdFilter,
    NoFilter,
    RunningStat,
    get_filter,
)

SHAPES = [(), (3,), (2, 4)]


def data(shape, n, seed=0):
    return np.random.default_rng(seed).normal(3.0, 2.0, size=(n, *shape))


# ---------------------------------------------------------------- RunningStat


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("chunks", [[1] * 7, [7], [3, 1, 3], [0, 5, 0, 2]])
def test_running_stat_equals_numpy(shape, chunks):
    x = data(shape, sum(chunks))
    rs, i = RunningStat(shape), 0
    for c in chunks:
        if c == 1:
            rs.push(x[i])  # a single array
        else:
            rs.push(x[i : i + c])  # a batch
        i += c
    assert rs.n == len(x)
    np.testing.assert_allclose(rs.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rs.var, x.var(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(rs.std, x.std(axis=0, ddof=1), rtol=1e-10)


def test_running_stat_batched_equals_one_by_one():
    x = data((5,), 200, seed=3)
    a, b = RunningStat((5,)), RunningStat((5,))
    a.push(x)
    for row in x:
        b.push(row)
    assert a.n == b.n
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-12)
    np.testing.assert_allclose(a.var, b.var, rtol=1e-10)


def test_running_stat_single_sample_variance_is_mean_squared_as_rllib():
    rs = RunningStat((2,))
    rs.push([3.0, -2.0])
    np.testing.assert_array_equal(rs.var, [9.0, 4.0])


@pytest.mark.parametrize("first,second", [(0, 6), (6, 0), (2, 4), (5, 1)])
def test_running_stat_update_equals_pushing_everything(first, second):
    x = data((3,), first + second, seed=1)
    a, b, whole = RunningStat((3,)), RunningStat((3,)), RunningStat((3,))
    a.push(x[:first])
    b.push(x[first:])
    whole.push(x)
    a.update(b)
    assert a.n == whole.n
    np.testing.assert_allclose(a.mean, whole.mean, rtol=1e-12)
    np.testing.assert_allclose(a.var, whole.var, rtol=1e-10)


@pytest.mark.parametrize("bad", [np.zeros(4), np.zeros((2, 4)), np.zeros((2, 3, 1))])
def test_running_stat_rejects_wrong_shapes(bad):
    with pytest.raises(ValueError, match=r"expected an array of shape \(3,\)"):
        RunningStat((3,)).push(bad)


def test_running_stat_update_rejects_other_shape():
    with pytest.raises(ValueError, match="does not match"):
        RunningStat((3,)).update(RunningStat((2,)))


def test_running_stat_copy_is_independent_and_state_round_trips():
    rs = RunningStat((2,))
    rs.push(data((2,), 4))
    c = rs.copy()
    c.push([100.0, 100.0])
    assert (rs.n, c.n) == (4, 5)
    back = RunningStat((2,))
    back.set_state(policy_state.unpackb(policy_state.packb(rs.get_state())))
    np.testing.assert_array_equal(back.mean, rs.mean)
    np.testing.assert_array_equal(back.var, rs.var)
    with pytest.raises(ValueError, match="missing"):
        back.set_state({"n": 1})


# ---------------------------------------------------------------- MeanStdFilter


@pytest.mark.parametrize("shape", SHAPES)
def test_mean_std_filter_output_is_standardized_by_the_stats_including_the_input(shape):
    x = data(shape, 50)
    f = MeanStdFilter(shape, clip=None)
    y = f(x)
    expected = (x - x.mean(axis=0)) / (x.std(axis=0, ddof=1) + SMALL_NUMBER)
    np.testing.assert_allclose(y, expected, rtol=1e-9, atol=1e-12)
    assert (f.rs.n, f.buffer.n) == (50, 50)


def test_mean_std_filter_batch_equals_one_by_one_stats():
    x = data((4,), 30, seed=5)
    a, b = MeanStdFilter((4,)), MeanStdFilter((4,))
    a(x)
    for row in x:
        b(row)
    for rs_a, rs_b in [(a.rs, b.rs), (a.buffer, b.buffer)]:
        assert rs_a.n == rs_b.n == 30
        np.testing.assert_allclose(rs_a.mean, rs_b.mean, rtol=1e-12)
        np.testing.assert_allclose(rs_a.var, rs_b.var, rtol=1e-10)
    # With frozen stats, a batch and its rows one by one give the same outputs.
    np.testing.assert_allclose(a(x, update=False), np.stack([a(r, update=False) for r in x]))


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        ({}, [-1.0, 1.0]),  # demean + destd: (x - 2) / 1
        ({"demean": False}, [1.0, 3.0]),  # x / 1
        ({"destd": False}, [-1.0, 1.0]),  # x - 2
        ({"demean": False, "destd": False}, [1.0, 3.0]),
    ],
)
def test_mean_std_filter_demean_destd_flags(kwargs, expected):
    f = MeanStdFilter((), **kwargs)
    f(np.array([1.0, 3.0]))  # mean 2, sample std sqrt(2)
    f.rs.set_state({"n": 2, "mean": np.array(2.0), "sum_sq": np.array(1.0)})  # std 1 exactly
    np.testing.assert_allclose(f(np.array([1.0, 3.0]), update=False), expected, atol=1e-5)


@pytest.mark.parametrize("clip,expected", [(10.0, 10.0), (2.0, 2.0), (None, 98.0), (0, 98.0)])
def test_mean_std_filter_clip(clip, expected):
    f = MeanStdFilter((), clip=clip)
    f(np.array([1.0, 3.0]))
    f.rs.set_state({"n": 2, "mean": np.array(2.0), "sum_sq": np.array(1.0)})
    assert f(100.0, update=False) == pytest.approx(expected, rel=1e-5)
    assert f(-96.0, update=False) == pytest.approx(-expected, rel=1e-5)


def test_mean_std_filter_update_false_leaves_stats_alone():
    f = MeanStdFilter((2,))
    f(data((2,), 5))
    before = f.get_state()
    f(data((2,), 5, seed=9), update=False)
    after = f.get_state()
    assert (after["rs"]["n"], after["buffer"]["n"]) == (5, 5)
    np.testing.assert_array_equal(after["rs"]["mean"], before["rs"]["mean"])


@pytest.mark.parametrize(
    "dtype,out", [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float32), (np.uint8, np.float32)]
)
def test_mean_std_filter_dtypes(dtype, out):
    y = MeanStdFilter((2,))(np.array([[1, 2], [3, 5]], dtype=dtype))
    assert y.dtype == out
    np.testing.assert_allclose(y, [[-0.7071, -0.7071], [0.7071, 0.7071]], atol=1e-3)


def test_mean_std_filter_none_shape_passes_through():
    f = MeanStdFilter(None)
    assert f(np.array([3, 1])).tolist() == [3, 1]
    assert f.rs.n == 0


@pytest.mark.parametrize("bad", [np.zeros(4), np.zeros((2, 2)), np.zeros((1, 2, 3))])
def test_mean_std_filter_rejects_wrong_shapes(bad):
    with pytest.raises(ValueError, match=r"expected an observation of shape \(3,\)"):
        MeanStdFilter((3,))(bad)


@pytest.mark.parametrize("kwargs,err", [({"clip": -1.0}, ValueError), ({"clip": "10"}, TypeError)])
def test_mean_std_filter_bad_arguments(kwargs, err):
    with pytest.raises(err, match="clip"):
        MeanStdFilter((3,), **kwargs)


def make_ab():
    a, b = MeanStdFilter(()), MeanStdFilter(())
    a(1.0)
    a(2.0)
    b(10.0)
    return a, b


def test_apply_changes_merges_the_other_buffer_only_as_rllib():
    # RLlib's doctest: a saw 1, 2; b saw 10.
    a, b = make_ab()
    a.apply_changes(b, with_buffer=False)
    assert (a.rs.n, a.buffer.n) == (3, 2)
    assert float(a.rs.mean) == pytest.approx(13 / 3)
    a.apply_changes(b, with_buffer=True)
    assert (a.rs.n, a.buffer.n) == (4, 1)
    assert float(a.rs.mean) == pytest.approx(5.75)
    # b is unchanged; a's buffer is a copy of b's, not b's object.
    assert b.rs.n == 1 and a.buffer is not b.buffer


def test_apply_changes_ignores_the_other_running_stats():
    a, b = make_ab()
    b.clear_buffer()  # b's rs still holds 10, its buffer nothing
    a.apply_changes(b)
    assert a.rs.n == 2 and float(a.rs.mean) == 1.5


def test_sync_copies_everything_and_copy_is_independent():
    a, b = make_ab()
    b.clip = 3.0
    a.sync(b)
    assert (a.rs.n, float(a.rs.mean), a.buffer.n, a.clip) == (1, 10.0, 1, 3.0)
    c = a.copy()
    c(50.0)
    assert (a.rs.n, c.rs.n, type(c)) == (1, 2, MeanStdFilter)


def test_clear_buffer_keeps_running_stats():
    a, _ = make_ab()
    a.clear_buffer()
    assert (a.rs.n, a.buffer.n) == (2, 0)
    a.reset_buffer()
    assert a.buffer.n == 0


@pytest.mark.parametrize("op", ["apply_changes", "sync"])
def test_peer_operations_check_type_and_shape(op):
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        getattr(MeanStdFilter((3,)), op)(MeanStdFilter((2,)))
    with pytest.raises(TypeError, match="expected a MeanStdFilter"):
        getattr(MeanStdFilter((3,)), op)(NoFilter())


def test_no_filter():
    f = NoFilter()
    x = np.arange(3)
    assert f(x) is x and f([1, 2]).tolist() == [1, 2] and f.copy() is f and f.as_serializable() is f
    assert NoFilter.is_concurrent and not MeanStdFilter.is_concurrent
    with pytest.raises(ValueError, match="NoFilter: cannot convert"):
        f([[1], [1, 2]])


# ---------------------------------------------------------------- get_filter, state, concurrency


@pytest.mark.parametrize(
    "name,cls,clip",
    [("NoFilter", NoFilter, None), ("MeanStdFilter", MeanStdFilter, None), ("ConcurrentMeanStdFilter", ConcurrentMeanStdFilter, None)],
)
def test_get_filter_by_name(name, cls, clip):
    f = get_filter(name, (4,))
    assert type(f) is cls
    if cls is not NoFilter:
        assert f.shape == (4,) and f.clip is clip


def test_get_filter_by_class_or_callable():
    assert type(get_filter(MeanStdFilter, 3)) is MeanStdFilter and get_filter(MeanStdFilter, 3).clip == 10.0
    assert get_filter(lambda shape: MeanStdFilter(shape, clip=1.0), (2,)).clip == 1.0


@pytest.mark.parametrize("bad,err,match", [("MeanStd", ValueError, "did you mean 'MeanStdFilter'"), (3, TypeError, "got int 3")])
def test_get_filter_errors(bad, err, match):
    with pytest.raises(err, match=match):
        get_filter(bad, (2,))


@pytest.mark.parametrize("make", [NoFilter, lambda: MeanStdFilter((2, 3), clip=4.0), lambda: ConcurrentMeanStdFilter((3,))])
def test_state_round_trips_through_msgpack_and_pickle(make):
    f = make()
    if not isinstance(f, NoFilter):
        f(data(f.shape, 6))
        f.clear_buffer()
        f(data(f.shape, 2, seed=4))
    state = policy_state.unpackb(policy_state.packb(f.get_state()))  # plain data only
    for g in (Filter.from_state(state), pickle.loads(pickle.dumps(f))):
        assert type(g) is type(f)
        if not isinstance(f, NoFilter):
            assert (g.rs.n, g.buffer.n, g.clip, g.shape) == (f.rs.n, f.buffer.n, f.clip, f.shape)
            x = data(f.shape, 3, seed=8)
            np.testing.assert_allclose(g(x, update=False), f(x, update=False))


@pytest.mark.parametrize("state,match", [({"type": "Bogus"}, "one of"), ({"type": "MeanStdFilter", "shape": [2]}, "missing")])
def test_from_state_errors(state, match):
    with pytest.raises(ValueError, match=match):
        Filter.from_state(state)


def test_set_state_rejects_other_shape():
    with pytest.raises(ValueError, match=r"state shape \(3,\)"):
        MeanStdFilter((2,)).set_state(MeanStdFilter((3,)).get_state())


def test_concurrent_filter_counts_every_push_from_threads():
    f = ConcurrentMeanStdFilter((2,))
    x = data((2,), 400)

    def run(i):
        for k in range(i, 400, 4):
            f(x[k : k + 1])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert f.rs.n == f.buffer.n == 400
    np.testing.assert_allclose(f.rs.mean, x.mean(axis=0), rtol=1e-10)
    assert type(f.as_serializable()) is MeanStdFilter and type(f.copy()) is ConcurrentMeanStdFilter
