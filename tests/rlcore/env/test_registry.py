"""Env registry: register_env, ray.tune registrations, make_env_creator for every spec kind."""

import re

import gymnasium
import pytest

from rlcore.env import EnvContext, get_env_creator, make_env_creator, register_env


class ConfigEnv(gymnasium.Env):
    observation_space = gymnasium.spaces.Discrete(3)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self, config=None):
        self.config = config


def test_register_and_get():
    creator = lambda ctx: ConfigEnv(ctx)  # noqa: E731
    register_env("test_registry_env", creator)
    assert get_env_creator("test_registry_env") is creator
    env = make_env_creator("test_registry_env")(EnvContext({"k": 1}, vector_index=2))
    assert env.config["k"] == 1 and env.config.vector_index == 2


def test_register_replaces():
    register_env("test_registry_twice", lambda ctx: 1)
    register_env("test_registry_twice", lambda ctx: 2)
    assert make_env_creator("test_registry_twice")(EnvContext()) == 2


def test_ray_tune_registration_is_accepted():
    from ray.tune.registry import register_env as ray_register_env

    ray_register_env("test_registry_ray_env", lambda cfg: ConfigEnv(cfg))
    creator = get_env_creator("test_registry_ray_env")
    assert creator is not None
    env = make_env_creator("test_registry_ray_env")(EnvContext({"x": 5}))
    assert isinstance(env, ConfigEnv) and env.config["x"] == 5


def test_local_registry_wins_over_ray():
    from ray.tune.registry import register_env as ray_register_env

    ray_register_env("test_registry_both", lambda cfg: "ray")
    register_env("test_registry_both", lambda cfg: "local")
    assert make_env_creator("test_registry_both")(EnvContext()) == "local"


@pytest.mark.parametrize(
    "spec, check",
    [
        ("CartPole-v1", lambda env: env.spec.id == "CartPole-v1"),
        (ConfigEnv, lambda env: isinstance(env, ConfigEnv) and env.config["size"] == 4),
        (lambda cfg: ConfigEnv(cfg), lambda env: env.config["size"] == 4),
    ],
    ids=["gym_id", "class", "callable"],
)
def test_make_env_creator_kinds(spec, check):
    config = {} if spec == "CartPole-v1" else {"size": 4}
    assert check(make_env_creator(spec)(EnvContext(config)))


def test_gym_id_gets_env_config_as_kwargs():
    env = make_env_creator("CartPole-v1")(EnvContext({"max_episode_steps": 7}))
    assert env.spec.max_episode_steps == 7
    assert make_env_creator("CartPole-v1").gym_id == "CartPole-v1"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("CartPole-v7", ["CartPole-v1", "CartPole-v0"]),
        ("test_registry_envv", ["test_registry_env"]),
        ("Taxi-v3", ["Taxi-v4"]),
    ],
)
def test_unknown_name_lists_close_matches(name, expected):
    register_env("test_registry_env", lambda ctx: None)
    with pytest.raises(ValueError, match="Close matches") as info:
        make_env_creator(name)
    message = str(info.value)
    assert repr(name) in message
    for candidate in expected:
        assert candidate in message
    listed = re.search(r"Close matches: (.*?)\.(?: |$)", message).group(1).split(", ")
    assert 1 <= len(listed) <= 5


def test_unknown_name_without_matches():
    with pytest.raises(ValueError, match="'qqqqqqqq' is neither"):
        make_env_creator("qqqqqqqq")


@pytest.mark.parametrize("bad", [3, None, 2.5])
def test_bad_spec_type(bad):
    with pytest.raises(TypeError, match="expected a registered name"):
        make_env_creator(bad)


@pytest.mark.parametrize("name, creator", [("", lambda c: 1), (5, lambda c: 1), ("x", "not callable")])
def test_register_env_validates(name, creator):
    with pytest.raises(TypeError, match="register_env"):
        register_env(name, creator)


def test_creators_pickle():
    import pickle

    creator = pickle.loads(pickle.dumps(make_env_creator("CartPole-v1")))
    assert creator(EnvContext()).spec.id == "CartPole-v1"
    assert pickle.loads(pickle.dumps(make_env_creator(ConfigEnv)))(EnvContext()).config == {}
