r"""Training survives injected faults (issue #18): rollout workers killed every few iterations.

Worker 1's env fails at its own step 60 (an exception, or ``os._exit``), so a recreated worker 1
fails again 60 steps later: a fault every couple of iterations; with ``recreate_failed_workers``
worker 2 is also ``ray.kill``\ ed after the second iteration and the run finishes at full
strength. With ``ignore_worker_failures`` the run loses worker 1 and goes on with worker 2;
with neither, the error names the worker, its host and both settings. Counters are checked
against what the learner saw.
"""

import numpy as np
import pytest

from rlcore.env.env_context import EnvContext
from rlcore.env.fault_injection import FaultInjectionEnv, FaultSpec, InjectedFault, kill_worker, with_faults
from rlcore.sampling.callbacks import DefaultCallbacks

FAULT_STEP = 60


class LearnedRows(DefaultCallbacks):
    """Counts the rows and finished episodes of every batch a policy learned on (driver side)."""

    rows = 0
    episode_ends = 0

    @classmethod
    def reset(cls):
        cls.rows, cls.episode_ends = 0, 0

    def on_learn_on_batch(self, *, policy, train_batch, result, **kwargs):
        type(self).rows += train_batch.count
        type(self).episode_ends += int(np.sum(train_batch["terminateds"] | train_batch["truncateds"]))


def faulty_config(small_config, setting, kind="exception", **overrides):
    config = small_config("torch", env=FaultInjectionEnv, num_workers=2, rollout_fragment_length=20,
                          model={"fcnet_hiddens": [8]}, callbacks=LearnedRows, log_sys_usage=False,
                          env_config={"env": "CartPole-v1",
                                      "fault": {"at_step": FAULT_STEP, "worker_indices": [1], "kind": kind}},
                          **overrides)
    if setting:
        config[setting] = True
    return config


def run_with_kills(trainer, iterations, kill_after=(1,)):
    """Trains ``iterations`` times, killing worker 2 after the given iterations."""
    results = []
    for i in range(iterations):
        results.append(trainer.train())
        if i in kill_after:
            kill_worker(trainer.workers, 2)
    return results


def kills(setting):
    """Worker 2 is killed after iteration 1 when failed workers are recreated (with
    ignore_worker_failures it is the one left)."""
    return (1,) if setting in ("recreate_failed_workers", None) else ()


# -- the fault spec and the env wrapper (no Ray) -------------------------------------------------


@pytest.mark.parametrize("fault, message", [
    ({"kind": "exception"}, "missing 'at_step'"),
    ({"at_step": 5, "kind": "crash"}, "'kind'] = 'crash': expected one of"),
    ({"at_step": 5, "worker_indices": 1}, "'worker_indices'] = 1: expected a list of ints"),
    ({"at_step": 5, "kind": "slow"}, "kind 'slow' needs a delay > 0"),
    ({"at_step": 5, "when": 3}, "unknown key(s) ['when']"),
    ([5], "expected a dict with at least 'at_step'"),
])
def test_a_bad_fault_spec_names_the_key_and_what_was_expected(fault, message):
    with pytest.raises(ValueError) as err:
        FaultSpec.from_config(fault)
    assert message in str(err.value)


def test_the_fault_fires_once_per_env_at_its_step_only_in_named_workers():
    fault = {"at_step": 3, "worker_indices": [1, 2], "vector_indices": [1]}
    named = FaultInjectionEnv(EnvContext({"env": "CartPole-v1", "fault": fault}, worker_index=2, vector_index=1))
    other_vector = FaultInjectionEnv(EnvContext({"env": "CartPole-v1", "fault": fault}, worker_index=2))
    local = FaultInjectionEnv(EnvContext({"env": "CartPole-v1", "fault": fault}, worker_index=0, vector_index=1))
    for env in (named, other_vector, local):
        env.reset(seed=0)
        env.step(0), env.step(1)
    with pytest.raises(InjectedFault, match="step 3 of worker 2, sub-env 1"):
        named.step(0)
    assert other_vector.step(0)[0].shape == (4,) and local.step(0)[0].shape == (4,)
    assert named.step(0)[0].shape == (4,)  # fired once; the env goes on


