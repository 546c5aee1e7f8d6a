"""ColumnStorage: allocation from the first batch, ring wraparound, object columns, schema errors."""

import numpy as np
import pytest

from rlcore.data.replay_buffers.column_storage import ColumnStorage


def _batch(lo, hi):
    x = np.arange(lo, hi)
    return {
        "obs": np.stack([x, -x], axis=1).astype(np.float32),
        "actions": x.astype(np.int64),
        "infos": np.array([{"i": int(i)} for i in x], dtype=object),
    }


@pytest.mark.parametrize(
    "capacity, sizes, expect_pos",
    [
        (5, [3], 3),
        (5, [3, 3], 1),
        (5, [5], 0),
        (4, [7], 3),  # a batch longer than capacity keeps its last rows
        (3, [1, 1, 1, 1], 1),
        (6, [4, 0, 4], 2),
    ],
)
def test_ring_wraparound(capacity, sizes, expect_pos):
    s = ColumnStorage(capacity)
    lo = 0
    for n in sizes:
        s.write(_batch(lo, lo + n))
        lo += n
    # position p holds the last row number i written with i % capacity == p
    expected = [max(i for i in range(lo) if i % capacity == p) for p in range(min(lo, capacity))]
    got = s.gather(np.arange(s.size))
    assert got["actions"].tolist() == expected
    assert got["obs"][:, 1].tolist() == [-v for v in expected]
    assert [d["i"] for d in got["infos"]] == expected
    assert s.pos == expect_pos and s.size == min(lo, capacity)


def test_write_returns_start_and_count():
    s = ColumnStorage(4)
    assert s.write(_batch(0, 3)) == (0, 3)
    assert s.write(_batch(3, 6)) == (3, 3)
    assert s.write(_batch(6, 6)) == (2, 0)


def test_gather_copies():
    s = ColumnStorage(4)
    s.write(_batch(0, 4))
    out = s.gather(np.array([1, 1]))
    out["actions"][:] = 99
    assert s.gather(np.array([1]))["actions"].tolist() == [1]


@pytest.mark.parametrize(
    "bad, err, match",
    [
        ({"obs": np.zeros((2, 2), np.float32), "actions": np.zeros(2, np.int64)}, ValueError, r"missing \['infos'\]"),
        ({**_batch(0, 2), "extra": np.zeros(2)}, ValueError, r"unexpected \['extra'\]"),
        ({**_batch(0, 2), "obs": np.zeros((2, 3), np.float32)}, ValueError, "column 'obs' has row shape"),
        ({**_batch(0, 2), "actions": np.zeros(2, np.float64)}, TypeError, "column 'actions' has dtype float64"),
        ({**_batch(0, 2), "actions": np.zeros(3, np.int64)}, ValueError, "equal length"),
        ([1, 2], TypeError, "mapping of columns"),
        ({}, ValueError, "no columns"),
    ],
)
def test_schema_errors(bad, err, match):
    s = ColumnStorage(4, name="buf")
    s.write(_batch(0, 2))
    with pytest.raises(err, match=match):
        s.write(bad)
    assert s.size == 2  # nothing half-written


def test_same_kind_cast():
    s = ColumnStorage(4)
    s.write({"r": np.zeros(2, np.float32)})
    s.write({"r": np.ones(2, np.float64)})
    assert s.gather(np.arange(4))["r"].dtype == np.float32


@pytest.mark.parametrize("capacity", [0, -1, 2.5, True, "3"])
def test_bad_capacity(capacity):
    with pytest.raises((ValueError, TypeError), match="capacity"):
        ColumnStorage(capacity)


def test_state_roundtrip():
    s = ColumnStorage(5)
    s.write(_batch(0, 7))
    t = ColumnStorage(5)
    t.set_state(s.get_state())
    assert (t.pos, t.size) == (s.pos, s.size)
    for k in ("obs", "actions"):
        np.testing.assert_array_equal(t.gather(np.arange(5))[k], s.gather(np.arange(5))[k])
    t.write(_batch(7, 8))
    assert t.gather(np.array([2]))["actions"].tolist() == [7]
    with pytest.raises(ValueError, match="capacity 5, expected 6"):
        ColumnStorage(6).set_state(s.get_state())


def test_zero_d_extras_are_not_columns():
    s = ColumnStorage(4)
    s.write({**_batch(0, 2), "policy": "p0", "scale": 2.0, "step": np.array(3)})
    assert set(s.column_names) == {"obs", "actions", "infos"}
    with pytest.raises(ValueError, match="no per-row columns"):
        ColumnStorage(4).write({"scale": 2.0})


