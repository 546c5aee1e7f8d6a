"""MultiAgentEnv: the 5-tuple adapter over old-style (1.x) and new-style envs, make_multi_agent."""

import gymnasium
import pytest

from rlcore.env import EnvContext, MultiAgentEnv, as_gymnasium_multi_agent, make_base_env, make_multi_agent, register_env


class OldStyle(MultiAgentEnv):
    """RLlib 1.x: reset() -> obs dict; step -> (obs, rewards, dones, infos)."""

    def __init__(self, truncate_b=False):
        self.truncate_b = truncate_b
        self.seeded = None

    def seed(self, seed):
        self.seeded = seed

    def reset(self):
        self.t = 0
        return {"a": 0, "b": 0}

    def step(self, action_dict):
        self.t += 1
        obs = {k: self.t for k in action_dict}
        rewards = {k: 1.0 for k in action_dict}
        dones = {"a": self.t >= 1, "b": self.t >= 2}
        dones = {k: dones[k] for k in action_dict}
        dones["__all__"] = self.t >= 2
        infos = {k: {} for k in action_dict}
        if self.truncate_b and self.t >= 2:
            infos["b"] = {"TimeLimit.truncated": True}
        return obs, rewards, dones, infos


class NewStyle(MultiAgentEnv):
    def reset(self, *, seed=None, options=None):
        self.seed_seen = seed
        return {"a": 0}, {"a": {"start": 1}}

    def step(self, action_dict):
        return {"a": 1}, {"a": 2.0}, {"a": False, "__all__": False}, {"a": True}, {}


@pytest.mark.parametrize(
    "truncate_b, step2_terms, step2_truncs",
    [
        (False, {"b": True, "__all__": True}, {"b": False, "__all__": False}),
        (True, {"b": False, "__all__": False}, {"b": True, "__all__": True}),
    ],
)
def test_old_style_adapted(truncate_b, step2_terms, step2_truncs):
    raw = OldStyle(truncate_b)
    env = as_gymnasium_multi_agent(raw)
    assert env.reset(seed=3) == ({"a": 0, "b": 0}, {}) and raw.seeded == 3
    obs, rewards, terms, truncs, infos = env.step({"a": 0, "b": 0})
    assert terms == {"a": True, "b": False, "__all__": False}
    assert truncs == {"a": False, "b": False, "__all__": False}
    obs, rewards, terms, truncs, infos = env.step({"b": 1})
    assert obs == {"b": 2} and rewards == {"b": 1.0}
    assert terms == step2_terms and truncs == step2_truncs


def test_new_style_passes_through():
    raw = NewStyle()
    env = as_gymnasium_multi_agent(raw)
    assert env.reset(seed=9) == ({"a": 0}, {"a": {"start": 1}}) and raw.seed_seen == 9
    assert env.step({"a": 0}) == ({"a": 1}, {"a": 2.0}, {"a": False, "__all__": False}, {"a": True, "__all__": False}, {})
    assert as_gymnasium_multi_agent(env) is env and env.env is raw


@pytest.mark.parametrize(
    "result, match",
    [
        (({}, {}, {"a": True}, {}), "dones dict has no '__all__'"),
        (({}, {}, {"a": True}, {}, {}), "terminateds dict has no '__all__'"),
        (({}, {}), "2-tuple"),
    ],
)
def test_adapter_validates(result, match):
    class Bad(NewStyle):
        def step(self, action_dict):
            return result

    env = as_gymnasium_multi_agent(Bad())
    with pytest.raises(ValueError, match=f"Bad.*{match}"):
        env.step({"a": 0})


def test_make_multi_agent_from_gym_id():
    cls = make_multi_agent("CartPole-v1")
    env = cls({"num_agents": 3, "max_episode_steps": 2})
    assert issubclass(cls, MultiAgentEnv) and len(env.agents) == 3
    obs, infos = env.reset(seed=0)
    single = gymnasium.make("CartPole-v1")
    assert (obs[1] == single.reset(seed=1)[0]).all()  # agent i reset with seed + i
    _, _, terms, truncs, _ = env.step({0: 0, 1: 0, 2: 0})
    assert terms["__all__"] is False and truncs["__all__"] is False
    obs, rewards, terms, truncs, infos = env.step({0: 0, 1: 0, 2: 0})
    assert truncs == {0: True, 1: True, 2: True, "__all__": True} and terms["__all__"] is False


def test_make_multi_agent_from_creator_and_registered_name():
    seen = []

    def creator(config):
        seen.append(dict(config))
        return gymnasium.make("CartPole-v1")

    env = make_multi_agent(creator)(EnvContext({"num_agents": 2, "x": 1}, worker_index=1))
    assert seen == [{"x": 1}, {"x": 1}] and len(env.agents) == 2
    register_env("ma_registered_cartpole", lambda cfg: gymnasium.make("CartPole-v1"))
    assert len(make_multi_agent("ma_registered_cartpole")({"num_agents": 4}).agents) == 4


def test_make_multi_agent_episode_end_when_all_agents_end():
    class Short(gymnasium.Env):
        observation_space = gymnasium.spaces.Discrete(5)
        action_space = gymnasium.spaces.Discrete(2)

        def __init__(self, config):
            pass

        def reset(self, *, seed=None, options=None):
            self.t = 0
            return 0, {}

        def step(self, action):
            self.t += 1
            return self.t, 1.0, action == 1, False, {}

    env = make_multi_agent(Short)({"num_agents": 2})
    env.reset()
    _, _, terms, truncs, _ = env.step({0: 1, 1: 0})
    assert terms == {0: True, 1: False, "__all__": False}
    _, _, terms, truncs, _ = env.step({1: 1})
    assert terms == {1: True, "__all__": True} and truncs["__all__"] is False


@pytest.mark.parametrize("num_agents", [0, "2"])
def test_make_multi_agent_validates(num_agents):
    with pytest.raises(ValueError, match="num_agents"):
        make_multi_agent("CartPole-v1")({"num_agents": num_agents})


def test_make_base_env_rejects_multi_agent():
    with pytest.raises(TypeError, match="MultiAgentEnv"):
        make_base_env(lambda ctx: NewStyle(), num_envs=2)
