"""make_base_env: which path each env spec takes, EnvContext per sub-env, create errors."""

import gymnasium
import numpy as np
import pytest

from rlcore.env import (
    BaseEnv,
    EnvContext,
    EnvError,
    GymVectorBaseEnv,
    SubEnvLoop,
    make_base_env,
    register_env,
)


class Recorder(gymnasium.Env):
    observation_space = gymnasium.spaces.Discrete(10)
    action_space = gymnasium.spaces.Discrete(2)

    def __init__(self, config):
        self.config = config

    def reset(self, *, seed=None, options=None):
        return self.config.vector_index, {}

    def step(self, action):
        return self.config.vector_index, 0.0, False, False, {}


@pytest.mark.parametrize(
    "spec, env_config, mode, expected",
    [
        ("CartPole-v1", {}, "sync", SubEnvLoop),
        ("CartPole-v0", {}, "sync", SubEnvLoop),
        ("CartPole-v1", {"disable_env_checker": True}, "sync", SubEnvLoop),
        ("CartPole-v1", {}, "vector_entry_point", GymVectorBaseEnv),
        ("CartPole-v0", {}, "VECTOR_ENTRY_POINT", GymVectorBaseEnv),
        ("Pendulum-v1", {}, "sync", SubEnvLoop),
        ("Taxi-v4", {}, "sync", SubEnvLoop),
        (Recorder, {}, "sync", SubEnvLoop),
        (lambda ctx: gymnasium.make("CartPole-v1"), {}, "sync", SubEnvLoop),
        (lambda ctx: gymnasium.make_vec("CartPole-v1", 3, vectorization_mode="sync"), {}, "sync", GymVectorBaseEnv),
    ],
    ids=["cartpole_v1", "cartpole_v0", "env_config", "cartpole_vector", "cartpole_v0_vector", "pendulum", "taxi",
         "class", "lambda", "gym_vector"],
)
def test_path_selection(spec, env_config, mode, expected):
    base = make_base_env(spec, EnvContext(env_config), 3, seed=0, vectorize_mode=mode)
    assert type(base) is expected and base.num_envs == 3
    obs, infos = base.reset()
    assert len(obs) == 3 and len(infos) == 3 and obs.flags.c_contiguous
    actions = np.stack([base.action_space.sample() for _ in range(3)])
    for _ in range(30):  # through some auto-resets
        step = base.step(actions)
        assert step.rewards.shape == (3,) and step.terminateds.dtype == np.bool_
        assert step.obs.flags.c_contiguous and step.obs.shape == obs.shape and step.obs.dtype == obs.dtype
        assert step.final_obs is None or step.final_obs.flags.c_contiguous
    base.close()


def test_cartpole_v0_keeps_its_200_step_limit():
    base = make_base_env("CartPole-v0", num_envs=1, seed=0, vectorize_mode="vector_entry_point")
    assert base.get_vector_env().max_episode_steps == 200
    assert make_base_env("CartPole-v0", num_envs=1).get_sub_environments()[0].spec.max_episode_steps == 200


def test_async_mode_is_gymnasiums_async_vector_env():
    base = make_base_env("CartPole-v1", num_envs=2, seed=0, vectorize_mode="async")
    try:
        assert type(base.get_vector_env()).__name__ == "AsyncVectorEnv" and base.can_reset_envs
        assert base.reset()[0].shape == (2, 4)
    finally:
        base.close()


def test_vectorize_mode_errors_name_the_key_and_the_env():
    """No silent fallback: a mode an env cannot have, or a failing vector build, is an error."""
    with pytest.raises(ValueError, match=r"'vector_entry_point': env Pendulum-v1 has no vectorized implementation"):
        make_base_env("Pendulum-v1", num_envs=2, vectorize_mode="vector_entry_point")
    with pytest.raises(ValueError, match=r"gym_env_vectorize_mode='async' needs a gymnasium env id \(got env Recorder"):
        make_base_env(Recorder, num_envs=2, vectorize_mode="async")
    with pytest.raises(ValueError, match=r"gym_env_vectorize_mode='fast': expected one of"):
        make_base_env("CartPole-v1", num_envs=2, vectorize_mode="fast")
    # CartPoleVectorEnv takes no disable_env_checker: the build fails with the env's name, no fallback
    with pytest.raises(EnvError, match=r"env CartPole-v1 \(worker_index=0, all sub-envs\) raised in create"):
        make_base_env("CartPole-v1", {"no_such_kwarg": True}, 2, vectorize_mode="vector_entry_point")


