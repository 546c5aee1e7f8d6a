"""Importing rlcore (and its framework-neutral packages) loads neither torch, tensorflow nor ray."""

import subprocess
import sys

import pytest

from rlcore import _backend

HEAVY = ("torch", "tensorflow", "ray")


@pytest.mark.parametrize("module", [
    "rlcore", "rlcore.core", "rlcore.data", "rlcore.dataflow", "rlcore.env", "rlcore.sampling",
    "rlcore.policy", "rlcore.models", "rlcore.trial_logger",
])
def test_import_is_light(module):
    code = (f"import sys, {module}; heavy = [m for m in {HEAVY!r} if m in sys.modules]; "
            "print(','.join(heavy)); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"importing {module} imported {done.stdout.strip()}: {done.stderr[-500:]}"


def test_pure_python_switch_selects_the_twins():
    code = "import rlcore, rlcore._backend as b; print(rlcore.native_available(), b.impl.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "RLCORE_PUREPYTHON": "1"})
    assert done.stdout.split() == ["False", "rlcore._reference"], done.stderr


@pytest.mark.skipif(not _backend.NATIVE, reason="the compiled core is not built (RLCORE_PUREPYTHON or a failed build)")
def test_every_native_name_has_a_twin():
    """The compiled core and the numpy twin expose the same public kernels and classes."""
    from rlcore import _core, _reference

    def public(module):
        return {n for n, v in vars(module).items() if not n.startswith("_") and callable(v)
                and getattr(v, "__module__", module.__name__) == module.__name__}

    assert public(_core) - public(_reference) == set()
    assert {"ppo_categorical_loss", "compute_gae", "TrajectoryCollector"} <= public(_core)
