"""Replay operators: store/replay with local buffers and replay shards, waiting, mixing in replay."""

import numpy as np
import pytest

from rlcore.data import SampleBatch
from rlcore.dataflow import NOT_READY, LocalIterator, SharedMetrics, get_metrics
from rlcore.ops import (
    MixInReplay,
    ReplayActor,
    SimpleReplayBuffer,
    StoreToReplayBuffer,
    WaitUntilTimestepsElapsed,
    concurrently,
    replay,
)


def _batches(n, rows=4):
    return [SampleBatch({"obs": np.arange(rows, dtype=np.float32) + 100 * i}) for i in range(n)]


def _rollouts(n, rows=4):
    def sample(b):
        get_metrics().counters["num_steps_sampled"] += b.count
        return b

    return LocalIterator(lambda t: iter(_batches(n, rows)), SharedMetrics(), name="rollouts").for_each(sample)


def test_replay_from_a_local_buffer_is_not_ready_until_learning_starts():
    buf = ReplayActor(capacity=100, learning_starts=8, replay_batch_size=3, seed=0)
    replayed = replay(local_buffer=buf)
    assert next(replayed) is NOT_READY
    for b in _batches(2):
        buf.add_batch(b)
    out = next(replayed)
    assert out.policy_batches["default_policy"].count == 3
    assert set(out.policy_batches["default_policy"]["obs"].tolist()) <= {0, 1, 2, 3, 100, 101, 102, 103}


def test_store_and_replay_round_robin_plan():
    buf = ReplayActor(capacity=100, learning_starts=12, replay_batch_size=2, seed=0)
    store_op = _rollouts(10).for_each(StoreToReplayBuffer(local_buffer=buf))
    replay_op = replay(local_buffer=buf)
    plan = concurrently([store_op, replay_op], mode="round_robin", output_indexes=[1])
    first = next(plan)  # stores go on while the replay side is not ready
    assert first.policy_batches["default_policy"].count == 2
    assert plan.shared_metrics.get().counters["num_steps_sampled"] == 12
    assert len(buf.replay_buffers["default_policy"]) == 12  # 3 stores, then the first replay


def test_store_to_replay_actors_spreads_batches():
    shards = [ReplayActor(capacity=100, learning_starts=0, replay_batch_size=1, seed=i) for i in range(2)]
    out = _rollouts(20).for_each(StoreToReplayBuffer(actors=shards, seed=0)).take(20)
    assert len(out) == 20
    held = [len(s.replay_buffers["default_policy"]) for s in shards]
    assert sum(held) == 80 and min(held) > 0


def test_replay_from_in_process_shards():
    shards = [ReplayActor(capacity=100, learning_starts=4, replay_batch_size=2, seed=i) for i in range(2)]
    shards[0].add_batch(_batches(1)[0])
    it = replay(actors=shards, num_async=1)
    items = it.take(4)
    ready = [x for x in items if x is not NOT_READY]
    assert ready and all(x.policy_batches["default_policy"].count == 2 for x in ready)
    assert NOT_READY in items  # the empty shard answered "not ready" instead of blocking


@pytest.mark.parametrize("kwargs", [{}, {"local_buffer": object(), "actors": [object()]}, {"actors": []}])
def test_store_and_replay_need_exactly_one_target(kwargs):
    with pytest.raises(ValueError, match="exactly one of local_buffer"):
        StoreToReplayBuffer(**kwargs)
    with pytest.raises(ValueError, match="exactly one of local_buffer"):
        replay(**kwargs)


def test_wait_until_timesteps_elapsed():
    it = _rollouts(6, rows=5).filter(WaitUntilTimestepsElapsed(12))
    assert [b["obs"][0] for b in it] == [200.0, 300.0, 400.0, 500.0]  # steps 15, 20, ... > 12


def test_simple_replay_buffer_ring():
    buf = SimpleReplayBuffer(3, seed=0)
    for i in range(5):
        buf.add_batch(i)
    assert sorted(buf.replay_batches) == [2, 3, 4] and len(buf) == 3
    assert {buf.replay() for _ in range(50)} == {2, 3, 4}
    empty = SimpleReplayBuffer(0)
    empty.add_batch(1)
    with pytest.raises(ValueError, match="empty"):
        empty.replay()


@pytest.mark.parametrize("proportion", [0.0, 0.5, 1.0, 2.5])
def test_mix_in_replay_proportion(proportion):
    op = MixInReplay(num_slots=10, replay_proportion=proportion, seed=1)
    outputs = [op(f"b{i}") for i in range(2000)]
    assert [o[0] for o in outputs] == [f"b{i}" for i in range(2000)]  # each input comes first
    mean_replayed = np.mean([len(o) - 1 for o in outputs])
    assert mean_replayed == pytest.approx(proportion, abs=0.08)


@pytest.mark.parametrize("kwargs,error", [
    ({"num_slots": 0, "replay_proportion": 0.5}, "needs num_slots > 0"),
    ({"num_slots": 2, "replay_proportion": -1}, "replay_proportion=-1"),
    ({"num_slots": -1, "replay_proportion": 0}, "num_slots=-1"),
])
def test_mix_in_replay_errors(kwargs, error):
    with pytest.raises(ValueError, match=error):
        MixInReplay(**kwargs)


@pytest.mark.ray
def test_replay_actors_on_ray(ray_session):
    actor_cls = ReplayActor.as_remote()
    shards = [actor_cls.remote(capacity=100, learning_starts=4, replay_batch_size=2, seed=i) for i in range(2)]
    try:
        store = StoreToReplayBuffer(actors=shards, seed=0)
        for b in _batches(4):
            store(b)
        ray_session.get([s.stats.remote() for s in shards], timeout=60)  # the adds have run
        it = replay(actors=shards, num_async=2)
        ready = []
        for _ in range(200):
            x = next(it)
            if x is not NOT_READY:
                ready.append((it.shared_metrics.get().current_actor, x))
            if len(ready) >= 4:
                break
        assert len(ready) == 4
        assert all(x.policy_batches["default_policy"].count == 2 for _, x in ready)
        assert {a for a, _ in ready} <= set(shards)
    finally:
        for s in shards:
            ray_session.kill(s)