def test_numeric_columns_share_one_record_per_row():
    """The numeric columns are strided views of one record ring (CartPole's five: 45 bytes in 48); the
    exact (native) and the casting (general) write paths fill them alike, wrapping, and reads copy."""
    rng = np.random.default_rng(3)

    def cartpole(n, cast=False):
        cols = {"obs": rng.standard_normal((n, 4)).astype(np.float32),
                "new_obs": rng.standard_normal((n, 4)).astype(np.float32),
                "actions": rng.integers(0, 2, n).astype(np.int64), "rewards": np.ones(n, np.float32),
                "dones": rng.random(n) < 0.3}
        if cast:  # same-kind dtypes: the general path casts them
            cols["obs"], cols["actions"] = cols["obs"].astype(np.float64), cols["actions"].astype(np.int32)
        return cols

    s = ColumnStorage(7)
    first = cartpole(3)
    s.write(first)
    names, records, objects, order = s.record_columns()
    assert names == ["obs", "new_obs", "actions", "rewards", "dones"] and records.stride == 48
    assert objects == [] and order is None
    assert s.nbytes() == 7 * 48
    for k in names:
        col = s._columns[k]
        assert col.strides[0] == 48 and np.shares_memory(col, records.columns[0]) == (k == "obs")
        assert col.base is not None and col.dtype.kind in "fib"
    want = {k: np.zeros_like(v) for k, v in s.gather(np.arange(7)).items()}
    written = [(0, first)]
    for n, cast in ((4, True), (5, False), (9, True)):
        written.append((s.pos, cartpole(n, cast)))
        assert s.write(written[-1][1]) == (written[-1][0], n)
    for start, cols in written:  # the rows expected, written the plain way
        n = len(cols["dones"])
        for j in range(max(0, n - 7), n):
            for k, v in cols.items():
                want[k][(start + j) % 7] = v[j]
    got = s.gather(np.arange(7))
    for k in names:
        np.testing.assert_array_equal(got[k], want[k])
        assert got[k].flags.c_contiguous and not np.shares_memory(got[k], records.columns[0])
    state = s.get_state()
    t = ColumnStorage(7)
    t.set_state(state)
    assert t.record_columns()[1].stride == 48 and (t.pos, t.size) == (s.pos, s.size)
    for k in names:
        np.testing.assert_array_equal(t._columns[k], s._columns[k])


def test_object_columns_keep_their_own_arrays_beside_the_records():
    s = ColumnStorage(4)
    s.write(_batch(0, 6))
    names, records, objects, order = s.record_columns()
    assert [k for k, _ in objects] == ["infos"] and objects[0][1] is s._columns["infos"]
    assert "infos" not in names and order is None  # obs, actions, infos: the numeric ones first already
    assert ColumnStorage(2).record_columns() is None
    assert s._columns["infos"].dtype == object and s._columns["infos"].strides == (8,)
    assert [d["i"] for d in s._columns["infos"]] == [4, 5, 2, 3]
    assert s._columns["actions"].tolist() == [4, 5, 2, 3] and s._columns["obs"][:, 1].tolist() == [-4, -5, -2, -3]


def test_gather_reads_only_the_rows_asked_for():
    """Gathering a few rows of the strided record views allocates those rows, not a copy of the whole
    column (numpy's take copies a non-contiguous array whole first: 8 MB here, per column)."""
    import tracemalloc

    cap = 500_000
    s = ColumnStorage(cap)
    s.write({"obs": np.ones((cap, 4), np.float32), "actions": np.arange(cap), "infos": np.full(cap, None, object)})
    rows = np.array([3, cap - 1, 77], np.int64)
    tracemalloc.start()
    try:
        got = s.gather(rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert got["actions"].tolist() == [3, cap - 1, 77] and got["obs"].shape == (3, 4)
    assert peak < 64 * 1024, peak


def test_write_exact_returns_rows_and_slots_and_moves_the_one_ring():
    s = ColumnStorage(5)
    assert s.write_exact({"x": np.arange(3.0)}) is None  # nothing stored yet: write() allocates
    assert s.write({"x": np.arange(3.0)}) == (0, 3)
    n, slots = s.write_exact({"x": np.arange(4.0)})
    assert n == 4 and slots.tolist() == [3, 4, 0, 1]
    assert (s.pos, s.size) == (2, 5) == (s.ring.pos, s.ring.size)
    assert s.write_exact({"x": np.arange(2)}) is None and (s.pos, s.size) == (2, 5)  # int64: write() casts
    assert s.write({"x": np.arange(2)}) == (2, 2) and s.pos == 4
    # an object column: the numeric rows in the native call, the objects assigned at its slots
    o = ColumnStorage(4)
    o.write({"x": np.zeros(1), "infos": np.array([{}])})
    n, slots = o.write_exact({"x": np.arange(5.0), "infos": np.array([{"i": i} for i in range(5)])})
    assert n == 5 and slots.tolist() == [2, 3, 0, 1] and (o.pos, o.size) == (2, 4)
    got = o.gather(slots)
    assert [d["i"] for d in got["infos"]] == [1, 2, 3, 4] and got["x"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert o.write_exact({"x": np.arange(2.0), "infos": [{}, {}]}) is None  # a list, not an object array
    t = ColumnStorage(4)
    t.set_state(o.get_state())
    assert (t.pos, t.size) == (2, 4) and t.write_exact({"x": np.ones(1), "infos": np.array([{}])})[1].tolist() == [2]
    assert (t.pos, t.size) == (3, 4)
