"""Importing the execution operators (and their RLlib paths) loads neither Ray nor an ML framework."""

import subprocess
import sys

import pytest

HEAVY = ("torch", "tensorflow", "ray")


@pytest.mark.parametrize("module", [
    "rlcore.ops",
    "rllib_compat.execution.rollout_ops",
    "rllib_compat.execution.train_ops",
    "rllib_compat.execution.concurrency_ops",
    "rllib_compat.execution.replay_ops",
    "rllib_compat.execution.metric_ops",
    "rllib_compat.execution.common",
])
def test_import_is_light(module):
    code = (f"import sys, {module}; heavy = [m for m in {HEAVY!r} if m in sys.modules]; "
            "print(','.join(heavy)); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"importing {module} imported {done.stdout.strip()}: {done.stderr[-500:]}"
