"""MultiAgentSampler on the compiled collector: per-policy collectors and slots, agents that act in
turns, finish early or appear later, rewards between an agent's actions, complete episodes, RNN
state columns, and the native collector against its numpy twin."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore import _backend, _reference
from rlcore.env import MultiAgentEnv
from rlcore.policy.policy import Policy
from rlcore.sampling.rollout_worker import RolloutWorker

OBS = gym.spaces.Box(-1e6, 1e6, (2,), np.float32)
ACT = gym.spaces.Discrete(3)


class Scripted(MultiAgentEnv):
    """obs = [agent code, t]. ``script[t]`` (t = 1..) says who observes, who is rewarded and who is
    done after step t; at reset agents ``first`` observe."""

    observation_space, action_space = OBS, ACT

    def __init__(self, script, first=("a", "b")):
        self.script, self.first = script, first
        self.t = 0
        self.seen = []  # the action dicts the env got

    def _obs(self, agents):
        return {a: np.array([ord(a) - ord("a"), self.t], np.float32) for a in agents}

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return self._obs(self.first), {a: {"reset": a} for a in self.first}

    def step(self, action_dict):
        self.seen.append(dict(action_dict))
        self.t += 1
        s = self.script[min(self.t, len(self.script)) - 1]
        terms = dict(s.get("term", {}))
        terms["__all__"] = s.get("all", False)
        infos = {a: {"t": self.t} for a in s["obs"]}
        return self._obs(s["obs"]), dict(s.get("rew", {})), terms, {"__all__": False}, infos


class Deterministic(Policy):
    """Action = t % 3; optional RNN state counting the agent's own steps (int64 and float32)."""

    def __init__(self, observation_space, action_space, config):
        super().__init__(observation_space, action_space, config)
        self.recurrent = config.get("recurrent", False)

    def is_recurrent(self):
        return self.recurrent

    def get_initial_state(self):
        return [np.zeros(1, np.int64), np.zeros(2, np.float32)] if self.recurrent else []

    def compute_actions(self, obs_batch, state_batches=None, explore=None, timestep=None, **kwargs):
        obs = np.asarray(obs_batch)
        actions = (obs[:, 1].astype(np.int64) % 3)
        extras = {"vf_preds": obs[:, 1].astype(np.float32)}
        if not self.recurrent:
            return actions, [], extras
        return actions, [state_batches[0] + 1, state_batches[1] + 0.5], extras

    def learn_on_batch(self, samples):
        return {}


def _worker(script, mapping=lambda a: "p", batch_mode="truncate_episodes", fragment=4, num_envs=1, first=("a", "b"),
            policies=None, **kwargs):
    envs = []

    def creator(ctx):
        envs.append(Scripted(script, first))
        return envs[-1]

    policies = policies or {"p": (Deterministic, OBS, ACT, {})}
    w = RolloutWorker(env_creator=creator, policy_spec=policies, policy_mapping_fn=mapping, batch_mode=batch_mode,
                      rollout_fragment_length=fragment, num_envs=num_envs, **kwargs)
    return w, envs


def _rows(batch, agent_code):
    return batch["obs"][:, 0] == agent_code


def test_turns_rewards_between_actions_and_new_obs():
    """Agents act in turns; each row's reward is everything the agent got until it observed again."""
    script = [{"obs": ["b"], "rew": {"a": 1.0, "b": 10.0}},     # a waits
              {"obs": ["a"], "rew": {"a": 2.0, "b": 20.0}},     # a observes: its row gets 1 + 2
              {"obs": ["b"], "rew": {"a": 3.0, "b": None}},     # None counts as nothing
              {"obs": ["a", "b"], "rew": {"a": 4.0, "b": 40.0}, "all": True}]
    w, envs = _worker(script, fragment=4)
    batch = w.sample().policy_batches["p"]
    a, b = _rows(batch, 0), _rows(batch, 1)
    assert batch["obs"][a, 1].tolist() == [0, 2] and batch["new_obs"][a, 1].tolist() == [2, 4]
    assert batch["rewards"][a].tolist() == [3.0, 7.0] and batch["t"][a].tolist() == [0, 1]
    assert batch["obs"][b, 1].tolist() == [0, 1, 3] and batch["new_obs"][b, 1].tolist() == [1, 3, 4]
    assert batch["rewards"][b].tolist() == [10.0, 20.0, 40.0]
    assert batch["terminateds"][a].tolist() == [False, True] and batch["terminateds"][b].tolist() == [False, False, True]
    assert [sorted(d) for d in envs[0].seen] == [["a", "b"], ["b"], ["a"], ["b"]]
    assert batch["infos"][a].tolist() == [{"t": 2}, {"t": 4}]
    metrics = w.get_metrics()
    assert len(metrics) == 1 and metrics[0].episode_reward == 80.0 and metrics[0].episode_length == 4


