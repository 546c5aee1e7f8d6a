"""Old import paths of callbacks, episode metrics and filters resolve to the same rlcore objects,
and RLlib 1.x user code written against them runs unchanged."""

import importlib
import warnings

import numpy as np
import pytest

from rlcore.sampling import callbacks, filter_manager, filters, metrics

PATHS = [
    ("rllib_compat.agents.callbacks", "DefaultCallbacks", callbacks.DefaultCallbacks),
    ("rllib_compat.agents.callbacks", "MultiCallbacks", callbacks.MultiCallbacks),
    ("rllib_compat.utils.filter", "Filter", filters.Filter),
    ("rllib_compat.utils.filter", "NoFilter", filters.NoFilter),
    ("rllib_compat.utils.filter", "MeanStdFilter", filters.MeanStdFilter),
    ("rllib_compat.utils.filter", "ConcurrentMeanStdFilter", filters.ConcurrentMeanStdFilter),
    ("rllib_compat.utils.filter", "RunningStat", filters.RunningStat),
    ("rllib_compat.utils.filter", "get_filter", filters.get_filter),
    ("rllib_compat.utils.filter_manager", "FilterManager", filter_manager.FilterManager),
    ("rllib_compat.evaluation.metrics", "collect_metrics", metrics.collect_metrics),
    ("rllib_compat.evaluation.metrics", "collect_episodes", metrics.collect_episodes),
    ("rllib_compat.evaluation.metrics", "summarize_episodes", metrics.summarize_episodes),
    ("rllib_compat.evaluation.metrics", "RolloutMetrics", metrics.RolloutMetrics),
    ("rllib_compat.evaluation.metrics", "get_learner_stats", metrics.get_learner_stats),
]


@pytest.mark.parametrize("module,name,obj", PATHS, ids=[f"{m}.{n}" for m, n, _ in PATHS])
def test_old_path_is_the_same_object_without_warnings(module, name, obj):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mod = importlib.import_module(module)
    assert getattr(mod, name) is obj and name in mod.__all__


def test_rllib_style_custom_metrics_callbacks_run_unchanged():
    # The shape of RLlib 1.x's examples/custom_metrics_and_callbacks.py.
    from rllib_compat.agents.callbacks import DefaultCallbacks
    from rllib_compat.evaluation.metrics import RolloutMetrics, summarize_episodes

    class MyCallbacks(DefaultCallbacks):
        def on_episode_start(self, *, worker, base_env, policies, episode, env_index, **kwargs):
            episode.user_data["pole_angles"] = []
            episode.hist_data["pole_angles"] = []

        def on_episode_step(self, *, worker, base_env, episode, env_index, **kwargs):
            episode.user_data["pole_angles"].append(abs(episode.last_angle))

        def on_episode_end(self, *, worker, base_env, policies, episode, env_index, **kwargs):
            episode.custom_metrics["pole_angle"] = float(np.mean(episode.user_data["pole_angles"]))
            episode.hist_data["pole_angles"] = episode.user_data["pole_angles"]

    class Ep:
        def __init__(self):
            self.user_data, self.hist_data, self.custom_metrics, self.last_angle = {}, {}, {}, 0.0

    done = []
    cb = MyCallbacks()
    for angles in ([0.1, -0.3], [0.2]):
        ep = Ep()
        cb.on_episode_start(worker=None, base_env=None, policies={}, episode=ep, env_index=0)
        for a in angles:
            ep.last_angle = a
            cb.on_episode_step(worker=None, base_env=None, episode=ep, env_index=0)
        cb.on_episode_end(worker=None, base_env=None, policies={}, episode=ep, env_index=0)
        done.append(RolloutMetrics(len(angles), 1.0, {}, ep.custom_metrics, {}, ep.hist_data))
    r = summarize_episodes(done)
    assert r["custom_metrics"]["pole_angle_mean"] == pytest.approx(0.2)
    assert r["hist_stats"]["pole_angles"] == pytest.approx([0.1, 0.3, 0.2])


def test_rllib_filter_doctest_values():
    # RLlib's MeanStdFilter.apply_changes docstring, verbatim numbers.
    from rllib_compat.utils.filter import MeanStdFilter

    a = MeanStdFilter(())
    a(1)
    a(2)
    assert [a.rs.n, a.rs.mean, a.buffer.n] == [2, 1.5, 2]
    b = MeanStdFilter(())
    b(10)
    a.apply_changes(b, with_buffer=False)
    assert [a.rs.n, a.rs.mean, a.buffer.n] == [3, pytest.approx(4.333333333333333), 2]
    a.apply_changes(b, with_buffer=True)
    assert [a.rs.n, a.rs.mean, a.buffer.n] == [4, 5.75, 1]
