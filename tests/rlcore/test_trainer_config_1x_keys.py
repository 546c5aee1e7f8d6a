"""RLlib 1.x config keys that rlcore does not implement yet are errors naming the key (not
silently ignored); extra_python_environs_for_driver/_for_worker reach their processes."""

import os

import pytest

from rlcore.trainer_config import NOT_YET_IMPLEMENTED, normalize_config


@pytest.mark.parametrize("key, value", [("monitor", True), ("record_env", "videos"),
                                        ("fake_sampler", True), ("compress_observations", True)])
def test_a_1x_key_not_implemented_yet_is_an_error_naming_it(key, value):
    with pytest.raises(ValueError, match=f"config key '{key}' = .*not implemented yet; leave it at"):
        normalize_config({key: value})


def test_defaults_of_those_keys_pass():
    normalize_config({k: default for k, (default, _) in NOT_YET_IMPLEMENTED.items()})
    normalize_config({"monitor": None, "record_env": False, "preprocessor_pref": "rllib"})
    with pytest.raises(ValueError, match="'preprocessor_pref' = 'atari'"):
        normalize_config({"preprocessor_pref": "atari"})


def test_trainer_refuses_them_too():
    from rlcore.algorithms.pg import PGTrainer

    with pytest.raises(ValueError, match="config key 'fake_sampler'"):
        PGTrainer(config={"env": "CartPole-v1", "framework": "torch", "fake_sampler": True})


def test_extra_python_environs_for_driver(monkeypatch):
    from rlcore.algorithms.pg import PGTrainer

    monkeypatch.delenv("RLCORE_TEST_DRIVER_ENV", raising=False)
    trainer = PGTrainer(config={"env": "CartPole-v1", "framework": "torch",
                                "extra_python_environs_for_driver": {"RLCORE_TEST_DRIVER_ENV": 7}})
    try:
        assert os.environ["RLCORE_TEST_DRIVER_ENV"] == "7"
    finally:
        trainer.stop()
        monkeypatch.delenv("RLCORE_TEST_DRIVER_ENV", raising=False)


@pytest.mark.ray
def test_extra_python_environs_for_worker(ray_session):
    from rlcore.algorithms.pg import PGTrainer

    trainer = PGTrainer(config={"env": "CartPole-v1", "framework": "torch", "num_workers": 1,
                                "extra_python_environs_for_worker": {"RLCORE_TEST_WORKER_ENV": "on"}})
    try:
        seen = trainer.workers.foreach_worker(lambda w: __import__("os").environ.get("RLCORE_TEST_WORKER_ENV"))
        assert seen[1:] == ["on"]  # remote workers; the local one lives in the driver
    finally:
        trainer.stop()


def test_compress_observations_is_accepted_by_the_trainers_that_implement_it():
    normalize_config({"compress_observations": True}, implemented=("compress_observations",))
    with pytest.raises(ValueError, match="only the replay algorithms, DQN and SimpleQ"):
        normalize_config({"compress_observations": True})