def test_a_slow_fault_sleeps_from_its_step_on(monkeypatch):
    slept = []
    monkeypatch.setattr("rlcore.env.fault_injection.time.sleep", slept.append)
    creator = with_faults(lambda ctx: __import__("gymnasium").make("CartPole-v1"))
    env = creator(EnvContext({"fault": {"at_step": 2, "kind": "slow", "delay_s": 0.25}}, worker_index=1))
    env.reset(seed=0)
    for _ in range(4):
        env.step(0)
    assert slept == [0.25, 0.25, 0.25]


# -- PPO (synchronous plan): counters exact ------------------------------------------------------


@pytest.mark.ray
@pytest.mark.timeout(240)
@pytest.mark.parametrize("setting, kind", [("recreate_failed_workers", "exception"),
                                           ("ignore_worker_failures", "exit")])
def test_ppo_finishes_with_workers_killed_and_counters_exact(ray_mod, small_config, setting, kind):
    from rlcore.algorithms.ppo import PPOTrainer

    LearnedRows.reset()
    trainer = PPOTrainer(config=faulty_config(small_config, setting, kind, train_batch_size=80,
                                              sgd_minibatch_size=40, num_sgd_iter=1))
    try:
        results = run_with_kills(trainer, 4, kill_after=kills(setting))
    finally:
        trainer.stop()
    last = results[-1]
    assert last["training_iteration"] == 4
    assert last["num_healthy_workers"] == (2 if setting == "recreate_failed_workers" else 1)
    # only samples that reached the learner are counted, and every one of them
    assert last["timesteps_total"] == last["info"]["num_steps_trained"] == LearnedRows.rows == 4 * 80
    assert last["episodes_total"] == LearnedRows.episode_ends


@pytest.mark.ray
@pytest.mark.timeout(120)
def test_ppo_without_either_setting_names_the_worker_the_host_and_both_settings(ray_mod, small_config):
    from rlcore.algorithms.ppo import PPOTrainer
    from rlcore.sampling.worker_set import WorkerFailure

    trainer = PPOTrainer(config=faulty_config(small_config, None, train_batch_size=80, sgd_minibatch_size=40,
                                              num_sgd_iter=1))
    try:
        host = trainer.workers.host_of(1)
        with pytest.raises(WorkerFailure) as failure:
            run_with_kills(trainer, 3, kill_after=())
    finally:
        trainer.stop()
    text = str(failure.value)
    assert failure.value.index == 1 and text.startswith(f"rollout worker 1 on {host} failed")
    assert "InjectedFault" in text
    assert "config['recreate_failed_workers']=False" in text and "config['ignore_worker_failures']=False" in text


# -- A3C and IMPALA (asynchronous plans) ---------------------------------------------------------


def counted_a3c(workers, config):
    """A3C's plan, also summing the step counts of the gradients the driver applied."""
    from rlcore.ops.metrics import standard_metrics_reporting
    from rlcore.ops.rollout import async_gradients
    from rlcore.ops.train import ApplyGradients

    def count(item):
        counted_a3c.applied += item[1]
        return item

    train_op = async_gradients(workers).for_each(count).for_each(ApplyGradients(workers, update_all=False))
    return standard_metrics_reporting(train_op, workers, config)


@pytest.mark.ray
@pytest.mark.timeout(240)
@pytest.mark.parametrize("setting", ["recreate_failed_workers", "ignore_worker_failures", None])
def test_a3c_finishes_with_workers_killed(ray_mod, small_config, setting):
    from rlcore.algorithms.a3c import A3CTrainer
    from rlcore.sampling.worker_set import WorkerFailure

    counted_a3c.applied = 0
    trainer_cls = type("CountedA3C", (A3CTrainer,), {"_execution_plan": staticmethod(counted_a3c)})
    trainer = trainer_cls(config=faulty_config(small_config, setting, timesteps_per_iteration=60))
    try:
        if setting is None:
            with pytest.raises(WorkerFailure, match=r"rollout worker [12] on .* failed .*"
                                                    r"config\['recreate_failed_workers'\]=False and "
                                                    r"config\['ignore_worker_failures'\]=False"):
                run_with_kills(trainer, 4)
            return
        results = run_with_kills(trainer, 4, kill_after=kills(setting))
    finally:
        trainer.stop()
    last = results[-1]
    assert last["training_iteration"] == 4
    assert last["num_healthy_workers"] == (2 if setting == "recreate_failed_workers" else 1)
    assert last["timesteps_total"] == last["info"]["num_steps_trained"] == counted_a3c.applied
    assert all(b["timesteps_total"] > a["timesteps_total"] for a, b in zip(results, results[1:]))


