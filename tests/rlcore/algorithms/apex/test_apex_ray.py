"""Ape-X on Ray (2 workers, 1 replay shard; the session cluster has 2 CPUs: the workers take one each,
the shard is a 0-CPU actor as in RLlib 1.x): batches reach the shard, the learner's priorities
come back to it, weights are pushed every max_weight_sync_delay steps, per-worker epsilons, the
exact |td_error| + eps on a Ray shard, stop() leaves no actor or thread; and a learning run."""


import numpy as np
import pytest

from rlcore.algorithms.apex import ApexLearnerThread, ApexReplayActor, ApexTrainer, UpdateReplayPriorities
from rlcore.data import SampleBatch
from rlcore.ops.concurrency import Enqueue, concurrently, dequeue
from rlcore.ops.replay import replay

WAIT_S = 60
FRAGMENT, DELAY = 4, 20


@pytest.fixture(scope="module")
def run(ray_mod, tmp_path_factory, settled_actor_classes, apex_probes):
    """Two iterations of a small Ape-X, everything read before and after stop()."""
    config = dict(env="CartPole-v1", framework="torch", num_workers=2, seed=0, min_iter_time_s=0,
                  timesteps_per_iteration=300, learning_starts=100, train_batch_size=32, buffer_size=2000,
                  rollout_fragment_length=FRAGMENT, target_network_update_freq=100, model={"fcnet_hiddens": [16]},
                  hiddens=[16], log_sys_usage=False,
                  optimizer={"num_replay_buffer_shards": 1, "max_weight_sync_delay": DELAY, "debug": True})
    actors_before = apex_probes.live_actor_classes(ray_mod)
    trainer = ApexTrainer(config=config,
                          logger_creator=lambda c: apex_probes.DirLogger(tmp_path_factory.mktemp("apex")))
    out = {"actors_before": actors_before}
    try:
        out["results"] = [trainer.train() for _ in range(2)]
        shard, = trainer.replay_actors
        out["shard_stats"] = ray_mod.get(shard.stats.remote(True), timeout=WAIT_S)
        out["remote_timesteps"] = ray_mod.get(
            [w.apply.remote(lambda w: w.global_vars["timestep"]) for w in trainer.workers.remote_workers()],
            timeout=WAIT_S)
        out["actors_running"] = apex_probes.live_actor_classes(ray_mod)
        out["threads_running"] = len(apex_probes.learner_threads())
    finally:
        trainer.stop()
    # ray.kill is asynchronous: the killed actors leave Ray's actor table shortly after stop() returns
    out["actors_after"] = settled_actor_classes(ray_mod, actors_before)
    out["threads_after"] = len(apex_probes.learner_threads())
    return out


@pytest.mark.ray
def test_sampled_batches_reach_the_shard_and_priorities_come_back(run):
    info = run["results"][-1]["info"]
    stats = run["shard_stats"]
    # Every sampled batch was added (Ray keeps the order of one caller's calls to an actor).
    assert stats["num_added"] == info["num_steps_sampled"] >= 600
    policy = stats["policy_default_policy"]
    assert policy["num_priority_updates"] >= info["num_steps_trained"] > 0
    assert policy["max_priority"] > 0 and info["replay_shard_0"]["num_added"] > 0
    assert info["num_target_updates"] >= 1 and "default_policy" in info["learner"]


@pytest.mark.ray
def test_weights_are_pushed_every_max_weight_sync_delay_steps(run):
    info = run["results"][-1]["info"]
    # Each worker gets weights after every DELAY / FRAGMENT = 5 of its batches.
    assert info["num_steps_sampled"] // DELAY - 2 <= info["num_weight_syncs"] <= info["num_steps_sampled"] // DELAY
    assert all(0 < t <= info["num_steps_sampled"] for t in run["remote_timesteps"])


@pytest.mark.ray
def test_each_worker_explores_with_its_own_epsilon(run):
    infos = run["results"][-1]["info"]["exploration_infos"]
    assert [round(i["cur_epsilon"], 8) for i in infos] == [0.0, 0.4, round(0.4 ** 8, 8)]  # local, worker 1, worker 2


@pytest.mark.ray
def test_stop_leaves_no_actor_or_thread(run):
    assert run["threads_running"] == 1 and run["threads_after"] == 0
    assert run["actors_running"].count("ApexReplayActor") == 1 and run["actors_running"].count("RolloutWorker") == 2
    assert run["actors_after"] == run["actors_before"]


class TDWorker:
    """Stands in for the local worker: TD error -(index + 1) / 4 for each replayed row."""

    def learn_on_batch(self, batch):
        (pid, b), = batch.policy_batches.items()
        return {pid: {"learner_stats": {}, "td_error": -(b["batch_indexes"] + 1) / 4.0}}


@pytest.mark.ray
def test_priorities_on_a_ray_shard_are_abs_td_error_plus_eps(ray_mod):
    shard = ApexReplayActor.as_remote().remote(100, learning_starts=8, replay_batch_size=4, eps=1e-3, seed=0)
    learner = ApexLearnerThread(TDWorker())
    try:
        ray_mod.get(shard.add_batch.remote(SampleBatch({"obs": np.arange(16.0), "rewards": np.ones(16)})),
                    timeout=WAIT_S)
        learner.start()
        replay_op = replay(actors=[shard], num_async=1).zip_with_source_actor().for_each(Enqueue(learner.inqueue))
        update_op = dequeue(learner.outqueue, check=learner.check_alive).for_each(UpdateReplayPriorities())
        outputs = concurrently([replay_op, update_op], mode="async", output_indexes=[1]).take(4)
        indexes = np.unique(np.concatenate([prio["default_policy"][0] for _, prio, *_ in outputs]))
        prios = ray_mod.get(shard.priorities.remote("default_policy", indexes), timeout=WAIT_S)
    finally:
        learner.stop()
        ray_mod.kill(shard)
    assert all(actor == shard for actor, *_ in outputs)
    np.testing.assert_allclose(prios, (indexes + 1) / 4.0 + 1e-3, rtol=1e-6)
