"""Trainer registry: built-in names, user registration, close-match errors."""

import pytest

from rlcore.registry import BUILTIN_TRAINERS, get_trainer_class, register_all_with_tune, register_trainer, trainer_names
from rlcore.trainer import Trainer, build_trainer


@pytest.mark.parametrize("name, message", [
    ("PP0", "unknown algorithm 'PP0'; did you mean 'PPO'?"),
    ("ppo", "unknown algorithm 'ppo'; did you mean 'PPO'?"),
    ("A2", "did you mean 'A2C'?"),
    ("DQN_XYZ_QQ", "unknown algorithm 'DQN_XYZ_QQ' Known: "),
])
def test_unknown_algorithm_names_closest(name, message):
    with pytest.raises(ValueError) as err:
        get_trainer_class(name)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_non_string_name():
    with pytest.raises(TypeError, match="algorithm name 3: expected a str"):
        get_trainer_class(3)


def test_register_user_trainer_with_config():
    T = build_trainer("RegistryTestTrainer")
    register_trainer("REGISTRY_TEST", T)
    assert "REGISTRY_TEST" in trainer_names()
    cls, config = get_trainer_class("REGISTRY_TEST", return_config=True)
    assert cls is T and config["num_workers"] == 2
    with pytest.raises(TypeError, match="expected a class"):
        register_trainer("X", object())


@pytest.mark.parametrize("name", sorted(BUILTIN_TRAINERS))
def test_builtin_trainers_resolve_lazily(name):
    import importlib

    module, cls_name = BUILTIN_TRAINERS[name]
    cls = get_trainer_class(name)  # an ImportError of the algorithm's package fails the test

    assert issubclass(cls, Trainer) and cls is getattr(importlib.import_module(module), cls_name)
    assert cls._name == name


def test_register_all_with_tune_makes_names_tune_trainables():
    from ray.tune.registry import get_trainable_cls

    T = build_trainer("TuneNameTrainer")
    register_trainer("TUNE_NAME_TEST", T)
    names = register_all_with_tune()
    assert "TUNE_NAME_TEST" in names and get_trainable_cls("TUNE_NAME_TEST") is T
    for name in set(names) & set(BUILTIN_TRAINERS):
        assert get_trainable_cls(name) is get_trainer_class(name)