@pytest.mark.ray
@pytest.mark.timeout(240)
@pytest.mark.parametrize("setting", ["recreate_failed_workers", "ignore_worker_failures"])
def test_impala_finishes_with_workers_killed(ray_mod, small_config, setting):
    from rlcore.algorithms.impala import ImpalaTrainer

    LearnedRows.reset()
    trainer = ImpalaTrainer(config=faulty_config(small_config, setting, train_batch_size=40,
                                                 timesteps_per_iteration=80, replay_proportion=0.0))
    try:
        results = run_with_kills(trainer, 4, kill_after=kills(setting))
    finally:
        trainer.stop()
    last = results[-1]
    assert last["training_iteration"] == 4
    assert last["num_healthy_workers"] == (2 if setting == "recreate_failed_workers" else 1)
    # every row learned on is counted as trained (the stop hook counts what the plan had not read)
    trained = trainer.train_exec_impl.shared_metrics.get().counters["num_steps_trained"]
    assert trained == LearnedRows.rows
    assert last["timesteps_total"] >= last["info"]["num_steps_trained"]
    assert last["timesteps_total"] % 20 == 0  # whole fragments only: nothing sampled by a health check


@pytest.mark.ray
@pytest.mark.timeout(240)
def test_apex_finishes_with_workers_killed_and_counts_what_reached_the_replay_shard(ray_mod, small_config):
    from rlcore.algorithms.apex import ApexTrainer

    trainer = ApexTrainer(config=faulty_config(
        small_config, "recreate_failed_workers", timesteps_per_iteration=100, learning_starts=40,
        train_batch_size=16, buffer_size=1000, target_network_update_freq=100, hiddens=[8],
        optimizer={"num_replay_buffer_shards": 1, "max_weight_sync_delay": 40}))
    try:
        results = run_with_kills(trainer, 3)  # worker 1 fails in every iteration, worker 2 is killed after the 2nd
        shard, = trainer.replay_actors
        stats = ray_mod.get(shard.stats.remote(), timeout=60)
    finally:
        trainer.stop()
    last = results[-1]
    assert last["training_iteration"] == 3 and last["num_healthy_workers"] == 2
    # every sampled batch that reached the replay shard is counted, and nothing else
    assert last["info"]["num_steps_sampled"] == stats["num_added"] == last["timesteps_total"]
    assert last["info"]["num_steps_trained"] > 0


@pytest.mark.ray
@pytest.mark.timeout(240)
@pytest.mark.parametrize("setting", ["recreate_failed_workers", "ignore_worker_failures"])
def test_apex_with_its_replay_shard_killed(ray_mod, small_config, setting):
    """recreate_failed_workers: an empty shard replaces it and training goes on; otherwise the error
    names the shard."""
    from rlcore.algorithms.apex import ApexTrainer

    config = faulty_config(small_config, setting, timesteps_per_iteration=100, learning_starts=40,
                           train_batch_size=16, buffer_size=1000, target_network_update_freq=100, hiddens=[8],
                           optimizer={"num_replay_buffer_shards": 1})
    config.update(env="CartPole-v1", env_config={})  # no env faults: only the shard dies
    trainer = ApexTrainer(config=config)
    try:
        first = trainer.train()
        shard, = trainer.replay_actors
        ray_mod.kill(shard)
        if setting != "recreate_failed_workers":
            with pytest.raises(Exception, match=r"ApexReplayActor|replay shard 0 of 1 died"):
                trainer.train()
            return
        results = [trainer.train() for _ in range(3)]
        new_shard, = trainer.replay_actors
        stats = ray_mod.get(new_shard.stats.remote(), timeout=60)
    finally:
        trainer.stop()
    assert new_shard != shard and results[-1]["num_healthy_workers"] == 2
    assert results[-1]["timesteps_total"] > first["timesteps_total"] and stats["num_added"] > 0
    assert results[-1]["info"]["num_steps_trained"] > first["info"]["num_steps_trained"]
