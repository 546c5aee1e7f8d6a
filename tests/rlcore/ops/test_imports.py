"""Importing the execution operators (and their RLlib paths) loads neither Ray nor an ML framework."""

import pytest

HEAVY = ("torch", "tensorflow", "ray")


MODULES = [
    "rlcore.ops",
    "rllib_compat.execution.rollout_ops",
    "rllib_compat.execution.train_ops",
    "rllib_compat.execution.concurrency_ops",
    "rllib_compat.execution.replay_ops",
    "rllib_compat.execution.metric_ops",
    "rllib_compat.execution.common",
]


@pytest.fixture(scope="module")
def imports(import_probe):
    """What each module (and those before it) loaded of HEAVY, all imported in one fresh process."""
    return import_probe.after_each(MODULES, HEAVY)


@pytest.mark.parametrize("module", MODULES)
def test_import_is_light(module, import_probe, imports):
    loaded = import_probe.loaded_by(module, imports, HEAVY)
    assert loaded == [], f"importing {module} imported {loaded}"
