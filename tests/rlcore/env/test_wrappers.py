"""Old-gym-API adapter: reset/step conversion, seeding, and detection of which API an env follows."""

import gymnasium
import numpy as np
import pytest

from rlcore.env.wrappers import OldGymAPIAdapter, as_gymnasium_env, convert_old_step, is_new_reset_result


@pytest.mark.parametrize(
    "result, expected",
    [
        ((0, 1.0, False, {}), (0, 1.0, False, False, {})),
        ((0, 1.0, True, {}), (0, 1.0, True, False, {})),
        ((0, 1.0, True, {"TimeLimit.truncated": True}), (0, 1.0, False, True, {"TimeLimit.truncated": True})),
        ((0, 1.0, False, {"TimeLimit.truncated": True}), (0, 1.0, False, False, {"TimeLimit.truncated": True})),
        ((0, 1.0, True, None), (0, 1.0, True, False, {})),
    ],
)
def test_convert_old_step(result, expected):
    assert convert_old_step(result) == expected


class Old:
    observation_space = gymnasium.spaces.Discrete(3)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self):
        self.seeds = []

    def seed(self, seed):
        self.seeds.append(seed)

    def reset(self):
        return 1

    def step(self, action):
        return 2, 0.5, True, {"TimeLimit.truncated": True}


class OldGymnasiumSubclass(gymnasium.Env):
    """A 1.x env ported by changing only the import: gymnasium.Env with old signatures."""

    observation_space = gymnasium.spaces.Discrete(3)
    action_space = gymnasium.spaces.Discrete(2)

    def reset(self):
        return 0

    def step(self, action):
        return 1, 1.0, False, {}


def test_adapter_reset_step_seed():
    old = Old()
    env = OldGymAPIAdapter(old)
    assert env.reset(seed=4) == (1, {}) and old.seeds == [4]
    assert env.reset() == (1, {}) and old.seeds == [4]
    assert env.step(0) == (2, 0.5, False, True, {"TimeLimit.truncated": True})
    assert env.observation_space == Old.observation_space and env.seeds == [4]  # attribute pass-through


@pytest.mark.parametrize(
    "make, wrapped",
    [
        (lambda: gymnasium.make("CartPole-v1"), False),
        (Old, True),
        (OldGymnasiumSubclass, True),
    ],
    ids=["gymnasium", "old_plain", "old_gymnasium_subclass"],
)
def test_as_gymnasium_env_detects_api(make, wrapped):
    env = make()
    adapted = as_gymnasium_env(env)
    assert (adapted is not env) == wrapped
    obs, info = adapted.reset(seed=0)
    assert isinstance(info, dict)
    assert len(adapted.step(adapted.action_space.sample())) == 5


def test_tuple_observation_is_not_taken_for_obs_info():
    space = gymnasium.spaces.Tuple([gymnasium.spaces.Discrete(2), gymnasium.spaces.Dict({})])
    obs = (1, {})
    assert not is_new_reset_result(obs, space)
    assert is_new_reset_result((obs, {}), space)
    assert is_new_reset_result((np.zeros(2), {}))
