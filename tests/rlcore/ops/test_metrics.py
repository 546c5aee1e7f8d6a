"""Reporting: standard_metrics_reporting result keys and iteration cuts, CollectMetrics, rate filters."""

import pytest

from rlcore.dataflow import LocalIterator, SharedMetrics, get_metrics
from rlcore.ops import (
    CollectMetrics,
    ConcatBatches,
    OncePerTimeInterval,
    OncePerTimestepsElapsed,
    TrainOneStep,
    parallel_rollouts,
    standard_metrics_reporting,
)
from rlcore.ops import metrics as reporting


def _plan(ws, config, train_batch=20):
    train_op = (parallel_rollouts(ws, mode="bulk_sync")
                .combine(ConcatBatches(min_batch_size=train_batch))
                .for_each(TrainOneStep(ws)))
    return standard_metrics_reporting(train_op, ws, config)


RESULT_KEYS = {
    "episode_reward_mean", "episode_reward_min", "episode_reward_max", "episode_len_mean", "episodes_this_iter",
    "policy_reward_mean", "custom_metrics", "hist_stats", "sampler_perf", "timesteps_total",
    "agent_timesteps_total", "num_healthy_workers", "timers", "info",
}


def test_result_dict_keys_and_values(ops_support):
    ws = ops_support.worker_set(fragment=10, num_envs=2)
    plan = _plan(ws, {"timesteps_per_iteration": 0, "min_iter_time_s": 0, "metrics_smoothing_episodes": 100})
    for _ in range(5):
        result = next(plan)
    assert RESULT_KEYS <= set(result)
    assert result["timesteps_total"] == result["agent_timesteps_total"] == 100
    assert result["num_healthy_workers"] == 0
    info = result["info"]
    assert info["learner"] == {"default_policy": {"rows": 20.0, "w": 5.0}}
    assert (info["num_steps_sampled"], info["num_steps_trained"]) == (100, 100)
    assert {"sample_time_ms", "sample_throughput", "learn_time_ms", "learn_throughput"} <= set(result["timers"])
    assert result["timers"]["sample_throughput"] > 0
    # a random CartPole policy finishes episodes within 100 steps; reward == length there
    assert result["episode_reward_mean"] == result["episode_len_mean"] > 0
    ws.stop()


@pytest.mark.parametrize("per_iter,expected", [(0, [20, 40, 60]), (50, [60, 120, 180]), (40, [40, 80, 120])])
def test_timesteps_per_iteration_cuts_iterations(ops_support, per_iter, expected):
    ws = ops_support.worker_set(fragment=20)
    plan = _plan(ws, {"timesteps_per_iteration": per_iter})
    assert [next(plan)["timesteps_total"] for _ in range(3)] == expected
    ws.stop()


def test_smoothing_window_pads_with_older_episodes(ops_support):
    ws = ops_support.worker_set(fragment=100)
    plan = _plan(ws, {"metrics_smoothing_episodes": 3}, train_batch=100)
    first, second = next(plan), next(plan)
    for r in (first, second):
        assert len(r["hist_stats"]["episode_reward"]) == max(3, r["episodes_this_iter"])
    ws.stop()


def test_custom_metrics_from_the_learner_are_merged(ops_support):
    ws = ops_support.worker_set()

    def learner_metrics(x):
        get_metrics().info["custom_metrics"] = {"default_policy": {"grad_norm": 2.0}}
        return x

    stream = LocalIterator(lambda t: iter(range(3)), SharedMetrics()).for_each(learner_metrics)
    result = next(stream.for_each(CollectMetrics(ws, min_history=5)))
    assert result["custom_metrics"]["default_policy"] == {"grad_norm": 2.0}
    assert "custom_metrics" not in result["info"]
    ws.stop()


def test_plan_explains_its_stages(ops_support):
    ws = ops_support.worker_set()
    plan = _plan(ws, {})
    next(plan)
    text = plan.explain()
    for stage in ("CollectMetrics", "OncePerTimeInterval", "OncePerTimestepsElapsed", "TrainOneStep",
                  "ConcatBatches", "parallel_rollouts[bulk_sync, local]"):
        assert stage in text, stage
    ws.stop()


@pytest.mark.parametrize("config,error", [
    ({"min_iter_time_s": -1}, "min_iter_time_s"),
    ({"timesteps_per_iteration": "10"}, "timesteps_per_iteration"),
    ({"metrics_smoothing_episodes": 2.5}, "metrics_smoothing_episodes"),
    ({"collect_metrics_timeout": True}, "collect_metrics_timeout"),
])
def test_reporting_config_errors(ops_support, config, error):
    ws = ops_support.worker_set()
    with pytest.raises(ValueError, match=error):
        _plan(ws, config)
    ws.stop()


def test_once_per_time_interval(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(reporting.time, "monotonic", lambda: now[0])
    f = OncePerTimeInterval(5)
    passes = []
    for t in [100.0, 101.0, 104.9, 105.5, 106.0, 110.4, 110.6]:
        now[0] = t
        passes.append(f(None))
    assert passes == [True, False, False, True, False, False, True]
    assert all(OncePerTimeInterval(0)(None) for _ in range(3))
    assert all(OncePerTimeInterval(None)(None) for _ in range(3))
    with pytest.raises(TypeError, match="delay='1'"):
        OncePerTimeInterval("1")


def test_once_per_timesteps_elapsed_by_steps_trained():
    def train(x):
        get_metrics().counters["num_steps_trained"] += 30
        return x

    it = LocalIterator(lambda t: iter(range(6)), SharedMetrics()).for_each(train)
    assert it.filter(OncePerTimestepsElapsed(60, by_steps_trained=True)).take(6) == [1, 3, 5]


@pytest.mark.ray
def test_reporting_and_weight_sync_with_remote_workers(ray_ops, ops_support):
    ws = ops_support.worker_set(num_workers=2, fragment=50)
    try:
        plan = _plan(ws, {"collect_metrics_timeout": 60}, train_batch=100)
        result = next(plan)
        assert result["num_healthy_workers"] == 2 and result["timesteps_total"] == 100
        assert result["episodes_this_iter"] > 0  # episodes of the remote workers were collected
        result = next(plan)
        assert result["info"]["num_weight_broadcasts"] == 2 and "update_time_ms" in result["timers"]
        # TrainOneStep sent the weights and the global timestep to every remote worker
        remote = ray_ops.get([w.apply.remote(lambda wk: (wk.get_policy().w.tolist(), wk.get_policy().global_timestep))
                              for w in ws.remote_workers()], timeout=60)
        assert remote == [([2.0, 2.0], 200), ([2.0, 2.0], 200)]
    finally:
        ws.stop()
