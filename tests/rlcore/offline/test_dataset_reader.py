"""The Ray Data reader (issue #16): Parquet and JSON lines give the batches JsonReader gives, each
worker streams its share of the files, and MARWIL fed by 2 Ray workers from Parquet learns."""

import numpy as np
import pytest

from rlcore.data import concat_samples
from rlcore.offline import IOContext, JsonReader
from rlcore.offline.dataset_reader import DatasetReader, write_parquet


@pytest.fixture(scope="module")
def expert_json(ppo_expert_json):
    """The session's PPO expert data (tests/rlcore/conftest.py): several JSON-lines files."""
    return ppo_expert_json


@pytest.fixture(scope="module")
def expert_parquet(expert_json, tmp_path_factory):
    out = tmp_path_factory.mktemp("ppo_parquet")
    batches = list(JsonReader(expert_json).read_all_files())
    files = write_parquet(batches, str(out), rows_per_file=1500)
    return str(out), concat_samples(batches), files


@pytest.mark.ray
def test_parquet_rows_equal_the_json_rows(ray_session, expert_parquet):
    path, expected, files = expert_parquet
    assert len(files) >= 3
    config = {"input_config": {"format": "parquet", "paths": path}, "rollout_fragment_length": 500}
    reader = DatasetReader.from_config(IOContext(config=config))
    got = concat_samples([reader.next() for _ in range(-(-expected.count // 500))])
    assert got.count == expected.count == reader.rows_read
    for k in ("obs", "new_obs", "actions", "rewards", "terminateds", "eps_id", "action_prob"):
        assert got[k].dtype == expected[k].dtype and np.array_equal(got[k], expected[k]), k
    assert list(got["infos"]) == list(expected["infos"])
    assert reader.next().count == 500  # starts over
    reader.stop()


@pytest.mark.ray
def test_json_lines_through_ray_data_equal_json_reader(ray_session, expert_json):
    config = {"input_config": {"format": "json", "paths": expert_json}}
    reader = DatasetReader.from_config(IOContext(config=config))
    expected = list(JsonReader(expert_json).read_all_files())
    got = [reader.next() for _ in expected]
    assert [b.count for b in got] == [b.count for b in expected]
    reader.stop()
    assert all(np.array_equal(a["obs"], b["obs"]) for a, b in zip(got, expected))


@pytest.mark.slow
@pytest.mark.ray
def test_marwil_fed_by_two_workers_from_parquet_learns(ray_mod, expert_parquet):
    from rlcore.algorithms.marwil import MARWILTrainer

    path, _, files = expert_parquet
    trainer = MARWILTrainer(config=dict(
        env="CartPole-v1", framework="torch", num_workers=2, num_cpus_per_worker=0, seed=0, min_iter_time_s=0,
        log_sys_usage=False, input="dataset", input_config={"format": "parquet", "paths": path},
        input_evaluation=["is", "wis"], lr=1e-3, train_batch_size=500, rollout_fragment_length=250,
        evaluation_interval=5, evaluation_num_episodes=5, evaluation_config={"input": "sampler"}))
    best, result = -1.0, {}
    try:
        shares = trainer.workers.foreach_worker(lambda w: list(w.input_reader.child.files))
        for _ in range(60):
            result = trainer.train()
            if "evaluation" in result:
                best = max(best, result["evaluation"]["episode_reward_mean"])
                if best > 70:
                    break
        rows = trainer.workers.foreach_worker(lambda w: w.input_reader.child.rows_read)
    finally:
        trainer.stop()
    assert sorted(shares[1] + shares[2]) == sorted(files) and not set(shares[1]) & set(shares[2])
    assert rows[0] == 0 and rows[1] > 0 and rows[2] > 0  # the remote workers stream, the local one does not
    assert best > 70, best
    assert set(result["off_policy_estimator"]) == {"is", "wis"}
