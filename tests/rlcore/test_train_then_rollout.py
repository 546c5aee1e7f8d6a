"""RLlib 1.x's train-then-rollout workflow on the CLI: ``rllib train --checkpoint-freq 1`` then
``rllib rollout CHECKPOINT --run ALGO --env ENV --steps N --out FILE``, single- and multi-agent; the
``--out`` file is msgpack (read without pickle); ``--video-dir`` is a clear error."""

import os

import gymnasium as gym
import msgpack
import numpy as np
import pytest

from rlcore.cli import main
from rlcore.env import MultiAgentEnv, register_env


class TwoPoles(MultiAgentEnv):
    """Two CartPoles, agents 0 and 1; the episode ends when both have ended. Declares its spaces."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, config=None):
        self.envs = [gym.make("CartPole-v1") for _ in range(2)]
        self.done = set()

    def reset(self, *, seed=None, options=None):
        self.done = set()
        return {i: env.reset(seed=None if seed is None else seed + i)[0] for i, env in enumerate(self.envs)}, {}

    def step(self, action_dict):
        obs, rew, term, trunc = {}, {}, {}, {}
        for i, a in action_dict.items():
            obs[i], rew[i], term[i], trunc[i], _ = self.envs[i].step(int(a))
            if term[i] or trunc[i]:
                self.done.add(i)
        term["__all__"] = len(self.done) == 2
        trunc["__all__"] = False
        return obs, rew, term, trunc, {}


register_env("two_poles_cli", lambda ctx: TwoPoles(ctx))


def _checkpoint(tmp_path, env):
    argv = ["train", "--run", "PPO", "--env", env, "--torch", "--checkpoint-freq", "1", "--local-dir", str(tmp_path),
            "--stop", '{"training_iteration": 1}',
            "--config", '{"train_batch_size": 100, "rollout_fragment_length": 50, "sgd_minibatch_size": 50, '
                        '"num_sgd_iter": 1, "model": {"fcnet_hiddens": [8]}}']
    assert main(argv) == 0
    found = [os.path.join(d, f) for d, _, files in os.walk(tmp_path) for f in files if f.startswith("checkpoint-")]
    assert len(found) == 1, found
    return os.path.dirname(found[0])


@pytest.mark.parametrize("env, agents", [("CartPole-v1", 1), ("two_poles_cli", 2)])
def test_train_with_checkpoints_then_rollout_to_a_file(tmp_path, capsys, env, agents):
    checkpoint = _checkpoint(tmp_path / "results", env)
    out = tmp_path / "rollout.msgpack"
    capsys.readouterr()
    assert main(["rollout", checkpoint, "--run", "PPO", "--env", env, "--steps", "60", "--out", str(out)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("episode ")]
    with open(out, "rb") as f:
        episodes = msgpack.unpackb(f.read(), raw=False, strict_map_key=False)  # no pickle involved
    assert isinstance(episodes, list) and len(episodes) == len(lines) >= 1
    assert sum(len(ep) for ep in episodes) >= 60  # --steps 60 (the episode under way is finished)
    obs, action, next_obs, reward, done = episodes[0][0]
    per_agent = obs if agents > 1 else {0: obs}
    assert sorted(per_agent) == list(range(agents))
    dtype, shape, data = per_agent[0]["__ndarray__"]  # numpy arrays as typed blobs
    assert dtype == "<f4" and shape == [4] and len(np.frombuffer(data, dtype)) == 4
    from rlcore.rollout import RolloutSaver

    decoded = RolloutSaver.load(str(out))
    first = decoded[0][0][0] if agents == 1 else decoded[0][0][0][0]
    assert isinstance(first, np.ndarray) and first.shape == (4,)


def test_video_dir_is_a_clear_error(tmp_path, capsys):
    checkpoint = _checkpoint(tmp_path / "results", "CartPole-v1")
    assert main(["rollout", checkpoint, "--run", "PPO", "--steps", "5", "--video-dir", str(tmp_path / "v")]) != 0
    err = capsys.readouterr().err
    assert "--video-dir" in err and "episode videos are not available" in err and "RecordVideo" in err
