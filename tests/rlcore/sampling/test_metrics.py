"""Episode metrics: summarize_episodes against hand computations (custom metrics, multi-agent
policy rewards, hist data, perf stats, estimates), NaNs when empty, collect_episodes with local
workers and Ray actors (timeouts carry refs over), and the smoothing window."""

from __future__ import annotations

import math
import os
import pickle
import time
from collections import namedtuple

import pytest

from rlcore.sampling.metrics import (
    MetricsWindow,
    RolloutMetrics,
    collect_episodes,
    collect_metrics,
    get_learner_stats,
    summarize_episodes,
)

KEYS = {
    "episode_reward_max", "episode_reward_min", "episode_reward_mean", "episode_len_mean", "episode_media",
    "episodes_this_iter", "policy_reward_min", "policy_reward_max", "policy_reward_mean", "custom_metrics",
    "hist_stats", "sampler_perf", "off_policy_estimator",
}

MA = [
    RolloutMetrics(10, 6.0, {("a0", "p0"): 1.0, ("a1", "p1"): 5.0}, {"x": 1.0, "y": 2}, {"mean_inference_ms": 1.0},
                   {"acts": [0, 1]}, {"img": "m1"}),
    RolloutMetrics(20, 3.0, {("a0", "p0"): 4.0, ("a1", "p1"): -1.0}, {"x": 3.0}, {"mean_inference_ms": 3.0},
                   {"acts": [1]}, {}),
    RolloutMetrics(30, 0.0, {("a0", "p0"): -2.0, ("a2", "p1"): 2.0}, {"x": float("nan"), "y": 4},
                   {"mean_inference_ms": 2.0, "mean_env_wait_ms": 4.0}, {}, {"img": "m3"}),
]


def test_summarize_multi_agent_against_hand_computation():
    r = summarize_episodes(MA)
    assert set(r) == KEYS
    assert (r["episode_reward_max"], r["episode_reward_min"], r["episode_reward_mean"]) == (6.0, 0.0, 3.0)
    assert (r["episode_len_mean"], r["episodes_this_iter"]) == (20.0, 3)
    assert r["policy_reward_min"] == {"p0": -2.0, "p1": -1.0}
    assert r["policy_reward_max"] == {"p0": 4.0, "p1": 5.0}
    assert r["policy_reward_mean"] == {"p0": 1.0, "p1": 2.0}
    # NaN values of a custom metric are dropped before the summary.
    assert r["custom_metrics"] == {"x_mean": 2.0, "x_min": 1.0, "x_max": 3.0, "y_mean": 3.0, "y_min": 2, "y_max": 4}
    assert r["hist_stats"] == {
        "acts": [0, 1, 1],
        "episode_reward": [6.0, 3.0, 0.0],
        "episode_lengths": [10, 20, 30],
        "policy_p0_reward": [1.0, 4.0, -2.0],
        "policy_p1_reward": [5.0, -1.0, 2.0],
    }
    assert r["sampler_perf"] == {"mean_inference_ms": 2.0, "mean_env_wait_ms": 4.0}
    assert r["episode_media"] == {"img": ["m1", "m3"]}
    assert r["off_policy_estimator"] == {}


def test_summarize_single_agent_leaves_default_policy_out_as_rllib():
    eps = [RolloutMetrics(5, 2.0, {("agent0", "default_policy"): 2.0}), RolloutMetrics(7, 4.0, {("agent0", "default_policy"): 4.0})]
    r = summarize_episodes(eps)
    assert r["policy_reward_mean"] == {} and r["episode_reward_mean"] == 3.0
    assert "policy_default_policy_reward" not in r["hist_stats"]


def test_keep_custom_metrics_reports_raw_lists():
    r = summarize_episodes(MA, keep_custom_metrics=True)
    assert r["custom_metrics"] == {"x": [1.0, 3.0], "y": [2, 4]}


def test_custom_metric_all_nan_gives_nan_summary():
    r = summarize_episodes([RolloutMetrics(1, 1.0, custom_metrics={"z": float("nan")})])
    assert all(math.isnan(r["custom_metrics"][f"z_{s}"]) for s in ("mean", "min", "max"))


