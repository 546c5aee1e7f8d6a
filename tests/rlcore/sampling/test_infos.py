"""The ``infos`` column: each row carries the info dict of the env step that produced it."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.env import MultiAgentEnv
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling import RolloutWorker, VectorSampler


class InfoEnv(gym.Env):
    """Episodes of ``length`` steps; each step's info names the env and the step count."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, index=0, length=4):
        self.index, self.length = index, length

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return np.zeros(2, np.float32), {"reset": True}

    def step(self, action):
        self.t += 1
        return np.zeros(2, np.float32), 1.0, self.t >= self.length, False, {"env": self.index, "step": self.t}


@pytest.mark.parametrize("batch_mode", ["truncate_episodes", "complete_episodes"])
@pytest.mark.parametrize("num_envs", [
    1,  # one env, episodes of 3 steps
    3,  # episodes of 3, 4 and 5 steps: they end at different times
    9,  # episodes of 3 to 7 steps, many segments per pop
])
def test_each_row_has_its_steps_info(batch_mode, num_envs):
    made = iter(range(100))

    def creator(ctx):
        index = next(made)
        return InfoEnv(index, length=3 + index % 5)

    sampler = VectorSampler(creator, lambda obs: np.zeros(len(obs), np.int64), num_envs=num_envs,
                            rollout_fragment_length=5, batch_mode=batch_mode)
    for _ in range(4):
        batch = sampler.sample()
        infos = batch["infos"]
        assert infos.dtype == object and len(infos) == batch.count
        assert [i["env"] for i in infos] == batch["env_id"].tolist()
        assert [i["step"] for i in infos] == (batch["t"] + 1).tolist()  # row t came from step t+1
        assert all(info["step"] == batch["t"][k] + 1 for k, info in enumerate(infos) if batch["dones"][k])
    assert len(sampler._step_infos) <= 8  # the info lists of steps every env has popped are dropped


def test_envs_without_infos_give_empty_dicts():
    batch = VectorSampler("CartPole-v1", lambda obs: np.zeros(len(obs), np.int64), num_envs=2,
                          rollout_fragment_length=10).sample()
    assert batch["infos"].dtype == object and all(i == {} for i in batch["infos"])


def test_infos_survive_postprocessing_and_the_worker():
    worker = RolloutWorker(env_creator=lambda ctx: InfoEnv(ctx.vector_index), policy_spec=RandomPolicy,
                           rollout_fragment_length=6, num_envs=2)
    batch = worker.sample()
    assert [i["env"] for i in batch["infos"]] == batch["env_id"].tolist()


def test_multi_agent_rows_carry_each_agents_info():
    class TwoInfoAgents(MultiAgentEnv):
        def __init__(self, ctx=None):
            super().__init__()
            self.envs = {"a": InfoEnv(0), "b": InfoEnv(1)}
            self.observation_space, self.action_space = InfoEnv.observation_space, InfoEnv.action_space

        def reset(self, *, seed=None, options=None):
            return {k: e.reset()[0] for k, e in self.envs.items()}, {}

        def step(self, action_dict):
            out = {k: self.envs[k].step(a) for k, a in action_dict.items()}
            term = {k: o[2] for k, o in out.items()}
            term["__all__"] = all(term.values())
            return ({k: o[0] for k, o in out.items()}, {k: o[1] for k, o in out.items()}, term,
                    {"__all__": False}, {k: o[4] for k, o in out.items()})

    space = (RandomPolicy, InfoEnv.observation_space, InfoEnv.action_space, {})
    worker = RolloutWorker(env_creator=TwoInfoAgents, policy_spec={"pa": space, "pb": space},
                           policy_mapping_fn=lambda agent_id: "p" + agent_id, rollout_fragment_length=4)
    batch = worker.sample()
    for pid, env_index in (("pa", 0), ("pb", 1)):
        rows = batch.policy_batches[pid]
        assert rows["infos"].dtype == object
        assert all(i["env"] == env_index for i in rows["infos"])
        assert [i["step"] for i in rows["infos"]] == (rows["t"] + 1).tolist()
