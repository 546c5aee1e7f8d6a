"""COMMON_CONFIG merge rules, unknown keys with suggestions, type checks, framework names."""

import pytest

from rlcore.sampling.callbacks import DefaultCallbacks
from rlcore.trainer_config import (
    COMMON_CONFIG,
    merge_config,
    normalize_config,
    validate_config_types,
    with_common_config,
)


@pytest.mark.parametrize("user, message", [
    ({"lrr": 0.1}, "unknown config key 'lrr'; did you mean 'lr'?"),
    ({"num_worker": 1}, "unknown config key 'num_worker'; did you mean 'num_workers'?"),
    ({"evaluation_num_episode": 1}, "did you mean 'evaluation_num_episodes'?"),
    ({"zzzz_qqq": 1}, "unknown config key 'zzzz_qqq'"),
])
def test_unknown_key_names_closest(user, message):
    with pytest.raises(ValueError) as err:
        merge_config(COMMON_CONFIG, user)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_multiagent_allows_new_subkeys_only_where_rllib_does():
    merged = merge_config(COMMON_CONFIG, {"model": {"custom_model_config": {"a": 1}, "my_key": 3},
                                          "env_config": {"anything": 1}, "multiagent": {"policies": {"p": 1}}})
    assert merged["model"]["my_key"] == 3 and merged["env_config"] == {"anything": 1}
    assert merged["model"]["fcnet_hiddens"] == COMMON_CONFIG["model"]["fcnet_hiddens"]
    with pytest.raises(ValueError, match="unknown config key 'tf_session_args.gpu_options.nope'"):
        merge_config(COMMON_CONFIG, {"tf_session_args": {"gpu_options": {"nope": 1}}},
                     allow_unknown_subkeys=["model"])


@pytest.mark.parametrize("update, expected", [
    ({"exploration_config": {"type": "EpsilonGreedy"}}, {"type": "EpsilonGreedy"}),
    ({"exploration_config": {"random_timesteps": 5}}, {"type": "StochasticSampling", "random_timesteps": 5}),
])
def test_exploration_config_replaced_when_type_changes(update, expected):
    assert merge_config(COMMON_CONFIG, update)["exploration_config"] == expected


def test_algorithm_sub_dicts_reject_unknown_subkeys():
    defaults = with_common_config({"optimization": {"actor_learning_rate": 3e-4}})
    with pytest.raises(ValueError, match="unknown config key 'optimization.actor_learning_rat'; "
                                         "did you mean 'optimization.actor_learning_rate'"):
        merge_config(defaults, {"optimization": {"actor_learning_rat": 1e-3}})


def test_merge_does_not_touch_the_defaults():
    merge_config(COMMON_CONFIG, {"model": {"fcnet_hiddens": [1]}})
    assert COMMON_CONFIG["model"]["fcnet_hiddens"] == [256, 256]


def test_with_common_config_accepts_new_algorithm_keys():
    cfg = with_common_config({"kl_coeff": 0.2, "lr": 5e-5})
    assert cfg["kl_coeff"] == 0.2 and cfg["lr"] == 5e-5 and cfg["gamma"] == 0.99


def test_legacy_callbacks_dict_becomes_a_factory():
    seen = []
    merged = merge_config(COMMON_CONFIG, {"callbacks": {"on_train_result": lambda info: seen.append(info)}})
    with pytest.warns(DeprecationWarning, match="callbacks dict"):
        cb = merged["callbacks"]()
    assert isinstance(cb, DefaultCallbacks)
    cb.on_train_result(trainer=None, result={"x": 1})
    assert seen and seen[0]["result"] == {"x": 1}


@pytest.mark.parametrize("user, message", [
    ({"num_workers": "2"}, "config key 'num_workers' = '2' has type str; expected int"),
    ({"num_workers": True}, "config key 'num_workers' = True has type bool; expected int"),
    ({"lr": "0.1"}, "config key 'lr' = '0.1' has type str; expected int or float"),
    ({"model": {"fcnet_hiddens": "64"}}, "config key 'model.fcnet_hiddens' = '64' has type str"),
    ({"env_config": [1]}, "config key 'env_config' = [1] has type list; expected dict"),
    ({"explore": 1}, "config key 'explore' = 1 has type int; expected bool"),
])
def test_wrong_types_name_key_value_and_expected(user, message):
    cfg = merge_config(COMMON_CONFIG, user)
    with pytest.raises(TypeError) as err:
        validate_config_types(cfg, COMMON_CONFIG)
    assert message in str(err.value)


@pytest.mark.parametrize("user", [
    {"lr": 1}, {"num_gpus": 0.5}, {"horizon": 200}, {"seed": 3}, {"clip_rewards": 5.0},
    {"input_evaluation": ("is",)}, {"callbacks": DefaultCallbacks}, {"callbacks": lambda: DefaultCallbacks()},
    {"env": "CartPole-v1"}, {"evaluation_interval": 2}, {"model": {"custom_model": "mine", "conv_filters": [[1, 2, 3]]}},
    {"min_iter_time_s": 0.5}, {"record_env": "videos/"},
])
def test_accepted_values(user):
    cfg = merge_config(COMMON_CONFIG, user)
    validate_config_types(cfg, COMMON_CONFIG)  # a refused value raises TypeError
    # What was checked is the user's value itself, not a default the merge put back.
    for key, value in user.items():
        if isinstance(value, dict):
            assert {k: cfg[key][k] for k in value} == value
        else:
            assert cfg[key] is value or cfg[key] == value


@pytest.mark.parametrize("framework, expected", [("tf", "tf2"), ("tfe", "tf2"), ("tf2", "tf2"), ("torch", "torch")])
def test_framework_normalized(framework, expected):
    assert normalize_config({"framework": framework})["framework"] == expected


@pytest.mark.parametrize("config, message", [
    ({"framework": "jax"}, "framework='jax' is not supported"),
    ({"batch_mode": "episodes"}, "config key 'batch_mode' = 'episodes'; expected 'truncate_episodes' or 'complete_episodes'"),
    ({"log_level": "LOUD"}, "config key 'log_level' = 'LOUD'"),
    ({"num_workers": -1}, "config key 'num_workers' = -1; expected a non-negative int"),
    ({"rollout_fragment_length": 0}, "config key 'rollout_fragment_length' = 0; expected a positive int"),
])
def test_normalize_rejects(config, message):
    with pytest.raises(ValueError) as err:
        normalize_config(dict(config))
    assert message in str(err.value)