def test_summarize_empty_gives_nans_not_errors():
    r = summarize_episodes([])
    assert set(r) == KEYS
    for k in ("episode_reward_max", "episode_reward_min", "episode_reward_mean", "episode_len_mean"):
        assert math.isnan(r[k]), k
    assert r["episodes_this_iter"] == 0
    assert r["hist_stats"] == {"episode_reward": [], "episode_lengths": []}
    assert r["policy_reward_mean"] == r["custom_metrics"] == r["sampler_perf"] == {}


def test_new_episodes_only_set_episodes_this_iter():
    r = summarize_episodes(MA, MA[2:])
    assert r["episodes_this_iter"] == 1 and r["episode_reward_mean"] == 3.0


Estimate = namedtuple("Estimate", ["estimator_name", "metrics"])


def test_off_policy_estimates_are_averaged_per_estimator_and_not_counted_as_episodes():
    eps = [RolloutMetrics(2, 1.0), Estimate("is", {"V_gain_est": 1.0}), Estimate("is", {"V_gain_est": 3.0}),
           Estimate("wis", {"V_prev": 2.0})]
    r = summarize_episodes(eps)
    assert r["off_policy_estimator"] == {"is": {"V_gain_est": 2.0}, "wis": {"V_prev": 2.0}}
    assert r["episodes_this_iter"] == 1 and r["hist_stats"]["episode_lengths"] == [2]


@pytest.mark.parametrize(
    "eps,match",
    [([{"episode_length": 1}], "item 0 is a dict"), ([RolloutMetrics(1, 1.0, {"a0": 1.0})], "must be an \\(agent_id, policy_id\\) tuple")],
)
def test_summarize_bad_input(eps, match):
    with pytest.raises(ValueError, match=match):
        summarize_episodes(eps)


def test_rollout_metrics_defaults_are_fresh_and_it_pickles():
    a, b = RolloutMetrics(), RolloutMetrics(3, 1.5)
    a.custom_metrics["k"] = 1
    assert b.custom_metrics == {} and (a.episode_length, a.episode_reward) == (0, 0.0)
    assert RolloutMetrics._fields == ("episode_length", "episode_reward", "agent_rewards", "custom_metrics",
                                      "perf_stats", "hist_data", "media")
    c = pickle.loads(pickle.dumps(MA[0]))
    assert c == MA[0] and type(c) is RolloutMetrics
    assert MA[0]._replace(episode_length=1).episode_length == 1


# ---------------------------------------------------------------- collection


class LocalWorker:
    """A worker that hands over its finished episodes once (as RolloutWorker.get_metrics)."""

    def __init__(self, rewards, release=None):
        self.pending = [RolloutMetrics(1, r) for r in rewards]
        self.release = release

    def get_metrics(self):
        # With ``release`` (a file path), answers only once that file exists (at most 60 s): the
        # test decides when the late answer arrives instead of sleeping for a fixed time.
        deadline = time.monotonic() + 60.0
        while self.release is not None and not os.path.exists(self.release):
            if time.monotonic() > deadline:
                raise TimeoutError(f"release file {self.release} did not appear within 60 s")
            time.sleep(0.02)
        out, self.pending = self.pending, []
        return out


def test_collect_episodes_local_only():
    w = LocalWorker([1.0, 2.0])
    eps, left = collect_episodes(w)
    assert [e.episode_reward for e in eps] == [1.0, 2.0] and left == []
    assert collect_episodes(w) == ([], [])
    assert collect_episodes() == ([], [])


def test_collect_metrics_local_only():
    r = collect_metrics(LocalWorker([1.0, 5.0]))
    assert (r["episode_reward_mean"], r["episodes_this_iter"]) == (3.0, 2)


@pytest.mark.ray
def test_collect_episodes_from_ray_actors_carries_late_refs_over(ray_mod, tmp_path):
    ray = ray_mod
    Remote = ray.remote(num_cpus=0)(LocalWorker)
    release = tmp_path / "release"
    fast, slow = Remote.remote([1.0, 2.0]), Remote.remote([10.0], release=str(release))
    try:
        ray.get([fast.__ray_ready__.remote(), slow.__ray_ready__.remote()], timeout=60)
        eps, left = collect_episodes(LocalWorker([5.0]), [fast, slow], timeout_seconds=2.0)
        assert [e.episode_reward for e in eps] == [1.0, 2.0, 5.0]  # remote ones first, then local
        assert len(left) == 1  # slow answers only once released
        release.touch()
        eps, left = collect_episodes(None, [], left, timeout_seconds=30)
        assert [e.episode_reward for e in eps] == [10.0] and left == []
        r = collect_metrics(None, [fast], timeout_seconds=30)  # fast already handed its episodes over
        assert r["episodes_this_iter"] == 0 and math.isnan(r["episode_reward_mean"])
    finally:
        for a in (fast, slow):
            ray.kill(a)


