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


@pytest.mark.parametrize("module", MODULES)
def test_import_is_light(module, import_probe):
    import_probe.assert_loads_none(module, MODULES, HEAVY)  # all of them imported in one fresh process
