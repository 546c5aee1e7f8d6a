"""Episode metrics: per-episode records from the workers, and their summary in a result dict.

Each finished episode leaves one :class:`RolloutMetrics` on its worker; ``worker.get_metrics()``
hands them over (and forgets them). :func:`collect_episodes` gathers them from the local worker
and the remote ones (without waiting forever: late answers are carried over to the next call),
:func:`summarize_episodes` turns a list of them into RLlib's result keys
(``episode_reward_mean``, ``policy_reward_mean``, ``custom_metrics``, ``hist_stats``, ...), and
:class:`MetricsWindow` keeps the last ``metrics_smoothing_episodes`` episodes so an iteration with
few new episodes still reports over a full window.

Examples:
    >>> eps = [RolloutMetrics(10, 1.0), RolloutMetrics(30, 3.0)]
    >>> r = summarize_episodes(eps)
    >>> r["episode_reward_mean"], r["episode_len_mean"], r["episodes_this_iter"], r["hist_stats"]["episode_lengths"]
    (2.0, 20.0, 2, [10, 30])
"""

from __future__ import annotations

import collections
import logging
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from rlcore.data.sample_batch import DEFAULT_POLICY_ID

__all__ = [
    "RolloutMetrics",
    "summarize_episodes",
    "collect_episodes",
    "collect_metrics",
    "MetricsWindow",
    "get_learner_stats",
    "LEARNER_STATS_KEY",
]

logger = logging.getLogger(__name__)

#: Key of the learner statistics in a ``learn_on_batch`` result (RLlib's ``LEARNER_STATS_KEY``).
LEARNER_STATS_KEY = "learner_stats"

_RolloutMetricsBase = collections.namedtuple(
    "RolloutMetrics",
    ["episode_length", "episode_reward", "agent_rewards", "custom_metrics", "perf_stats", "hist_data", "media"],
)


class RolloutMetrics(_RolloutMetricsBase):
    """What one finished episode reports (RLlib's ``RolloutMetrics`` namedtuple).

    Attributes:
        episode_length: Env steps in the episode.
        episode_reward: Sum of all agents' rewards.
        agent_rewards: ``{(agent_id, policy_id): reward}``.
        custom_metrics: ``{name: number}`` set by callbacks (``episode.custom_metrics``).
        perf_stats: Sampler timings, e.g. ``mean_inference_ms``.
        hist_data: ``{name: list}`` extended into ``hist_stats``.
        media: ``{name: object}`` collected into ``episode_media``.

    The dict fields default to a new empty dict each (never one shared default).

    Examples:
        >>> m = RolloutMetrics(5, 2.5)
        >>> m.agent_rewards, m.custom_metrics == {}, m.custom_metrics is RolloutMetrics(1, 1.0).custom_metrics
        ({}, True, False)
    """

    __slots__ = ()

    def __new__(cls, episode_length: int = 0, episode_reward: float = 0.0, agent_rewards: Optional[dict] = None,
                custom_metrics: Optional[dict] = None, perf_stats: Optional[dict] = None,
                hist_data: Optional[dict] = None, media: Optional[dict] = None) -> "RolloutMetrics":
        return super().__new__(
            cls,
            episode_length,
            episode_reward,
            {} if agent_rewards is None else agent_rewards,
            {} if custom_metrics is None else custom_metrics,
            {} if perf_stats is None else perf_stats,
            {} if hist_data is None else hist_data,
            {} if media is None else media,
        )


def _is_estimate(e: Any) -> bool:
    """An off-policy estimate (``OffPolicyEstimate``: ``estimator_name`` and a ``metrics`` dict)."""
    return isinstance(getattr(e, "estimator_name", None), str) and isinstance(getattr(e, "metrics", None), dict)


