"""Importing rlcore (and its framework-neutral packages) loads neither torch, tensorflow nor ray."""

import subprocess
import sys

import pytest

from rlcore import _backend

HEAVY = ("torch", "tensorflow", "ray")


LIGHT_MODULES = ["rlcore", "rlcore.core", "rlcore.data", "rlcore.dataflow", "rlcore.env", "rlcore.sampling",
                 "rlcore.policy", "rlcore.models", "rlcore.trial_logger"]


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_import_is_light(module, import_probe):
    import_probe.assert_loads_none(module, LIGHT_MODULES, HEAVY)  # all of them imported in one fresh process


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


#: What a rollout worker must not load to build its policy.
TRAINER_SIDE = ("rlcore.trainer", "ray.tune", "pandas")


@pytest.mark.parametrize("module", WORKER_POLICY_MODULES)
def test_policy_modules_do_not_import_the_trainer(module, import_probe):
    """A worker building its policy loads neither the trainer nor Ray Tune (and its pandas/pyarrow);
    the 20 modules are imported in one fresh process (one torch and one TF import)."""
    import_probe.assert_loads_none(module, WORKER_POLICY_MODULES, TRAINER_SIDE)


#: Modules of the plans' own actors (their processes import them to build the actor).
PLAN_ACTOR_MODULES = ["rlcore.algorithms.apex.replay_actor", "rlcore.ops.replay", "rlcore.ops.tree_agg"]


@pytest.mark.parametrize("module", PLAN_ACTOR_MODULES)
def test_plan_actor_modules_do_not_import_the_trainer(module, import_probe):
    """A replay shard or aggregation actor loads neither the trainer nor Ray Tune (about 1 s and
    70 MB of each actor process)."""
    import_probe.assert_loads_none(module, PLAN_ACTOR_MODULES, TRAINER_SIDE)


def test_the_import_probe_blames_only_the_module_that_loads_a_heavy_one(import_probe):
    """After a module that loads one of ``heavy``, every later record shows it too; each is then
    asked alone: only the one that loads it is blamed."""
    record = import_probe.after_each(["email.mime.text", "json"], ("email",))
    assert record == {"email.mime.text": ["email"], "json": ["email"]}
    assert import_probe.loaded_by("email.mime.text", record, ("email",)) == ["email"]
    assert import_probe.loaded_by("json", record, ("email",)) == []
    assert import_probe.loaded_by("json", {"json": []}, ("email",)) == []
    with pytest.raises(AssertionError, match=r"importing email.mime.text imported \['email'\]"):
        import_probe.assert_loads_none("email.mime.text", ["json", "email.mime.text"], ("email",))
