"""PrioritizedReplayBuffer: frequencies follow priority**alpha, IS weights, update_priorities, errors."""

import numpy as np
import pytest
from scipy import stats

from rlcore.data.codec import _pack, _unpack
from rlcore.data.replay_buffers import PrioritizedReplayBuffer
from rlcore.data.sample_batch import SampleBatch


def _rows(lo, hi):
    return SampleBatch({"x": np.arange(lo, hi), "r": np.ones(hi - lo, np.float32)})


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_sampling_frequencies_follow_priorities_to_the_alpha(alpha):
    prios = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 0.25, 3.0, 1.5])
    buf = PrioritizedReplayBuffer(16, alpha=alpha, seed=123)
    slots = buf.add(_rows(0, 8))
    buf.update_priorities(slots, prios)
    counts = np.bincount(buf.sample(40000)["batch_indexes"], minlength=16)
    assert counts[8:].sum() == 0  # empty slots are never drawn
    expected = prios**alpha / (prios**alpha).sum() * counts.sum()
    assert stats.chisquare(counts[:8], expected).pvalue > 1e-3


def test_importance_weights_by_hand():
    alpha, beta = 0.5, 0.7
    prios = np.array([1.0, 2.0, 3.0, 4.0])
    buf = PrioritizedReplayBuffer(4, alpha=alpha, beta=0.1, seed=0)
    buf.update_priorities(buf.add(_rows(0, 4)), prios)
    out = buf.sample(64, beta=beta)
    p = prios**alpha / (prios**alpha).sum()
    w = (4 * p) ** -beta / ((4 * p.min()) ** -beta)
    np.testing.assert_allclose(out["weights"], w[out["batch_indexes"]], rtol=1e-6)
    assert out["weights"].dtype == np.float32 and out["batch_indexes"].dtype == np.int64
    assert (out["x"] == out["batch_indexes"]).all()
    # beta=0: no correction; default beta comes from the constructor
    assert (buf.sample(8, beta=0.0)["weights"] == 1.0).all()
    w01 = (4 * p) ** -0.1 / ((4 * p.min()) ** -0.1)
    out = buf.sample(16)
    np.testing.assert_allclose(out["weights"], w01[out["batch_indexes"]], rtol=1e-6)


def test_new_rows_get_max_priority_and_update_changes_sampling():
    buf = PrioritizedReplayBuffer(8, alpha=1.0, seed=0)
    buf.add(_rows(0, 4))
    np.testing.assert_allclose(buf.priorities(np.arange(4)), 1.0)
    buf.update_priorities(np.array([1]), np.array([9.0]))
    assert buf.max_priority == 9.0
    buf.add(_rows(4, 5))
    assert buf.priorities(np.array([4]))[0] == pytest.approx(9.0)
    before = np.bincount(buf.sample(5000)["batch_indexes"], minlength=8)
    buf.update_priorities(np.array([1, 4]), np.array([1e-3, 1e-3]))
    after = np.bincount(buf.sample(5000)["batch_indexes"], minlength=8)
    assert before[1] > 1500 and after[1] < 50 and after[0] > 1000


def test_update_td_errors_uses_abs_plus_eps():
    buf = PrioritizedReplayBuffer(4, alpha=1.0, eps=0.5, seed=0)
    buf.add(_rows(0, 2))
    buf.update_td_errors([0, 1], [-2.0, 0.0])
    np.testing.assert_allclose(buf.priorities([0, 1]), [2.5, 0.5])


def test_add_with_priorities_and_ring_overwrite():
    buf = PrioritizedReplayBuffer(4, alpha=1.0, seed=0)
    buf.add(_rows(0, 3), priorities=[1.0, 2.0, 3.0])
    slots = buf.add(_rows(3, 6), priorities=[4.0, 5.0, 6.0])
    assert slots.tolist() == [3, 0, 1]
    np.testing.assert_allclose(buf.priorities(np.arange(4)), [5.0, 6.0, 3.0, 4.0])
    # more rows than capacity: only the last rows and their priorities are kept
    slots = buf.add(_rows(6, 12), priorities=np.arange(1.0, 7.0))
    assert slots.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(buf.priorities(np.arange(4)), [3.0, 4.0, 5.0, 6.0])
    with pytest.raises(ValueError, match="priorities has 2 entries, expected one per unit \\(3\\)"):
        buf.add(_rows(0, 3), priorities=[1.0, 1.0])


