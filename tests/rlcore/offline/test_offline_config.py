"""The ``input`` / ``output`` configs end to end (issue #16): a dir, a glob, a list and a weighted
dict all train; ``input_evaluation`` reports IS/WIS estimates; output to the logdir or a
callable; ``shuffle_buffer_size``; ``"simulation"``; config errors name key and value."""

import glob
import os

import numpy as np
import pytest

from rlcore.offline import IOContext, OutputWriter, ShuffledInput
from rlcore.trainer_config import normalize_config

BASE = {"env": "CartPole-v1", "framework": "torch", "num_workers": 0, "seed": 0, "log_sys_usage": False,
        "min_iter_time_s": 0}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A PPO run's output: several files of complete episodes with action probabilities."""
    from rlcore.algorithms.ppo import PPOTrainer

    out = tmp_path_factory.mktemp("ppo_out")
    trainer = PPOTrainer(config=dict(BASE, rollout_fragment_length=100, train_batch_size=200, sgd_minibatch_size=100,
                                     num_sgd_iter=1, batch_mode="complete_episodes", output=str(out),
                                     output_max_file_size=30_000))
    try:
        for _ in range(2):
            trainer.train()
    finally:
        trainer.stop()
    return str(out)


def _marwil(**config):
    from rlcore.algorithms.marwil import MARWILTrainer

    return MARWILTrainer(config={**BASE, "train_batch_size": 64, "rollout_fragment_length": 50, **config})


@pytest.mark.parametrize("form", ["dir", "glob", "list", "dict"])
def test_each_input_form_trains(data_dir, form):
    files = sorted(glob.glob(os.path.join(data_dir, "*.json")))
    assert len(files) >= 2
    value = {"dir": data_dir, "glob": os.path.join(data_dir, "*_0.json"), "list": files,
             "dict": {files[0]: 0.5, files[1]: 0.5}}[form]
    trainer = _marwil(input=value, input_evaluation=[])
    try:
        result = trainer.train()
        stats = result["info"]["learner"]["default_policy"]
        stats = stats.get("learner_stats", stats)
        assert result["info"]["num_steps_trained"] == 64 and np.isfinite(stats["total_loss"])
        assert result["timesteps_total"] >= 50
    finally:
        trainer.stop()


def test_input_evaluation_reports_is_and_wis(data_dir):
    trainer = _marwil(input=data_dir, input_evaluation=["is", "wis"])
    try:
        result = trainer.train()
    finally:
        trainer.stop()
    ope = result["off_policy_estimator"]
    assert set(ope) == {"is", "wis"}
    assert set(ope["is"]) == {"V_prev", "V_step_IS", "V_gain_est"}
    assert set(ope["wis"]) == {"V_prev", "V_step_WIS", "V_gain_est"}
    assert ope["is"]["V_prev"] > 1.0 and np.isfinite(ope["wis"]["V_step_WIS"])


def test_a_mix_with_the_sampler_and_simulation_report_env_episodes(data_dir):
    mixed = _marwil(input={"sampler": 0.5, data_dir: 0.5}, input_evaluation=[], rollout_fragment_length=200)
    sim = _marwil(input=data_dir, input_evaluation=["simulation"], rollout_fragment_length=200)
    try:
        mixed_result = [mixed.train() for _ in range(3)][-1]
        sim_result = sim.train()
    finally:
        mixed.stop()
        sim.stop()
    assert mixed_result["episodes_this_iter"] + mixed_result["episodes_total"] > 0
    assert np.isfinite(mixed_result["episode_reward_mean"])
    assert sim_result["episodes_this_iter"] > 0 and np.isfinite(sim_result["episode_reward_mean"])


def test_output_to_the_logdir_and_to_a_callable(tmp_path):
    from rlcore.algorithms.pg import PGTrainer

    seen = []

    class Keep(OutputWriter):
        def __init__(self, ioctx):
            assert isinstance(ioctx, IOContext) and ioctx.worker is not None
            self.ioctx = ioctx

        def write(self, sample_batch):
            seen.append(sample_batch.count)

    logdir_run = PGTrainer(config=dict(BASE, rollout_fragment_length=50, train_batch_size=50, output="logdir"))
    callable_run = PGTrainer(config=dict(BASE, rollout_fragment_length=50, train_batch_size=50, output=Keep))
    try:
        logdir_run.train()
        callable_run.train()
        written = glob.glob(os.path.join(logdir_run.logdir, "output-*_worker-0_0.json"))
    finally:
        logdir_run.stop()
        callable_run.stop()
    assert len(written) == 1 and seen == [50]


def test_shuffle_buffer_size_shuffles_the_readers_batches(tmp_path):
    from rlcore.data import SampleBatch
    from rlcore.offline import JsonWriter
    from rlcore.offline.io_config import input_creator

    writer = JsonWriter(str(tmp_path))
    for i in range(20):
        writer.write(SampleBatch({"t": np.array([i])}))
    writer.close()
    config = {"input": str(tmp_path), "shuffle_buffer_size": 4, "seed": 1}
    reader = input_creator(config)(IOContext(config=config))
    unshuffled = dict(config, shuffle_buffer_size=0)
    plain = input_creator(unshuffled)(IOContext(config=unshuffled))
    assert isinstance(reader, ShuffledInput) and reader.n == 4
    a = [int(reader.next()["t"][0]) for _ in range(12)]
    b = [int(plain.next()["t"][0]) for _ in range(12)]
    assert b == list(range(12)) and a != b and len(set(a)) == 12 and max(a) <= 15


@pytest.mark.parametrize("key, value, message", [
    ("input", 3, "config key 'input' = 3: expected 'sampler'"),
    ("input", {"a.json": 0.5, "b.json": 0.4}, "config key 'input' = .*probabilities >= 0 that sum to 1.0"),
    ("output", 5, "config key 'output' = 5: expected None, 'logdir'"),
    ("shuffle_buffer_size", -1, "config key 'shuffle_buffer_size' = -1"),
    ("input_config", {"allow_pickle": True}, "config key 'input_config' = .*unknown keys \\['allow_pickle'\\]"),
])
def test_bad_offline_values_name_key_and_value(key, value, message):
    with pytest.raises((TypeError, ValueError), match=message):
        normalize_config({"input": "x.json", key: value} if key != "input" else {key: value})


def test_an_unknown_estimator_is_an_error():
    with pytest.raises(ValueError, match="config key 'input_evaluation' has 'dm'"):
        normalize_config({"input": "x.json", "input_evaluation": ["dm"]})
