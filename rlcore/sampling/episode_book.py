"""EpisodeBook: the episode bookkeeping both samplers share (ids, episode callbacks, metrics).

A sampler asks the book for a new :class:`~rlcore.sampling.episode.Episode` when an env starts
one (``on_episode_start`` runs), tells it after each step (``on_episode_step``) and at the end
(``on_episode_end``, then the episode's metrics are kept for :meth:`EpisodeBook.drain_metrics`).
Episodes stay in the book until the rows of their last fragment have been sampled
(:meth:`EpisodeBook.release`), so postprocessing gets them. A hook the callbacks leave at its
no-op default is never called, and the sampler need not prepare the episode for it
(``prepare``).

A sampler without episode callbacks opens and closes episodes by id instead
(:meth:`EpisodeBook.open`, :meth:`EpisodeBook.close`): the book keeps the metrics of a closed
one, and makes its :class:`~rlcore.sampling.episode.Episode` only if someone asks for it
(:meth:`EpisodeBook.get`, e.g. a policy's ``postprocess_trajectory``), with the same values and
the same ``custom_metrics``, ``hist_data`` and ``media`` dicts as its metrics.

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
    >>> eid = book.open(env_index=1)  # no Episode object yet
    >>> book.close(eid, env_index=1, length=4, total_reward=2.0)
    >>> ep = book.get(eid); ep.length, ep.total_reward, ep.custom_metrics is book.drain_metrics()[0].custom_metrics
    (4, 2.0, True)
"""

from __future__ import annotations

import collections.abc
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.sampling.episode import DUMMY_AGENT_ID, Episode
from rlcore.sampling.metrics import RolloutMetrics

__all__ = ["EpisodeBook", "EpisodeMap", "EPISODE_HOOKS"]

EPISODE_HOOKS = ("on_episode_start", "on_episode_step", "on_episode_end")

#: The ``agent_rewards`` key of a single-agent episode.
_AGENT_KEY = (DUMMY_AGENT_ID, DEFAULT_POLICY_ID)


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
        self._unmade: Dict[int, Any] = {}  # opened, running, no Episode yet: id -> env index
        self._closed: Dict[int, Tuple[Any, RolloutMetrics]] = {}  # closed, no Episode yet: id -> (env, metrics)
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

    def open(self, env_index: int) -> int:
        """A single-agent episode on env ``env_index`` without callbacks (none are called for
        it); returns its id. Its :class:`Episode` is made when :meth:`get` first asks for it."""
        eps_id = self._next_id
        self._next_id += 1
        self._unmade[eps_id] = env_index
        return eps_id

    def close(self, eps_id: int, env_index: int, length: int, total_reward: float,
              perf_stats: Optional[Mapping[str, float]] = None) -> None:
        """The end of an :meth:`open` episode: its metrics are kept (``perf_stats`` as given, not
        copied), and its Episode, made now or later, has this length and reward and is done."""
        ep = self._episodes.get(eps_id)
        if ep is not None:
            ep.length, ep.total_reward = length, total_reward
            ep.agent_rewards[_AGENT_KEY] = total_reward
            self.end(ep, env_index, perf_stats)
            return
        del self._unmade[eps_id]
        metrics = RolloutMetrics(length, total_reward, {_AGENT_KEY: total_reward}, {}, perf_stats, {}, {})
        self._metrics.append(metrics)
        self._closed[eps_id] = (env_index, metrics)

    def get(self, eps_id: int) -> Optional[Episode]:
        """The episode with this id, while the book holds it (made now for an :meth:`open` one)."""
        eps_id = int(eps_id)
        ep = self._episodes.get(eps_id)
        if ep is None and (eps_id in self._unmade or eps_id in self._closed):
            ep = self._episodes[eps_id] = self._make(eps_id)
        return ep

    def existing(self, eps_id: int) -> Optional[Episode]:
        """The Episode of this id if the book holds one already (never makes one)."""
        return self._episodes.get(eps_id)

    def _make(self, eps_id: int) -> Episode:
        """The Episode of an :meth:`open` episode that has none yet."""
        if eps_id in self._unmade:
            return Episode(eps_id, self._unmade.pop(eps_id), self._mapping_fn)
        return self._closed_episode(eps_id, *self._closed.pop(eps_id))

    def _closed_episode(self, eps_id: int, env_index: Any, metrics: RolloutMetrics) -> Episode:
        """The Episode of a closed episode, from its metrics (sharing their dicts)."""
        ep = Episode(eps_id, env_index, self._mapping_fn)
        ep.length, ep.total_reward = metrics.episode_length, metrics.episode_reward
        ep.agent_rewards.update(metrics.agent_rewards)
        ep.custom_metrics, ep.hist_data, ep.media = metrics.custom_metrics, metrics.hist_data, metrics.media
        ep._done = True
        return ep

    def held(self) -> Dict[int, Episode]:
        """Every episode the book holds, by id."""
        for eps_id in [*self._unmade, *self._closed]:
            self._episodes[eps_id] = self._make(eps_id)
        return dict(self._episodes)

    def release(self, eps_ids: Optional[Iterable[int]] = None) -> Dict[int, Any]:
        """Forgets finished episodes once their last rows were sampled: those of ``eps_ids``, or
        every finished one. Returns what it forgot, by id: each episode's Episode, or for a
        closed one without an Episode yet its ``(env_index, metrics)`` (see :class:`EpisodeMap`)."""
        episodes, closed = self._episodes, self._closed
        ids = [*episodes, *closed] if eps_ids is None else [int(e) for e in eps_ids]
        out: Dict[int, Any] = {}
        for e in ids:
            ep = episodes.get(e)
            if ep is None:
                record = closed.pop(e, None)
                if record is not None:
                    out[e] = record
            elif getattr(ep, "_done", False):
                out[e] = episodes.pop(e)
        return out

    def drain_metrics(self) -> List[RolloutMetrics]:
        """Metrics of the episodes finished since the last call."""
        out, self._metrics = self._metrics, []
        return out


