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


#: The policy modules a rollout worker imports when it unpickles its policy class.
WORKER_POLICY_MODULES = [
    "rlcore.algorithms.ppo.ppo_torch_policy", "rlcore.algorithms.ppo.ppo_tf_policy",
    "rlcore.algorithms.pg.pg_torch_policy", "rlcore.algorithms.pg.pg_tf_policy",
    "rlcore.algorithms.a3c.a3c_torch_policy", "rlcore.algorithms.a3c.a3c_tf_policy",
    "rlcore.algorithms.marwil.marwil_torch_policy", "rlcore.algorithms.marwil.marwil_tf_policy",
    "rlcore.algorithms.impala.vtrace_torch_policy", "rlcore.algorithms.impala.vtrace_tf_policy",
    "rlcore.algorithms.appo.appo_torch_policy", "rlcore.algorithms.appo.appo_tf_policy",
    "rlcore.algorithms.dqn.dqn_torch_policy", "rlcore.algorithms.dqn.dqn_tf_policy",
    "rlcore.algorithms.dqn.simple_q_torch_policy", "rlcore.algorithms.dqn.simple_q_tf_policy",
    "rlcore.algorithms.sac.sac_torch_policy", "rlcore.algorithms.sac.sac_tf_policy",
    "rlcore.algorithms.ddpg.ddpg_torch_policy", "rlcore.algorithms.ddpg.ddpg_tf_policy",
]


@pytest.mark.parametrize("module", WORKER_POLICY_MODULES)
def test_policy_modules_do_not_import_the_trainer(module):
    """A worker building its policy loads neither the trainer nor Ray Tune (and its pandas/pyarrow)."""
    code = (f"import sys, {module}; heavy = [m for m in ('rlcore.trainer', 'ray.tune', 'pandas') "
            "if m in sys.modules]; print(','.join(heavy)); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"importing {module} imported {done.stdout.strip()}: {done.stderr[-500:]}"
