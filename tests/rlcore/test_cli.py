"""The rlcore / rllib CLI: train in one process, checkpoints, restore, -f YAML, rollout, errors, Tune."""

import functools
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from rlcore.cli import main
from rlcore.registry import register_trainer

FAST = '{"rollout_fragment_length": 20, "train_batch_size": 20, "log_sys_usage": false}'


@functools.lru_cache(maxsize=None)
def _make_cli_trainer():
    """A tiny trainer on rlcore.ops' default plan: deterministic actions, weights count trained rows."""
    from rlcore.policy.policy import Policy
    from rlcore.trainer import build_trainer, with_common_config

    class CliPolicy(Policy):
        def __init__(self, observation_space, action_space, config):
            super().__init__(observation_space, action_space, config)
            self.w = np.zeros(2, np.float32)

        def compute_actions(self, obs_batch, state_batches=None, **kw):
            return (np.asarray(obs_batch)[:, 2] > 0).astype(np.int64), [], {}

        def learn_on_batch(self, samples):
            self.w += samples.count
            return {"learner_stats": {"w0": float(self.w[0])}}

        def get_weights(self):
            return {"w": self.w.copy()}

        def set_weights(self, weights):
            self.w = np.array(weights["w"], np.float32)

    def plan(workers, config):
        from rlcore.trainer import default_execution_plan

        return default_execution_plan(workers, config)

    return build_trainer("CLI_COUNT", default_config=with_common_config({}), default_policy=CliPolicy,
                         execution_plan=plan)


@pytest.fixture(autouse=True)
def cli_trainer():
    """Registers ``CLI_COUNT`` (the class is made once per process). Function-scoped: the tests share
    no instance, so ``make test`` may spread them (four run Ray Tune) over its workers."""
    cls = _make_cli_trainer()
    register_trainer("CLI_COUNT", cls)
    return cls


def _train(tmp_path, *extra):
    return main(["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--local-dir", str(tmp_path),
                 "--config", FAST, *extra])


def _trial_dir(tmp_path, experiment="default"):
    (name,) = os.listdir(tmp_path / experiment)
    return tmp_path / experiment / name


def test_train_in_one_process_prints_progress_and_checkpoints(tmp_path, capsys):
    import ray

    ray_was_up = ray.is_initialized()
    assert _train(tmp_path, "--stop", '{"training_iteration": 2}', "--checkpoint-freq", "1") == 0
    out = capsys.readouterr().out.splitlines()
    progress = [line for line in out if line.startswith("iter ")]
    assert len(progress) == 2 and "reward" in progress[0] and "steps/s" in progress[0]
    assert "timesteps        40" in progress[1]
    saved = [line.split(": ", 1)[1] for line in out if line.startswith("checkpoint saved: ")]
    assert len(saved) == 2 and all(os.path.isfile(p) for p in saved)
    trial = _trial_dir(tmp_path)
    results = [json.loads(line) for line in open(trial / "result.json")]
    assert [r["training_iteration"] for r in results] == [1, 2]
    assert json.load(open(trial / "params.json"))["num_workers"] == 0
    if not ray_was_up:
        assert not ray.is_initialized(), "the default train path must not start Ray"


def test_stop_on_any_result_key_and_checkpoint_at_end(tmp_path, capsys):
    assert _train(tmp_path, "--stop", '{"timesteps_total": 60, "training_iteration": 100}', "--checkpoint-at-end") == 0
    out = capsys.readouterr().out
    assert out.count("\niter ") + out.startswith("iter ") == 3
    assert out.count("checkpoint saved: ") == 1 and "checkpoint-3" in out


def test_restore_continues_counters(tmp_path, capsys):
    assert _train(tmp_path / "a", "--stop", '{"training_iteration": 2}', "--checkpoint-at-end") == 0
    ckpt = capsys.readouterr().out.split("checkpoint saved: ")[1].strip()
    assert _train(tmp_path / "b", "--stop", '{"training_iteration": 3}', "--restore", ckpt) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "at iteration 2" in out
    progress = [line for line in out.splitlines() if line.startswith("iter ")]
    assert len(progress) == 1 and progress[0].startswith("iter    3") and "timesteps        60" in progress[0]


