"""MultiAgentReplayBuffer: independent per-policy prioritized replay vs lockstep timeslices."""

import numpy as np
import pytest

from rlcore.data.codec import _pack, _unpack
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.replay_buffers import LockstepReplayBuffer, MultiAgentReplayBuffer
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch


def _policy_rows(eps, ts, tag):
    ts = np.asarray(ts)
    return SampleBatch({
        "eps_id": np.full(len(ts), eps, np.int64), "t": ts.astype(np.int64),
        "obs": (tag * 1000 + eps * 100 + ts).astype(np.float32),
    })


def _ma_batch(eps=0, steps=10):
    # p0 acts every step, p1 every other step: lockstep slices hold unequal row counts
    t = np.arange(steps)
    return MultiAgentBatch({"p0": _policy_rows(eps, t, 0), "p1": _policy_rows(eps, t[::2], 1)}, steps)


def test_independent_replay_per_policy():
    buf = MultiAgentReplayBuffer(100, learning_starts=15, replay_batch_size=8, seed=0)
    buf.add_batch(_ma_batch(0))
    assert buf.replay() is None  # 10 env steps < learning_starts
    buf.add_batch(_ma_batch(1))
    out = buf.replay()
    assert isinstance(out, MultiAgentBatch) and out.env_steps() == 8
    assert {pid: b.count for pid, b in out.policy_batches.items()} == {"p0": 8, "p1": 8}
    for pid, b in out.policy_batches.items():
        assert {"weights", "batch_indexes"} <= set(b.keys())
        tag = 0 if pid == "p0" else 1
        assert ((b["obs"] // 1000) == tag).all()
    st = buf.stats()
    assert st["num_added"] == 20 and st["policy_p0"]["num_entries"] == 20 and st["policy_p1"]["num_entries"] == 10


def test_plain_sample_batch_is_the_default_policy():
    buf = MultiAgentReplayBuffer(50, learning_starts=0, replay_batch_size=3, seed=0)
    buf.add_batch(_policy_rows(0, np.arange(5), 0))
    out = buf.replay()
    assert list(out.policy_batches) == [DEFAULT_POLICY_ID]


def test_update_priorities_per_policy():
    buf = MultiAgentReplayBuffer(100, learning_starts=0, replay_batch_size=4, alpha=1.0, eps=1e-6, seed=0)
    buf.add_batch(_ma_batch(0))
    out = buf.replay()
    idx = out.policy_batches["p0"]["batch_indexes"]
    buf.update_priorities({"p0": (idx, np.full(len(idx), -50.0))})
    prios = buf.replay_buffers["p0"].priorities(idx)
    np.testing.assert_allclose(prios, 50.0 + 1e-6)
    with pytest.raises(ValueError, match="unknown policy id 'p9'"):
        buf.update_priorities({"p9": (idx, idx)})


def test_weights_column_sets_initial_priorities():
    buf = MultiAgentReplayBuffer(100, learning_starts=0, alpha=1.0, seed=0)
    b = _policy_rows(0, np.arange(4), 0)
    b["weights"] = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    buf.add_batch(b)
    np.testing.assert_allclose(buf.replay_buffers[DEFAULT_POLICY_ID].priorities(np.arange(4)), [1, 2, 3, 4])
    # with sequences, the mean weight of each sequence is its priority
    seq = MultiAgentReplayBuffer(100, learning_starts=0, alpha=1.0, replay_sequence_length=3, seed=0)
    b = _policy_rows(0, np.arange(5), 0)
    b["weights"] = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    seq.add_batch(b)
    np.testing.assert_allclose(seq.replay_buffers[DEFAULT_POLICY_ID].priorities([0, 1]), [2.0, 15.0])


def test_replay_sequence_length_replays_consecutive_rows():
    buf = MultiAgentReplayBuffer(100, learning_starts=0, replay_batch_size=9, replay_sequence_length=3, seed=0)
    assert buf.replay_batch_size == 3
    buf.add_batch(_policy_rows(0, np.arange(12), 0))
    b = buf.replay().policy_batches[DEFAULT_POLICY_ID]
    assert b.count == 9
    for seq in b["t"].reshape(3, 3):
        assert seq[0] % 3 == 0 and (np.diff(seq) == 1).all()


def test_lockstep_keeps_policies_aligned_and_has_no_priorities():
    buf = MultiAgentReplayBuffer(100, learning_starts=0, replay_batch_size=6, replay_mode="lockstep", seed=0)
    buf.add_batch(_ma_batch(0, steps=10))
    buf.add_batch(_ma_batch(1, steps=10))
    out = buf.replay()
    assert out.env_steps() == 6
    p0, p1 = out.policy_batches["p0"], out.policy_batches["p1"]
    assert p0.count == 6 and "weights" not in p0
    # every p1 row's env step appears among the sampled p0 rows (same timeslices)
    steps0 = set(zip(p0["eps_id"].tolist(), p0["t"].tolist()))
    assert set(zip(p1["eps_id"].tolist(), p1["t"].tolist())) <= steps0
    assert p1.count == sum(t % 2 == 0 for _, t in zip(p0["eps_id"], p0["t"]))
    with pytest.raises(ValueError, match="lockstep"):
        buf.update_priorities({"p0": ([0], [1.0])})
    assert buf.stats()["policy___all__"]["num_entries"] == 20


def test_independent_draws_each_policy_on_its_own():
    # p1 has half the rows of p0, yet each policy gets replay_batch_size rows from its own buffer
    buf = MultiAgentReplayBuffer(100, learning_starts=0, replay_batch_size=6, seed=1)
    buf.add_batch(_ma_batch(0, steps=10))
    counts = {pid: 0 for pid in ("p0", "p1")}
    for _ in range(50):
        out = buf.replay()
        assert {pid: b.count for pid, b in out.policy_batches.items()} == {"p0": 6, "p1": 6}
        s0 = set(out.policy_batches["p0"]["t"].tolist())
        counts["p1"] += not set(out.policy_batches["p1"]["t"].tolist()) <= s0
    assert counts["p1"] > 0  # unlike lockstep, p1's steps are not tied to p0's


def test_lockstep_eviction_is_by_whole_slices_per_policy_capacity():
    buf = LockstepReplayBuffer(capacity=6, seed=0)
    assert buf.add(_ma_batch(0, steps=4), k=2) == 2  # slices: p0 2 rows + p1 1 row, twice
    buf.add(_ma_batch(1, steps=4), k=2)  # p0 would need 8 rows > 6: evict the oldest slice
    assert len(buf) == 3
    st = buf.stats()
    assert st["num_timesteps_per_policy"] == {"p0": 6, "p1": 3}
    out = buf.sample(50)
    assert sorted(set(zip(out.policy_batches["p0"]["eps_id"].tolist(), out.policy_batches["p0"]["t"].tolist()))) == [
        (0, 2), (0, 3), (1, 0), (1, 1), (1, 2), (1, 3)
    ]
    with pytest.raises(ValueError, match="does not fit in capacity 6"):
        buf.add(_ma_batch(2, steps=8), k=8)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"replay_mode": "async"}, ValueError, "replay_mode must be one of"),
        ({"replay_sequence_length": 0}, ValueError, "replay_sequence_length"),
        ({"replay_batch_size": 0}, ValueError, "replay_batch_size"),
        ({"num_shards": 0}, ValueError, "num_shards"),
        ({"capacity": 3, "num_shards": 4}, ValueError, "capacity // num_shards"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"learning_starts": -1}, ValueError, "learning_starts"),
    ],
)
def test_constructor_errors(kwargs, err, match):
    with pytest.raises(err, match=match):
        MultiAgentReplayBuffer(**kwargs)