def test_items_mode_weights_repeat_and_eviction_clears_priority():
    buf = PrioritizedReplayBuffer(6, alpha=1.0, storage_unit="items", seed=0)
    buf.add(_rows(0, 2), priorities=[100.0])
    buf.add(_rows(2, 5), priorities=[1.0])
    buf.add(_rows(5, 8))  # evicts item 0 (the high-priority one)
    out = buf.sample(300)
    assert 0 not in out["batch_indexes"] and 0 not in out["x"]
    # batch_indexes and weights are constant over each item's rows
    for slot in np.unique(out["batch_indexes"]):
        assert np.unique(out["weights"][out["batch_indexes"] == slot]).size == 1
    assert set(out["x"][out["batch_indexes"] == 1].tolist()) == {2, 3, 4}
    with pytest.raises(ValueError, match="index 0 at position 0 is not a slot held"):
        buf.update_priorities([0], [1.0])


@pytest.mark.parametrize(
    "idxes, prios, err, match",
    [
        ([0, 1], [1.0], ValueError, "idxes has 2 entries but priorities has 1"),
        ([0], [0.0], ValueError, "priorities must be finite and > 0, got 0.0 at position 0"),
        ([0, 1], [1.0, -2.0], ValueError, "got -2.0 at position 1"),
        ([0], [np.nan], ValueError, "finite"),
        ([0], [np.inf], ValueError, "finite"),
        ([5], [1.0], ValueError, "index 5 at position 0 is not a slot held by the buffer \\(3 units, capacity 8\\)"),
        ([-1], [1.0], ValueError, "index -1"),
        ([8], [1.0], ValueError, "index 8"),
        ([0.5], [1.0], TypeError, "idxes must be a 1-D array of ints"),
    ],
)
def test_update_priorities_errors(idxes, prios, err, match):
    buf = PrioritizedReplayBuffer(8, seed=0)
    buf.add(_rows(0, 3))
    with pytest.raises(err, match=match):
        buf.update_priorities(idxes, prios)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alpha": -0.1}, "alpha must be a finite number >= 0"),
        ({"beta": -1.0}, "beta must be a finite number >= 0"),
        ({"eps": 0.0}, "eps must be a finite number > 0"),
        ({"alpha": float("nan")}, "alpha"),
        ({"capacity": 0}, "capacity"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PrioritizedReplayBuffer(**{"capacity": 4, **kwargs})


def test_sample_errors():
    buf = PrioritizedReplayBuffer(4, seed=0)
    with pytest.raises(ValueError, match="cannot sample from PrioritizedReplayBuffer: it is empty"):
        buf.sample(2)
    buf.add(_rows(0, 2))
    with pytest.raises(ValueError, match="beta must be a finite number >= 0"):
        buf.sample(2, beta=-0.5)


def test_state_roundtrip_keeps_priorities_and_rng():
    buf = PrioritizedReplayBuffer(8, alpha=0.7, seed=5)
    buf.update_priorities(buf.add(_rows(0, 6)), np.arange(1.0, 7.0))
    other = PrioritizedReplayBuffer(8, alpha=0.7)
    other.set_state(_unpack(_pack(buf.get_state())))
    np.testing.assert_allclose(other.priorities(np.arange(6)), buf.priorities(np.arange(6)))
    a, b = buf.sample(10), other.sample(10)
    assert a["batch_indexes"].tolist() == b["batch_indexes"].tolist()
    np.testing.assert_array_equal(a["weights"], b["weights"])
    assert other.stats() == buf.stats()


def test_items_added_and_evicted_in_the_same_call_are_never_sampled():
    buf = PrioritizedReplayBuffer(4, alpha=1.0, storage_unit="items", seed=0)
    slots = buf.add(_rows(0, 10), unit_lens=[1] * 10, priorities=np.arange(1.0, 11.0))
    assert len(slots) == 4 and len(buf) == 4
    out = buf.sample(500)
    assert set(out["x"].tolist()) == {6, 7, 8, 9}
    np.testing.assert_allclose(buf.priorities(out["batch_indexes"]), out["x"] + 1.0)


def test_bad_batch_evicts_nothing():
    buf = PrioritizedReplayBuffer(4, storage_unit="items", seed=0)
    buf.add(_rows(0, 4))
    with pytest.raises(ValueError, match="batch columns differ"):
        buf.add(SampleBatch({"y": np.arange(3)}))
    assert len(buf) == 1 and buf.sample(1)["x"].tolist() == [0, 1, 2, 3]


def test_fused_and_general_paths_leave_the_same_buffer():
    """Batches that fit the stored columns exactly take one native call per operation; batches
    that need casting (or int32 slots) take the general path. Both must end in the same state."""
    rng = np.random.default_rng(11)
    fast = PrioritizedReplayBuffer(37, alpha=0.6, beta=0.4, seed=5)
    general = PrioritizedReplayBuffer(37, alpha=0.6, beta=0.4, seed=5)
    general.add(SampleBatch({"obs": np.zeros((1, 3), np.float32), "a": np.zeros(1, np.int64)}))
    fast.add(SampleBatch({"obs": np.zeros((1, 3), np.float32), "a": np.zeros(1, np.int64)}))
    for _ in range(12):
        n = int(rng.integers(1, 20))
        obs = rng.standard_normal((n, 3)).astype(np.float32)
        act = rng.integers(0, 4, n)
        fast.add(SampleBatch({"obs": obs, "a": act}))
        general.add(SampleBatch({"obs": np.asfortranarray(obs), "a": act.astype(np.int32)}))
        b_fast, b_general = fast.sample(8), general.sample(8)
        for k in ("obs", "a", "batch_indexes"):
            np.testing.assert_array_equal(b_fast[k], b_general[k])
        np.testing.assert_allclose(b_fast["weights"], b_general["weights"], rtol=1e-6)
        prios = rng.random(8) + 0.1
        fast.update_priorities(b_fast["batch_indexes"], prios)
        general.update_priorities(b_general["batch_indexes"].astype(np.int32), prios.tolist())
    slots = fast.live_slots()
    # C pow and numpy's power may differ in the last bit of priority ** alpha
    np.testing.assert_allclose(fast.priorities(slots), general.priorities(slots), rtol=1e-12)
    assert fast.max_priority == general.max_priority
    assert fast.stats(debug=True) == general.stats(debug=True)


def test_equal_given_priorities_and_object_columns_take_the_fused_path():
    """A batch with an ``infos`` object column and one priority for every row (DQN's ``weights``
    of ones) is written by the one native call plus the object assignment, and leaves the buffer
    as the general path does (which a Fortran-ordered obs column forces)."""
    rng = np.random.default_rng(3)

    def batch(lo, n, fortran=False):
        obs = rng.standard_normal((n, 2)).astype(np.float32)
        infos = np.array([{"i": lo + j} for j in range(n)], dtype=object)
        return SampleBatch({"obs": np.asfortranarray(obs) if fortran else obs, "infos": infos,
                            "a": np.arange(lo, lo + n)})

    fast = PrioritizedReplayBuffer(10, alpha=0.5, seed=1)
    general = PrioritizedReplayBuffer(10, alpha=0.5, seed=1)
    for buf in (fast, general):
        buf.add(batch(0, 3), priorities=[1.0, 2.0, 3.0])

    def no_general_path(*args, **kwargs):
        raise AssertionError("the general write path ran")

    fast._storage._prepare = no_general_path
    lo = 3
    for n, prio in [(4, 2.5), (1, 0.5), (12, 4.0), (3, 1.0)]:  # wraps; 12 rows > capacity 10
        b = batch(lo, n)
        slots_fast = fast.add(b, priorities=np.full(n, prio, np.float32))
        slots_general = general.add(SampleBatch({**b, "obs": np.asfortranarray(b["obs"])}), priorities=[prio] * n)
        assert slots_fast.tolist() == slots_general.tolist()
        lo += n
    slots = fast.live_slots()
    np.testing.assert_allclose(fast.priorities(slots), general.priorities(slots), rtol=1e-12)
    assert fast.max_priority == general.max_priority == 4.0
    got, want = fast._storage.gather(slots), general._storage.gather(slots)
    for k in ("obs", "a"):
        np.testing.assert_array_equal(got[k], want[k])
    assert [d["i"] for d in got["infos"]] == [d["i"] for d in want["infos"]] == got["a"].tolist()
    assert fast.stats(debug=True) == general.stats(debug=True)
    slots = fast.add(batch(lo, 2), priorities=[1.0, 9.0])  # unequal priorities: one leaf per row
    np.testing.assert_allclose(fast.priorities(slots), [1.0, 9.0])
    assert fast.max_priority == 9.0


def test_sampled_batch_replaces_a_stored_weights_column_and_copies_rows():
    buf = PrioritizedReplayBuffer(8, alpha=1.0, beta=1.0, seed=4)
    stored = SampleBatch({"x": np.arange(6), "weights": np.full(6, 7.0), "r": np.ones(6, np.float32)})
    buf.add(stored, priorities=np.arange(1.0, 7.0))
    b = buf.sample(5)
    assert type(b) is SampleBatch and b.count == 5
    assert sorted(b) == ["batch_indexes", "r", "weights", "x"]
    assert (b.time_major, b.zero_padded, b.is_training, b.max_seq_len) == (None, False, None, None)
    assert vars(b) == vars(SampleBatch(dict(b)))  # the constructor's attributes, each batch its own
    b.is_training = True
    assert buf.sample(2).is_training is None
    np.testing.assert_array_equal(b["x"], b["batch_indexes"])  # row i of the buffer holds x == i
    assert b["weights"].dtype == np.float32 and (b["weights"] <= 1.0).all() and (b["weights"] < 7.0).all()
    b["x"][:] = -1  # the rows are copies: the storage keeps its values
    np.testing.assert_array_equal(buf.sample(8)["x"] >= 0, True)


def test_add_returns_the_slots_of_the_rows_kept_across_the_wrap():
    buf = PrioritizedReplayBuffer(5, seed=0)
    assert buf.add(_rows(0, 3)).tolist() == [0, 1, 2]
    assert buf.add(_rows(3, 7)).tolist() == [3, 4, 0, 1]
    assert buf.add(_rows(7, 19)).tolist() == [4, 0, 1, 2, 3]  # more rows than capacity: the last 5
    np.testing.assert_array_equal(buf._storage.gather(np.arange(5))["x"], [15, 16, 17, 18, 14])


def test_native_gather_samples_the_rows_the_general_path_samples():
    """Timesteps with numeric columns only are gathered by ``replay_sample`` itself; a stored object
    column sends sampling through the storage's gather. Same seed, same draws, same rows."""
    rng = np.random.default_rng(8)
    native = PrioritizedReplayBuffer(50, alpha=0.6, beta=0.4, seed=2)
    general = PrioritizedReplayBuffer(50, alpha=0.6, beta=0.4, seed=2)
    for _ in range(6):
        n = int(rng.integers(5, 20))
        cols = {"obs": rng.standard_normal((n, 4)).astype(np.float32), "a": rng.integers(0, 3, n),
                "done": rng.random(n) < 0.3, "weights": rng.random(n) + 0.5}
        native.add(SampleBatch(cols), priorities=cols["weights"])
        general.add(SampleBatch({**cols, "infos": np.array([{}] * n, object)}), priorities=cols["weights"])
        got, want = native.sample(16), general.sample(16)
        assert list(got) == ["obs", "a", "done", "weights", "batch_indexes"]
        assert sorted(want) == sorted([*got, "infos"])
        for k in got:
            assert got[k].dtype == want[k].dtype
            np.testing.assert_array_equal(got[k], want[k])
        np.testing.assert_array_equal(got["obs"], native._storage.gather(got["batch_indexes"])["obs"])
        td = rng.standard_normal(16)
        native.update_td_errors(got["batch_indexes"], td)
        general.update_td_errors(want["batch_indexes"].tolist(), td.tolist())
    slots = native.live_slots()
    np.testing.assert_allclose(native.priorities(slots), general.priorities(slots), rtol=1e-12)
    assert native.max_priority == general.max_priority
    stats = [buf.stats(debug=True) for buf in (native, general)]
    assert stats[0].pop("est_size_bytes") < stats[1].pop("est_size_bytes")  # the infos column
    assert stats[0] == stats[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_update_td_errors_native_path_equals_the_general_path(dtype):
    td = np.array([-2.5, 0.0, 1e-3, 4.0], dtype)
    bufs = [PrioritizedReplayBuffer(8, alpha=0.6, eps=1e-2, seed=0) for _ in range(2)]
    for buf in bufs:
        buf.add(_rows(0, 6))
    bufs[0].update_td_errors(np.array([5, 0, 2, 3]), td)  # int64 slots and a float array: one native call
    bufs[1].update_td_errors([5, 0, 2, 3], td.astype(np.float64).reshape(4, 1))  # converted first
    for buf in bufs:
        np.testing.assert_allclose(buf.priorities(np.array([5, 0, 2, 3])), np.abs(td.astype(np.float64)) + 1e-2,
                                   rtol=1e-12)
        assert buf.max_priority == 4.0 + 1e-2 and buf.stats(debug=True)["num_priority_updates"] == 4
    bufs[0].update_td_errors(np.array([1]), np.array([-7.0], dtype))
    assert bufs[0].max_priority == 7.0 + 1e-2


@pytest.mark.parametrize("idxes,td,err,match", [
    (np.array([0, 1]), np.array([1.0, np.nan]), ValueError, "priorities must be finite and > 0, got nan at position 1"),
    (np.array([0, 7]), np.array([1.0, 1.0], np.float32), ValueError, "index 7 at position 1 is not a slot held"),
    (np.array([0, 1]), np.array([1.0]), ValueError, "idxes has 2 entries but priorities has 1"),
])
def test_update_td_errors_bad_input_keeps_its_errors_and_writes_nothing(idxes, td, err, match):
    buf = PrioritizedReplayBuffer(8, alpha=1.0, seed=0)
    buf.add(_rows(0, 4))
    with pytest.raises(err, match=match):
        buf.update_td_errors(idxes, td)
    np.testing.assert_array_equal(buf.priorities(np.arange(4)), 1.0)
    assert buf.stats(debug=True)["num_priority_updates"] == 0


def test_sampled_columns_keep_their_order_with_weights_and_batch_indexes_last():
    """A stored ``weights`` (or ``batch_indexes``) column anywhere among the stored ones: the sampled
    batch lists the other columns in stored order, then ``weights`` and ``batch_indexes``, on the
    native path as on the general path (an object column sends sampling there)."""
    cols = {"obs": np.arange(12.0).reshape(6, 2), "weights": np.full(6, 2.0), "batch_indexes": np.arange(6) + 10,
            "actions": np.arange(6)}
    native, general = PrioritizedReplayBuffer(8, seed=1), PrioritizedReplayBuffer(8, seed=1)
    native.add(SampleBatch(cols))
    general.add(SampleBatch({**cols, "infos": np.array([{}] * 6, object)}))
    got, want = native.sample(4), general.sample(4)
    assert list(got) == ["obs", "actions", "weights", "batch_indexes"]
    assert list(want) == ["obs", "actions", "infos", "weights", "batch_indexes"]
    for k in got:
        np.testing.assert_array_equal(got[k], want[k])
    assert got["batch_indexes"].max() < 6 and got["weights"].dtype == np.float32


def test_sample_with_an_object_column_gathers_records_natively_as_the_general_path():
    """An ``infos`` column between numeric ones: the numeric columns come from the one native call,
    the object column from its slots; same slots, weights, values and column order as the general
    gather (forced on a twin buffer)."""
    rng = np.random.default_rng(5)

    def batch(lo, n):
        return SampleBatch({"obs": rng.standard_normal((n, 3)).astype(np.float32),
                            "infos": np.array([{"i": lo + j} for j in range(n)], dtype=object),
                            "a": np.arange(lo, lo + n), "weights": np.ones(n, np.float32)})

    fast = PrioritizedReplayBuffer(16, alpha=0.7, beta=0.5, seed=2)
    general = PrioritizedReplayBuffer(16, alpha=0.7, beta=0.5, seed=2)
    general._storage.record_columns = lambda: None  # the general path: replay_sample, then gather
    lo = 0
    for n in (5, 9, 7):  # wraps
        b, prios = batch(lo, n), rng.random(n) + 0.1 if lo else None
        for buf in (fast, general):
            buf.add(b, priorities=prios)
        lo += n
    for k in (1, 6, 20):
        got, want = fast.sample(k), general.sample(k)
        assert list(got) == list(want) == ["obs", "infos", "a", "weights", "batch_indexes"]
        for col in ("obs", "a", "weights", "batch_indexes"):
            np.testing.assert_array_equal(got[col], want[col])
            assert got[col].dtype == want[col].dtype
        assert [d["i"] for d in got["infos"]] == [d["i"] for d in want["infos"]] == got["a"].tolist()
        assert got["infos"].dtype == object
