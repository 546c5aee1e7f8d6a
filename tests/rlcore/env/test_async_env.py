"""AsyncEnv: RLlib 1.x's BaseEnv protocol, and every env kind converted into it (to_base_env)."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.env import ASYNC_RESET_RETURN, AsyncEnv, MultiAgentEnv, VectorEnv, convert_to_base_env, make_multi_agent
from rlcore.env.async_env import DUMMY_AGENT_ID, try_reset_accepts_seed
from rlcore.env.wrappers import TRUNCATED_KEY

A = DUMMY_AGENT_ID


def _cartpole(steps=None):
    return gym.make("CartPole-v1", max_episode_steps=steps) if steps else gym.make("CartPole-v1")


def test_first_poll_gives_reset_observations_with_no_rewards():
    env = convert_to_base_env(_cartpole(), make_env=lambda i: _cartpole(), num_envs=3)
    obs, rewards, dones, infos, off = env.poll()
    assert sorted(obs) == [0, 1, 2]
    assert all(rewards[i] == {A: None} for i in range(3))
    assert all(dones[i] == {"__all__": False, A: False} for i in range(3))
    assert off == {}
    assert env.poll()[0] == {}  # nothing more until actions are sent


def test_single_agent_episode_ends_then_try_reset_gives_the_next_first_observation():
    env = convert_to_base_env(_cartpole(3), make_env=lambda i: _cartpole(3), num_envs=2)
    env.poll()
    for t in range(3):
        env.send_actions({0: {A: 0}, 1: {A: 1}})
        obs, rewards, dones, infos, _ = env.poll()
        assert rewards == {0: {A: 1.0}, 1: {A: 1.0}}
    # the time limit cut both episodes: done, and the info says it was a truncation (as gym's TimeLimit did)
    assert dones[0] == {"__all__": True, A: True} and infos[0][A][TRUNCATED_KEY] is True
    final = obs[0][A]
    first = env.try_reset(0)
    assert set(first) == {A} and not np.array_equal(first[A], final)
    assert abs(first[A]).max() <= 0.05  # CartPole's reset state
    # sub-env 1 is reset too before it gets its next action
    env.try_reset(1)
    env.send_actions({0: {A: 0}, 1: {A: 0}})
    assert env.poll()[2][0] == {"__all__": False, A: False}


def test_vector_env_with_next_step_autoreset_resets_asynchronously():
    vec = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync",
                       wrappers=[lambda e: gym.wrappers.TimeLimit(e.unwrapped, max_episode_steps=2)])
    env = convert_to_base_env(vec)
    env.poll()
    env.send_actions({0: {A: 0}, 1: {A: 0}})
    env.poll()
    env.send_actions({0: {A: 0}, 1: {A: 0}})
    dones = env.poll()[2]
    assert dones[0]["__all__"] and dones[1]["__all__"]
    assert env.try_reset(0) == ASYNC_RESET_RETURN  # gymnasium resets it in its next step
    assert env.try_reset(1) == ASYNC_RESET_RETURN
    env.send_actions({})  # no actions: both are resetting
    obs, rewards, dones, _, _ = env.poll()
    assert rewards == {0: {A: None}, 1: {A: None}} and not dones[0]["__all__"]


def test_send_actions_needs_every_running_sub_env_of_a_vector():
    env = convert_to_base_env(_cartpole(), make_env=lambda i: _cartpole(), num_envs=2)
    env.poll()
    with pytest.raises(ValueError, match=r"no action for sub-envs \[1\]"):
        env.send_actions({0: {A: 0}})


def test_multi_agent_env_copies():
    cls = make_multi_agent("CartPole-v1")
    env = cls({"num_agents": 2}).to_base_env(make_env=lambda i: cls({"num_agents": 2}), num_envs=2)
    obs, rewards, dones, _, _ = env.poll()
    assert sorted(obs) == [0, 1] and sorted(obs[1]) == [0, 1]
    assert rewards[0] == {0: None, 1: None}
    env.send_actions({1: {0: 0, 1: 1}})  # only sub-env 1 steps
    obs, rewards, dones, _, _ = env.poll()
    assert list(obs) == [1] and rewards[1] == {0: 1.0, 1: 1.0} and dones[1]["__all__"] is False
    assert sorted(env.try_reset(0, seed=3)) == [0, 1]
    assert len(env.get_sub_environments()) == 2 and env.get_unwrapped() == env.get_sub_environments()


def test_old_style_multi_agent_env_keeps_its_dones():
    class Old(MultiAgentEnv):
        def __init__(self):
            self.t = 0

        def reset(self):
            self.t = 0
            return {"x": 0, "y": 0}

        def step(self, actions):
            self.t += 1
            return ({"x": self.t}, {"x": 1.0, "y": 2.0}, {"x": False, "y": True, "__all__": False},
                    {"y": {TRUNCATED_KEY: True}})

    env = convert_to_base_env(Old())
    env.poll()
    env.send_actions({0: {"x": 0, "y": 0}})
    _, rewards, dones, infos, _ = env.poll()
    assert dones[0] == {"x": False, "y": True, "__all__": False}
    assert infos[0]["y"][TRUNCATED_KEY] is True and rewards[0] == {"x": 1.0, "y": 2.0}


def test_user_vector_env_and_async_env_pass_through():
    vec = VectorEnv.vectorize_gym_envs(make_env=lambda i: _cartpole(), num_envs=2)
    env = vec.to_base_env()
    assert sorted(env.poll()[0]) == [0, 1]

    class Mine(AsyncEnv):
        def poll(self):
            return {}, {}, {}, {}, {}

        def send_actions(self, action_dict):
            pass

    mine = Mine()
    assert convert_to_base_env(mine) is mine and AsyncEnv.to_base_env(mine) is mine
    assert mine.try_reset("any") is None and mine.get_unwrapped() == [] and not try_reset_accepts_seed(mine)


def test_an_async_env_must_implement_poll_and_send_actions():
    class Half(AsyncEnv):
        def poll(self):
            return {}, {}, {}, {}, {}

    with pytest.raises(TypeError, match="send_actions"):
        Half()


@pytest.mark.parametrize("kwargs, match", [
    ({"num_envs": 2}, r"needs make_env\(vector_index\)"),
    ({"num_envs": 1, "remote_envs": True}, "remote envs only make sense with num_envs > 1"),
    ({"num_envs": 0}, "num_envs=0: expected an int >= 1"),
])
def test_conversion_errors_name_what_is_missing(kwargs, match):
    with pytest.raises(ValueError, match=match):
        convert_to_base_env(_cartpole(), **kwargs)


def test_rllib_compat_base_env_is_the_protocol():
    from rllib_compat.env.base_env import BaseEnv

    env = BaseEnv.to_base_env(_cartpole(), make_env=lambda i: _cartpole(), num_envs=2)
    assert isinstance(env, BaseEnv) and sorted(env.poll()[0]) == [0, 1]
    env.stop()
