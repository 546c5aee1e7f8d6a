"""The ``input`` config's callable form (issue #17's part of issue #16): ``ioctx -> InputReader``
feeds ``RolloutWorker.sample()``, the env may be None (spaces from the config), and trainers train
from it; files and mixtures are resolved to readers (tests/rlcore/offline/test_offline_config.py)."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data import SampleBatch
from rlcore.offline import InputReader, IOContext
from rlcore.policy.random_policy import RandomPolicy
from rlcore.sampling.metrics import RolloutMetrics
from rlcore.sampling.rollout_worker import RolloutWorker
from rlcore.sampling.worker_set import WorkerSet

OBS, ACT = gym.spaces.Box(-1, 1, (3,), np.float32), gym.spaces.Discrete(2)


class Counting(InputReader):
    """Batches of ``size`` rows numbered in order; records its context and whether it stopped."""

    def __init__(self, ioctx, size=4):
        self.ioctx, self.size, self.calls, self.stopped = ioctx, size, 0, False

    def next(self):
        self.calls += 1
        start = (self.calls - 1) * self.size
        return SampleBatch({"obs": np.zeros((self.size, 3), np.float32), "t": np.arange(start, start + self.size)})

    def get_metrics(self):
        return [RolloutMetrics(7, 1.5)]

    def stop(self):
        self.stopped = True


def _worker(**kw):
    kw.setdefault("policy_config", {"observation_space": OBS, "action_space": ACT})
    return RolloutWorker(env_creator=lambda ctx: None, policy_spec=RandomPolicy, **kw)


def test_iocontext_fields_and_errors():
    ctx = IOContext("/tmp/x", {"a": 1}, 3, "w")
    assert (ctx.log_dir, dict(ctx.config), ctx.worker_index, ctx.worker) == ("/tmp/x", {"a": 1}, 3, "w")
    assert IOContext().config == {}
    with pytest.raises(TypeError, match="worker_index=-1"):
        IOContext(worker_index=-1)
    with pytest.raises(TypeError, match="config="):
        IOContext(config=[1])


def test_sample_returns_the_readers_batch_and_the_env_may_be_none():
    readers = []
    w = _worker(input_creator=lambda ioctx: readers.append(Counting(ioctx)) or readers[-1], rollout_fragment_length=4,
                worker_index=0, log_dir="/tmp/logs")
    reader = readers[0]
    assert w.env is None and w.input_reader is reader
    assert reader.ioctx.worker is w and reader.ioctx.log_dir == "/tmp/logs"
    assert reader.ioctx.config["observation_space"] is OBS
    assert w.get_policy().observation_space.shape == (3,) and w.get_policy().action_space == ACT
    assert w.sample()["t"].tolist() == [0, 1, 2, 3]
    assert w.sample()["t"].tolist() == [4, 5, 6, 7]
    assert w.get_metrics() == [RolloutMetrics(7, 1.5)]
    w.stop()
    assert reader.stopped


def test_truncate_mode_reads_one_batch_per_env_complete_mode_reads_up_to_the_fragment():
    truncate = _worker(input_creator=lambda ioctx: Counting(ioctx, size=2), rollout_fragment_length=10)
    assert truncate.sample().count == 2  # num_envs=1: one batch (RLlib 1.x never over-runs the fragment)
    complete = _worker(input_creator=lambda ioctx: Counting(ioctx, size=3), rollout_fragment_length=10,
                       batch_mode="complete_episodes")
    batch = complete.sample()
    assert batch.count == 12 and batch["t"].tolist() == list(range(12))


def test_empty_batches_are_dropped_when_others_came_too():
    class Sparse(InputReader):
        def __init__(self):
            self.n = 0

        def next(self):
            self.n += 1
            return SampleBatch({}) if self.n % 2 else SampleBatch({"t": np.array([self.n])})

    w = _worker(input_creator=lambda ioctx: Sparse(), rollout_fragment_length=2, batch_mode="complete_episodes")
    assert w.sample()["t"].tolist() == [2, 4]
    truncate = _worker(input_creator=lambda ioctx: Sparse(), rollout_fragment_length=2)
    assert truncate.sample().count == 0  # an idle reader's empty batch passes through


def test_a_creator_that_returns_no_input_reader_is_a_type_error():
    with pytest.raises(TypeError, match="config key .input.: the input creator returned 42; expected an InputReader .* or None"):
        _worker(input_creator=lambda ioctx: 42)
    with pytest.raises(TypeError, match="input_creator='nope'"):
        _worker(input_creator="nope")


def test_a_creator_may_return_none_for_a_worker_that_reads_nothing():
    """RLlib 1.x's serving example returns None for the local worker when remote workers serve."""
    w = _worker(input_creator=lambda ioctx: None if ioctx.worker_index == 0 else 42)
    assert w.input_reader is None
    with pytest.raises(RuntimeError, match="rollout worker 0 has nothing to sample: its env creator returned None"):
        w.sample()