# ---------------------------------------------------------------- smoothing window


def rewards(eps):
    return [e.episode_reward for e in eps]


def ep(r):
    return RolloutMetrics(1, float(r))


@pytest.mark.parametrize(
    "n,rounds,expected",
    [
        # fewer new episodes than the window: older ones fill it (latest first kept)
        (3, [[1, 2], [3], [4]], [[1, 2], [1, 2, 3], [2, 3, 4]]),
        # more new ones than the window: all new ones, no history
        (2, [[1], [2, 3, 4]], [[1], [2, 3, 4]]),
        # an iteration without episodes reports the window
        (2, [[1, 2, 3], []], [[1, 2, 3], [2, 3]]),
        # 0: no smoothing
        (0, [[1], [], [2]], [[1], [], [2]]),
    ],
)
def test_metrics_window(n, rounds, expected):
    w = MetricsWindow(n)
    got = [rewards(w.update([ep(r) for r in rnd])) for rnd in rounds]
    assert got == [[float(x) for x in e] for e in expected]
    assert len(w) == min(n, sum(len(r) for r in rounds))


def test_metrics_window_summarize_counts_only_new_episodes():
    w = MetricsWindow(4)
    w.summarize([ep(1), ep(2), ep(3)])
    r = w.summarize([ep(5)])
    assert r["episodes_this_iter"] == 1 and r["hist_stats"]["episode_reward"] == [1.0, 2.0, 3.0, 5.0]
    assert r["episode_reward_mean"] == 2.75 and rewards(w.history) == [1.0, 2.0, 3.0, 5.0]


@pytest.mark.parametrize("bad,err", [(-1, ValueError), (2.5, TypeError), ("100", TypeError), (True, TypeError)])
def test_metrics_window_bad_size(bad, err):
    with pytest.raises(err, match="metrics_smoothing_episodes"):
        MetricsWindow(bad)


def test_get_learner_stats():
    assert get_learner_stats({"learner_stats": {"l": 1}, "td_error": [0]}) == {"l": 1}
    assert get_learner_stats({"p0": {"learner_stats": {"l": 2}}, "p1": {"learner_stats": {"l": 3}}}) == {"p0": {"l": 2}, "p1": {"l": 3}}


def test_custom_metrics_of_a_real_rollout_worker_reach_collect_metrics():
    """Issue 6 criterion 4 end to end: callbacks on the real sampler feed collect_metrics."""
    import gymnasium as gym
    import numpy as np

    from rlcore.policy.policy import Policy
    from rlcore.sampling.callbacks import DefaultCallbacks
    from rlcore.sampling.rollout_worker import RolloutWorker

    class Left(Policy):
        def compute_actions(self, obs_batch, state_batches=None, prev_action_batch=None, prev_reward_batch=None, **kw):
            return np.zeros(len(obs_batch), np.int64), [], {}

        def learn_on_batch(self, samples):
            return {}

        def get_weights(self):
            return {}

        def set_weights(self, weights):
            pass

    class Steps(DefaultCallbacks):
        def on_episode_start(self, *, worker, base_env, policies, episode, env_index, **kwargs):
            episode.user_data["steps"] = 0

        def on_episode_step(self, *, worker, base_env, episode, env_index, **kwargs):
            episode.user_data["steps"] += 1

        def on_episode_end(self, *, worker, base_env, policies, episode, env_index, **kwargs):
            episode.custom_metrics["steps"] = episode.user_data["steps"]
            episode.hist_data["steps"] = [episode.user_data["steps"]]

    w = RolloutWorker(env_creator=lambda ctx: gym.make("CartPole-v1"), policy=Left, num_envs=2,
                      rollout_fragment_length=50, callbacks=Steps, seed=0)
    w.sample()
    r = collect_metrics(w)
    assert r["episodes_this_iter"] >= 2
    # Always pushing left ends CartPole in ~10 steps; the per-step count is the episode length.
    assert r["custom_metrics"]["steps_mean"] == pytest.approx(r["episode_len_mean"])
    assert r["hist_stats"]["steps"] == r["hist_stats"]["episode_lengths"]
    assert r["custom_metrics"]["steps_max"] <= 20