def test_each_sub_env_gets_its_context():
    ctx = EnvContext({"k": 1}, worker_index=2, num_workers=3)
    base = make_base_env(Recorder, ctx, 4)
    configs = [env.config for env in base.get_sub_environments()]
    assert [c.vector_index for c in configs] == [0, 1, 2, 3]
    assert all(c.worker_index == 2 and c.num_workers == 3 and c["k"] == 1 for c in configs)
    assert base.reset()[0].tolist() == [0, 1, 2, 3] and base.worker_index == 2


def test_registered_name_and_plain_dict_config():
    register_env("factory_recorder", Recorder)
    base = make_base_env("factory_recorder", {"k": 2}, 2)
    assert base.env_name == "factory_recorder" and base.get_sub_environments()[1].config["k"] == 2


def test_base_env_product_is_used_as_is():
    inner = make_base_env("CartPole-v1", num_envs=2)
    assert make_base_env(lambda ctx: inner, num_envs=5) is inner
    assert isinstance(inner, BaseEnv)


def test_create_error_names_env_and_index():
    def creator(ctx):
        if ctx.vector_index == 1:
            raise FileNotFoundError("no map file")
        return Recorder(ctx)

    register_env("factory_flaky", creator)
    with pytest.raises(EnvError, match=r"factory_flaky \(worker_index=4, vector_index=1\) raised in create") as info:
        make_base_env("factory_flaky", EnvContext({}, worker_index=4), 3)
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_env_error_pickles():
    import pickle

    err = EnvError("X", 1, "step", worker_index=2, cause=ValueError("bad"))
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == str(err) and (back.env_name, back.vector_index, back.worker_index) == ("X", 1, 2)


@pytest.mark.parametrize("num_envs", [0, 2.0, True])
def test_num_envs_validated(num_envs):
    with pytest.raises(ValueError, match="num_envs"):
        make_base_env("CartPole-v1", num_envs=num_envs)


def test_seed_makes_runs_repeatable_on_both_paths():
    for spec, mode in [("CartPole-v1", "vector_entry_point"), (lambda ctx: gymnasium.make("CartPole-v1"), "sync")]:
        runs = []
        for _ in range(2):
            base = make_base_env(spec, num_envs=3, seed=42, vectorize_mode=mode)
            obs, _ = base.reset()
            steps = [base.step(np.ones(3, np.int64)).obs for _ in range(5)]
            runs.append(np.concatenate([obs] + steps))
        np.testing.assert_array_equal(runs[0], runs[1])


class Renders(Recorder):
    def render(self):
        return f"frame-{self.config.vector_index}"


def test_try_render_and_close():
    base = make_base_env(Renders, num_envs=3)
    assert base.try_render(2) == "frame-2" and base.try_render() == "frame-0"
    base.close()


def test_vector_env_step_error_names_env():
    base = make_base_env("CartPole-v1", EnvContext({}, worker_index=1), 2, seed=0, vectorize_mode="vector_entry_point")
    base.reset()
    with pytest.raises(EnvError, match=r"CartPole-v1 \(worker_index=1, all sub-envs\) raised in step"):
        base.step(np.array([0, 7]))  # 7 is not in Discrete(2)


@pytest.mark.parametrize(
    "creator, name",
    [
        (lambda ctx: gymnasium.make("Pendulum-v1"), "Pendulum-v1"),
        (lambda ctx: Recorder(ctx), "Recorder"),
    ],
)
def test_anonymous_creators_are_named_after_their_env(creator, name):
    assert make_base_env(creator, num_envs=2).env_name == name