def _partition(episodes: Iterable[Any]) -> Tuple[List[RolloutMetrics], List[Any]]:
    rollouts, estimates = [], []
    for i, e in enumerate(episodes):
        if isinstance(e, RolloutMetrics):
            rollouts.append(e)
        elif _is_estimate(e):
            estimates.append(e)
        else:
            raise ValueError(
                f"episode metrics item {i} is a {type(e).__name__} ({e!r:.80}): expected RolloutMetrics "
                "or an off-policy estimate (estimator_name, metrics)"
            )
    return rollouts, estimates


def summarize_episodes(episodes: Sequence[Any], new_episodes: Optional[Sequence[Any]] = None,
                       keep_custom_metrics: bool = False) -> Dict[str, Any]:
    """Summarizes episodes into RLlib's result keys.

    Args:
        episodes: The smoothing window: new and historical :class:`RolloutMetrics` (and
            off-policy estimates, averaged per estimator into ``off_policy_estimator``).
        new_episodes: Only this iteration's episodes (counted in ``episodes_this_iter``);
            ``None`` means all of ``episodes``.
        keep_custom_metrics: Report each custom metric as its list of values instead of
            ``<name>_mean/_min/_max``.

    Returns:
        ``episode_reward_max/min/mean`` and ``episode_len_mean`` (NaN without episodes),
        ``episode_media``, ``episodes_this_iter``, ``policy_reward_min/max/mean`` (per policy id,
        from the ``(agent_id, policy_id)`` keys of ``agent_rewards``; the single-agent
        ``default_policy`` is left out, as in RLlib), ``custom_metrics`` (NaN values dropped),
        ``hist_stats`` (``episode_reward``, ``episode_lengths``, ``policy_<pid>_reward`` and every
        ``hist_data`` list), ``sampler_perf`` (mean of each ``perf_stats`` entry) and
        ``off_policy_estimator``.

    Examples:
        >>> eps = [RolloutMetrics(3, 5.0, {("a0", "p0"): 2.0, ("a1", "p1"): 3.0}, {"hits": 1}),
        ...        RolloutMetrics(5, 9.0, {("a0", "p0"): 4.0, ("a1", "p1"): 5.0}, {"hits": 3})]
        >>> r = summarize_episodes(eps)
        >>> r["policy_reward_mean"], r["custom_metrics"]
        ({'p0': 3.0, 'p1': 4.0}, {'hits_mean': 2.0, 'hits_min': 1, 'hits_max': 3})
        >>> summarize_episodes([])["episode_reward_mean"]
        nan
    """
    if new_episodes is None:
        new_episodes = episodes
    episodes, estimates = _partition(episodes)
    new_episodes, _ = _partition(new_episodes)

    episode_rewards: List[Any] = []
    episode_lengths: List[Any] = []
    policy_rewards: Dict[Any, list] = collections.defaultdict(list)
    custom_metrics: Dict[str, Any] = collections.defaultdict(list)
    perf_stats: Dict[str, Any] = collections.defaultdict(list)
    hist_stats: Dict[str, Any] = collections.defaultdict(list)
    episode_media: Dict[str, list] = collections.defaultdict(list)

    for ep in episodes:
        episode_lengths.append(ep.episode_length)
        episode_rewards.append(ep.episode_reward)
        for k, v in ep.custom_metrics.items():
            custom_metrics[k].append(v)
        for k, v in ep.perf_stats.items():
            perf_stats[k].append(v)
        for key, reward in ep.agent_rewards.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"agent_rewards key {key!r} must be an (agent_id, policy_id) tuple")
            if key[1] != DEFAULT_POLICY_ID:
                policy_rewards[key[1]].append(reward)
        for k, v in ep.hist_data.items():
            hist_stats[k] += list(v)
        for k, v in ep.media.items():
            episode_media[k].append(v)

    nan = float("nan")
    if episode_rewards:
        min_reward, max_reward = min(episode_rewards), max(episode_rewards)
        avg_reward = float(np.mean(episode_rewards))
    else:
        min_reward = max_reward = avg_reward = nan
    avg_length = float(np.mean(episode_lengths)) if episode_lengths else nan

    hist_stats["episode_reward"] = episode_rewards
    hist_stats["episode_lengths"] = episode_lengths

    policy_reward_min, policy_reward_mean, policy_reward_max = {}, {}, {}
    for pid, rewards in policy_rewards.items():
        policy_reward_min[pid] = float(np.min(rewards))
        policy_reward_mean[pid] = float(np.mean(rewards))
        policy_reward_max[pid] = float(np.max(rewards))
        hist_stats[f"policy_{pid}_reward"] = rewards

    custom: Dict[str, Any] = {}
    for k, values in custom_metrics.items():
        kept = [v for v in values if not np.any(np.isnan(v))]
        if keep_custom_metrics:
            custom[k] = kept
        else:
            custom[k + "_mean"] = float(np.mean(kept)) if kept else nan
            custom[k + "_min"] = np.min(kept).item() if kept else nan
            custom[k + "_max"] = np.max(kept).item() if kept else nan

    sampler_perf = {k: float(np.mean(v)) for k, v in perf_stats.items()}

    estimators: Dict[str, Dict[str, list]] = collections.defaultdict(lambda: collections.defaultdict(list))
    for e in estimates:
        for k, v in e.metrics.items():
            estimators[e.estimator_name][k].append(v)
    off_policy = {name: {k: float(np.mean(v)) for k, v in ms.items()} for name, ms in estimators.items()}

    return dict(
        episode_reward_max=max_reward,
        episode_reward_min=min_reward,
        episode_reward_mean=avg_reward,
        episode_len_mean=avg_length,
        episode_media=dict(episode_media),
        episodes_this_iter=len(new_episodes),
        policy_reward_min=policy_reward_min,
        policy_reward_max=policy_reward_max,
        policy_reward_mean=policy_reward_mean,
        custom_metrics=custom,
        hist_stats=dict(hist_stats),
        sampler_perf=sampler_perf,
        off_policy_estimator=off_policy,
    )


