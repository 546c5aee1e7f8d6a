"""rllib_compat's trainer paths (agents.trainer, agents.trainer_template, agents.registry) are rlcore's objects."""

import importlib

import pytest

import rlcore.registry
import rlcore.trainer
import rlcore.trainer_config

PATHS = [
    ("rllib_compat.agents.trainer", "Trainer", rlcore.trainer.Trainer),
    ("rllib_compat.agents.trainer", "COMMON_CONFIG", rlcore.trainer_config.COMMON_CONFIG),
    ("rllib_compat.agents.trainer", "with_common_config", rlcore.trainer_config.with_common_config),
    ("rllib_compat.agents.trainer", "deep_update", rlcore.trainer_config.deep_update),
    ("rllib_compat.agents.trainer_template", "build_trainer", rlcore.trainer.build_trainer),
    ("rllib_compat.agents.trainer_template", "default_execution_plan", rlcore.trainer.default_execution_plan),
    ("rllib_compat.agents.registry", "get_trainer_class", rlcore.registry.get_trainer_class),
    ("rllib_compat.agents.registry", "ALGORITHMS", rlcore.registry.BUILTIN_TRAINERS),
]


@pytest.mark.parametrize("module, name, obj", PATHS)
def test_old_path_is_the_rlcore_object(module, name, obj, recwarn):
    assert getattr(importlib.import_module(module), name) is obj
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning) and "rllib_compat" in str(w.message)]


def test_rllib_style_trainer_subclass_via_build_trainer():
    from rllib_compat.agents.trainer import with_common_config
    from rllib_compat.agents.trainer_template import build_trainer

    MyTrainer = build_trainer(name="MyTrainer", default_config=with_common_config({"my_key": 1}))
    assert MyTrainer._default_config["my_key"] == 1 and issubclass(MyTrainer, rlcore.trainer.Trainer)
