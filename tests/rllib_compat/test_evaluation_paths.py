"""Old import paths owned by the foundation resolve to the same rlcore objects."""

import importlib

import pytest

from rlcore import sampling
from rlcore.data import replay_buffers as rb  # noqa: F401  (import check)

from rlcore.sampling import episode, rollout_worker, worker_set  # noqa: E402

from rlcore.policy import random_policy  # noqa: E402

PATHS = [
    ("rllib_compat.examples.policy.random_policy", "RandomPolicy", random_policy.RandomPolicy),
    ("rllib_compat.evaluation", "RolloutWorker", rollout_worker.RolloutWorker),
    ("rllib_compat.evaluation", "WorkerSet", worker_set.WorkerSet),
    ("rllib_compat.evaluation", "MultiAgentEpisode", episode.MultiAgentEpisode),
    ("rllib_compat.evaluation", "collect_metrics", sampling.collect_metrics),
    ("rllib_compat.evaluation.rollout_worker", "RolloutWorker", rollout_worker.RolloutWorker),
    ("rllib_compat.evaluation.rollout_worker", "get_global_worker", rollout_worker.get_global_worker),
    ("rllib_compat.evaluation.worker_set", "WorkerSet", worker_set.WorkerSet),
    ("rllib_compat.evaluation.episode", "MultiAgentEpisode", episode.MultiAgentEpisode),
    ("rllib_compat.evaluation.postprocessing", "compute_gae_for_sample_batch", sampling.compute_gae_for_sample_batch),
    ("rllib_compat.evaluation.postprocessing", "compute_advantages", sampling.compute_advantages),
    ("rllib_compat.evaluation.postprocessing", "discount_cumsum", sampling.discount_cumsum),
    ("rllib_compat.evaluation.postprocessing", "Postprocessing", sampling.Postprocessing),
]


@pytest.mark.parametrize("module,name,obj", PATHS, ids=[f"{m}.{n}" for m, n, _ in PATHS])
def test_old_path_is_the_same_object(module, name, obj):
    assert getattr(importlib.import_module(module), name) is obj


def test_postprocessing_names():
    from rllib_compat.evaluation.postprocessing import Postprocessing

    assert (Postprocessing.ADVANTAGES, Postprocessing.VALUE_TARGETS) == ("advantages", "value_targets")