def test_experiments_yaml(tmp_path, capsys):
    spec = tmp_path / "exp.yaml"
    spec.write_text(f"""
cartpole-count:
    env: CartPole-v1
    run: CLI_COUNT
    stop: {{training_iteration: 1}}
    local_dir: {tmp_path}
    config:
        rollout_fragment_length: 10
        train_batch_size: 10
        log_sys_usage: false
""")
    assert main(["train", "-f", str(spec)]) == 0
    assert "timesteps        10" in capsys.readouterr().out
    assert (tmp_path / "cartpole-count").is_dir()


@pytest.mark.parametrize("argv, message", [
    (["train", "--run", "PP0", "--env", "CartPole-v1"], "unknown algorithm 'PP0'; did you mean 'PPO'?"),
    (["train", "--run", "CLI_COUNT", "--env", "CartPole-v9"],
     "env 'CartPole-v9' is neither a name registered with register_env nor a gymnasium id. Close matches: CartPole-v1"),
    (["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--config", '{"lrr": 0.1}'],
     "unknown config key 'lrr'; did you mean 'lr'?"),
    (["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--config", '{"num_workers": "0"}'],
     "config key 'num_workers' = '0' has type str; expected int"),
    (["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--config", FAST, "--stop", '{"episode_rew_mean": 1}'],
     "stop criterion 'episode_rew_mean' is not a key of the result; did you mean 'episode_reward_mean'?"),
    (["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--torch", "--trace"], "--trace needs a TensorFlow framework"),
    (["train", "--env", "CartPole-v1"], "no algorithm: pass --run"),
    (["train", "--run", "CLI_COUNT"], "no env: pass --env"),
    (["train", "-f", "/nonexistent/exp.yaml"], "experiments file '/nonexistent/exp.yaml' does not exist"),
    (["rollout", "/nonexistent/ckpt", "--run", "CLI_COUNT", "--env", "CartPole-v1"], "checkpoint '/nonexistent/ckpt' does not exist"),
])
def test_errors_are_one_line_with_suggestion(tmp_path, capsys, argv, message):
    if argv[0] == "train":
        argv = [*argv, "--local-dir", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rlcore: error: ") and message in err[0], err


def test_corrupt_checkpoint_on_restore_and_rollout(tmp_path, capsys):
    bad = tmp_path / "checkpoint-5"
    bad.write_bytes(b"\x93\x01\x02")
    assert _train(tmp_path, "--restore", str(bad)) == 1
    assert main(["rollout", str(bad), "--run", "CLI_COUNT", "--env", "CartPole-v1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all("is corrupt or not an rlcore trainer checkpoint" in line for line in err)


def test_bad_json_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--run", "PPO", "--env", "CartPole-v1", "--config", "{lr: 1}"])
    assert exit_.value.code == 2 and "--config is not valid JSON" in capsys.readouterr().err


def test_rollout_plays_episodes_from_a_checkpoint(tmp_path, capsys):
    assert _train(tmp_path, "--stop", '{"training_iteration": 1}', "--checkpoint-at-end") == 0
    ckpt = capsys.readouterr().out.split("checkpoint saved: ")[1].strip()
    assert main(["rollout", ckpt, "--run", "CLI_COUNT", "--episodes", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["episode 1", "episode 2"]
    assert main(["rollout", os.path.dirname(ckpt), "--run", "CLI_COUNT", "--steps", "7"]) == 0
    assert "length 7 (cut by --steps)" in capsys.readouterr().out
    assert main(["rollout", ckpt, "--run", "PG", "--steps", "7"]) == 1
    assert "was written by CLI_COUNT, not PG" in capsys.readouterr().err


def test_rllib_console_script_error_exit_status(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "rllib")
    assert os.path.exists(exe), f"no {exe}: install the package with its console scripts (pip install -e '.[dev]')"
    proc = subprocess.run([exe, "train", "--run=PP0", "--env=CartPole-v1", f"--local-dir={tmp_path}"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    from rlcore.registry import BUILTIN_TRAINERS

    assert proc.stderr.strip().splitlines()[-1] == (  # a fresh process: the built-in names only
        f"rlcore: error: unknown algorithm 'PP0'; did you mean 'PPO'? Known: {', '.join(sorted(BUILTIN_TRAINERS))}")


@pytest.mark.slow
@pytest.mark.parametrize("flags", [["--torch"], ["--config", '{"framework": "tf2", "eager_tracing": true}']])
def test_real_ppo_two_iterations(tmp_path, capsys, flags):
    small = {"train_batch_size": 200, "sgd_minibatch_size": 100, "num_sgd_iter": 2, "rollout_fragment_length": 100,
             "log_sys_usage": False, "model": {"fcnet_hiddens": [16]}}
    if flags[0] == "--config":
        small.update(json.loads(flags[1]))
        flags = []
    argv = ["train", "--run", "PPO", "--env", "CartPole-v0", "--stop", '{"training_iteration": 2}',
            "--local-dir", str(tmp_path), "--config", json.dumps(small), *flags]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "iter    2" in out and "timesteps       400" in out


@pytest.mark.ray
def test_num_samples_runs_through_tune(ray_session, tmp_path, capsys):
    assert main(["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--local-dir", str(tmp_path),
                 "--config", FAST, "--stop", '{"training_iteration": 2}', "--num-samples", "2",
                 "--checkpoint-at-end"]) == 0
    out = capsys.readouterr().out
    summary = [line for line in out.splitlines() if re.match(r"^CLI_COUNT_\S+ TERMINATED  iter    2", line)]
    saved = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("checkpoint saved: ")]
    assert len(summary) == 2 and len(saved) == 2
    assert all(os.path.isfile(os.path.join(path, "checkpoint-2")) for path in saved)
    assert ray_session.is_initialized(), "the CLI must not shut down a Ray session it did not start"


@pytest.mark.ray
def test_trial_larger_than_the_cluster_is_an_error(ray_session, tmp_path, capsys):
    assert main(["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--local-dir", str(tmp_path),
                 "--config", '{"num_workers": 5}', "--stop", '{"training_iteration": 1}']) == 1
    err = capsys.readouterr().err
    assert "one CLI_COUNT trial needs 6 CPUs" in err and "the Ray cluster has 2" in err


@pytest.mark.ray
def test_tune_path_checkpoint_and_restore(ray_session, tmp_path, capsys):
    base = ["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--local-dir", str(tmp_path), "--config", FAST,
            "--ray-address", "auto"]
    assert main([*base, "--stop", '{"training_iteration": 1}', "--checkpoint-at-end"]) == 0
    ckpt = capsys.readouterr().out.split("checkpoint saved: ")[1].strip()
    assert main([*base, "--stop", '{"training_iteration": 2}', "--restore", os.path.join(ckpt, "checkpoint-1")]) == 0
    summary = [line for line in capsys.readouterr().out.splitlines() if line.startswith("CLI_COUNT_")]
    assert len(summary) == 1 and "TERMINATED  iter    2" in summary[0] and "timesteps        40" in summary[0]
    assert main([*base, "--restore", str(tmp_path / "missing")]) == 1
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.ray
def test_num_workers_trains_through_tune_with_remote_workers(ray_session, tmp_path, capsys):
    config = json.dumps({**json.loads(FAST), "num_workers": 1, "num_cpus_per_worker": 0.5})
    assert main(["train", "--run", "CLI_COUNT", "--env", "CartPole-v1", "--local-dir", str(tmp_path),
                 "--config", config, "--stop", '{"training_iteration": 2}']) == 0
    summary = [line for line in capsys.readouterr().out.splitlines() if line.startswith("CLI_COUNT_")]
    assert len(summary) == 1 and "TERMINATED  iter    2" in summary[0] and "timesteps        40" in summary[0]