def test_no_env_and_no_spaces_is_an_error_naming_the_need():
    with pytest.raises(ValueError, match="observation/action spaces are needed"):
        RolloutWorker(env_creator=lambda ctx: None, policy_spec=RandomPolicy, input_creator=lambda ioctx: Counting(ioctx))


def test_worker_set_passes_the_callable_and_checks_files():
    ws = WorkerSet(env_creator=lambda ctx: None, policy_class=RandomPolicy, logdir="/tmp/l",
                   trainer_config={"input": lambda ioctx: Counting(ioctx), "observation_space": OBS, "action_space": ACT,
                                   "rollout_fragment_length": 4})
    assert isinstance(ws.local_worker().input_reader, Counting)
    assert ws.local_worker().input_reader.ioctx.log_dir == "/tmp/l"
    assert ws.sample()[0].count == 4
    with pytest.raises(ValueError, match=r"input \['a.json'\]: no files found"):
        WorkerSet(env_creator=lambda ctx: None, policy_class=RandomPolicy,
                  trainer_config={"input": ["a.json"], "observation_space": OBS, "action_space": ACT})


def test_config_accepts_a_callable_input_with_or_without_estimators():
    from rlcore.trainer_config import normalize_config

    normalize_config({"input": lambda ioctx: None, "input_evaluation": []})
    normalize_config({"input": lambda ioctx: None, "input_evaluation": ["is", "wis"]})
    with pytest.raises(ValueError, match=r"config key 'input_evaluation' has 'bogus'"):
        normalize_config({"input": lambda ioctx: None, "input_evaluation": ["bogus"]})


class FromCartPole(InputReader):
    """Postprocessed PG batches sampled by a worker of its own (the reader stands for any source)."""

    def __init__(self, ioctx):
        from rlcore.algorithms.pg import PGTorchPolicy

        self.inner = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy_spec=PGTorchPolicy,
                                   policy_config=dict(ioctx.config), rollout_fragment_length=50, seed=0)
        self.outer = ioctx.worker

    def next(self):
        self.inner.set_weights(self.outer.get_weights())
        return self.inner.sample()

    def get_metrics(self):
        return self.inner.get_metrics()


def test_a_trainer_with_env_none_trains_from_a_callable_input():
    from rlcore.algorithms.pg import PGTrainer

    trainer = PGTrainer(config={
        "env": None, "framework": "torch", "num_workers": 0, "log_sys_usage": False,
        "observation_space": gym.spaces.Box(-np.inf, np.inf, (4,), np.float32), "action_space": gym.spaces.Discrete(2),
        "input": FromCartPole, "input_evaluation": [], "rollout_fragment_length": 50, "train_batch_size": 100})
    try:
        result = trainer.train()
        assert result["timesteps_total"] >= 100 and result["episodes_this_iter"] >= 1
        assert np.isfinite(result["episode_reward_mean"])
    finally:
        trainer.stop()
