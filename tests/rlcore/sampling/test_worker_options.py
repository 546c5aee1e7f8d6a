"""RolloutWorker options of RLlib 1.x that rlcore used to accept and ignore: normalize_actions,
render_env, multiagent.observation_fn (and clip_actions next to normalize_actions)."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.env import MultiAgentEnv
from rlcore.policy.policy import Policy
from rlcore.sampling.rollout_worker import RolloutWorker


class FixedActions(Policy):
    """Actions -1, 0, 1.5 in turn (one per row)."""

    def compute_actions(self, obs_batch, state_batches=None, **kwargs):
        n = len(obs_batch)
        values = np.array([-1.0, 0.0, 1.5], np.float32)[np.arange(n) % 3]
        return np.repeat(values[:, None], self.action_space.shape[0], axis=1), [], {}


class Recorder(gym.Env):
    observation_space = gym.spaces.Box(-1, 1, (1,), np.float32)
    action_space = gym.spaces.Box(np.array([0.0, -np.inf], np.float32), np.array([10.0, np.inf], np.float32))

    def __init__(self, config=None):
        self.got, self.renders = [], 0

    def reset(self, *, seed=None, options=None):
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.got.append(np.array(action))
        return np.zeros(1, np.float32), 0.0, False, False, {}

    def render(self):
        self.renders += 1


@pytest.mark.parametrize("normalize, clip, want", [
    (True, True, [[0.0, -1.0], [5.0, 0.0], [10.0, 1.5]]),   # [-1, 1] onto [0, 10]; the unbounded dim stays
    (False, True, [[0.0, -1.0], [0.0, 0.0], [1.5, 1.5]]),    # clipped into the bounds only
    (False, False, [[-1.0, -1.0], [0.0, 0.0], [1.5, 1.5]]),  # as the policy gave them
])
def test_normalize_and_clip_actions(normalize, clip, want):
    envs = []
    worker = RolloutWorker(env_creator=lambda ctx: envs.append(Recorder()) or envs[-1], policy_spec=FixedActions,
                           num_envs=3, rollout_fragment_length=1, normalize_actions=normalize, clip_actions=clip)
    batch = worker.sample()
    np.testing.assert_allclose([e.got[0] for e in envs], want)
    np.testing.assert_allclose(batch["actions"][:, 0], [-1.0, 0.0, 1.5])  # the rows keep the policy's actions


def test_render_env_renders_the_first_sub_env_every_step():
    envs = []
    worker = RolloutWorker(env_creator=lambda ctx: envs.append(Recorder()) or envs[-1], policy_spec=FixedActions,
                           num_envs=2, rollout_fragment_length=5, render_env=True)
    worker.sample()
    assert [e.renders for e in envs] == [5, 0]


class Pair(MultiAgentEnv):
    observation_space = gym.spaces.Box(-1e3, 1e3, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, config=None):
        self.t = 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return {"a": np.zeros(1, np.float32), "b": np.ones(1, np.float32)}, {}

    def step(self, action_dict):
        self.t += 1
        return ({"a": np.zeros(1, np.float32), "b": np.ones(1, np.float32)}, {"a": 0.0, "b": 0.0},
                {"__all__": self.t >= 3}, {"__all__": False}, {})


def test_observation_fn_sees_each_obs_dict_with_worker_and_episode():
    calls = []

    def observer(agent_obs, worker, base_env, policies, episode, **kwargs):
        calls.append((sorted(agent_obs), episode.episode_id, sorted(policies)))
        return {a: o + (100.0 if a == "a" else 0.0) for a, o in agent_obs.items()}  # 'a' sees more state

    from rlcore.policy.random_policy import RandomPolicy

    worker = RolloutWorker(env_creator=lambda ctx: Pair(), policy_spec={"p": (RandomPolicy, None, None, {})},
                           policy_mapping_fn=lambda a: "p", rollout_fragment_length=3, observation_fn=observer)
    batch = worker.sample().policy_batches["p"]
    assert sorted(set(batch["obs"][:, 0].tolist())) == [1.0, 100.0]
    assert calls[0] == (["a", "b"], 0, ["p"]) and [c[1] for c in calls] == [0, 0, 0, 0, 1]  # reset, 3 steps, next reset
    with pytest.raises(ValueError, match="observation_fn applies to MultiAgentEnvs"):
        RolloutWorker(env_creator=lambda ctx: Recorder(), policy_spec=FixedActions, observation_fn=observer)
