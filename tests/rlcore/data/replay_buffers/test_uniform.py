"""ReplayBuffer: rows or whole items as units, uniform sampling, FIFO eviction, stats, checkpoints."""

import numpy as np
import pytest
from scipy import stats

from rlcore.data.codec import _pack, _unpack
from rlcore.data.replay_buffers import ReplayBuffer, StorageUnit
from rlcore.data.sample_batch import SampleBatch


def _rows(lo, hi):
    x = np.arange(lo, hi)
    return SampleBatch({"obs": np.stack([x, x], 1).astype(np.float32), "x": x, "infos": [{"i": int(i)} for i in x]})


def test_add_returns_slots_and_sample_is_a_sample_batch():
    buf = ReplayBuffer(8, seed=0)
    assert buf.add(_rows(0, 5)).tolist() == [0, 1, 2, 3, 4]
    assert buf.add(_rows(5, 10)).tolist() == [5, 6, 7, 0, 1]
    out = buf.sample(6)
    assert isinstance(out, SampleBatch) and out.count == 6
    assert set(out["x"].tolist()) <= set(range(2, 10))
    assert [d["i"] for d in out["infos"]] == out["x"].tolist()
    assert (out["obs"][:, 0] == out["x"]).all()


def test_uniform_frequencies():
    buf = ReplayBuffer(20, seed=1)
    buf.add(_rows(0, 20))
    counts = np.bincount(buf.sample(20000)["x"], minlength=20)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_seeded_sampling_is_reproducible():
    a, b = ReplayBuffer(10, seed=7), ReplayBuffer(10, seed=7)
    for buf in (a, b):
        buf.add(_rows(0, 10))
    assert a.sample(5)["x"].tolist() == b.sample(5)["x"].tolist()


@pytest.mark.parametrize(
    "kwargs, call, err, match",
    [
        ({"capacity": 0}, None, ValueError, "capacity must be an int >= 1"),
        ({"capacity": 1.5}, None, TypeError, "capacity"),
        ({"capacity": 4, "storage_unit": "episodes"}, None, ValueError, "storage_unit must be one of"),
        ({"capacity": 4}, lambda b: b.sample(1), ValueError, r"cannot sample from ReplayBuffer: it is empty \(size 0"),
        ({"capacity": 4}, lambda b: b.sample(0), ValueError, "n must be an int >= 1"),
        ({"capacity": 4}, lambda b: b.add(_rows(0, 2), unit_lens=[1, 1]), ValueError, "unit_lens"),
    ],
)
def test_errors(kwargs, call, err, match):
    with pytest.raises(err, match=match):
        buf = ReplayBuffer(**kwargs)
        call(buf)


@pytest.mark.parametrize(
    "capacity, item_sizes, expect_items",
    [
        # FIFO of whole items; rows held never exceed capacity
        (10, [3, 3, 3], [0, 1, 2]),
        (10, [3, 3, 3, 3], [1, 2, 3]),
        (10, [4, 4, 4], [1, 2]),
        (10, [1, 1, 1, 9], [2, 3]),
        (10, [10, 1], [1]),
        (5, [2, 2, 2, 2, 2, 2, 2], [5, 6]),
    ],
)
def test_items_fifo(capacity, item_sizes, expect_items):
    buf = ReplayBuffer(capacity, storage_unit=StorageUnit.ITEMS, seed=0)
    lo = 0
    for i, n in enumerate(item_sizes):
        b = _rows(lo, lo + n)
        b["item"] = np.full(n, i)
        buf.add(b)
        lo += n
    assert len(buf) == len(expect_items)
    assert buf.num_timesteps == sum(item_sizes[i] for i in expect_items) <= capacity
    out = buf.sample(200)
    # every item comes back whole and in order
    items, starts = np.unique(out["item"], return_index=True)
    assert items.tolist() == expect_items
    for i, s in zip(items, starts):
        seg = out["x"][s : s + item_sizes[i]]
        assert seg.tolist() == list(range(sum(item_sizes[:i]), sum(item_sizes[: i + 1])))


def test_items_unit_lens_and_errors():
    buf = ReplayBuffer(6, storage_unit="items", seed=0)
    assert buf.add(_rows(0, 5), unit_lens=[2, 3]).tolist() == [0, 1]
    assert len(buf) == 2
    assert buf.add(_rows(5, 9), unit_lens=[2, 2]).tolist() == [2, 3]  # evicts both older items
    assert len(buf) == 2 and buf.num_timesteps == 4
    with pytest.raises(ValueError, match="does not fit in capacity 6"):
        buf.add(_rows(0, 7))
    with pytest.raises(ValueError, match="unit_lens must be positive ints summing"):
        buf.add(_rows(0, 4), unit_lens=[1, 2])


def test_items_many_units_larger_than_capacity_in_one_add():
    buf = ReplayBuffer(4, storage_unit="items", seed=0)
    slots = buf.add(_rows(0, 9), unit_lens=[3] * 3)
    assert slots.tolist() == [2] and len(buf) == 1  # only the units still held
    assert buf.sample(2)["x"].tolist() == [6, 7, 8, 6, 7, 8]


def test_stats_counts_timesteps():
    buf = ReplayBuffer(4, seed=0)
    buf.add(_rows(0, 6))
    buf.sample(3)
    st = buf.stats()
    assert st["added_count"] == 6 and st["sampled_count"] == 3
    assert st["num_entries"] == 4 and st["est_size_bytes"] > 0


@pytest.mark.parametrize("unit", ["timesteps", "items"])
def test_state_roundtrip_through_msgpack(unit):
    buf = ReplayBuffer(10, storage_unit=unit, seed=3)
    for lo in range(0, 15, 3):
        buf.add(_rows(lo, lo + 3))
    state = _unpack(_pack(buf.get_state()))
    other = ReplayBuffer(10, storage_unit=unit)
    other.set_state(state)
    assert other.stats() == buf.stats()
    a, b = buf.sample(8), other.sample(8)
    assert a["x"].tolist() == b["x"].tolist() and list(a["infos"]) == list(b["infos"])
    with pytest.raises(ValueError, match="storage_unit"):
        ReplayBuffer(10, storage_unit="items" if unit == "timesteps" else "timesteps").set_state(state)


@pytest.mark.parametrize("cls_name", ["ReplayBuffer", "PrioritizedReplayBuffer", "ReservoirBuffer"])
def test_read_only_non_contiguous_and_empty_batches(cls_name):
    import rlcore.data.replay_buffers as rb

    x = np.arange(5.0)
    x.flags.writeable = False  # as arrays come back from ray.get
    o = np.ones((5, 3), np.float32)[:, :2]  # a non-contiguous view
    buf = getattr(rb, cls_name)(4, seed=0)
    assert len(buf.add(SampleBatch({"x": x, "o": o}))) == 4
    assert buf.add(SampleBatch({"x": np.zeros(0), "o": np.zeros((0, 2), np.float32)})).tolist() == []
    assert len(buf) == 4 and buf.sample(3)["o"].shape == (3, 2)
    with pytest.raises(ValueError, match="cannot add an empty batch as an item"):
        ReplayBuffer(4, storage_unit="items").add(SampleBatch({"x": np.zeros(0)}))
