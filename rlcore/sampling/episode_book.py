"""EpisodeBook: the episode bookkeeping both samplers share (ids, episode callbacks, metrics).

A sampler asks the book for a new :class:`~rlcore.sampling.episode.Episode` when an env starts
one (``on_episode_start`` runs), tells it after each step (``on_episode_step``) and at the end
(``on_episode_end``, then the episode's metrics are kept for :meth:`EpisodeBook.drain_metrics`).
Episodes stay in the book until the rows of their last fragment have been sampled
(:meth:`EpisodeBook.release`), so postprocessing gets them. A hook the callbacks leave at its
no-op default is never called, and the sampler need not prepare the episode for it
(``prepare``).

Examples:
    >>> from rlcore.sampling.callbacks import DefaultCallbacks
    >>> class Count(DefaultCallbacks):
    ...     def on_episode_end(self, *, episode, **kwargs):
    ...         episode.custom_metrics["n"] = episode.length
    >>> book = EpisodeBook(Count(), eps_id_start=10)
    >>> ep = book.begin(env_index=0)
    >>> ep.episode_id, book.wants("on_episode_step"), book.wants("on_episode_end")
    (10, False, True)
    >>> ep.length = 3
    >>> book.end(ep, env_index=0)
    >>> [m.custom_metrics for m in book.drain_metrics()]
    [{'n': 3}]
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from rlcore.sampling.episode import Episode
from rlcore.sampling.metrics import RolloutMetrics

__all__ = ["EpisodeBook", "EPISODE_HOOKS"]

EPISODE_HOOKS = ("on_episode_start", "on_episode_step", "on_episode_end")


class EpisodeBook:
    """Episode ids, episode callbacks and episode metrics of one sampler.

    Args:
        callbacks: A callbacks object (RLlib's ``DefaultCallbacks`` surface) or None.
        worker: Passed to the callbacks as ``worker``.
        policies: Passed to the callbacks as ``policies``.
        base_env: Passed to the callbacks as ``base_env`` (may be set later).
        eps_id_start: The first episode id (workers use disjoint ranges).
        policy_mapping_fn: ``agent_id -> policy_id`` of the episodes (multi-agent).
    """

    def __init__(self, callbacks: Any = None, worker: Any = None, policies: Optional[Mapping[str, Any]] = None,
                 base_env: Any = None, eps_id_start: int = 0,
                 policy_mapping_fn: Optional[Callable[[Any], str]] = None):
        from rlcore.sampling.callbacks import DefaultCallbacks

        self._callbacks = callbacks
        self._worker, self._policies, self.base_env = worker, policies, base_env
        self._mapping_fn = policy_mapping_fn
        self._hooks = frozenset(h for h in EPISODE_HOOKS
                                if callbacks is not None and DefaultCallbacks.overrides(callbacks, h))
        self._next_id = int(eps_id_start)
        self._episodes: Dict[int, Episode] = {}
        self._metrics: List[RolloutMetrics] = []

    def wants(self, hook: str) -> bool:
        """Whether the callbacks implement ``hook`` (one of :data:`EPISODE_HOOKS`)."""
        return hook in self._hooks

    def begin(self, env_index: int, prepare: Optional[Callable[[Episode], None]] = None,
              call_start: bool = True) -> Episode:
        """A new episode on env ``env_index``; ``on_episode_start`` runs (after ``prepare(ep)``)
        unless ``call_start`` is False (then the sampler calls :meth:`started` itself)."""
        ep = Episode(self._next_id, env_index, self._mapping_fn)
        self._next_id += 1
        self._episodes[ep.episode_id] = ep
        if call_start:
            self.started(ep, env_index, prepare)
        return ep

    def started(self, ep: Episode, env_index: int, prepare: Optional[Callable[[Episode], None]] = None) -> None:
        """``on_episode_start`` for an episode begun with ``call_start=False``."""
        if "on_episode_start" in self._hooks:
            if prepare is not None:
                prepare(ep)
            self._callbacks.on_episode_start(worker=self._worker, base_env=self.base_env, policies=self._policies,
                                             episode=ep, env_index=env_index)

    @property
    def next_id(self) -> int:
        """The id the next episode gets."""
        return self._next_id

    def step(self, ep: Episode, env_index: int, prepare: Optional[Callable[[Episode], None]] = None) -> None:
        """``on_episode_step`` after one of the episode's steps (the last included)."""
        if "on_episode_step" in self._hooks:
            if prepare is not None:
                prepare(ep)
            self._callbacks.on_episode_step(worker=self._worker, base_env=self.base_env, episode=ep,
                                            env_index=env_index)

    def end(self, ep: Episode, env_index: int, perf_stats: Optional[Mapping[str, float]] = None,
            prepare: Optional[Callable[[Episode], None]] = None) -> None:
        """The episode is over: ``on_episode_end``, then its metrics are kept."""
        ep._done = True
        if "on_episode_end" in self._hooks:
            if prepare is not None:
                prepare(ep)
            self._callbacks.on_episode_end(worker=self._worker, base_env=self.base_env, policies=self._policies,
                                           episode=ep, env_index=env_index)
        self._metrics.append(ep.to_metrics(dict(perf_stats or {})))

    def get(self, eps_id: int) -> Optional[Episode]:
        """The episode with this id, while the book holds it."""
        return self._episodes.get(int(eps_id))

    def held(self) -> Dict[int, Episode]:
        """Every episode the book holds, by id."""
        return dict(self._episodes)

    def release(self, eps_ids: Optional[Iterable[int]] = None) -> None:
        """Forgets finished episodes once their last rows were sampled: those of ``eps_ids``, or
        every finished one."""
        ids = self._episodes if eps_ids is None else [int(e) for e in eps_ids]
        for e in [e for e in ids if getattr(self._episodes.get(e), "_done", False)]:
            del self._episodes[e]

    def drain_metrics(self) -> List[RolloutMetrics]:
        """Metrics of the episodes finished since the last call."""
        out, self._metrics = self._metrics, []
        return out
