"""compress_observations: LZ4 rows over raw bytes with dtype and shape round-trip exactly through the
replay buffer, save memory on image-like observations, refuse what is not plain numeric data, and a
DQN trainer accepts and trains with the key."""

import tracemalloc

import numpy as np
import pytest

from rlcore.algorithms.dqn.replay_buffer import QReplayBuffer
from rlcore.data import SampleBatch
from rlcore.data.compression import MAGIC, compress_rows, decompress_rows


def _frames(n, seed=0):
    """Atari-like uint8 frames: mostly background, a moving block (compressible, like real screens)."""
    rng = np.random.default_rng(seed)
    frames = np.zeros((n, 42, 42, 4), np.uint8)
    for i in range(n):
        x, y = rng.integers(0, 34, 2)
        frames[i, x:x + 8, y:y + 8] = rng.integers(100, 255)
    return frames


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64, np.int64, np.bool_])
def test_rows_round_trip_exactly_with_dtype_and_shape(dtype):
    rng = np.random.default_rng(1)
    arr = (rng.normal(size=(5, 3, 2)) * 10).astype(dtype)
    cells = compress_rows(arr)
    assert all(isinstance(c, bytes) and c.startswith(MAGIC) for c in cells)
    back = decompress_rows(cells)
    assert back.dtype == arr.dtype and back.shape == arr.shape and np.array_equal(back, arr)


def test_object_arrays_and_foreign_bytes_are_refused():
    with pytest.raises(TypeError, match="dtype object is not a plain numeric dtype"):
        compress_rows(np.array([{"a": 1}, None], object))
    with pytest.raises(ValueError, match="a cell is not a compressed row"):
        decompress_rows([b"\x80\x04pickled"])


def test_buffer_round_trip_keeps_every_observation():
    frames = _frames(40)
    buf = QReplayBuffer(100, learning_starts=1, replay_batch_size=16, compress_observations=True, seed=0)
    buf.add_batch(SampleBatch({"obs": frames, "new_obs": frames[::-1].copy(), "actions": np.arange(40),
                               "rewards": np.zeros(40, np.float32)}))
    b = buf.replay().policy_batches["default_policy"]
    assert b["obs"].dtype == np.uint8 and b["obs"].shape == (16, 42, 42, 4)
    np.testing.assert_array_equal(b["obs"], frames[b["actions"]])
    np.testing.assert_array_equal(b["new_obs"], frames[::-1][b["actions"]])


def _stored_bytes(compress):
    frames = _frames(300)
    tracemalloc.start()
    buf = QReplayBuffer(300, learning_starts=1, replay_batch_size=1, compress_observations=compress, seed=0)
    for i in range(0, 300, 50):
        buf.add_batch(SampleBatch({"obs": frames[i:i + 50], "new_obs": frames[i:i + 50],
                                   "rewards": np.zeros(50, np.float32)}))
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert buf.replay() is not None
    return held


def test_compressed_buffer_holds_far_less_memory():
    raw, compressed = _stored_bytes(False), _stored_bytes(True)
    assert raw > 2 * 300 * 42 * 42 * 4  # both observation columns, uncompressed
    assert compressed < raw / 5, (raw, compressed)


def test_dqn_trains_with_compressed_observations(tiny_config):
    from rlcore.algorithms.dqn import DQNTrainer

    trainer = DQNTrainer(config=tiny_config("torch", hiddens=[16], compress_observations=True))
    try:
        result = trainer.train()
        stored = trainer.local_replay_buffer.replay_buffers["default_policy"].sample(4)
    finally:
        trainer.stop()
    assert result["info"]["num_steps_trained"] > 0
    # the env's small observations are kept raw inside (compressing them would cost memory)
    assert trainer.local_replay_buffer.compressed_columns[("default_policy", "obs")] is False
    assert stored["obs"].dtype == np.float32


def _cartpole(n, seed=0):
    rng = np.random.default_rng(seed)
    return SampleBatch({"obs": rng.standard_normal((n, 4)).astype(np.float32),
                        "new_obs": rng.standard_normal((n, 4)).astype(np.float32),
                        "actions": np.arange(n), "rewards": np.ones(n, np.float32)})


def test_small_observations_stay_raw_so_compression_never_costs_memory():
    """CartPole rows (16 bytes) would cost several times more as compressed bytes objects: the
    buffer keeps them raw, holds no more than without compression, and replays the same rows."""
    plain = QReplayBuffer(1000, learning_starts=1, replay_batch_size=32, compress_observations=False, seed=3)
    packed = QReplayBuffer(1000, learning_starts=1, replay_batch_size=32, compress_observations=True, seed=3)
    for i in range(5):
        plain.add_batch(_cartpole(200, i))
        packed.add_batch(_cartpole(200, i))
    assert packed.compressed_columns == {("default_policy", "obs"): False, ("default_policy", "new_obs"): False}
    size = lambda b: b.stats()["policy_default_policy"]["est_size_bytes"]  # noqa: E731
    assert size(packed) <= size(plain)
    a, b = plain.replay().policy_batches["default_policy"], packed.replay().policy_batches["default_policy"]
    for k in ("obs", "new_obs", "actions"):
        assert a[k].dtype == b[k].dtype
        np.testing.assert_array_equal(a[k], b[k])


def test_stored_bytes_counts_what_an_object_column_holds():
    from rlcore.algorithms.dqn.replay_buffer import stored_bytes

    small = np.zeros((10, 4), np.float32)
    cells = compress_rows(small)
    assert stored_bytes(small) == 160
    assert stored_bytes(cells) == sum(len(c) + 33 for c in cells) + 80  # bytes header 33, pointer 8
    assert stored_bytes(cells) > stored_bytes(small)
    frames = _frames(10)
    assert stored_bytes(compress_rows(frames)) < stored_bytes(frames) / 5


def test_compression_choice_is_per_policy_and_survives_a_checkpoint():
    from rlcore.data.multi_agent_batch import MultiAgentBatch

    frames = _frames(20)
    ma = MultiAgentBatch({"img": SampleBatch({"obs": frames, "new_obs": frames, "rewards": np.zeros(20, np.float32)}),
                          "vec": _cartpole(20)}, 20)
    buf = QReplayBuffer(100, learning_starts=1, replay_batch_size=4, compress_observations=True, seed=0)
    buf.add_batch(ma)
    assert buf.compressed_columns == {("img", "obs"): True, ("img", "new_obs"): True,
                                      ("vec", "obs"): False, ("vec", "new_obs"): False}
    assert buf.replay_buffers["img"].sample(1)["obs"].dtype == object
    assert buf.replay_buffers["vec"].sample(1)["obs"].dtype == np.float32
    restored = QReplayBuffer(100, learning_starts=1, replay_batch_size=4, compress_observations=True, seed=0)
    restored.set_state(buf.get_state())
    assert restored.compressed_columns == buf.compressed_columns
    restored.add_batch(ma)  # new rows take the stored layout of each column
    out = restored.replay().policy_batches
    assert out["img"]["obs"].dtype == np.uint8 and out["vec"]["obs"].dtype == np.float32
