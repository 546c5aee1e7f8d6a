"""Importing rllib_compat makes rlcore's trainers Tune trainables under their 1.x names, as
``import ray.rllib`` did, and Tune never falls back to another ``ray.rllib`` (RLlib 2.x)."""

import os
import subprocess
import sys
import textwrap

import pytest
import yaml

import rllib_compat  # noqa: F401  (a 1.x program's ``import ray.rllib``)
from rlcore import registry
from rlcore.registry import get_trainer_class

PPO_CONFIG = {"env": "CartPole-v1", "framework": "torch", "num_workers": 0, "log_sys_usage": False, "seed": 0,
              "train_batch_size": 64, "rollout_fragment_length": 64, "sgd_minibatch_size": 32, "num_sgd_iter": 1,
              "model": {"fcnet_hiddens": [8]}}


def run_python(program, env=None, timeout=240):
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(program)], capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.split("\n")


@pytest.mark.parametrize("order", ["rllib_compat first", "tune first"])
def test_every_builtin_name_resolves_to_rlcore_and_the_import_stays_light(order):
    imports = ["import rllib_compat.util.iter", "from ray import tune"]
    if order == "tune first":
        imports.reverse()
    lines = run_python(f"""
        import sys
        {imports[0]}
        print(sorted(m for m in ("ray", "torch", "tensorflow") if m in sys.modules))
        {imports[1]}
        from ray.tune.registry import get_trainable_cls
        from rlcore.registry import get_trainer_class
        print([n for n in ("PG", "A2C", "A3C", "PPO") if get_trainable_cls(n) is get_trainer_class(n)])
        print("ray.rllib" in sys.modules)
    """)
    assert lines[0] == ("[]" if order == "rllib_compat first" else "['ray']")
    assert lines[1:3] == ["['PG', 'A2C', 'A3C', 'PPO']", "False"]


def test_an_algorithm_added_to_rlcore_later_is_a_tune_trainable(monkeypatch):
    from ray.tune.registry import get_trainable_cls

    from rlcore.trainer import build_trainer

    later = build_trainer("H5LaterTrainer")
    monkeypatch.setitem(registry._USER_TRAINERS, "H5_LATER", later)
    assert get_trainable_cls("H5_LATER") is later


def test_unknown_name_is_a_tune_error_listing_rlcore_algorithms():
    from ray.tune import TuneError
    from ray.tune.registry import get_trainable_cls

    with pytest.raises(TuneError, match=r"Unknown trainable: 'PP0'\. Did you mean 'PPO'\? rllib_compat registers "
                                         r"rlcore's algorithms \(A2C, A3C, .*PPO.*\); RLlib 2.x's ray.rllib is not consulted"):
        get_trainable_cls("PP0")


@pytest.mark.ray
def test_tune_run_ppo_by_name(ray_session, tmp_path):
    from ray import tune

    analysis = tune.run("PPO", config=PPO_CONFIG, stop={"training_iteration": 1}, storage_path=str(tmp_path), verbose=0)
    trial = analysis.trials[0]
    assert trial.status == "TERMINATED" and trial.get_trainable_cls() is get_trainer_class("PPO")
    assert trial.last_result["timesteps_total"] == 64 and "default_policy" in trial.last_result["info"]["learner"]


@pytest.mark.ray
def test_yaml_experiment_with_run_ppo(ray_session, tmp_path):
    from ray import tune

    experiments = yaml.safe_load(f"""
        cartpole-ppo:
            run: PPO
            stop: {{training_iteration: 1}}
            storage_path: {tmp_path}
            config: {PPO_CONFIG}
    """)
    trials = tune.run_experiments(experiments, verbose=0)
    assert [t.status for t in trials] == ["TERMINATED"]
    assert trials[0].get_trainable_cls() is get_trainer_class("PPO") and trials[0].last_result["training_iteration"] == 1


STANDIN_RLLIB = """
    import os

    MARKER = os.environ["STANDIN_MARKER"]
    with open(MARKER, "a") as f:
        f.write("imported\\n")


    def _register_all():  # what Tune calls on a miss: RLlib 2.x registers its algorithms here
        from ray.tune.registry import register_trainable

        def standin(config):
            with open(MARKER, "a") as f:
                f.write("ran\\n")

        for name in ("PPO", "PG", "DQN"):
            register_trainable(name, standin)
"""

@pytest.mark.ray
def test_a_standin_ray_rllib_on_the_path_is_never_used(ray_session, tmp_path, monkeypatch):
    """A package that stands for an RLlib 2.x installed in the same env (``ray.rllib`` is a
    subpackage, so it goes on ``ray.__path__``): it records any import. tune.run("PPO"), an unknown
    name and an emptied registry (what a new Ray session starts with: Tune's registry lives in the
    cluster's key-value store) must all be answered by rlcore without importing it. Runs on the
    session's cluster; each lookup is a real miss of Tune's registry (``PPO`` is removed from it
    first), so each goes through the fallback that would import ``ray.rllib``."""
    import importlib.util

    import ray
    from ray import tune
    from ray.tune.registry import TRAINABLE_CLASS, _global_registry, _has_trainable, get_trainable_cls

    standin = tmp_path / "standin" / "rllib"
    standin.mkdir(parents=True)
    (standin / "__init__.py").write_text(textwrap.dedent(STANDIN_RLLIB))
    marker = tmp_path / "standin_used.txt"
    monkeypatch.setenv("STANDIN_MARKER", str(marker))
    assert "ray.rllib" not in sys.modules
    monkeypatch.setattr(ray, "__path__", [str(tmp_path / "standin"), *ray.__path__])  # ours comes first
    try:
        assert importlib.util.find_spec("ray.rllib").origin.startswith(str(tmp_path / "standin"))

        _global_registry.unregister(TRAINABLE_CLASS, "PPO")  # left there by earlier tests of the session
        assert not _has_trainable("PPO")
        trial = tune.run("PPO", config=PPO_CONFIG, stop={"training_iteration": 1},
                         storage_path=str(tmp_path / "results"), verbose=0).trials[0]
        assert trial.status == "TERMINATED" and trial.get_trainable_cls() is get_trainer_class("PPO")
        assert "default_policy" in trial.last_result["info"]["learner"]

        with pytest.raises(tune.TuneError, match="RLlib 2.x's ray.rllib is not consulted"):
            get_trainable_cls("ES")  # an RLlib algorithm rlcore does not have

        _global_registry.unregister(TRAINABLE_CLASS, "PPO")  # as after ray.shutdown() + ray.init()
        assert not _has_trainable("PPO")
        assert get_trainable_cls("PPO") is get_trainer_class("PPO")

        assert not marker.exists(), marker.read_text()
        assert "ray.rllib" not in sys.modules
    finally:
        sys.modules.pop("ray.rllib", None)
        for name in ("PPO", "PG", "DQN"):  # what a standin that did run would have left for later tests
            _global_registry.unregister(TRAINABLE_CLASS, name)


def test_a_name_registered_with_rlcore_that_is_not_a_trainable_is_a_tune_error(monkeypatch):
    from ray.tune import TuneError
    from ray.tune.registry import get_trainable_cls

    monkeypatch.setitem(registry._USER_TRAINERS, "H5_PLAIN", type("Plain", (), {}))
    with pytest.raises(TuneError, match="'H5_PLAIN' is registered with rlcore as .*Plain.*, which is not a Tune Trainable"):
        get_trainable_cls("H5_PLAIN")
