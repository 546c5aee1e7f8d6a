"""Sampling: the vectorised sampler over the compiled collector, rollout workers, postprocessing.

Read in this order: :mod:`~rlcore.sampling.sampler` (the loop), :mod:`~rlcore.sampling.rollout_worker`
(envs + policies + sampler), :mod:`~rlcore.sampling.worker_set` (local + remote workers).
Importing this package imports neither torch, tensorflow nor ray.
"""

from rlcore.sampling.async_sampler import AsyncSampler
from rlcore.sampling.callbacks import DefaultCallbacks, MultiCallbacks, make_callbacks
from rlcore.sampling.episode import Episode, MultiAgentEpisode
from rlcore.sampling.filter_manager import FilterManager
from rlcore.sampling.filters import ConcurrentMeanStdFilter, Filter, MeanStdFilter, NoFilter, RunningStat, get_filter
from rlcore.sampling.metrics import (
    MetricsWindow,
    RolloutMetrics,
    collect_episodes,
    collect_metrics,
    get_learner_stats,
    summarize_episodes,
)
from rlcore.sampling.postprocessing import (
    Postprocessing,
    compute_advantages,
    compute_advantages_segments,
    compute_gae_for_fragments,
    compute_gae_for_sample_batch,
    discount_cumsum,
)
from rlcore.sampling.rollout_worker import RolloutWorker, get_global_worker
from rlcore.sampling.sampler import VectorSampler, bootstrap_values, segment_lengths
from rlcore.sampling.struct_actions import StructuredActions, action_clipper
from rlcore.sampling.worker_set import WorkerSet

__all__ = [
    "AsyncSampler",
    "ConcurrentMeanStdFilter",
    "DefaultCallbacks",
    "Filter",
    "FilterManager",
    "MetricsWindow",
    "RunningStat",
    "get_learner_stats",
    "make_callbacks",
    "Episode",
    "MeanStdFilter",
    "MultiAgentEpisode",
    "MultiCallbacks",
    "NoFilter",
    "Postprocessing",
    "RolloutMetrics",
    "RolloutWorker",
    "StructuredActions",
    "VectorSampler",
    "WorkerSet",
    "action_clipper",
    "bootstrap_values",
    "collect_episodes",
    "collect_metrics",
    "compute_advantages",
    "compute_advantages_segments",
    "compute_gae_for_fragments",
    "compute_gae_for_sample_batch",
    "discount_cumsum",
    "get_filter",
    "get_global_worker",
    "segment_lengths",
    "summarize_episodes",
]