def test_shards_divide_capacity_and_learning_starts():
    buf = MultiAgentReplayBuffer(1000, num_shards=4, learning_starts=100)
    assert (buf.capacity, buf.replay_starts) == (250, 25)
    with pytest.raises(TypeError, match="MultiAgentBatch"):
        buf.add_batch({"obs": [1]})


@pytest.mark.parametrize("mode", ["independent", "lockstep"])
def test_state_roundtrip(mode):
    kw = dict(learning_starts=0, replay_batch_size=4, replay_mode=mode)
    buf = MultiAgentReplayBuffer(64, seed=2, **kw)
    for e in range(3):
        buf.add_batch(_ma_batch(e))
    other = MultiAgentReplayBuffer(64, **kw)
    other.set_state(_unpack(_pack(buf.get_state())))
    a, b = buf.replay(), other.replay()
    for pid in a.policy_batches:
        np.testing.assert_array_equal(a.policy_batches[pid]["obs"], b.policy_batches[pid]["obs"])
    assert other.num_added == buf.num_added == 30


def test_plain_sample_batch_counts_and_edges():
    buf = MultiAgentReplayBuffer(50, learning_starts=0, replay_batch_size=4, seed=0)
    buf.add_batch(SampleBatch({"obs": np.zeros(0, np.float32)}))  # empty: counted as 0, no buffer made
    assert buf.num_added == 0 and buf.replay_buffers == {} and buf.replay() is None
    rows = _policy_rows(0, np.arange(6), 0)
    rows["seq_lens"] = np.array([2, 4], np.int32)  # not stored; the count is sum(seq_lens)
    buf.add_batch(rows)
    assert buf.num_added == 6 and buf.replay_buffers[DEFAULT_POLICY_ID].column_names == ("eps_id", "t", "obs")
    buf.add_batch(_policy_rows(1, np.arange(70), 0))  # more rows than capacity: the last 50 kept
    assert buf.num_added == 76 and len(buf.replay_buffers[DEFAULT_POLICY_ID]) == 50
    assert (buf.replay().policy_batches[DEFAULT_POLICY_ID]["t"] >= 20).all()
    lock = MultiAgentReplayBuffer(50, learning_starts=0, replay_batch_size=2, replay_mode="lockstep", seed=0)
    lock.add_batch(_policy_rows(0, np.arange(4), 0))
    assert lock.num_added == 4 and list(lock.replay().policy_batches) == [DEFAULT_POLICY_ID]
    with pytest.raises(TypeError, match="add_batch: batch must be a SampleBatch or MultiAgentBatch, got dict"):
        buf.add_batch({"obs": np.zeros(3)})