class EpisodeMap(collections.abc.Mapping):
    """``{eps_id: Episode}`` of a sample's fragments, each Episode made only when first read (an
    :meth:`EpisodeBook.open` episode has none until then): postprocessing that never reads the
    episodes of a sample makes none.

    Args:
        book: The sampler's book.
        eps_ids: The fragments' episode ids (Python ints).
        released: What ``book.release`` returned for the episodes that ended in the sample.

    Examples:
        >>> book = EpisodeBook()
        >>> a, b = book.open(0), book.open(1)
        >>> book.close(a, 0, length=2, total_reward=1.0)
        >>> episodes = EpisodeMap(book, [a, b], book.release([a]))
        >>> list(episodes), episodes.made()
        ([0, 1], [])
        >>> episodes[a].length, episodes.made() == [episodes[a]], book.get(a)
        (2, True, None)
    """

    def __init__(self, book: EpisodeBook, eps_ids: Iterable[int], released: Mapping[int, Any]):
        self._book, self._released = book, released
        self._ids = dict.fromkeys(eps_ids)
        self._made: Dict[int, Episode] = {}
        # whether any episode of the map may exist already (released as an Episode, or in the book)
        self._may_exist = bool(book._episodes) or not set(map(type, released.values())) <= {tuple}

    def __getitem__(self, eps_id: int) -> Episode:
        ep = self._made.get(eps_id)
        if ep is None:
            if eps_id not in self._ids:
                raise KeyError(eps_id)
            got = self._released.get(eps_id)
            if got is None:  # still running: the book keeps it (made now if it was not)
                ep = self._book.get(eps_id)
            elif isinstance(got, tuple):  # ended without an Episode: made from its (env_index, metrics)
                ep = self._book._closed_episode(eps_id, *got)
            else:
                ep = got
            self._made[eps_id] = ep
        return ep

    def __iter__(self):
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def made(self) -> List[Episode]:
        """The episodes that exist (read through this map, or made before), without making any."""
        if not (self._made or self._may_exist):  # the usual lean sample: no Episode made
            return []
        out = []
        for eps_id in self._ids:
            ep = self._made.get(eps_id)
            if ep is None:
                got = self._released.get(eps_id)
                ep = self._book.existing(eps_id) if got is None else None if isinstance(got, tuple) else got
            if ep is not None:
                out.append(ep)
        return out
