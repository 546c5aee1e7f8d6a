"""VectorEnv (RLlib 1.x user API) and VectorEnvAdapter: 4-tuple and 5-tuple forms, same-step
reset via reset_at, partial reset, vectorize_gym_envs, and make_base_env wrapping them directly."""

import gymnasium
import numpy as np
import pytest

from rlcore.env import EnvError, SubEnvLoop, VectorEnv, VectorEnvAdapter, make_base_env


class Counters(VectorEnv):
    """num_envs counters; env i ends after limit[i] steps."""

    def __init__(self, config=None, five_tuple=False, truncate=False):
        config = config or {}
        self.limits = config.get("limits", [2, 3])
        self.five_tuple = five_tuple
        self.truncate = truncate
        self.reset_calls = []
        super().__init__(gymnasium.spaces.Box(0, 10, (1,), np.float32), gymnasium.spaces.Discrete(2), len(self.limits))

    def vector_reset(self):
        self.t = [0] * self.num_envs
        return [np.zeros(1, np.float32) for _ in range(self.num_envs)]

    def reset_at(self, index):
        self.reset_calls.append(index)
        self.t[index] = 0
        return np.zeros(1, np.float32)

    def vector_step(self, actions):
        assert isinstance(actions, list) and len(actions) == self.num_envs
        self.t = [t + 1 for t in self.t]
        obs = [np.array([t], np.float32) for t in self.t]
        rewards = [float(a) for a in actions]
        ended = [t >= lim for t, lim in zip(self.t, self.limits)]
        if self.five_tuple:
            terms = [e and not self.truncate for e in ended]
            truncs = [e and self.truncate for e in ended]
            return obs, rewards, terms, truncs, [{} for _ in ended]
        infos = [{"TimeLimit.truncated": True} if e and self.truncate else {} for e in ended]
        return obs, rewards, ended, infos


@pytest.mark.parametrize("five_tuple", [False, True])
@pytest.mark.parametrize("truncate", [False, True])
def test_adapter_same_step_reset(five_tuple, truncate):
    user_env = Counters(five_tuple=five_tuple, truncate=truncate)
    base = make_base_env(lambda ctx: user_env, num_envs=1)
    assert isinstance(base, VectorEnvAdapter) and base.num_envs == 2
    obs, infos = base.reset()
    assert obs.shape == (2, 1) and infos == [{}, {}]
    s1 = base.step(np.array([1, 0]))
    assert s1.obs[:, 0].tolist() == [1, 1] and s1.rewards.tolist() == [1.0, 0.0] and s1.final_obs is None
    s2 = base.step(np.array([1, 1]))
    assert s2.terminateds.tolist() == [not truncate, False]
    assert s2.truncateds.tolist() == [truncate, False]
    assert s2.final_obs[0, 0] == 2 and s2.obs[:, 0].tolist() == [0, 2]
    assert user_env.reset_calls == [0]
    s3 = base.step(np.array([0, 0]))
    assert s3.obs[:, 0].tolist() == [1, 0] and s3.final_obs[1, 0] == 3 and user_env.reset_calls == [0, 1]


def test_adapter_partial_reset_calls_reset_at():
    user_env = Counters({"limits": [10, 10, 10]})
    base = VectorEnvAdapter(user_env)
    base.reset()
    base.step(np.array([0, 0, 0]))
    obs, infos = base.reset_envs(np.array([False, True, True]))
    assert base.can_reset_envs and obs[:, 0].tolist() == [0, 0] and infos == [{}, {}]
    assert user_env.reset_calls == [1, 2]
    assert base.step(np.array([0, 0, 0])).obs[:, 0].tolist() == [2, 1, 1]


def test_adapter_errors_name_env():
    class Broken(Counters):
        def vector_step(self, actions):
            raise OSError("simulator died")

    base = make_base_env(Broken, num_envs=1)
    base.reset()
    with pytest.raises(EnvError, match="Broken .*all sub-envs.* raised in step: OSError: simulator died"):
        base.step(np.array([0, 0]))


def test_adapter_rejects_bad_tuple():
    class Three(Counters):
        def vector_step(self, actions):
            return [], [], []

    base = VectorEnvAdapter(Three())
    base.reset()
    with pytest.raises(ValueError, match="3-tuple"):
        base.step(np.array([0, 0]))


def test_vectorize_gym_envs():
    existing = [gymnasium.make("CartPole-v1")]
    made = []

    def make_env(i):
        made.append(i)
        return gymnasium.make("CartPole-v1")

    vec = VectorEnv.vectorize_gym_envs(make_env, existing_envs=existing, num_envs=3)
    assert made == [1, 2] and vec.get_sub_environments()[0] is existing[0] and vec.num_envs == 3
    assert VectorEnv.wrap is VectorEnv.vectorize_gym_envs
    assert vec.observation_space.shape == (4,) and vec.get_unwrapped() == vec.get_sub_environments()
    # make_base_env steps its sub-envs with the fast loop
    base = make_base_env(lambda ctx: vec, num_envs=1, seed=0)
    assert isinstance(base, SubEnvLoop) and base.num_envs == 3
    assert base.get_sub_environments()[0] is existing[0]


def test_vectorized_gym_env_reports_truncation_1x_style():
    vec = VectorEnv.vectorize_gym_envs(lambda i: gymnasium.make("CartPole-v1", max_episode_steps=1), num_envs=2)
    vec.vector_reset()
    obs, rewards, dones, infos = vec.vector_step([0, 0])
    assert dones == [True, True] and all(info.get("TimeLimit.truncated") for info in infos)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_envs": 2, "existing_envs": [1, 2, 3]}, "3 existing_envs > num_envs=2"),
        ({"num_envs": 2}, "no make_env"),
    ],
)
def test_vectorize_gym_envs_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        VectorEnv.vectorize_gym_envs(**kwargs)


@pytest.mark.parametrize("num_envs", [0, -1, 1.5, True])
def test_vector_env_validates_num_envs(num_envs):
    with pytest.raises(ValueError, match="num_envs"):
        VectorEnv(None, None, num_envs)


@pytest.mark.parametrize("takes_seeds", [False, True])
def test_adapter_passes_seeds_when_the_env_takes_them(takes_seeds):
    class Seeded(Counters):
        seen = "not called"

        if takes_seeds:

            def vector_reset(self, *, seeds=None, options=None):
                type(self).seen = seeds
                obs = super().vector_reset()
                return obs, [{"seeded": True} for _ in obs]

    base = make_base_env(Seeded, num_envs=1, seed=10)
    obs, infos = base.reset()
    assert obs.shape == (2, 1)
    if takes_seeds:
        assert Seeded.seen == [10, 11] and infos == [{"seeded": True}] * 2
        base.reset()
        assert Seeded.seen is None  # the construction seed applies to the first reset only
    else:
        assert infos == [{}, {}]
