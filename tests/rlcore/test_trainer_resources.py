"""What a trainer asks Tune for (RLlib 1.x's Resources view on a placement group factory), and
``save_to_object`` / ``restore_from_object``."""

import pickle

import numpy as np
import pytest

from rlcore.checkpoints import CheckpointError
from rlcore.trainer_resources import JSON_KEYS, TrainerResources

FAST_PG = {"env": "CartPole-v1", "framework": "torch", "num_workers": 0, "rollout_fragment_length": 20,
           "train_batch_size": 20, "log_sys_usage": False, "seed": 0, "model": {"fcnet_hiddens": [8]}}


def _pg():
    from rlcore.algorithms.pg import PGTrainer

    return PGTrainer


# -- the request ---------------------------------------------------------------------------------


def test_default_request_matches_rllib_1x_resources_view():
    cls = _pg()
    request = cls.default_resource_request({"num_workers": 2})
    # RLlib 1.x: Resources(cpu=num_cpus_for_driver, gpu=num_gpus, ..., extra_cpu=num_cpus_per_worker * workers).
    assert request.to_json() == {"cpu": 1, "gpu": 0, "memory": 0, "object_store_memory": 0, "extra_cpu": 2,
                                 "extra_gpu": 0, "extra_memory": 0, "extra_object_store_memory": 0,
                                 "custom_resources": {}, "extra_custom_resources": {}}
    assert list(request.to_json()) == list(JSON_KEYS)
    assert (request.cpu, request.extra_cpu, request.cpu_total(), request.gpu_total()) == (1, 2, 3, 0)
    assert request.bundles == [{"CPU": 1.0}, {"CPU": 1.0}, {"CPU": 1.0}] and request.strategy == "PACK"
    assert request.summary_string() == "3 CPUs, 0 GPUs"


def test_evaluation_workers_gpus_memory_and_custom_resources_are_counted():
    cls = _pg()
    request = cls.default_resource_request({
        "num_workers": 1, "evaluation_num_workers": 1, "evaluation_interval": 1, "num_gpus": 0.5,
        "num_gpus_per_worker": 0.25, "memory": 2 * 1024 ** 3, "object_store_memory": 1024 ** 3,
        "memory_per_worker": 1024 ** 3, "custom_resources_per_worker": {"accel": 1}})
    view = request.to_json()
    assert view["gpu"] == 0.5 and view["extra_gpu"] == 0.5 and view["extra_memory"] == 2 * 1024 ** 3
    assert view["object_store_memory"] == 1024 ** 3
    assert view["custom_resources"] == {"accel": 0} and view["extra_custom_resources"] == {"accel": 2.0}
    assert request.get_res_total("accel") == 2.0 and request.memory_total() == 4 * 1024 ** 3
    assert request.summary_string() == "3 CPUs, 1 GPUs, 4.0 GiB heap, 1.0 GiB objects (2 accel)"
    worker = {"CPU": 1.0, "GPU": 0.25, "memory": float(1024 ** 3), "accel": 1.0}
    assert request.bundles == [{"CPU": 1.0, "GPU": 0.5, "memory": float(2 * 1024 ** 3)}, worker, worker]


def test_driver_that_asks_nothing_still_gets_a_head_bundle():
    request = TrainerResources.from_config({"num_cpus_for_driver": 0, "num_workers": 0})
    assert request.bundles == [{"CPU": 0.01}] and request.to_json()["cpu"] == 0


def test_bad_amounts_name_the_key():
    with pytest.raises(ValueError, match="config key 'num_cpus_per_worker'=-1: expected a number >= 0"):
        TrainerResources.from_config({"num_cpus_per_worker": -1, "num_workers": 1})
    with pytest.raises(ValueError, match="'custom_resources_per_worker'\\['x'\\]=-2.0"):
        TrainerResources.from_config({"num_workers": 1, "custom_resources_per_worker": {"x": -2}})


def test_request_pickles_with_its_view():
    request = TrainerResources.from_config({"num_workers": 1, "num_cpus_per_worker": 0.5})
    copy = pickle.loads(pickle.dumps(request))
    assert copy == request and copy.to_json() == request.to_json() and copy.bundles == request.bundles


@pytest.mark.ray
def test_tune_schedules_the_trial_with_the_request(ray_session, tmp_path):
    from ray import tune

    cls = _pg()
    config = {**FAST_PG, "num_workers": 1, "num_cpus_per_worker": 0.5}
    analysis = tune.run(cls, config=config, stop={"training_iteration": 1}, storage_path=str(tmp_path), verbose=0)
    trial = analysis.trials[0]
    assert trial.status == "TERMINATED" and trial.last_result["training_iteration"] == 1
    pgf = trial.placement_group_factory
    assert pgf == cls.default_resource_request(config)
    assert pgf.bundles == [{"CPU": 1.0}, {"CPU": 0.5}] and pgf.required_resources == {"CPU": 1.5}
    assert pgf.to_json()["extra_cpu"] == 0.5 and pgf.to_json()["cpu"] == 1


# -- save_to_object / restore_from_object -----------------------------------------------------------


def test_object_round_trip_restores_counters_and_weights():
    cls = _pg()
    a = cls(config=FAST_PG)
    b = cls(config={**FAST_PG, "seed": 3})
    try:
        a.train()
        a.train()
        blob = a.save_to_object()
        assert isinstance(blob, bytes)
        b.restore_from_object(blob)
        assert b.iteration == 2 and b._timesteps_total == a._timesteps_total == 40
        for k, w in a.get_policy().get_weights().items():
            np.testing.assert_array_equal(b.get_policy().get_weights()[k], w)
        obs = np.zeros(4, np.float32)
        assert a.compute_action(obs, explore=False) == b.compute_action(obs, explore=False)
        b.restore_from_object(bytearray(blob))  # any bytes-like object
        assert b.iteration == 2
    finally:
        a.stop()
        b.stop()


def test_restore_from_object_errors():
    cls = _pg()
    from rlcore.algorithms.a2c import A2CTrainer

    pg = cls(config=FAST_PG)
    a2c = A2CTrainer(config=FAST_PG)
    try:
        with pytest.raises(TypeError, match="expected the bytes save_to_object\\(\\) returned, got str"):
            pg.restore_from_object("checkpoint")
        with pytest.raises(CheckpointError, match="restore_from_object: the object is corrupt or not an rlcore trainer checkpoint"):
            pg.restore_from_object(b"\x00not a checkpoint")
        with pytest.raises(CheckpointError, match="restore_from_object: the object was written by A2C, not PG"):
            pg.restore_from_object(a2c.save_to_object())
    finally:
        pg.stop()
        a2c.stop()
