"""rllib_compat.train / rllib_compat.rollout: 1.x's ``python -m ray.rllib.train|rollout`` modules on the rlcore CLI."""

import glob
import os
import subprocess
import sys

from rllib_compat import rollout as rollout_module
from rllib_compat import train as train_module

CONFIG = '{"train_batch_size": 40, "rollout_fragment_length": 40, "log_sys_usage": false, "model": {"fcnet_hiddens": [8]}}'


def test_train_then_rollout_through_the_1x_modules(tmp_path, capsys):
    args = train_module.create_parser().parse_args([
        "--run", "PG", "--env", "CartPole-v1", "--torch", "--stop", '{"training_iteration": 1}', "--config", CONFIG,
        "--local-dir", str(tmp_path), "--checkpoint-at-end"])
    assert train_module.run(args, None) == 0
    ckpt = capsys.readouterr().out.split("checkpoint saved: ")[1].strip()
    assert glob.glob(os.path.join(tmp_path, "default", "PG_CartPole-v1_*", "progress.csv"))
    out = tmp_path / "episodes.pkl"
    args = rollout_module.create_parser().parse_args([ckpt, "--run", "PG", "--episodes", "2", "--out", str(out)])
    assert rollout_module.run(args) == 0
    episodes = rollout_module.RolloutSaver.load(str(out))
    assert len(episodes) == 2 and all(ep[-1][4] is True for ep in episodes)  # each ends done
    assert capsys.readouterr().out.count("episode ") == 2


def test_python_dash_m_entry_point(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "rllib_compat.train", "--run", "PG", "--env", "CartPole-v1", "--torch",
         "--stop", '{"training_iteration": 1}', "--config", CONFIG, "--local-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "iter    1" in proc.stdout
