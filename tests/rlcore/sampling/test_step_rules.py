"""The one horizon / soft horizon / no_done_at_end / reward clipping implementation, on every kind
of env both samplers drive (issue: horizon truncation used to live in five places)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from gymnasium.vector import SyncVectorEnv

from rlcore.env import MultiAgentEnv, VectorEnv, make_base_env
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.rollout_worker import RolloutWorker
from rlcore.sampling.sampler import VectorSampler
from rlcore.sampling.step_rules import EpisodeLimits, check_clip_rewards, clip_rewards

_spec = importlib.util.spec_from_file_location("rlcore_sampling_test_policies", Path(__file__).parent / "_policies.py")
support = sys.modules.get(_spec.name) or importlib.util.module_from_spec(_spec)
if _spec.name not in sys.modules:
    sys.modules[_spec.name] = support
    _spec.loader.exec_module(support)

# -- the rules on arrays -----------------------------------------------------------------------------


def test_horizon_cuts_only_episodes_the_env_did_not_end():
    out = EpisodeLimits(horizon=4).apply(np.array([True, False, False, False]), np.array([False, True, False, False]),
                                         np.array([4, 4, 4, 3]))
    assert out.terminateds.tolist() == [True, False, False, False]
    assert out.truncateds.tolist() == [False, True, True, False]
    assert out.done.tolist() == [True, True, True, False]
    assert out.reset.tolist() == [False, False, True, False] and out.soft is None  # only the cut env is reset by us


def test_soft_horizon_and_no_done_at_end():
    out = EpisodeLimits(horizon=2, soft_horizon=True).apply(np.zeros(2, bool), np.zeros(2, bool), np.array([2, 1]))
    assert out.truncateds.tolist() == [True, False] and not out.reset.any() and out.soft.tolist() == [True, False]
    out = EpisodeLimits(no_done_at_end=True).apply(np.array([True, False]), np.array([False, True]), np.array([9, 9]))
    assert out.terminateds.tolist() == [False, False] and out.truncateds.tolist() == [True, True]


def test_lengths_of_envs_without_a_live_episode_never_hit():
    out = EpisodeLimits(horizon=1).apply(np.zeros(2, bool), np.zeros(2, bool), np.array([0, 1]))
    assert out.truncateds.tolist() == [False, True]


@pytest.mark.parametrize("kwargs, match", [({"horizon": 0}, "horizon=0"), ({"horizon": 2.5}, "horizon=2.5"),
                                           ({"horizon": True}, "horizon=True"),
                                           ({"soft_horizon": True}, "soft_horizon=True needs a horizon")])
def test_bad_limits_are_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EpisodeLimits(**kwargs)


def test_reward_clipping():
    r = np.array([-3.0, -0.5, 0.0, 0.25, 7.0])
    assert clip_rewards(r, None) is r and clip_rewards(r, False) is r
    assert clip_rewards(r, True).tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    assert clip_rewards(r, 0.5).tolist() == [-0.5, -0.5, 0.0, 0.25, 0.5]
    for bad in ("yes", -1, 0, [1]):
        with pytest.raises(ValueError, match="clip_rewards="):
            check_clip_rewards(bad)


# -- the same horizon on every env kind ---------------------------------------------------------------


def Counter(config=None):
    """obs = [t]; reward 1; ends on its own far past the horizon (the sampling tests' CountingEnv)."""
    return support.CountingEnv({"terminate_at": 1000, "max_steps": 1000})


OBS_SPACE, ACT_SPACE = Counter().observation_space, Counter().action_space


class Counters(VectorEnv):
    """The same counters as an RLlib-style VectorEnv (vector_reset / reset_at / vector_step)."""

    def __init__(self, n=2):
        super().__init__(OBS_SPACE, ACT_SPACE, n)
        self.t = [0] * n

    def vector_reset(self):
        self.t = [0] * self.num_envs
        return [np.array([0.0], np.float32) for _ in self.t]

    def reset_at(self, index):
        self.t[index] = 0
        return np.array([0.0], np.float32)

    def vector_step(self, actions):
        self.t = [t + 1 for t in self.t]
        return [np.array([float(t)], np.float32) for t in self.t], [1.0] * self.num_envs, [False] * self.num_envs, \
            [{} for _ in self.t]


ENV_KINDS = {
    "loop": lambda: make_base_env(lambda ctx: Counter(), num_envs=2),
    "vector_env": lambda: make_base_env(lambda ctx: Counters(2), num_envs=1),
    "gym_sync_next_step": lambda: make_base_env(lambda ctx: SyncVectorEnv([Counter, Counter]), num_envs=1),
}


@pytest.mark.parametrize("kind", sorted(ENV_KINDS))
@pytest.mark.parametrize("soft", [False, True])
def test_horizon_on_every_single_agent_env_kind(kind, soft):
    env = ENV_KINDS[kind]()
    sampler = VectorSampler(env, lambda obs: np.zeros(len(obs), np.int64), rollout_fragment_length=8, horizon=3,
                            soft_horizon=soft)
    batch = sampler.sample()
    for e in range(2):
        rows = batch["env_id"] == e
        assert batch["t"][rows].tolist() == [0, 1, 2, 0, 1, 2, 0, 1]
        assert batch["truncateds"][rows].tolist() == [False, False, True] * 2 + [False, False]
        # a hard horizon resets the env (obs start again at 0); a soft one lets it count on
        assert batch["obs"][rows, 0].tolist() == ([0, 1, 2] * 2 + [0, 1] if not soft else list(range(8)))
        assert batch["new_obs"][rows, 0].tolist()[:3] == [1, 2, 3]
    assert [m.episode_length for m in sampler.get_metrics()] == [3] * 4


class TwoCounters(MultiAgentEnv):
    """Two agents, each a Counter; the env ends after ``limit`` steps (far past the horizon)."""

    observation_space, action_space = OBS_SPACE, ACT_SPACE

    def __init__(self, config=None):
        self.limit = (config or {}).get("limit", 1000)
        self.t = 0

    def reset(self, *, seed=None, options=None):
        self.t = 0
        return {"a": np.array([0.0], np.float32), "b": np.array([0.0], np.float32)}, {}

    def step(self, action_dict):
        self.t += 1
        obs = {k: np.array([float(self.t)], np.float32) for k in action_dict}
        done = self.t >= self.limit
        return obs, {k: 1.0 for k in obs}, {"__all__": done}, {"__all__": False}, {}


@pytest.mark.parametrize("soft", [False, True])
def test_horizon_on_a_multi_agent_env(soft):
    w = RolloutWorker(env_creator=lambda ctx: TwoCounters(), policy_spec={"p": (RandomPolicy, None, None, {})},
                      policy_mapping_fn=lambda agent_id: "p", rollout_fragment_length=8, episode_horizon=3,
                      soft_horizon=soft, spaces={"p": (OBS_SPACE, ACT_SPACE)})
    batch = w.sample().policy_batches["p"]
    for agent in (0, 1):
        rows = batch["agent_index"] == agent
        assert batch["t"][rows].tolist() == [0, 1, 2, 0, 1, 2, 0, 1]
        assert batch["truncateds"][rows].tolist() == [False, False, True] * 2 + [False, False]
        assert batch["obs"][rows, 0].tolist() == ([0, 1, 2] * 2 + [0, 1] if not soft else list(range(8)))
    assert [m.episode_length for m in w.get_metrics()] == [3, 3]


def test_no_done_at_end_and_clip_rewards_on_a_multi_agent_env():
    w = RolloutWorker(env_creator=lambda ctx: TwoCounters({"limit": 4}), policy_spec={"p": (RandomPolicy, None, None, {})},
                      policy_mapping_fn=lambda agent_id: "p", rollout_fragment_length=4, no_done_at_end=True,
                      clip_rewards=0.5, spaces={"p": (OBS_SPACE, ACT_SPACE)})
    batch = w.sample().policy_batches["p"]
    assert not batch["terminateds"].any() and batch["truncateds"].sum() == 2
    assert batch["rewards"].tolist() == [0.5] * 8
