"""Ape-X DDPG (issue #15): RLlib 1.x's defaults, names, config checks, and a Ray run (Pendulum, 2 workers,
1 replay shard): batches reach the shard, DDPG's TD errors come back as priorities, each worker
explores with its own OU scale, and stop() leaves no actor or learner thread."""


import numpy as np
import pytest

from rlcore.algorithms.apex import APEX_DEFAULT_CONFIG
from rlcore.algorithms.ddpg import DEFAULT_CONFIG as DDPG_CONFIG
from rlcore.algorithms.ddpg.apex import APEX_DDPG_DEFAULT_CONFIG, ApexDDPGTrainer, validate_config

WAIT_S = 60
FRAGMENT, DELAY = 10, 40


def test_defaults_are_rllib_1x_apex_ddpg_values():
    cfg = APEX_DDPG_DEFAULT_CONFIG
    assert cfg["optimizer"] == {"max_weight_sync_delay": 400, "num_replay_buffer_shards": 4, "debug": False}
    assert cfg["exploration_config"] == {"type": "PerWorkerOrnsteinUhlenbeckNoise"}  # replaced whole: type changed
    assert (cfg["n_step"], cfg["num_gpus"], cfg["num_workers"], cfg["buffer_size"], cfg["learning_starts"],
            cfg["train_batch_size"], cfg["rollout_fragment_length"], cfg["target_network_update_freq"],
            cfg["timesteps_per_iteration"], cfg["worker_side_prioritization"], cfg["min_iter_time_s"]) == \
        (3, 0, 32, 2000000, 50000, 512, 50, 500000, 25000, True, 30)
    # Everything else is DDPG's.
    assert (cfg["actor_hiddens"], cfg["tau"], cfg["prioritized_replay"], cfg["l2_reg"]) == \
        (DDPG_CONFIG["actor_hiddens"], DDPG_CONFIG["tau"], True, DDPG_CONFIG["l2_reg"])
    assert cfg["replay_buffer_shards_colocated_with_driver"] is APEX_DEFAULT_CONFIG[
        "replay_buffer_shards_colocated_with_driver"]


def test_registry_cli_name_and_compat_paths():
    from rlcore.registry import get_trainer_class
    from rllib_compat.agents.ddpg import ApexDDPGTrainer as CompatTrainer
    from rllib_compat.agents.ddpg.apex import APEX_DDPG_DEFAULT_CONFIG as COMPAT_CONFIG

    assert get_trainer_class("APEX_DDPG") is ApexDDPGTrainer is CompatTrainer
    assert COMPAT_CONFIG is APEX_DDPG_DEFAULT_CONFIG


@pytest.mark.parametrize("bad, message", [
    ({"optimizer": {"max_weight_sync_delay": 400}}, "optimizer.num_replay_buffer_shards is missing"),
    ({"num_gpus": 2}, "num_gpus=2: expected at most 1"),
    ({"policy_delay": 0}, "policy_delay=0: expected an int >= 1"),  # DDPG's checks run too
    ({"exploration_config": {"type": "PerWorkerEpsilonGreedy"}}, "exploration_config.type='PerWorkerEpsilonGreedy'"),
])
def test_validate_config_runs_apex_and_ddpg_checks(bad, message):
    with pytest.raises(ValueError) as err:
        validate_config(dict(APEX_DDPG_DEFAULT_CONFIG, **bad))
    assert message in str(err.value)


def test_tune_request_puts_one_cpu_per_replay_shard_in_the_driver_bundle():
    request = ApexDDPGTrainer.default_resource_request(
        {"num_workers": 2, "optimizer": {"num_replay_buffer_shards": 3}, "num_cpus_for_driver": 1})
    assert request.bundles[0]["CPU"] == 4.0 and len(request.bundles) == 3


@pytest.fixture(scope="module")
def run(ray_mod, tmp_path_factory, settled_actor_classes, apex_probes):
    """Two iterations of a small Ape-X DDPG on Pendulum, everything read before and after stop()."""
    config = dict(env="Pendulum-v1", framework="torch", num_workers=2, seed=0, min_iter_time_s=0,
                  timesteps_per_iteration=100, learning_starts=50, train_batch_size=32, buffer_size=5000,
                  rollout_fragment_length=FRAGMENT, target_network_update_freq=100, actor_hiddens=[16],
                  critic_hiddens=[16], log_sys_usage=False, no_done_at_end=True,
                  optimizer={"num_replay_buffer_shards": 1, "max_weight_sync_delay": DELAY, "debug": True})
    actors_before = apex_probes.live_actor_classes(ray_mod)
    trainer = ApexDDPGTrainer(config=config,
                              logger_creator=lambda c: apex_probes.DirLogger(tmp_path_factory.mktemp("apex_ddpg")))
    out = {"actors_before": actors_before}
    try:
        out["results"] = [trainer.train() for _ in range(2)]
        shard, = trainer.replay_actors
        out["shard_stats"] = ray_mod.get(shard.stats.remote(True), timeout=WAIT_S)
        out["remote_scales"] = ray_mod.get(
            [w.apply.remote(lambda w: w.get_policy().exploration.get_state()["cur_scale"])
             for w in trainer.workers.remote_workers()], timeout=WAIT_S)
        out["actors_running"] = apex_probes.live_actor_classes(ray_mod)
        out["threads_running"] = len(apex_probes.learner_threads())
        out["policy_class"] = type(trainer.get_policy()).__name__
    finally:
        trainer.stop()
    # ray.kill is asynchronous: the killed actors leave Ray's actor table shortly after stop() returns
    out["actors_after"] = settled_actor_classes(ray_mod, actors_before)
    out["threads_after"] = len(apex_probes.learner_threads())
    return out


@pytest.mark.ray
def test_trains_ddpg_on_the_apex_plan_with_priorities_back_to_the_shard(run):
    results = run["results"]
    info = results[-1]["info"]
    assert run["policy_class"] == "DDPGTorchPolicy"
    assert [r["timesteps_total"] for r in results] == sorted(r["timesteps_total"] for r in results)
    assert results[-1]["timesteps_total"] >= 200
    stats = info["learner"]["default_policy"]
    assert np.isfinite(stats["critic_loss"]) and np.isfinite(stats["actor_loss"])
    shard = run["shard_stats"]
    assert shard["num_added"] == info["num_steps_sampled"]
    assert shard["policy_default_policy"]["num_priority_updates"] >= info["num_steps_trained"] > 0
    assert info["num_target_updates"] >= 1 and info["num_weight_syncs"] >= 1


@pytest.mark.ray
def test_each_worker_explores_with_its_own_ou_scale(run):
    assert [round(s, 8) for s in run["remote_scales"]] == [0.4, round(0.4 ** 8, 8)]


@pytest.mark.ray
def test_stop_leaves_no_actor_or_thread(run):
    assert run["threads_running"] == 1 and run["threads_after"] == 0
    assert run["actors_running"].count("ApexReplayActor") == 1 and run["actors_running"].count("RolloutWorker") == 2
    assert run["actors_after"] == run["actors_before"]