def collect_episodes(local_worker: Any = None, remote_workers: Sequence[Any] = (), to_be_collected: Sequence[Any] = (),
                     timeout_seconds: float = 180) -> Tuple[List[Any], List[Any]]:
    """Gathers the new episode metrics of the workers.

    Calls ``get_metrics.remote()`` on every remote worker (Ray actor handles) and waits up to
    ``timeout_seconds`` for those and the ``to_be_collected`` refs left over from last time; the
    refs still pending are returned to pass in next time (RLlib semantics). Then
    ``local_worker.get_metrics()``.

    Returns:
        ``(episodes, to_be_collected)``: the remote workers' metrics first, then the local one's.

    Examples:
        >>> class W:
        ...     def get_metrics(self): return [RolloutMetrics(4, 1.0)]
        >>> collect_episodes(W())
        ([RolloutMetrics(episode_length=4, episode_reward=1.0, agent_rewards={}, custom_metrics={}, perf_stats={}, hist_data={}, media={})], [])
    """
    pending = [w.get_metrics.remote() for w in remote_workers] + list(to_be_collected)
    metric_lists: List[Any] = []
    left: List[Any] = []
    if pending:
        import ray

        ready, left = ray.wait(pending, num_returns=len(pending), timeout=float(timeout_seconds))
        if not ready:
            logger.warning("collected no metrics from %d remote worker(s) in %s seconds", len(pending), timeout_seconds)
        metric_lists = ray.get(ready, timeout=float(timeout_seconds))
    if local_worker is not None:
        metric_lists.append(local_worker.get_metrics())
    episodes: List[Any] = []
    for m in metric_lists:
        episodes.extend(m)
    return episodes, list(left)


