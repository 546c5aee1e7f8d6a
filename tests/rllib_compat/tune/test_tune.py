"""rllib_compat.tune: Ray Tune's names, rlcore's register_env, and tune.function as an absent feature."""

import pytest

from rllib_compat import tune
from rllib_compat._absent import AbsentFeatureError


def test_tune_names_are_ray_tunes():
    import ray.tune

    assert (tune.run, tune.grid_search, tune.Trainable) == (ray.tune.run, ray.tune.grid_search, ray.tune.Trainable)


def test_register_env_registers_with_rlcore():
    from rlcore.env import get_env_creator

    creator = lambda config: None  # noqa: E731
    tune.register_env("compat_tune_env", creator)
    assert get_env_creator("compat_tune_env") is creator


def test_function_names_the_replacement():
    with pytest.raises(AbsentFeatureError, match=r'tune.function\(fn\) \(RLlib 1.x\) does not exist in rllib_compat '
                                                 r'\(Tune no longer needs functions wrapped\); instead, put fn itself '
                                                 r'in the config \(e.g. "policy_mapping_fn": fn\)\.'):
        tune.function(lambda agent_id: "default_policy")


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'no_such_tune_name' \\(nor has ray.tune\\)"):
        tune.no_such_tune_name  # noqa: B018
    assert not hasattr(tune, "__wrapped__")
