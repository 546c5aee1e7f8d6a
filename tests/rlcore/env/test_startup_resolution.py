"""When and how env specs resolve at start-up: make_multi_agent per instance, dotted class paths."""

import sys
import textwrap

import gymnasium
import pytest

from rlcore.env import EnvContext, make_env_creator, make_multi_agent, register_env

ENV_MODULE = '''
import gymnasium


class KwargsEnv(gymnasium.Env):
    """Takes its env_config as keyword arguments, as 1.x's from_config called dotted env classes."""

    observation_space = gymnasium.spaces.Discrete(3)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self, size=1, label="none"):
        self.size, self.label = size, label

    def reset(self, *, seed=None, options=None):
        return 0, {}

    def step(self, action):
        return 0, 1.0, True, False, {}


NOT_CALLABLE = 3
'''


@pytest.fixture
def env_package(tmp_path, monkeypatch):
    """An importable package ``startup_envs_pkg.envs`` written under tmp_path."""
    pkg = tmp_path / "startup_envs_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "envs.py").write_text(textwrap.dedent(ENV_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "startup_envs_pkg.envs"
    for name in [m for m in sys.modules if m.startswith("startup_envs_pkg")]:
        del sys.modules[name]


def test_make_multi_agent_resolves_the_env_per_instance_not_at_class_creation():
    cls = make_multi_agent("startup_registered_later")  # not registered yet: no error here
    assert cls.__name__ == "MultiAgent[startup_registered_later]"
    with pytest.raises(ValueError, match="startup_registered_later"):
        cls({"num_agents": 1})
    register_env("startup_registered_later", lambda cfg: gymnasium.make("CartPole-v1", **cfg))
    env = cls({"num_agents": 2, "max_episode_steps": 3})
    assert len(env.agents) == 2 and env.agents[0].spec.max_episode_steps == 3


def test_make_multi_agent_rejects_a_non_env_spec_at_once():
    with pytest.raises(TypeError, match="env=3: expected a registered name"):
        make_multi_agent(3)


def test_dotted_class_path_is_imported_and_called_with_env_config_as_kwargs(env_package):
    creator = make_env_creator(f"{env_package}.KwargsEnv")
    env = creator(EnvContext({"size": 4, "label": "x"}, worker_index=1))
    assert type(env).__name__ == "KwargsEnv" and (env.size, env.label) == (4, "x")
    assert creator.env_name == f"{env_package}.KwargsEnv" and getattr(creator, "gym_id", None) is None


def test_dotted_class_path_in_make_multi_agent(env_package):
    env = make_multi_agent(f"{env_package}.KwargsEnv")({"num_agents": 2, "size": 5})
    assert [a.unwrapped.size for a in env.agents] == [5, 5]


@pytest.mark.parametrize("path, match", [
    ("startup_no_such_pkg.envs.Env", r"importable 'package.module.ClassName' \(ModuleNotFoundError: No module named 'startup_no_such_pkg'\)"),
    ("{pkg}.MissingEnv", r"\(AttributeError: module 'startup_envs_pkg.envs' has no attribute 'MissingEnv'\)"),
])
def test_dotted_path_that_does_not_import_names_the_import_error(env_package, path, match):
    with pytest.raises(ValueError, match=match):
        make_env_creator(path.format(pkg=env_package))


def test_dotted_path_to_a_non_callable_is_a_type_error(env_package):
    with pytest.raises(TypeError, match="names 3, which is not a class or callable"):
        make_env_creator(f"{env_package}.NOT_CALLABLE")


def test_gymnasium_ids_and_registered_names_still_win(env_package):
    register_env(f"{env_package}.KwargsEnv", lambda cfg: "registered")
    try:
        assert make_env_creator(f"{env_package}.KwargsEnv")(EnvContext()) == "registered"
    finally:
        from rlcore.env import registry

        registry._REGISTRY.pop(f"{env_package}.KwargsEnv")
    assert make_env_creator("CartPole-v1").gym_id == "CartPole-v1"
