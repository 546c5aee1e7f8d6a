"""Postprocessing of sampled fragments, as RLlib 1.x: per episode fragment, unless provably batched.

Both samplers hand the rollout worker each policy's raw rows as a :class:`FragmentBatch` (the
fragments back to back, their lengths, and which agent each belongs to). For every fragment
:func:`postprocess_fragments` calls the policy's ``postprocess_trajectory(fragment,
other_agent_batches, episode)`` (which runs the exploration's postprocessing, then the template's
``postprocess_fn``), where ``other_agent_batches`` maps each other agent of the same episode and
the same cut to ``(policy, its fragment)`` (``{}`` for a single agent), then
``on_postprocess_trajectory``.

Two shortcuts are taken only when they are provably the same (:func:`postprocess_plan`):

- ``"skip"``: the policy's ``postprocess_trajectory`` is a base class's or a template's without
  ``postprocess_fn`` (recognised by identity: :func:`rlcore.policy.policy.known_postprocessing`),
  and its exploration's is the no-op default: the rows stay as they are.
- ``"batched"``: the same, but the template's ``postprocess_fn`` is exactly the per-fragment
  function the policy's ``postprocess_fragments`` batches (``fragment_postprocess_fn``, e.g.
  GAE): one value forward and one kernel call for the whole sample.

A ``postprocess_fn`` given through ``with_updates``, a subclass or instance that overrides or
wraps ``postprocess_trajectory``, an exploration with its own postprocessing (in its class or
set on the instance), or a callbacks object with ``on_postprocess_trajectory`` always gets the
per-fragment calls.

Examples:
    >>> from rlcore.policy.policy import Policy
    >>> class Shaped(Policy):
    ...     def postprocess_trajectory(self, batch, other_agent_batches=None, episode=None):
    ...         return batch
    >>> postprocess_plan(Shaped.__new__(Shaped)), postprocess_plan(Policy.__new__(Policy))
    ('per_fragment', 'skip')
"""

from __future__ import annotations

import collections.abc
from collections import defaultdict
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.concat import concat_samples
from rlcore.policy.exploration.exploration import Exploration
from rlcore.policy.policy import _UNKNOWN, postprocess_fn_of
from rlcore.sampling.callbacks import DefaultCallbacks

__all__ = ["FragmentBatch", "FragmentEpisodes", "postprocess_plan", "postprocess_fragments", "SKIP", "BATCHED", "PER_FRAGMENT"]

SKIP, BATCHED, PER_FRAGMENT = "skip", "batched", "per_fragment"


class FragmentBatch(NamedTuple):
    """One policy's sampled rows: fragments back to back.

    Attributes:
        batch: The rows (a ``SampleBatch`` with ``eps_id`` and ``env_id`` columns).
        seg_lens: Rows per fragment (one agent, one episode, one cut each).
        agent_ids: The agent of each fragment.
        last_values: None, or the policy's value of each fragment's final ``new_obs`` (float32,
            one per fragment), computed by the worker in the same forward pass as the rows'
            ``vf_preds``; handed to a batched ``postprocess_fragments`` that takes ``last_values``.
    """

    batch: Any
    seg_lens: np.ndarray
    agent_ids: Sequence[Any]
    last_values: Optional[np.ndarray] = None


def _exploration_is_noop(policy: Any) -> bool:
    exploration = getattr(policy, "exploration", None)
    if exploration is None:
        return True
    return ("postprocess_trajectory" not in vars(exploration)
            and type(exploration).postprocess_trajectory is Exploration.postprocess_trajectory)


def postprocess_plan(policy: Any, hook_on: bool = False) -> str:
    """How a policy's sampled fragments are postprocessed: ``"skip"``, ``"batched"`` or
    ``"per_fragment"`` (see the module docstring).

    Args:
        policy: The policy.
        hook_on: Whether the callbacks implement ``on_postprocess_trajectory`` (it needs each
            fragment's own postprocessed batch).
    """
    if "postprocess_trajectory" in vars(policy):
        return PER_FRAGMENT  # set on the instance: user code
    cls = type(policy)
    fn = postprocess_fn_of(cls.postprocess_trajectory)
    if fn is _UNKNOWN or hook_on or not _exploration_is_noop(policy):
        return PER_FRAGMENT
    if fn is None:
        return SKIP
    if getattr(cls, "postprocess_fragments", None) is not None and fn is getattr(cls, "fragment_postprocess_fn", None):
        return BATCHED
    return PER_FRAGMENT