def test_default_policy_adds_count_env_steps_on_the_native_and_the_general_path():
    """A SampleBatch that fits the stored columns exactly is added (and its rows counted) by one
    native call; one that needs a cast, has an extra or a ``weights`` column takes the general path."""
    buf = MultiAgentReplayBuffer(40, learning_starts=0, replay_batch_size=4, alpha=1.0, seed=0)
    obs = np.arange(12, dtype=np.float32).reshape(6, 2)
    buf.add_batch(SampleBatch({"obs": obs, "t": np.arange(6)}))  # first add: the general path makes the buffer
    inner = buf.replay_buffers[DEFAULT_POLICY_ID]
    buf.add_batch(SampleBatch({"obs": obs, "t": np.arange(6, 12)}))  # exact fit
    buf.add_batch(SampleBatch({"obs": obs.astype(np.float64), "t": np.arange(12, 18)}))  # cast
    buf.add_batch(SampleBatch({"obs": obs, "t": np.arange(18, 24), "eps": np.float32(0.1)}))  # a 0-d extra
    buf.add_batch(SampleBatch({"obs": obs[:0], "t": np.arange(0)}))  # no rows
    assert buf.num_added == 24 and len(inner) == 24 and inner.stats()["added_count"] == 24
    np.testing.assert_array_equal(inner._storage.gather(np.arange(24))["t"], np.arange(24))
    np.testing.assert_array_equal(inner.priorities(np.arange(24)), 1.0)  # all at the max priority
    buf.add_batch(SampleBatch({"obs": np.zeros((50, 2), np.float32), "t": np.arange(24, 74)}))  # > capacity
    assert buf.num_added == 74 and len(inner) == 40
    np.testing.assert_array_equal(inner._storage.gather(np.arange(40))["t"], np.r_[40:74, 34:40])
    with pytest.raises(ValueError, match="batch columns differ from the stored ones"):
        buf.add_batch(SampleBatch({"obs": obs}))
    assert buf.num_added == 74
    weighted = MultiAgentReplayBuffer(40, learning_starts=0, alpha=1.0, seed=0)
    for lo in (0, 6):  # a weights column sets the priorities: the general path each time
        weighted.add_batch(SampleBatch({"obs": obs, "t": np.arange(lo, lo + 6), "weights": np.full(6, 3.0 + lo)}))
    np.testing.assert_array_equal(weighted.priorities(DEFAULT_POLICY_ID, np.arange(12)), np.repeat([3.0, 9.0], 6))
    assert weighted.num_added == 12


def test_replayed_batch_is_what_the_constructor_makes():
    """replay()'s MultiAgentBatch has the same object state (every attribute) as the constructor
    gives for the same samples and count."""
    buf = MultiAgentReplayBuffer(100, learning_starts=1, replay_batch_size=4, seed=0)
    buf.add_batch(_ma_batch(0))
    out = buf.replay()
    assert type(out) is MultiAgentBatch
    assert vars(out) == vars(MultiAgentBatch(out.policy_batches, 4))
    assert out.env_steps() == 4 and sorted(out.policy_batches) == ["p0", "p1"]
