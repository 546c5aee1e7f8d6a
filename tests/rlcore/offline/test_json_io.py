"""JsonWriter / JsonReader (issue #16): a PPO run's output read back equal (compressed and not),
rotation and 1.x file names, 1.x lines, corrupt and truncated lines, 1.x pickled columns."""

import base64
import json
import os
import pickle
import re

import lz4.frame
import numpy as np
import pytest

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.offline import JsonReader, JsonWriter, OfflineDataError, PickledColumnError
from rlcore.sampling.callbacks import DefaultCallbacks

SEEN = []


class Record(DefaultCallbacks):
    def on_sample_end(self, *, worker, samples, **kwargs):
        SEEN.append(samples.copy())


def _assert_equal(read, written, exact_dtypes):
    assert sorted(read) == sorted(written)
    for k, col in written.items():
        got = read[k]
        if col.dtype == object:
            assert list(got) == list(col), k
            continue
        assert got.shape == col.shape, k
        assert np.array_equal(got, col), k
        if exact_dtypes or k in ("obs", "new_obs"):
            assert got.dtype == col.dtype, (k, got.dtype, col.dtype)


@pytest.mark.parametrize("compress", [["obs", "new_obs"], []])
def test_a_ppo_run_writes_files_the_reader_returns_equal(tmp_path, compress):
    from rlcore.algorithms.ppo import PPOTrainer

    SEEN.clear()
    out = tmp_path / "out"
    trainer = PPOTrainer(config={"env": "CartPole-v1", "framework": "torch", "num_workers": 0, "seed": 0,
                                 "rollout_fragment_length": 50, "train_batch_size": 100, "sgd_minibatch_size": 50,
                                 "num_sgd_iter": 1, "output": str(out), "output_compress_columns": compress,
                                 "callbacks": Record, "log_sys_usage": False})
    try:
        trainer.train()
        trainer.train()
    finally:
        trainer.stop()
    read = list(JsonReader(str(out)).read_all_files())
    assert len(read) == len(SEEN) == 4
    for r, w in zip(read, SEEN):
        _assert_equal(r, w, exact_dtypes=bool(compress))
    line = json.loads(open(JsonReader(str(out)).files[0]).readline())
    assert line["type"] == "SampleBatch" and isinstance(line["actions"], list)
    assert isinstance(line["obs"], str) == bool(compress)


def test_files_rotate_at_max_file_size_named_as_1x(tmp_path):
    w = JsonWriter(str(tmp_path), max_file_size=3000, compress_columns=[])
    batch = SampleBatch({"obs": np.random.default_rng(0).random((20, 4), np.float32), "t": np.arange(20)})
    for _ in range(10):
        w.write(batch)
    w.close()
    files = sorted(os.listdir(tmp_path), key=lambda n: int(n.rsplit("_", 1)[1].split(".")[0]))
    assert len(files) > 2 and files == [os.path.basename(f) for f in w.files]
    assert all(re.fullmatch(r"output-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_worker-0_\d+\.json", f) for f in files)
    sizes = [os.path.getsize(tmp_path / f) for f in files]
    line = len(open(tmp_path / files[0]).readline())
    assert all(size >= 3000 and size - line < 3000 for size in sizes[:-1]), sizes
    assert sum(1 for _ in JsonReader(str(tmp_path)).read_all_files()) == 10


def test_multi_agent_batches_round_trip(tmp_path):
    w = JsonWriter(str(tmp_path))
    ma = MultiAgentBatch({"p0": SampleBatch({"obs": np.ones((2, 3), np.float32), "actions": [0, 1]}),
                          "p1": SampleBatch({"obs": np.zeros((1, 3), np.float32), "actions": [1]})}, 2)
    w.write(ma)
    w.close()
    back = JsonReader(str(tmp_path)).next()
    assert isinstance(back, MultiAgentBatch) and back.count == 2
    assert back.policy_batches["p0"]["obs"].dtype == np.float32 and back.policy_batches["p1"]["actions"].tolist() == [1]


def test_an_rllib_1x_uncompressed_line_is_read(tmp_path):
    line = {"type": "SampleBatch", "obs": [[0.1, 0.2], [0.3, 0.4]], "actions": [1, 0], "rewards": [1.0, 1.0],
            "dones": [False, True], "eps_id": [7, 7], "infos": [{}, {"x": 1}], "action_prob": [0.5, 0.5]}
    path = tmp_path / "1x.json"
    path.write_text(json.dumps(line) + "\n")
    b = JsonReader(str(path)).next()
    assert b["obs"].dtype == np.float32 and b["obs"].shape == (2, 2) and b["dones"].dtype == bool
    assert b["actions"].dtype == np.int64 and b["infos"][1] == {"x": 1}


def _write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_a_corrupt_or_truncated_line_names_file_and_line(tmp_path):
    good = json.dumps({"type": "SampleBatch", "t": [1, 2]})
    path = _write_lines(tmp_path / "bad.json", [good, good, good[:-7]])
    reader = JsonReader(path)
    reader.next(), reader.next()
    with pytest.raises(OfflineDataError, match=re.escape(path) + " line 3: not valid JSON"):
        reader.next()
    other = _write_lines(tmp_path / "bad2.json", [good, json.dumps({"type": "Nope"}), json.dumps({"t": [1]})])
    with pytest.raises(OfflineDataError, match="bad2.json line 2: 'type' is 'Nope'"):
        list(JsonReader(other).read_all_files())


