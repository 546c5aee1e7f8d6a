"""rllib_compat env import paths re-export the very rlcore objects, without warnings."""

import importlib
import warnings

import pytest

import rlcore.env

PATHS = [
    ("rllib_compat.env", "MultiAgentEnv", rlcore.env.MultiAgentEnv),
    ("rllib_compat.env", "VectorEnv", rlcore.env.VectorEnv),
    ("rllib_compat.env", "BaseEnv", rlcore.env.AsyncEnv),
    ("rllib_compat.env", "EnvContext", rlcore.env.EnvContext),
    ("rllib_compat.env", "register_env", rlcore.env.register_env),
    ("rllib_compat.env.multi_agent_env", "MultiAgentEnv", rlcore.env.MultiAgentEnv),
    ("rllib_compat.env.multi_agent_env", "make_multi_agent", rlcore.env.make_multi_agent),
    ("rllib_compat.env.vector_env", "VectorEnv", rlcore.env.VectorEnv),
    ("rllib_compat.env.base_env", "BaseEnv", rlcore.env.AsyncEnv),
    ("rllib_compat.env.base_env", "convert_to_base_env", rlcore.env.convert_to_base_env),
    ("rllib_compat.env.base_env", "ASYNC_RESET_RETURN", rlcore.env.ASYNC_RESET_RETURN),
    ("rllib_compat.env.env_context", "EnvContext", rlcore.env.EnvContext),
    ("rllib_compat.tune", "register_env", rlcore.env.register_env),
    ("rllib_compat.tune.registry", "register_env", rlcore.env.register_env),
]


@pytest.mark.parametrize("path, name, obj", PATHS, ids=[f"{p}.{n}" for p, n, _ in PATHS])
def test_same_object_no_warning(path, name, obj):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = importlib.import_module(path)
    assert getattr(module, name) is obj


def test_old_style_user_code_runs():
    """A 1.x snippet with only ``ray.rllib``/``ray.tune`` renamed."""
    import gymnasium

    from rllib_compat.env import EnvContext, MultiAgentEnv
    from rllib_compat.tune.registry import register_env

    class TwoAgents(MultiAgentEnv):
        def __init__(self, env_config):
            self.n = env_config.get("n", 2)
            self.observation_space = gymnasium.spaces.Discrete(3)

        def reset(self):
            return {i: 0 for i in range(self.n)}

        def step(self, action_dict):
            return ({i: 1 for i in action_dict}, {i: 1.0 for i in action_dict},
                    {"__all__": True}, {i: {} for i in action_dict})

    register_env("compat_two_agents", lambda cfg: TwoAgents(cfg))
    env = rlcore.env.make_env_creator("compat_two_agents")(EnvContext({"n": 3}))
    adapted = rlcore.env.as_gymnasium_multi_agent(env)
    assert adapted.reset() == ({0: 0, 1: 0, 2: 0}, {})
    assert adapted.step({0: 1})[2] == {"__all__": True}
