"""RemoteBaseEnv: sub-envs in Ray actors give the same steps as the in-process loop; errors name
the env and index."""

import gymnasium
import numpy as np
import pytest

from rlcore.env import EnvContext, EnvError, make_base_env

pytestmark = pytest.mark.ray


class FailsAtTwo(gymnasium.Env):
    observation_space = gymnasium.spaces.Discrete(3)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self, config):
        self.index = config.vector_index
        self.remote = config.remote

    def reset(self, *, seed=None, options=None):
        return int(self.remote), {}

    def step(self, action):
        if self.index == 1:
            raise ArithmeticError("boom in sub-env 1")
        return 1, 0.0, False, False, {}


def test_remote_matches_loop(ray_session):
    def creator(ctx):
        return gymnasium.make("CartPole-v1", max_episode_steps=4)

    remote = make_base_env(creator, EnvContext({}, worker_index=1), 3, seed=5, remote_envs=True)
    local = make_base_env(creator, EnvContext({}, worker_index=1), 3, seed=5)
    try:
        assert remote.num_envs == 3 and remote.observation_space.shape == (4,)
        np.testing.assert_array_equal(remote.reset()[0], local.reset()[0])
        ended = 0
        for actions in np.random.default_rng(0).integers(0, 2, size=(8, 3)):
            a, b = remote.step(actions), local.step(actions)
            np.testing.assert_array_equal(a.obs, b.obs)
            np.testing.assert_array_equal(a.rewards, b.rewards)
            np.testing.assert_array_equal(a.terminateds, b.terminateds)
            np.testing.assert_array_equal(a.truncateds, b.truncateds)
            assert (a.final_obs is None) == (b.final_obs is None)
            if a.final_obs is not None:
                ended += 1
                rows = a.terminateds | a.truncateds
                np.testing.assert_array_equal(a.final_obs[rows], b.final_obs[rows])
        assert ended >= 2
        mask = np.array([True, False, True])
        np.testing.assert_array_equal(remote.reset_envs(mask)[0], local.reset_envs(mask)[0])  # partial reset
        actions = np.zeros(3, np.int64)
        np.testing.assert_array_equal(remote.step(actions).obs, local.step(actions).obs)
    finally:
        remote.close()


def test_remote_error_names_env_and_index(ray_session):
    remote = make_base_env(FailsAtTwo, EnvContext({}, worker_index=2), 3, remote_envs=True)
    try:
        obs, _ = remote.reset()
        assert obs.tolist() == [1, 1, 1]  # each sub-env was told it is remote
        with pytest.raises(EnvError, match=r"FailsAtTwo \(worker_index=2, vector_index=1\) raised in step") as info:
            remote.step(np.zeros(3, np.int64))
        assert "boom in sub-env 1" in str(info.value)
    finally:
        remote.close()
