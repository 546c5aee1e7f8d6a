"""rllib_compat.execution.replay_buffer (and utils.replay_buffers): RLlib's replay surface."""

import importlib

import numpy as np
import pytest

import rlcore.data.replay_buffers as rb
from rllib_compat.execution import replay_buffer as compat
from rllib_compat.policy.sample_batch import MultiAgentBatch, SampleBatch


def _item(lo, n):
    return SampleBatch({"obs": np.arange(lo, lo + n, dtype=np.float32), "rewards": np.ones(n, np.float32)})


@pytest.mark.parametrize(
    "path, name, obj",
    [
        ("rllib_compat.utils.replay_buffers", "ReplayBuffer", rb.ReplayBuffer),
        ("rllib_compat.utils.replay_buffers", "PrioritizedReplayBuffer", rb.PrioritizedReplayBuffer),
        ("rllib_compat.utils.replay_buffers", "ReservoirReplayBuffer", rb.ReservoirBuffer),
        ("rllib_compat.utils.replay_buffers", "MultiAgentReplayBuffer", rb.MultiAgentReplayBuffer),
        ("rllib_compat.utils.replay_buffers", "ReplayMode", rb.ReplayMode),
        ("rllib_compat.utils.replay_buffers", "StorageUnit", rb.StorageUnit),
    ],
)
def test_utils_path_reexports_rlcore_objects(path, name, obj):
    assert getattr(importlib.import_module(path), name) is obj


@pytest.mark.parametrize(
    "cls, base",
    [
        (compat.ReplayBuffer, rb.ReplayBuffer),
        (compat.PrioritizedReplayBuffer, rb.PrioritizedReplayBuffer),
        (compat.PrioritizedReplayBuffer, compat.ReplayBuffer),
        (compat.LocalReplayBuffer, rb.MultiAgentReplayBuffer),
    ],
)
def test_compat_classes_are_rlcore_subclasses(cls, base):
    assert issubclass(cls, base)


def test_replay_buffer_stores_items_and_samples_num_items():
    buf = compat.ReplayBuffer(10, seed=0)
    buf.add(_item(0, 4), weight=None)
    buf.add(_item(4, 4), 1.0)
    assert len(buf) == 2
    out = buf.sample(3)
    assert out.count == 12
    for k in range(3):
        seg = out["obs"][4 * k : 4 * k + 4]
        assert seg[0] in (0.0, 4.0) and (np.diff(seg) == 1).all()
    buf.add(_item(8, 4), None)  # 12 rows > 10: the oldest item is evicted
    assert len(buf) == 2 and 0.0 not in buf.sample(20)["obs"]
    assert buf.stats()["added_count"] == 12


def test_prioritized_add_weight_sample_beta_update():
    buf = compat.PrioritizedReplayBuffer(100, alpha=1.0, seed=0)
    buf.add(_item(0, 2), weight=1.0)
    buf.add(_item(2, 2), weight=9.0)
    out = buf.sample(1000, beta=0.5)
    assert out.count == 2000
    freq = np.mean(out["batch_indexes"] == 1)
    assert 0.85 < freq < 0.95
    # IS weights: item 0 has the min probability, so weight 1; item 1 gets (9/1) ** -0.5 = 1/3
    np.testing.assert_allclose(out["weights"][out["batch_indexes"] == 0], 1.0)
    np.testing.assert_allclose(out["weights"][out["batch_indexes"] == 1], 1 / 3, rtol=1e-6)
    buf.update_priorities([1], [1.0])
    assert 0.4 < np.mean(buf.sample(2000, beta=0.4)["batch_indexes"] == 1) < 0.6
    buf.add(_item(4, 2), weight=None)  # max priority seen so far (9.0)
    assert buf.priorities([2])[0] == pytest.approx(9.0)
    with pytest.raises(ValueError, match="priorities must be finite and > 0"):
        buf.update_priorities([0], [0.0])


def test_local_replay_buffer_semantics():
    buf = compat.LocalReplayBuffer(
        num_shards=2, learning_starts=8, buffer_size=40, replay_batch_size=5,
        prioritized_replay_alpha=0.6, prioritized_replay_beta=0.4, prioritized_replay_eps=1e-6, seed=0,
    )
    assert (buf.buffer_size, buf.replay_starts) == (20, 4)
    assert buf.replay() is None
    buf.add_batch(_item(0, 6))
    out = buf.replay()
    assert isinstance(out, MultiAgentBatch) and out.policy_batches["default_policy"].count == 5
    b = out.policy_batches["default_policy"]
    buf.update_priorities({"default_policy": (b["batch_indexes"], np.ones(5))})
    st = buf.stats()
    assert {"add_batch_time_ms", "replay_time_ms", "update_priorities_time_ms", "policy_default_policy"} <= set(st)
    assert isinstance(buf.get_host(), str)
    with pytest.raises(ValueError, match="replay_mode"):
        compat.LocalReplayBuffer(replay_mode="bogus")


def test_local_replay_buffer_is_a_parallel_iterator_worker():
    buf = compat.LocalReplayBuffer(learning_starts=4, buffer_size=100, replay_batch_size=2, seed=0)
    buf.par_iter_init([])
    assert buf.par_iter_next() is None  # not enough data yet: RLlib's Replay op filters these
    buf.add_batch(_item(0, 4))
    assert [x.policy_batches["default_policy"].count for x in buf.par_iter_next_batch(0)] == [2]


def test_importing_does_not_import_ray():
    import subprocess
    import sys

    code = "import sys, rllib_compat.execution.replay_buffer as m; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.ray
def test_replay_actor(ray_session):
    ray = ray_session
    actor = compat.ReplayActor.remote(learning_starts=2, buffer_size=50, replay_batch_size=3)
    ray.get(actor.add_batch.remote(_item(0, 4)), timeout=60)
    out = ray.get(actor.replay.remote(), timeout=60)
    assert out.policy_batches["default_policy"].count == 3
    ray.kill(actor)
