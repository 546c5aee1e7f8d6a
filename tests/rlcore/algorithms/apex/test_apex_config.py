"""Ape-X without Ray: RLlib 1.x defaults, config checks, Tune resources, the registry name, the
learner thread's priority updates on an in-process shard, the round-robin (training_intensity)
plan on the local worker, and stop()."""

import threading

import numpy as np
import pytest

from rlcore.algorithms.apex import (APEX_DEFAULT_CONFIG, ApexLearnerThread, ApexReplayActor, ApexTrainer,
                                    UpdateReplayPriorities, merge_apex_config, validate_config)
from rlcore.data import SampleBatch
from rlcore.dataflow import LocalIterator, SharedMetrics
from rlcore.ops.concurrency import Enqueue, concurrently, dequeue
from rlcore.ops.replay import replay


class DirLogger:
    """A logger_creator result that only names the trial folder."""

    def __init__(self, logdir):
        self.logdir = str(logdir)


def apex_threads():
    return [t for t in threading.enumerate() if t.name == "rlcore-apex-learner" and t.is_alive()]


def test_defaults_are_rllib_1x_values():
    c = APEX_DEFAULT_CONFIG
    assert c["optimizer"] == {"max_weight_sync_delay": 400, "num_replay_buffer_shards": 4, "debug": False}
    assert (c["n_step"], c["num_workers"], c["buffer_size"], c["learning_starts"]) == (3, 32, 2000000, 50000)
    assert (c["train_batch_size"], c["rollout_fragment_length"], c["target_network_update_freq"]) == (512, 50, 500000)
    assert (c["timesteps_per_iteration"], c["min_iter_time_s"], c["training_intensity"]) == (25000, 30, None)
    assert c["exploration_config"]["type"] == "PerWorkerEpsilonGreedy"
    assert c["worker_side_prioritization"] and c["prioritized_replay"] and c["replay_buffer_shards_colocated_with_driver"]
    assert c["num_gpus"] == 0  # 1.x: 1; rlcore trains on CPU (documented in apex.py)
    assert c["dueling"] and c["double_q"]  # DQN's defaults underneath


@pytest.mark.parametrize("overrides, message", [
    ({"num_gpus": 2}, "num_gpus=2: expected at most 1"),
    ({"optimizer": {"max_weight_sync_delay": 0}}, "optimizer.max_weight_sync_delay=0: expected an int >= 1"),
    ({"optimizer": {"num_replay_buffer_shards": "2"}}, "optimizer.num_replay_buffer_shards='2': expected an int >= 1"),
    ({"prioritized_replay": False}, "worker_side_prioritization=True: expected prioritized_replay=True"),
    ({"n_step": 0}, "n_step=0: expected an int >= 1"),
])
def test_validate_config_names_key_value_and_expectation(overrides, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_config(merge_apex_config(overrides))


def test_tune_request_puts_one_cpu_per_replay_shard_in_the_driver_bundle():
    request = ApexTrainer.default_resource_request(
        {"num_workers": 2, "optimizer": {"num_replay_buffer_shards": 3}, "num_cpus_for_driver": 1})
    assert request.bundles[0]["CPU"] == 4.0 and len(request.bundles) == 3
    assert request.to_json()["cpu"] == 4 and request.to_json()["extra_cpu"] == 2


def test_registry_and_compat_names():
    from rlcore.registry import get_trainer_class
    from rllib_compat.agents.dqn import APEX_DEFAULT_CONFIG as COMPAT_CONFIG
    from rllib_compat.agents.dqn import ApexTrainer as CompatTrainer
    from rllib_compat.agents.dqn.apex import ApexTrainer as ModuleTrainer

    assert get_trainer_class("APEX") is ApexTrainer is CompatTrainer is ModuleTrainer
    assert COMPAT_CONFIG is APEX_DEFAULT_CONFIG


class TDWorker:
    """Stands in for the local worker: TD error -(index + 1) / 4 for each replayed row."""

    def learn_on_batch(self, batch):
        (pid, b), = batch.policy_batches.items()
        return {pid: {"learner_stats": {"loss": 0.0}, "td_error": -(b["batch_indexes"] + 1) / 4.0}}


def test_learner_priorities_reach_the_shard_as_abs_td_error_plus_eps():
    shard = ApexReplayActor(100, learning_starts=8, replay_batch_size=4, alpha=0.6, eps=1e-3, seed=0)
    shard.add_batch(SampleBatch({"obs": np.arange(16.0), "rewards": np.ones(16, np.float32)}))
    learner = ApexLearnerThread(TDWorker())
    learner.start()
    try:
        replay_op = replay(actors=[shard], num_async=1).zip_with_source_actor().for_each(Enqueue(learner.inqueue))
        update_op = dequeue(learner.outqueue, check=learner.check_alive).for_each(UpdateReplayPriorities())
        outputs = concurrently([replay_op, update_op], mode="async", output_indexes=[1]).take(5)
    finally:
        learner.stop()
    indexes = np.unique(np.concatenate([prio["default_policy"][0] for _, prio, *_ in outputs]))
    assert all(actor is shard for actor, *_ in outputs) and len(indexes) >= 4
    np.testing.assert_allclose(shard.priorities("default_policy", indexes), (indexes + 1) / 4.0 + 1e-3, rtol=1e-6)
    untouched = np.setdiff1d(np.arange(16), indexes)
    np.testing.assert_allclose(shard.priorities("default_policy", untouched), 1.0)  # first priority: max (1.0)


def test_training_intensity_runs_the_round_robin_plan_locally_and_stop_joins_the_learner(tmp_path):
    config = dict(env="CartPole-v1", framework="torch", num_workers=0, seed=0, min_iter_time_s=0,
                  timesteps_per_iteration=200, learning_starts=64, train_batch_size=16, buffer_size=1000,
                  rollout_fragment_length=4, target_network_update_freq=100, training_intensity=8,
                  model={"fcnet_hiddens": [16]}, hiddens=[16], log_sys_usage=False,
                  optimizer={"num_replay_buffer_shards": 2, "debug": True})
    trainer = ApexTrainer(config=config, logger_creator=lambda c: DirLogger(tmp_path))
    try:
        assert len(apex_threads()) == 1 and len(trainer.replay_actors) == 2
        result = trainer.train()
    finally:
        trainer.stop()
    info = result["info"]
    # Weights [1, 8 / (16 / 4)] = [1, 2]: two 16-row replays per 4 sampled steps once replay started
    # (the learner runs behind the plan, so the ratio is reached only up to its queue).
    assert 0 < info["num_steps_trained"] <= 8 * info["num_steps_sampled"]
    assert info["replay_shard_0"]["policy_default_policy"]["num_priority_updates"] > 0
    assert info["num_target_updates"] >= 1 and info["learner"]["default_policy"]
    assert apex_threads() == []
