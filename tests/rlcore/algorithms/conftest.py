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


def _settled_actor_classes(ray, expected, timeout_s=15.0):
    """Ray's live actor class names, once they equal ``expected`` (sorted) or ``timeout_s`` passed:
    ``ray.kill`` is asynchronous, so killed actors leave the actor table shortly after ``stop()``."""
    deadline = time.monotonic() + timeout_s
    while True:
        classes = sorted(a["ActorClassName"] for a in ray._private.state.actors().values() if a["State"] == "ALIVE")
        if classes == expected or time.monotonic() > deadline:
            return classes
        time.sleep(0.1)


@pytest.fixture(scope="session")
def settled_actor_classes():
    """``settled_actor_classes(ray, expected) -> live actor classes`` (see ``_settled_actor_classes``)."""
    return _settled_actor_classes
