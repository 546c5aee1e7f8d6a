"""rlcore.rollout: episodes with a trainer's policies (single-agent, multi-agent, recurrent), the saver, the CLI's --out."""

import os
import shelve

import gymnasium as gym
import numpy as np
import pytest

from rlcore.env import MultiAgentEnv
from rlcore.rollout import RolloutSaver, keep_going, rollout


FAST = {"framework": "torch", "num_workers": 0, "rollout_fragment_length": 20, "train_batch_size": 20,
        "log_sys_usage": False, "seed": 0, "model": {"fcnet_hiddens": [8]}}


class CountEnv(gym.Env):
    """Ends after ``length`` steps; reward 1 per step; observation = step count."""

    def __init__(self, config=None):
        self.length = int((config or {}).get("length", 5))
        self.observation_space = gym.spaces.Box(0.0, 100.0, (1,), np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return np.zeros(1, np.float32), {"t": 0}

    def step(self, action):
        assert self.action_space.contains(action)
        self.t += 1
        return np.array([self.t], np.float32), 1.0, self.t >= self.length, False, {"t": self.t}


class TwoAgents(MultiAgentEnv):
    """Agents "a" and "b" act for 4 steps; "a" gets reward 1, "b" reward 2 per step."""

    def __init__(self, config=None):
        super().__init__()
        self.observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.action_space = gym.spaces.Discrete(3)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return {"a": np.zeros(2, np.float32), "b": np.ones(2, np.float32)}, {}

    def step(self, action_dict):
        assert set(action_dict) == {"a", "b"} and all(self.action_space.contains(a) for a in action_dict.values())
        self.t += 1
        done = self.t >= 4
        obs = {"a": np.zeros(2, np.float32), "b": np.ones(2, np.float32)}
        return obs, {"a": 1.0, "b": 2.0}, {"__all__": done}, {"__all__": False}, {}


def _trainer(env, **config):
    from rlcore.algorithms.pg import PGTrainer

    return PGTrainer(config={**FAST, **config}, env=env)


def test_keep_going_limits():
    assert keep_going(0, 0, 0, 0) and keep_going(4, 5, 1, 2)
    assert not keep_going(5, 5, 0, 0) and not keep_going(0, 0, 2, 2) and not keep_going(9, None, 3, 3)


def test_single_agent_episodes_steps_and_saver(tmp_path, capsys):
    trainer = _trainer(CountEnv, env_config={"length": 3})
    try:
        out = tmp_path / "rollouts.pkl"
        with RolloutSaver(str(out), save_info=True) as saver:
            episodes = rollout(trainer, "CountEnv", num_steps=0, num_episodes=2, saver=saver)
        assert episodes == [{"reward": 3.0, "length": 3, "done": True}] * 2
        data = RolloutSaver.load(str(out))
        assert len(data) == 2 and [len(ep) for ep in data] == [3, 3]
        obs, action, next_obs, reward, done, info = data[0][-1]
        assert obs.tolist() == [2.0] and next_obs.tolist() == [3.0] and reward == 1.0 and done is True
        assert info == {"t": 3} and action in (0, 1)
        assert capsys.readouterr().out.splitlines() == ["episode 1: reward 3.00, length 3"] * 1 + \
            ["episode 2: reward 3.00, length 3"]
        cut = rollout(trainer, "CountEnv", num_steps=4)
        assert cut == [{"reward": 3.0, "length": 3, "done": True}, {"reward": 1.0, "length": 1, "done": False}]
        assert "length 1 (cut by --steps)" in capsys.readouterr().out
    finally:
        trainer.stop()


def test_multi_agent_rollout_maps_agents_to_policies(capsys):
    from rlcore.algorithms.pg import PGTorchPolicy

    space, act = gym.spaces.Box(-1.0, 1.0, (2,), np.float32), gym.spaces.Discrete(3)
    trainer = _trainer(TwoAgents, multiagent={
        "policies": {"pa": (PGTorchPolicy, space, act, {}), "pb": (PGTorchPolicy, space, act, {})},
        "policy_mapping_fn": lambda agent_id: "p" + agent_id})
    calls = []
    compute_action = trainer.compute_action

    def spy(obs, *args, policy_id="default_policy", **kwargs):
        calls.append((policy_id, float(np.asarray(obs)[0])))
        return compute_action(obs, *args, policy_id=policy_id, **kwargs)

    trainer.compute_action = spy
    try:
        episodes = rollout(trainer, "TwoAgents", num_steps=0, num_episodes=1)
        assert episodes == [{"reward": 12.0, "length": 4, "done": True}]
        assert sorted(set(calls)) == [("pa", 0.0), ("pb", 1.0)] and len(calls) == 8
    finally:
        trainer.stop()


def test_recurrent_policy_carries_its_state():
    trainer = _trainer(CountEnv, env_config={"length": 4},
                       model={"fcnet_hiddens": [8], "use_lstm": True, "lstm_cell_size": 4, "max_seq_len": 4})
    states = []
    compute_action = trainer.compute_action

    def spy(obs, state=None, **kwargs):
        states.append([np.array(s) for s in state])
        return compute_action(obs, state, **kwargs)

    trainer.compute_action = spy
    try:
        assert rollout(trainer, "CountEnv", num_steps=0, num_episodes=1)[0]["length"] == 4
        assert len(states) == 4 and all(len(s) == 2 and s[0].shape == (4,) for s in states)
        assert all(np.all(s == 0.0) for s in states[0])  # the initial state
        assert not np.allclose(states[1][0], states[0][0])  # then the state the policy returned
    finally:
        trainer.stop()


def test_shelve_saver_and_progress_file(tmp_path):
    path = str(tmp_path / "rollouts")
    with RolloutSaver(path, use_shelve=True, write_update_file=True, target_episodes=2) as saver:
        for episode in range(2):
            saver.begin_rollout()
            saver.append_step(episode, 0, episode + 1, 1.0, True, {})
            saver.end_rollout()
            with open(os.path.join(tmp_path, "__progress_rollouts")) as f:
                assert f.read().strip() == f"{episode + 1} / 2 episodes completed"
    assert not os.path.exists(os.path.join(tmp_path, "__progress_rollouts"))
    with shelve.open(path) as shelf:
        assert shelf["num_episodes"] == 2 and shelf["1"] == [[1, 0, 2, 1.0, True]]


def test_output_is_msgpack_and_unpackable_values_are_named(tmp_path):
    path = str(tmp_path / "r.msgpack")
    with RolloutSaver(path) as saver:
        saver.begin_rollout()
        saver.append_step({"a": np.zeros(2, np.float32)}, (1, 2.5), None, 1.0, False, {})
        saver.end_rollout()
    with open(path, "rb") as f:
        assert b"cpickle" not in f.read() and not path.endswith(".pkl")
    (obs, action, next_obs, reward, done), = RolloutSaver.load(path)[0]
    assert obs["a"].dtype == np.float32 and action == [1, 2.5] and next_obs is None and done is False
    with pytest.raises(ValueError, match="cannot pack object into a policy state"):
        with RolloutSaver(str(tmp_path / "bad"), save_info=True) as saver:
            saver.begin_rollout()
            saver.append_step(0, 0, 0, 0.0, True, {"x": object()})
            saver.end_rollout()
    (tmp_path / "junk").write_bytes(b"\xc1")
    with pytest.raises(ValueError, match="is not msgpack"):
        RolloutSaver.load(str(tmp_path / "junk"))


def test_bad_arguments():
    trainer = _trainer(CountEnv)
    try:
        with pytest.raises(ValueError, match="num_steps=-1 and num_episodes=0 must be >= 0"):
            rollout(trainer, "CountEnv", num_steps=-1)
        with pytest.raises(ValueError, match="video_dir='/tmp/v': episode videos are not available"):
            rollout(trainer, "CountEnv", video_dir="/tmp/v")
    finally:
        trainer.stop()


def test_cli_rollout_out_file(tmp_path, capsys):
    from rlcore.cli import main

    trainer = _trainer("CartPole-v1")
    try:
        ckpt = trainer.save_checkpoint(str(tmp_path / "ck"))
    finally:
        trainer.stop()
    out = tmp_path / "out.pkl"
    assert main(["rollout", ckpt, "--run", "PG", "--episodes", "2", "--out", str(out), "--save-info"]) == 0
    data = RolloutSaver.load(str(out))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(data) == 2 and len(lines) == 2
    assert [int(line.split("length ")[1]) for line in lines] == [len(ep) for ep in data]
    assert all(len(row) == 6 for ep in data for row in ep)
