"""The trial folder outside Tune (params.json, result.json, progress.csv, TensorBoard events) and a
console free of Tune's own messages, for a Trainer built in Python and for ``rlcore train``."""

import csv
import glob
import json
import math
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from rlcore.trial_logger import TrialLogger

TUNE_MESSAGES = ("Trainable.setup took", "reuse_actors", "Install gputil", "Restored on")


def make_tiny_trainer(name="TinyLog"):
    """A trainer whose plan yields fixed results (no sampling): iteration i has reward i, loss 1/i."""
    from rlcore.dataflow import from_range
    from rlcore.policy.policy import Policy
    from rlcore.trainer import build_trainer, with_common_config

    class Still(Policy):
        def compute_actions(self, obs_batch, state_batches=None, **kw):
            return np.zeros(len(obs_batch), np.int64), [], {}

        def get_weights(self):
            return {}

        def set_weights(self, weights):
            pass

    def plan(workers, config):
        def result(i):
            return {"timesteps_this_iter": 10, "episode_reward_mean": float(i + 1), "episode_reward_min": math.nan,
                    "info": {"learner": {"default_policy": {"loss": 1.0 / (i + 1)}}},
                    "hist_stats": {"episode_reward": [1.0, 2.0, float(i + 1)]}}

        return from_range(10**6, num_shards=1, backend="inprocess").gather_sync().for_each(result)

    return build_trainer(name, default_config=with_common_config({}), default_policy=Still, execution_plan=plan)


def read_events(logdir):
    """``{tag: [(step, value), ...]}`` of every scalar and ``{tag: [step, ...]}`` of every histogram.

    Reads the TFRecord framing (length, crc, payload, crc) and parses each payload with
    tensorboardX's ``Event`` proto; neither tensorboard nor tensorboardX ships a reader.
    """
    from tensorboardX.proto.event_pb2 import Event

    (path,) = glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
    scalars, histograms = {}, {}
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack("<Q", data[pos:pos + 8])
        event = Event.FromString(data[pos + 12:pos + 12 + length])
        pos += 12 + length + 4
        for value in event.summary.value:
            if value.HasField("histo"):
                histograms.setdefault(value.tag, []).append(event.step)
            else:
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
    return scalars, histograms