def collect_metrics(local_worker: Any = None, remote_workers: Sequence[Any] = (), to_be_collected: Sequence[Any] = (),
                    timeout_seconds: float = 180, keep_custom_metrics: bool = False) -> Dict[str, Any]:
    """:func:`summarize_episodes` of :func:`collect_episodes` (late remote answers are dropped).

    Examples:
        >>> class W:
        ...     def get_metrics(self): return [RolloutMetrics(4, 1.0), RolloutMetrics(6, 3.0)]
        >>> collect_metrics(W())["episode_reward_mean"]
        2.0
    """
    episodes, _ = collect_episodes(local_worker, remote_workers, to_be_collected, timeout_seconds)
    return summarize_episodes(episodes, episodes, keep_custom_metrics=keep_custom_metrics)


class MetricsWindow:
    """The last ``smoothing_episodes`` episodes, for ``metrics_smoothing_episodes``.

    :meth:`update` takes one iteration's new episodes and returns the window to summarize: all the
    new episodes, preceded by as many of the latest older ones as are needed to reach
    ``smoothing_episodes`` (RLlib's ``CollectMetrics`` history). With more new episodes than
    that, all of them are used.

    Args:
        smoothing_episodes: Window size (``0``: only the new episodes).

    Examples:
        >>> w = MetricsWindow(3)
        >>> [m.episode_reward for m in w.update([RolloutMetrics(1, r) for r in (1.0, 2.0)])]
        [1.0, 2.0]
        >>> r = w.summarize([RolloutMetrics(1, 3.0), RolloutMetrics(1, 4.0)])
        >>> r["hist_stats"]["episode_reward"], r["episodes_this_iter"]
        ([2.0, 3.0, 4.0], 2)
    """

    def __init__(self, smoothing_episodes: int = 100):
        if isinstance(smoothing_episodes, bool) or not isinstance(smoothing_episodes, (int, np.integer)):
            raise TypeError(f"metrics_smoothing_episodes must be an int, got {type(smoothing_episodes).__name__} {smoothing_episodes!r}")
        if smoothing_episodes < 0:
            raise ValueError(f"metrics_smoothing_episodes must be >= 0, got {smoothing_episodes}")
        self.smoothing_episodes = int(smoothing_episodes)
        self._history: collections.deque = collections.deque(maxlen=self.smoothing_episodes)

    @property
    def history(self) -> List[Any]:
        """The latest episodes kept (oldest first), at most ``smoothing_episodes``."""
        return list(self._history)

    def update(self, new_episodes: Iterable[Any]) -> List[Any]:
        """Records ``new_episodes`` and returns the episodes to summarize this iteration."""
        new = list(new_episodes)
        missing = self.smoothing_episodes - len(new)
        window = (list(self._history)[-missing:] if missing > 0 and self._history else []) + new
        self._history.extend(new)
        return window

    def summarize(self, new_episodes: Iterable[Any], keep_custom_metrics: bool = False) -> Dict[str, Any]:
        """:meth:`update`, then :func:`summarize_episodes` of the window (``episodes_this_iter`` = new ones)."""
        new = list(new_episodes)
        return summarize_episodes(self.update(new), new, keep_custom_metrics=keep_custom_metrics)

    def __len__(self) -> int:
        return len(self._history)

    def __repr__(self) -> str:
        return f"MetricsWindow(smoothing_episodes={self.smoothing_episodes}, held={len(self._history)})"


def get_learner_stats(grad_info: Dict[str, Any]) -> Dict[str, Any]:
    """The ``learner_stats`` of a ``learn_on_batch`` result, per policy when it is multi-agent.

    Examples:
        >>> get_learner_stats({"learner_stats": {"loss": 1.0}})
        {'loss': 1.0}
        >>> get_learner_stats({"p0": {"learner_stats": {"loss": 2.0}}, "p1": {"other": 1}})
        {'p0': {'loss': 2.0}}
    """
    if LEARNER_STATS_KEY in grad_info:
        return grad_info[LEARNER_STATS_KEY]
    return {k: v[LEARNER_STATS_KEY] for k, v in grad_info.items() if isinstance(v, dict) and LEARNER_STATS_KEY in v}