def postprocess_fragments(
    samples: Mapping[str, FragmentBatch],
    policies: Mapping[str, Any],
    episodes: Mapping[int, Any],
    callbacks: Any = None,
    worker: Any = None,
) -> Dict[str, Any]:
    """Postprocesses every policy's fragments; returns ``{policy_id: SampleBatch}``.

    Args:
        samples: ``{policy_id: FragmentBatch}``.
        policies: ``{policy_id: Policy}`` (the worker's policy map).
        episodes: ``{eps_id: Episode}`` for every fragment's episode.
        callbacks: The worker's callbacks (``on_postprocess_trajectory``).
        worker: Passed to the callbacks.
    """
    hook_on = callbacks is not None and DefaultCallbacks.overrides(callbacks, "on_postprocess_trajectory")
    plans = {pid: postprocess_plan(policies[pid], hook_on) for pid in samples}
    out: Dict[str, Any] = {}
    groups = None
    for pid, frag in samples.items():
        plan = plans[pid]
        if plan == SKIP or len(frag.seg_lens) == 0:
            out[pid] = frag.batch
        elif plan == BATCHED:
            eps = _first_rows(frag.batch, frag.seg_lens, Columns.EPS_ID)
            boot = {} if frag.last_values is None else {"last_values": frag.last_values}
            out[pid] = policies[pid].postprocess_fragments(frag.batch, frag.seg_lens, FragmentEpisodes(episodes, eps),
                                                           **boot)
        else:
            if groups is None:
                groups = _episode_groups(samples, policies)
            out[pid] = _per_fragment(pid, frag, policies, episodes, groups, callbacks if hook_on else None, worker)
    return out


class FragmentEpisodes(collections.abc.Sequence):
    """The episode of each fragment (``episodes.get(eps_id)``), looked up only when read: with
    the sampler's :class:`~rlcore.sampling.episode_book.EpisodeMap`, a ``postprocess_fragments``
    that never reads them makes no Episode objects.

    Examples:
        >>> eps = FragmentEpisodes({7: "ep7"}, [7, 8, 7])
        >>> len(eps), eps[0], eps[1], list(eps), eps[1:]
        (3, 'ep7', None, ['ep7', None, 'ep7'], [None, 'ep7'])
    """

    __slots__ = ("_episodes", "_eps_ids")

    def __init__(self, episodes: Mapping[int, Any], eps_ids: Sequence[int]):
        self._episodes, self._eps_ids = episodes, eps_ids

    def __len__(self) -> int:
        return len(self._eps_ids)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._episodes.get(e) for e in self._eps_ids[i]]
        return self._episodes.get(self._eps_ids[i])


def _first_rows(batch: Any, seg_lens: np.ndarray, column: str) -> List[int]:
    seg_lens = np.asarray(seg_lens, np.int64)
    starts = seg_lens.cumsum() - seg_lens
    return np.asarray(batch[column])[starts].tolist()


def _fragments(frag: FragmentBatch):
    """``(agent_id, env_id, eps_id, fragment view)`` of each fragment."""
    start = 0
    env_ids = _first_rows(frag.batch, frag.seg_lens, Columns.ENV_ID)
    eps_ids = _first_rows(frag.batch, frag.seg_lens, Columns.EPS_ID)
    for length, agent_id, env_id, eps_id in zip(frag.seg_lens.tolist(), frag.agent_ids, env_ids, eps_ids):
        yield agent_id, env_id, eps_id, frag.batch.slice(start, start + length)
        start += length


def _episode_groups(samples: Mapping[str, FragmentBatch], policies: Mapping[str, Any]) -> Dict[tuple, dict]:
    """``{(env_id, eps_id): {agent_id: (policy, fragment)}}`` over every policy's fragments."""
    groups: Dict[tuple, dict] = defaultdict(dict)
    for pid, frag in samples.items():
        for agent_id, env_id, eps_id, fragment in _fragments(frag):
            groups[(env_id, eps_id)][agent_id] = (policies[pid], fragment)
    return groups


def _per_fragment(pid: str, frag: FragmentBatch, policies: Mapping[str, Any], episodes: Mapping[int, Any],
                  groups: Mapping[tuple, dict], callbacks: Any, worker: Any) -> Any:
    policy = policies[pid]
    out = []
    for agent_id, env_id, eps_id, fragment in _fragments(frag):
        group = groups[(env_id, eps_id)]
        others = {a: pb for a, pb in group.items() if a != agent_id}
        episode = episodes.get(eps_id)
        processed = policy.postprocess_trajectory(fragment.copy(), others, episode)
        if callbacks is not None:
            callbacks.on_postprocess_trajectory(
                worker=worker, episode=episode, agent_id=agent_id, policy_id=pid, policies=policies,
                postprocessed_batch=processed, original_batches=dict(group))
        out.append(processed)
    return concat_samples(out)