def test_ignore_corrupt_skips_and_counts(tmp_path):
    good = json.dumps({"type": "SampleBatch", "t": [1, 2]})
    path = _write_lines(tmp_path / "bad.json", [good, "{not json", good, '{"type": "SampleBatch", "a": [1], "b": [1, 2]}'])
    reader = JsonReader(path, ignore_corrupt=True)
    assert [reader.next().count for _ in range(4)] == [2, 2, 2, 2]
    assert reader.num_corrupt_lines == 3  # two per pass, the second pass begun


def _pickled_column(value):
    return base64.b64encode(lz4.frame.compress(pickle.dumps(value))).decode("ascii")


def test_a_1x_pickled_column_is_refused_unless_opted_in(tmp_path, caplog):
    obs = np.arange(6, dtype=np.float32).reshape(3, 2)
    path = _write_lines(tmp_path / "p.json", [json.dumps({"type": "SampleBatch", "obs": _pickled_column(obs),
                                                          "actions": [0, 1, 0]})])
    with pytest.raises(PickledColumnError, match=re.escape(path) + " line 1 column 'obs': RLlib 1.x stored this column "
                                                                   "as a pickle"):
        JsonReader(path).next()
    with caplog.at_level("WARNING"):
        b = JsonReader(path, allow_pickled_columns=True).next()
    assert np.array_equal(b["obs"], obs) and "unpickling a column" in caplog.text


def test_a_damaged_compressed_column_is_an_error_naming_it(tmp_path):
    w = JsonWriter(str(tmp_path / "o"))
    w.write(SampleBatch({"obs": np.ones((4, 2), np.float32)}))
    w.close()
    line = json.loads(open(w.files[0]).readline())
    raw = base64.b64decode(line["obs"])
    line["obs"] = base64.b64encode(raw[:-5]).decode("ascii")
    path = _write_lines(tmp_path / "d.json", [json.dumps(line)])
    with pytest.raises(OfflineDataError, match="d.json line 1 column 'obs': a damaged compressed column"):
        JsonReader(path).next()


def test_missing_inputs_and_uris_are_errors():
    with pytest.raises(ValueError, match="no files found"):
        JsonReader("/nonexistent/dir/*.json")
    with pytest.raises(ValueError, match="smart_open"):
        JsonWriter("s3://bucket/out")


def test_written_lines_are_plain_json_and_read_back_exactly(tmp_path):
    """orjson writes the lines; the standard library reads them as RLlib 1.x would, float32 values
    come back bit-exact, info values (numpy scalars too) as json.dumps would have written them,
    and non-finite floats (which orjson would turn into null) survive as NaN/Infinity."""
    rng = np.random.default_rng(0)
    infos = np.empty(3, object)
    infos[:] = [{}, {"x": np.float32(0.1), 7: (1, 2)}, {"s": "null", "n": None}]
    batch = SampleBatch({"obs": rng.standard_normal((3, 4)).astype(np.float32) * 1e-7,
                         "actions": np.array([0, 1, 1]), "dones": np.array([False, False, True]),
                         "vf_preds": rng.standard_normal(3), "infos": infos})
    odd = SampleBatch({"rewards": np.array([1.0, np.nan, -np.inf], np.float32), "t": np.arange(3)})
    w = JsonWriter(str(tmp_path), compress_columns=[])
    w.write(batch)
    w.write(odd)
    w.close()
    lines = open(w.files[0]).read().splitlines()
    first = json.loads(lines[0])
    assert first["type"] == "SampleBatch" and first["dones"] == [False, False, True]
    assert first["infos"] == [{}, {"x": float(np.float32(0.1)), "7": [1, 2]}, {"s": "null", "n": None}]
    assert "NaN" in lines[1] and "-Infinity" in lines[1]
    a, b = JsonReader(w.files[0]).read_all_files()
    assert a["obs"].dtype == np.float32 and np.array_equal(a["obs"], batch["obs"])
    assert np.array_equal(a["vf_preds"], batch["vf_preds"].astype(np.float32))
    assert a["actions"].dtype == np.int64 and a["dones"].dtype == bool
    assert a["infos"][1] == {"x": np.float32(0.1), "7": [1, 2]}
    assert np.array_equal(b["rewards"], odd["rewards"], equal_nan=True)


def test_an_rllib_1x_line_with_nan_is_read(tmp_path):
    line = json.dumps({"type": "SampleBatch", "rewards": [1.0, float("nan"), float("inf")], "t": [0, 1, 2]})
    assert "NaN" in line
    b = JsonReader(_write_lines(tmp_path / "nan.json", [line])).next()
    assert b["rewards"].dtype == np.float32 and np.isnan(b["rewards"][1]) and np.isinf(b["rewards"][2])