def test_agents_finish_early_and_appear_later():
    script = [{"obs": ["a", "b"]},
              {"obs": ["a", "b", "c"], "term": {"a": True}},   # a ends with an obs; c appears
              {"obs": ["b", "c", "a"]},                          # an obs for a done agent is ignored
              {"obs": ["b", "c"], "all": True}]
    w, envs = _worker(script, fragment=4)
    batch = w.sample().policy_batches["p"]
    by_agent = {code: batch["agent_index"][_rows(batch, code)].tolist() for code in (0, 1, 2)}
    assert by_agent == {0: [0, 0], 1: [1, 1, 1, 1], 2: [2, 2]}  # indices by order of appearance
    assert batch["terminateds"][_rows(batch, 0)].tolist() == [False, True]
    assert batch["obs"][_rows(batch, 2), 1].tolist() == [2, 3]
    assert [sorted(d) for d in envs[0].seen] == [["a", "b"], ["a", "b"], ["b", "c"], ["b", "c"]]
    assert len(set(batch["eps_id"].tolist())) == 1 and (batch["env_id"] == 0).all()


def test_complete_episodes_hold_the_rows_of_running_episodes():
    """An agent done early waits for its episode's end; a batch holds whole episodes only."""
    script = [{"obs": ["a", "b"]}, {"obs": ["b"], "term": {"a": True}}, {"obs": ["b"]},
              {"obs": ["b"]}, {"obs": ["b"]}, {"obs": ["a", "b"], "all": True}]
    w, _ = _worker(script, batch_mode="complete_episodes", fragment=3)
    ma = w.sample()
    batch = ma.policy_batches["p"]
    assert ma.env_steps() == 6 and len(set(batch["eps_id"].tolist())) == 1
    assert _rows(batch, 0).sum() == 2 and _rows(batch, 1).sum() == 6
    assert batch["dones"][_rows(batch, 1)][-1] and batch["dones"][_rows(batch, 0)][-1]


def test_two_policies_many_agents_and_slot_growth():
    """Eight agents on two policies (more than the first slot allocation), three envs: per-policy
    columns, every env's agents present, trajectories in order."""
    agents = tuple("abcdefgh")
    script = [{"obs": list(agents), "rew": {a: 1.0 for a in agents}}] * 5 + [
        {"obs": list(agents), "rew": {a: 1.0 for a in agents}, "all": True}]
    policies = {"even": (Deterministic, OBS, ACT, {}), "odd": (Deterministic, OBS, ACT, {})}
    w, _ = _worker(script, mapping=lambda a: "even" if (ord(a) - ord("a")) % 2 == 0 else "odd", fragment=8,
                   num_envs=3, first=agents, policies=policies)
    ma = w.sample()
    assert ma.env_steps() == 24 and set(ma.policy_batches) == {"even", "odd"}
    for pid, codes in (("even", [0, 2, 4, 6]), ("odd", [1, 3, 5, 7])):
        batch = ma.policy_batches[pid]
        assert sorted(set(batch["obs"][:, 0].astype(int).tolist())) == codes
        assert batch.count == 3 * 4 * 8 and sorted(set(batch["env_id"].tolist())) == [0, 1, 2]
        for env in range(3):
            for code in codes:
                rows = (batch["env_id"] == env) & _rows(batch, code)
                assert batch["t"][rows].tolist() == [0, 1, 2, 3, 4, 5, 0, 1]
    assert w.sampler._slots["even"].cap >= 12


def test_rnn_state_columns_keep_their_dtypes_and_reset_per_trajectory():
    script = [{"obs": ["a", "b"]}, {"obs": ["a", "b"], "all": True}]
    w, _ = _worker(script, fragment=4, policies={"p": (Deterministic, OBS, ACT, {"recurrent": True})})
    batch = w.sample().policy_batches["p"]
    assert batch["state_in_0"].dtype == np.int64 and batch["state_in_1"].dtype == np.float32
    a = _rows(batch, 0)
    assert batch["state_in_0"][a, 0].tolist() == [0, 1, 0, 1]  # fresh state in the second episode
    assert batch["state_out_1"][a, 0].tolist() == [0.5, 1.0, 0.5, 1.0]


class _CountingCollector(_backend.TrajectoryCollector):
    appends = 0

    def append(self, *args, **kwargs):
        type(self).appends += 1
        return super().append(*args, **kwargs)


