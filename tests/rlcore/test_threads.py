"""rlcore.threads: thread counts per process role from the config, applied by every rollout worker."""

import os

import pytest

from rlcore.threads import check_thread_config, thread_counts
from rlcore.trainer_config import COMMON_CONFIG, normalize_config


@pytest.mark.parametrize("config, worker_index, expected", [
    ({}, 0, (1, 1)),
    (COMMON_CONFIG, 0, (1, 1)),  # RLlib's defaults: 1 CPU per process; tf_session_args only cap
    (COMMON_CONFIG, 3, (1, 1)),
    ({"num_cpus_for_driver": 4}, 0, (4, 4)),
    ({"num_cpus_for_driver": 4, "local_tf_session_args": {"intra_op_parallelism_threads": 2,
                                                          "inter_op_parallelism_threads": 1}}, 0, (2, 1)),
    ({"num_cpus_for_driver": 4, "local_tf_session_args": {"intra_op_parallelism_threads": 0}}, 0, (4, 4)),
    ({"num_cpus_per_worker": 3, "num_cpus_for_driver": 1}, 1, (3, 3)),
    ({"num_cpus_per_worker": 3, "tf_session_args": {"intra_op_parallelism_threads": 2}}, 1, (2, 3)),
    ({"num_cpus_per_worker": 0.5}, 1, (1, 1)),
    ({"num_cpus_per_worker": 2.5}, 2, (2, 2)),
    ({"framework_threads_for_driver": 3, "num_cpus_for_driver": 1}, 0, (3, 3)),
    ({"framework_threads_for_driver": 3}, 1, (1, 1)),  # the driver's key does not reach the workers
    ({"framework_threads_per_worker": None}, 1, None),
    ({"framework_threads_for_driver": None}, 0, None),
])
def test_thread_counts_by_role(config, worker_index, expected):
    assert thread_counts(config, worker_index) == expected


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "many", [2]])
def test_bad_thread_values_name_the_key(value):
    with pytest.raises(ValueError, match=r"config key 'framework_threads_per_worker' = .*expected 'auto', None or an int"):
        check_thread_config({"framework_threads_per_worker": value})
    with pytest.raises(ValueError, match="framework_threads_for_driver"):
        normalize_config({"framework_threads_for_driver": value})


@pytest.fixture
def torch_threads():
    """Restores torch's intra-op thread count after the test."""
    import torch
    before = torch.get_num_threads()
    yield torch
    torch.set_num_threads(before)


def _ppo_torch_config(**overrides):
    config = {"env": "CartPole-v1", "framework": "torch", "num_workers": 0, "model": {"fcnet_hiddens": [8]},
              "train_batch_size": 64, "rollout_fragment_length": 64, "sgd_minibatch_size": 32, "num_sgd_iter": 1}
    config.update(overrides)
    return config


@pytest.mark.parametrize("overrides, expected", [
    ({}, 1), ({"framework_threads_for_driver": "auto"}, 1), ({"framework_threads_for_driver": None}, 2),
    ({"framework_threads_for_driver": 3}, 3), ({"num_cpus_for_driver": 2}, 2)])
def test_trainer_sets_the_driver_threads(torch_threads, overrides, expected):
    """A user's earlier torch.set_num_threads(2) is replaced by the config's choice unless it is None."""
    from rlcore.algorithms.ppo import PPOTrainer

    torch_threads.set_num_threads(2)
    trainer = PPOTrainer(config=_ppo_torch_config(**overrides))
    try:
        assert torch_threads.get_num_threads() == expected
        trainer.train()
        assert torch_threads.get_num_threads() == expected
    finally:
        trainer.stop()


def test_trainer_refuses_a_bad_thread_count():
    from rlcore.algorithms.ppo import PPOTrainer

    with pytest.raises(ValueError, match="config key 'framework_threads_per_worker' = 0"):
        PPOTrainer(config=_ppo_torch_config(framework_threads_per_worker=0))


def _worker_threads(worker):
    import sys

    torch = sys.modules.get("torch")
    tf = sys.modules.get("tensorflow")
    return {
        "torch": None if torch is None else (torch.get_num_threads(), torch.get_num_interop_threads()),
        "tf_env": (os.environ.get("TF_NUM_INTRAOP_THREADS"), os.environ.get("TF_NUM_INTEROP_THREADS")),
        "tf_api": None if tf is None else (tf.config.threading.get_intra_op_parallelism_threads(),
                                           tf.config.threading.get_inter_op_parallelism_threads()),
    }


def _worker_set(framework, policy=None, **overrides):
    import gymnasium as gym

    from rlcore.algorithms.ppo import PPOTorchPolicy
    from rlcore.algorithms.ppo.ppo import DEFAULT_CONFIG
    from rlcore.sampling.worker_set import WorkerSet

    config = dict(DEFAULT_CONFIG, framework=framework, model={"fcnet_hiddens": [8]}, rollout_fragment_length=10,
                  worker_timeout_s=120.0, num_cpus_per_worker=0.5)  # half a CPU: Ray still gives 1 OMP thread
    config.update(overrides)
    return WorkerSet(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_class=policy or PPOTorchPolicy,
                     trainer_config=config, num_workers=1)


@pytest.mark.ray
def test_remote_torch_worker_threads_follow_the_config(ray_mod, torch_threads):
    """Ray alone gives an actor OMP_NUM_THREADS=1 but leaves torch's inter-op pool at one per core."""
    default = _worker_set("torch")
    chosen = _worker_set("torch", framework_threads_per_worker=2)
    try:
        local, remote = default.foreach_worker(_worker_threads)
        assert remote["torch"] == (1, 1)
        assert local["torch"][0] == 1
        assert chosen.foreach_worker(_worker_threads)[1]["torch"] == (2, 2)
    finally:
        default.stop()
        chosen.stop()


@pytest.mark.ray
def test_remote_tf_worker_gets_the_counts_before_tensorflow_starts(ray_mod):
    """A TF config whose worker has not imported TensorFlow yet: the counts go to TF's env vars, which
    TensorFlow reads when it starts (no import just for this; a numpy policy keeps TF out)."""
    from rlcore.policy.random_policy import RandomPolicy

    workers = _worker_set("tf2", policy=RandomPolicy, num_cpus_per_worker=1, framework_threads_per_worker=2)
    try:
        remote = workers.foreach_worker(_worker_threads)[1]
        assert remote["tf_env"] == ("2", "2") and remote["tf_api"] is None
    finally:
        workers.stop()
