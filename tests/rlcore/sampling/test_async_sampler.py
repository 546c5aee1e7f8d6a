"""sample_async: the AsyncSampler thread, and RolloutWorker / trainers sampling in the background."""

import itertools
import threading

import gymnasium as gym
import numpy as np
import pytest

from rlcore.env import EnvError
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling import RolloutWorker
from rlcore.sampling.async_sampler import AsyncSampler
from rlcore.sampling.filters import ConcurrentMeanStdFilter


def test_batches_come_in_order_with_their_metrics():
    counter = itertools.count()
    sampler = AsyncSampler(lambda: (next(counter), [f"m{next(counter)}"]), queue_size=1)
    try:
        assert [sampler.next(timeout=5) for _ in range(3)] == [0, 2, 4]
        assert sampler.get_metrics() == ["m1", "m3", "m5"] and sampler.get_metrics() == []
    finally:
        sampler.stop()
    assert not sampler.alive


def test_an_error_in_the_thread_comes_out_of_next_after_the_good_batches():
    calls = itertools.count()

    def produce():
        i = next(calls)
        if i == 2:
            raise KeyError("env broke")
        return i, []

    sampler = AsyncSampler(produce, queue_size=5)
    assert sampler.next(timeout=5) == 0 and sampler.next(timeout=5) == 1
    for _ in range(2):  # and again on every later call
        with pytest.raises(KeyError, match="env broke"):
            sampler.next(timeout=5)


def test_stop_timeout_and_bad_queue_size():
    release = threading.Event()

    def slow():
        release.wait(5)
        return "late", []

    sampler = AsyncSampler(slow, queue_size=1)
    with pytest.raises(TimeoutError, match="within 0.2 s"):
        sampler.next(timeout=0.2)
    sampler._stop.set()
    release.set()
    sampler.stop()
    with pytest.raises(RuntimeError, match="stopped"):
        sampler.next(timeout=5)
    with pytest.raises(ValueError, match="queue_size=0"):
        AsyncSampler(lambda: (0, []), queue_size=0)


def _async_worker(**kwargs):
    return RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=RandomPolicy,
                         rollout_fragment_length=25, num_envs=2, sample_async=True, seed=0, **kwargs)


def test_worker_samples_in_a_background_thread():
    worker = _async_worker(observation_filter="MeanStdFilter")
    try:
        batches = [worker.sample() for _ in range(4)]
        assert [b.count for b in batches] == [50] * 4
        assert worker._async.alive and worker._async._thread is not threading.current_thread()
        eps = np.concatenate([b["eps_id"] for b in batches])
        assert (np.diff(np.unique(eps)) > 0).all()  # fresh episodes keep coming
        metrics = worker.get_metrics()
        assert metrics and all(m.episode_length > 0 for m in metrics)
        assert isinstance(worker.filters["default_policy"], ConcurrentMeanStdFilter)
        assert worker.get_filters(flush_after=True)["default_policy"].rs.n > 0
    finally:
        worker.stop()
    assert not worker._async.alive


def test_env_error_in_the_sampling_thread_reaches_sample():
    class Broken(gym.Env):
        observation_space = gym.spaces.Box(-1, 1, (2,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def reset(self, *, seed=None, options=None):
            return np.zeros(2, np.float32), {}

        def step(self, action):
            raise ValueError("boom at step")

    worker = RolloutWorker(env_creator=lambda ctx: Broken(), policy_spec=RandomPolicy, rollout_fragment_length=5,
                           sample_async=True)
    try:
        with pytest.raises(EnvError, match="boom at step"):
            worker.sample()
    finally:
        worker.stop()


def test_weights_change_while_the_thread_acts():
    """set_weights from the learner's thread while the sampler thread runs compute_actions."""
    from rlcore.algorithms.ppo import PPOTorchPolicy

    worker = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=PPOTorchPolicy,
                           policy_config={"framework": "torch", "model": {"fcnet_hiddens": [8]}},
                           rollout_fragment_length=20, num_envs=2, sample_async=True, seed=1)
    try:
        weights = worker.get_weights()
        for step in range(5):
            scaled = {pid: {k: v * (1.0 + 0.01 * step) for k, v in w.items()} for pid, w in weights.items()}
            worker.set_weights(scaled)
            batch = worker.sample()
            assert batch.count == 40 and np.isfinite(batch["vf_preds"]).all() and "advantages" in batch
    finally:
        worker.stop()


def test_ppo_trainer_with_sample_async_trains():
    from rlcore.algorithms.ppo import PPOTrainer

    trainer = PPOTrainer(config={"env": "CartPole-v1", "framework": "torch", "sample_async": True, "num_workers": 0,
                                 "train_batch_size": 200, "rollout_fragment_length": 100, "num_envs_per_worker": 2,
                                 "sgd_minibatch_size": 50, "num_sgd_iter": 2, "model": {"fcnet_hiddens": [16]},
                                 "seed": 0})
    try:
        results = [trainer.train() for _ in range(2)]
        assert results[-1]["timesteps_total"] == 400
        assert trainer.workers.local_worker()._async.alive
        stats = results[-1]["info"]["learner"]["default_policy"]
        assert np.isfinite(stats.get("learner_stats", stats)["total_loss"])
    finally:
        trainer.stop()
    assert not trainer.workers.local_worker()._async.alive