def read_csv(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


# -- TrialLogger ---------------------------------------------------------------------------------


def test_progress_csv_is_tunes_format(tmp_path):
    log = TrialLogger(str(tmp_path))
    log.on_result({"training_iteration": 1, "info": {"learner": {"loss": 0.5}}, "config": {"lr": 1}, "x": [1, 2]})
    log.on_result({"training_iteration": 2, "info": {"learner": {"loss": 0.25}}, "late_key": 7})
    log.on_result({"training_iteration": 3})
    log.close()
    header, rows = read_csv(tmp_path / "progress.csv")
    assert header == ["training_iteration", "info/learner/loss", "x"]  # flattened with "/", no config
    assert rows == [{"training_iteration": "1", "info/learner/loss": "0.5", "x": "[1, 2]"},
                    {"training_iteration": "2", "info/learner/loss": "0.25", "x": ""},  # late_key left out
                    {"training_iteration": "3", "info/learner/loss": "", "x": ""}]


def test_progress_csv_appends_under_the_existing_header(tmp_path):
    first = TrialLogger(str(tmp_path))
    first.on_result({"a": 1, "b": 2})
    first.close()
    second = TrialLogger(str(tmp_path))
    second.on_result({"b": 4, "a": 3, "c": 5})
    second.close()
    assert (tmp_path / "progress.csv").read_text().splitlines() == ["a,b", "1,2", "3,4"]


def test_result_json_lines_and_params_json(tmp_path):
    log = TrialLogger(str(tmp_path))
    log.update_config({"lr": np.float32(0.5), "model": {"fcnet_hiddens": [8]}})
    log.on_result({"training_iteration": 1, "reward": np.float64(2.5), "hist_stats": {"r": [1]}, "config": {}})
    log.close()
    assert json.loads((tmp_path / "params.json").read_text()) == {"lr": 0.5, "model": {"fcnet_hiddens": [8]}}
    (line,) = (tmp_path / "result.json").read_text().splitlines()
    assert json.loads(line) == {"training_iteration": 1, "reward": 2.5}


def test_tensorboard_scalars_under_ray_tune_at_timesteps_total(tmp_path):
    log = TrialLogger(str(tmp_path))
    for i in (1, 2):
        log.on_result({"training_iteration": i, "timesteps_total": 100 * i, "time_total_s": 1.0, "done": False,
                       "episode_reward_mean": 10.0 * i, "episode_reward_max": np.float32(i), "nan_metric": math.nan,
                       "info": {"learner": {"default_policy": {"loss": np.float64(0.5 / i)}}},
                       "hist_stats": {"episode_reward": [1.0, 2.0]}, "config": {"lr": 0.1}, "text": "x"})
    log.close()
    scalars, histograms = read_events(tmp_path)
    assert scalars["ray/tune/episode_reward_mean"] == [(100, 10.0), (200, 20.0)]
    assert scalars["ray/tune/episode_reward_max"] == [(100, 1.0), (200, 2.0)]
    assert scalars["ray/tune/info/learner/default_policy/loss"] == [(100, 0.5), (200, 0.25)]
    assert scalars["ray/tune/timesteps_total"] == [(100, 100.0), (200, 200.0)]
    assert histograms == {"ray/tune/hist_stats/episode_reward": [100, 200]}
    # Tune plots neither the x axes nor NaN, text or the config.
    assert not {"ray/tune/training_iteration", "ray/tune/time_total_s", "ray/tune/nan_metric",
                "ray/tune/text", "ray/tune/config/lr"} & set(scalars)


def test_tensorboard_step_is_the_iteration_before_any_timestep(tmp_path):
    log = TrialLogger(str(tmp_path))
    log.on_result({"training_iteration": 3, "loss": 1.0})
    log.close()
    assert read_events(tmp_path)[0] == {"ray/tune/loss": [(3, 1.0)]}


def test_no_event_file_without_tensorboard(tmp_path):
    log = TrialLogger(str(tmp_path), tensorboard=False)
    log.on_result({"training_iteration": 1, "loss": 1.0})
    log.close()
    assert sorted(os.listdir(tmp_path)) == ["progress.csv", "result.json"]


# -- Trainer and CLI outside Tune ------------------------------------------------------------------


def _check_trial_folder(logdir, iterations):
    assert {"params.json", "result.json", "progress.csv"} <= set(os.listdir(logdir))
    header, rows = read_csv(os.path.join(logdir, "progress.csv"))
    assert [int(r["training_iteration"]) for r in rows] == list(range(1, iterations + 1))
    assert "info/learner/default_policy/loss" in header and "config" not in " ".join(header)
    results = [json.loads(line) for line in open(os.path.join(logdir, "result.json"))]
    assert [r["timesteps_total"] for r in results] == [10 * i for i in range(1, iterations + 1)]
    scalars, histograms = read_events(logdir)
    assert scalars["ray/tune/episode_reward_mean"] == [(10 * i, float(i)) for i in range(1, iterations + 1)]
    assert "ray/tune/info/learner/default_policy/loss" in scalars
    assert histograms["ray/tune/hist_stats/episode_reward"] == [10 * i for i in range(1, iterations + 1)]


def test_trainer_built_in_python_writes_its_trial_folder(results_under_tmp_path):
    T = make_tiny_trainer()
    t = T(config={"num_workers": 0, "log_sys_usage": False, "lr": 0.25}, env="CartPole-v1")
    try:
        t.train(), t.train()
    finally:
        t.stop()
    assert os.path.dirname(t.logdir) == results_under_tmp_path
    assert os.path.basename(t.logdir).startswith("TinyLog_CartPole-v1_")
    assert json.load(open(os.path.join(t.logdir, "params.json")))["lr"] == 0.25
    _check_trial_folder(t.logdir, 2)


def test_a_logger_creator_replaces_the_trial_logger(tmp_path):
    class Mine:
        def __init__(self, logdir):
            self.logdir, self.results, self.closed = logdir, [], False

        def on_result(self, result):
            self.results.append(result["training_iteration"])

        def close(self):
            self.closed = True

    mine = Mine(str(tmp_path / "mine"))
    t = make_tiny_trainer()(config={"num_workers": 0, "log_sys_usage": False}, env="CartPole-v1",
                            logger_creator=lambda config: mine)
    try:
        t.train()
    finally:
        t.stop()
    assert t.logdir == mine.logdir and mine.results == [1] and mine.closed
    assert os.listdir(mine.logdir) == []  # RLlib 1.x: a custom logger writes what it wants, nothing else


def test_cli_in_one_process_writes_progress_csv_and_events(tmp_path, capsys):
    from rlcore.cli import main
    from rlcore.registry import register_trainer

    register_trainer("TINY_LOG", make_tiny_trainer("TINY_LOG"))
    argv = ["train", "--run", "TINY_LOG", "--env", "CartPole-v1", "--local-dir", str(tmp_path),
            "--stop", '{"training_iteration": 3}', "--config", '{"log_sys_usage": false}']
    assert main(argv) == 0
    (trial,) = glob.glob(str(tmp_path / "default" / "TINY_LOG_CartPole-v1_*"))
    _check_trial_folder(trial, 3)
    assert json.load(open(os.path.join(trial, "params.json")))["num_workers"] == 0


# -- the console outside Tune ----------------------------------------------------------------------

# Setup, one iteration, save and restore of the tiny trainer in a fresh process, with Tune's
# setup-time threshold at 0 (its reuse_actors hint fires) and log_sys_usage on (its GPU-monitor hint
# fires); a user warning and an rlcore warning are logged while the trainer is being set up.
_CONSOLE_SCRIPT = """
import logging, runpy, sys
import ray.train.constants, ray.tune.trainable.trainable as trainable
ray.train.constants.DEFAULT_STORAGE_PATH = sys.argv[2]
trainable.SETUP_TIME_THRESHOLD = 0
T = runpy.run_path(sys.argv[1])["make_tiny_trainer"]("Console")
before_init = lambda trainer: (logging.getLogger("user_code").warning("user warning during setup"),
                               logging.getLogger("rlcore.sampling").warning("rlcore warning during setup"))
if sys.argv[3] == "python":
    t = T.with_updates(before_init=before_init)(config={"num_workers": 0}, env="CartPole-v1")
    t.train()
    t.restore(t.save(sys.argv[2] + "/ckpt"))
    t.stop()
else:
    from rlcore.cli import main
    from rlcore.registry import register_trainer
    register_trainer("CONSOLE", T.with_updates(name="CONSOLE", before_init=before_init))
    sys.exit(main(["train", "--run=CONSOLE", "--env=CartPole-v1", "--local-dir", sys.argv[2],
                   "--stop", '{"training_iteration": 1}', "--checkpoint-at-end"]))
"""


@pytest.mark.parametrize("mode", ["python", "cli"])
def test_console_outside_tune_has_no_tune_messages_but_keeps_warnings(tmp_path, mode):
    done = subprocess.run([sys.executable, "-c", _CONSOLE_SCRIPT, __file__, str(tmp_path), mode],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert [m for m in TUNE_MESSAGES if m in done.stderr] == [], done.stderr
    assert "user warning during setup" in done.stderr and "rlcore warning during setup" in done.stderr