def test_multi_agent_rows_go_through_the_configured_collector():
    """The collector class of config["sample_collector"] (default: the compiled one) stores the
    multi-agent rows, one append per policy per step."""
    script = [{"obs": ["a", "b"]}] * 3 + [{"obs": ["a", "b"], "all": True}]
    _CountingCollector.appends = 0
    w, _ = _worker(script, fragment=4, mapping=lambda a: "p" + a,
                   policies={"pa": (Deterministic, OBS, ACT, {}), "pb": (Deterministic, OBS, ACT, {})},
                   policy_config={"sample_collector": _CountingCollector})
    w.sample()
    assert _CountingCollector.appends == 8  # 4 steps x 2 policies
    assert isinstance(w.sampler._slots["pa"].collector, _CountingCollector)
    with pytest.raises(TypeError, match="sample_collector must be a class"):
        _worker(script, policy_config={"sample_collector": "fast"})[0].sample()


@pytest.mark.parametrize("batch_mode", ["truncate_episodes", "complete_episodes"])
def test_native_collector_and_its_twin_give_the_same_batches(batch_mode):
    script = [{"obs": ["a", "b"], "rew": {"a": 1.0}}, {"obs": ["b"], "term": {"a": True}, "rew": {"b": 2.0}},
              {"obs": ["b", "c"]}, {"obs": ["b", "c"], "all": True}]
    out = []
    for cls in (_backend.TrajectoryCollector, _reference.TrajectoryCollector):
        w, _ = _worker(script, fragment=3, num_envs=2, batch_mode=batch_mode, policy_config={"sample_collector": cls})
        out.append([w.sample().policy_batches["p"] for _ in range(3)])
    for a, b in zip(*out):
        assert set(a) == set(b)
        for k in a:
            if k == "infos":
                assert a[k].tolist() == b[k].tolist()
            else:
                np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_a_multi_agent_env_declaring_its_spaces_needs_no_multiagent_config():
    """RLlib 1.x: the default policy takes the env's observation_space/action_space; every agent
    maps to it."""
    from rlcore.algorithms.pg import PGTrainer

    class Declared(Scripted):
        def __init__(self, config=None):
            super().__init__([{"obs": ["a", "b"], "rew": {"a": 1.0, "b": 1.0}}] * 4
                             + [{"obs": ["a", "b"], "rew": {"a": 1.0, "b": 1.0}, "all": True}])

    trainer = PGTrainer(config={"env": Declared, "framework": "torch", "num_workers": 0, "train_batch_size": 20,
                                "rollout_fragment_length": 10, "seed": 0})
    try:
        result = trainer.train()
        assert result["episode_reward_mean"] == 10.0 and result["timesteps_total"] == 20
        assert trainer.get_policy().observation_space == OBS and list(result["info"]["learner"]) == ["default_policy"]
    finally:
        trainer.stop()
    undeclared = type("Undeclared", (Declared,), {"observation_space": None, "action_space": None})
    with pytest.raises(ValueError, match="set observation_space/action_space on the env"):
        PGTrainer(config={"env": undeclared, "framework": "torch", "num_workers": 0})


def test_count_steps_by_agent_steps_counts_fragments_and_train_batches_in_agent_steps():
    """multiagent.count_steps_by="agent_steps": a fragment is rollout_fragment_length agent steps
    (here 4 agents act each step: 3 env steps give 12 >= 10), and so is train_batch_size."""
    agents = tuple("abcd")
    script = [{"obs": list(agents), "rew": {a: 1.0 for a in agents}}] * 99 + [
        {"obs": list(agents), "all": True}]
    w, _ = _worker(script, fragment=10, first=agents, count_steps_by="agent_steps")
    ma = w.sample()
    assert ma.agent_steps() == 12 and ma.env_steps() == 3
    w, _ = _worker(script, fragment=10, first=agents)  # env steps: 10 env steps, 40 agent steps
    ma = w.sample()
    assert ma.agent_steps() == 40 and ma.env_steps() == 10

    from rlcore.algorithms.pg import PGTrainer

    class Four(Scripted):
        def __init__(self, config=None):
            super().__init__(script, agents)

    trainer = PGTrainer(config={"env": Four, "framework": "torch", "num_workers": 0, "train_batch_size": 40,
                                "rollout_fragment_length": 10, "multiagent": {"count_steps_by": "agent_steps"}})
    try:
        result = trainer.train()
        assert result["info"]["num_agent_steps_trained"] == 48  # 4 fragments of 12 agent steps
        assert result["timesteps_total"] == 12  # env steps
    finally:
        trainer.stop()
