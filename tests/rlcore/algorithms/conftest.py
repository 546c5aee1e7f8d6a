"""Shared pieces of the algorithm tests: small CartPole configs, a trainer loop (threads: the product's)."""

import threading
import time
import types

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


@pytest.fixture
def small_config():
    """``small_config(framework, **overrides) -> config dict``."""
    return _small_config


def _train_for(trainer, reward: float, max_timesteps: int):
    """Trains until ``episode_reward_mean > reward`` or ``max_timesteps`` were sampled, then stops
    the trainer; returns the last result. A step budget, not a clock: the outcome of a seeded run
    does not depend on the machine's load."""
    try:
        while True:
            result = trainer.train()
            if result["episode_reward_mean"] > reward or result["timesteps_total"] >= max_timesteps:
                return result
    finally:
        trainer.stop()


@pytest.fixture
def train_for():
    """``train_for(trainer, reward, max_timesteps) -> last result`` (stops the trainer)."""
    return _train_for


def _live_actor_classes(ray):
    """The sorted class names of Ray's live actors."""
    return sorted(a["ActorClassName"] for a in ray._private.state.actors().values() if a["State"] == "ALIVE")


def _settled_actor_classes(ray, expected, timeout_s=15.0):
    """Ray's live actor class names, once they equal ``expected`` (sorted) or ``timeout_s`` passed:
    ``ray.kill`` is asynchronous, so killed actors leave the actor table shortly after ``stop()``."""
    deadline = time.monotonic() + timeout_s
    while True:
        classes = _live_actor_classes(ray)
        if classes == expected or time.monotonic() > deadline:
            return classes
        time.sleep(0.1)


@pytest.fixture(scope="module")
def settled_actor_classes():
    """``settled_actor_classes(ray, expected) -> live actor classes`` (see ``_settled_actor_classes``)."""
    return _settled_actor_classes


class _DirLogger:
    """A ``logger_creator`` result that only names the trial folder."""

    def __init__(self, logdir):
        self.logdir = str(logdir)


def _apex_learner_threads():
    return [t for t in threading.enumerate() if t.name == "rlcore-apex-learner" and t.is_alive()]


@pytest.fixture(scope="module")
def apex_probes():
    """What the Ape-X runs read around ``stop()``: ``live_actor_classes(ray)``, ``learner_threads()``,
    and ``DirLogger(logdir)`` for ``logger_creator``."""
    return types.SimpleNamespace(live_actor_classes=_live_actor_classes, learner_threads=_apex_learner_threads,
                                 DirLogger=_DirLogger)
