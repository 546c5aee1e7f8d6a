"""Property test (Hypothesis): a value of the wrong type for any COMMON_CONFIG key is one clear
error naming the key, never a deep traceback (issue #18).

Every key has a known type (its default's, or a union in ``TYPE_UNIONS`` for the None-default keys
and the numeric ones); the random test draws from all of them, and a parametrized test gives each
key one wrong value deterministically.
"""

import gymnasium
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rlcore.trainer_config import (COMMON_CONFIG, _expected_types, _matches, merge_config, normalize_config,
                                   validate_config_types)

ALL_KEYS = sorted(COMMON_CONFIG)

WRONG_VALUES = st.one_of(st.text(max_size=5), st.binary(max_size=4), st.lists(st.integers(), max_size=3),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.complex_numbers(),
                         st.integers(), st.floats(allow_nan=False), st.booleans(), st.tuples(st.integers()),
                         st.just(object()), st.just(1 + 2j))

def _one_wrong_value(key):
    """A value of a wrong type for ``key``: a str, or a complex number where a str is accepted."""
    return next(v for v in ("wrong", 1 + 2j) if not _matches(v, _expected_types(key, COMMON_CONFIG[key])))


def _check(key, value):
    """Merge, type-check and normalize ``{key: value}`` as Trainer.setup does; returns the error."""
    with pytest.raises((TypeError, ValueError)) as info:
        config = merge_config(COMMON_CONFIG, {key: value})
        validate_config_types(config, COMMON_CONFIG)
        normalize_config(config)
    message = str(info.value)
    assert repr(key) in message, message
    assert "\n" not in message  # one line
    return message


def test_every_key_has_a_known_type():
    assert [k for k in ALL_KEYS if _expected_types(k, COMMON_CONFIG[k]) is None] == []


@pytest.mark.parametrize("key", ALL_KEYS)
def test_each_key_refuses_one_wrong_type_naming_key_value_and_expectation(key):
    value = _one_wrong_value(key)
    message = _check(key, value)
    assert repr(value)[:20] in message and "expected" in message, message


@settings(max_examples=60, deadline=None)  # every key also gets a fixed wrong value above
@given(st.sampled_from(ALL_KEYS), WRONG_VALUES)
def test_a_wrong_type_is_an_error_naming_the_key(key, value):
    assume(not _matches(value, _expected_types(key, COMMON_CONFIG[key])))  # a wrong type for this key
    _check(key, value)


@pytest.mark.parametrize("key, value, expected", [
    ("env", 3, "env=3: expected a registered name, a gymnasium id, a 'package.module.ClassName', an env class "
               "or a callable(env_config), got int"),
    ("env", ["CartPole-v1"], "expected a registered name"),
    ("observation_space", (4,), "expected a gymnasium Space or None"),
    ("action_space", "Discrete(2)", "expected a gymnasium Space or None"),
    ("clip_rewards", "sign", "expected bool or int or float or None"),
    ("clip_rewards", -1.0, "a number > 0"),
    ("clip_rewards", 0, "a number > 0"),
    ("horizon", 2.5, "expected int or None"),
    ("horizon", 0, "an int > 0"),
    ("evaluation_interval", "5", "expected int or None"),
    ("evaluation_interval", -1, "an int >= 1"),
    ("seed", "42", "expected int or None"),
    ("seed", 4.2, "expected int or None"),
    ("seed", True, "expected int or None"),
    ("custom_eval_function", "my_eval", "expected callable or None"),
    ("logger_config", ["logdir"], "expected dict or None"),
    ("output", 3, "expected str or a path or callable or None"),
    ("ray_address", 6379, "expected str or None"),
    ("sample_collector", "fast", "expected a class or None"),
    ("simple_optimizer", 1, "expected bool or None"),
])
def test_the_none_default_keys_say_what_they_expect(key, value, expected):
    message = _check(key, value)
    assert repr(value) in message and expected in message, message


class _Collector:
    def reset(self): ...

    def append(self): ...

    def cut(self): ...

    def pop(self): ...


@pytest.mark.parametrize("key, value", [
    ("env", "CartPole-v1"), ("env", gymnasium.Env), ("env", lambda env_config: None), ("env", None),
    ("observation_space", gymnasium.spaces.Box(-1.0, 1.0, (3,))), ("action_space", gymnasium.spaces.Discrete(2)),
    ("clip_rewards", True), ("clip_rewards", False), ("clip_rewards", 5), ("clip_rewards", 0.5),
    ("horizon", 200), ("evaluation_interval", 5), ("evaluation_interval", 0), ("seed", 42),
    ("seed", np.int64(42)), ("custom_eval_function", lambda trainer, workers: {}),
    ("logger_config", {"logdir": "/tmp/x"}), ("output", "logdir"), ("output", lambda ioctx: None),
    ("ray_address", "auto"), ("sample_collector", _Collector), ("simple_optimizer", True),
])
def test_the_none_default_keys_accept_what_1x_accepts(key, value):
    config = merge_config(COMMON_CONFIG, {key: value})
    validate_config_types(config, COMMON_CONFIG)
    normalize_config(config)
    assert config[key] is value
