"""Shared pieces of the algorithm tests: small CartPole configs, a trainer loop (threads: the product's)."""

import time

import pytest


def _small_config(framework: str, **overrides):
    """CartPole-v1, one process, a [64, 64] network, no minimum iteration time, seeded."""
    config = {
        "env": "CartPole-v1",
        "framework": framework,
        "eager_tracing": framework != "torch",
        "num_workers": 0,
        "seed": 0,
        "min_iter_time_s": 0,
        "model": {"fcnet_hiddens": [64, 64]},
    }
    config.update(overrides)
    return config


def _train_until(trainer, reward: float, max_seconds: float):
    """Trains until ``episode_reward_mean >= reward`` or the time is up; returns the last result."""
    start = time.perf_counter()
    try:
        while True:
            result = trainer.train()
            if result["episode_reward_mean"] >= reward or time.perf_counter() - start > max_seconds:
                return result
    finally:
        trainer.stop()


@pytest.fixture
def small_config():
    """``small_config(framework, **overrides) -> config dict``."""
    return _small_config


@pytest.fixture
def train_until():
    """``train_until(trainer, reward, max_seconds) -> last result`` (stops the trainer)."""
    return _train_until
