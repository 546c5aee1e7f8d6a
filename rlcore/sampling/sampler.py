"""The vectorised sampler: every env of a worker steps as one batch through the compiled collector.

Per vector step there is one policy call for all envs, one ``BaseEnv.step``, and one
:class:`~rlcore._core.TrajectoryCollector` append; per-env Python work happens only when an
episode starts or ends (episode objects, callbacks, metrics), never per step, unless a user
callback asks for every step (``on_episode_step``).

:class:`VectorSampler` is the embeddable part: give it any gymnasium env id, env class or
creator, vector env or :class:`~rlcore.env.BaseEnv`, and any ``policy(obs_batch) -> (actions,
extras)``; it returns :class:`~rlcore.data.SampleBatch`\\ es with no Trainer, Policy class or Ray.
:class:`~rlcore.sampling.rollout_worker.RolloutWorker` drives the same class with a ``Policy``.

Examples:
    >>> import numpy as np
    >>> def policy(obs):  # any callable: numpy in, numpy out
    ...     return np.zeros(len(obs), np.int64), {"vf_preds": np.zeros(len(obs), np.float32)}
    >>> sampler = VectorSampler("CartPole-v1", policy, num_envs=4, rollout_fragment_length=8, seed=0)
    >>> batch = sampler.sample()
    >>> batch.count, sorted(set(batch["env_id"].tolist()))
    (32, [0, 1, 2, 3])
    >>> int(segment_lengths(batch).sum())
    32
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from rlcore import _backend
from rlcore.data.columns import Columns
from rlcore.data.concat import concat_samples
from rlcore.data.sample_batch import SampleBatch
from rlcore.sampling.episode import DUMMY_AGENT_ID, Episode
from rlcore.sampling.episode_book import _AGENT_KEY, EPISODE_HOOKS, EpisodeBook, EpisodeMap
from rlcore.sampling.metrics import RolloutMetrics
from rlcore.sampling.step_rules import EpisodeLimits, check_clip_rewards, clip_rewards
from rlcore.sampling.struct_actions import is_structured_space

BATCH_MODES = ("truncate_episodes", "complete_episodes")

# act(obs, state_batches, prev_actions, prev_rewards) -> (actions, state_outs, extras)
ActFn = Callable[[np.ndarray, List[np.ndarray], Optional[np.ndarray], Optional[np.ndarray]],
                 Tuple[np.ndarray, List[np.ndarray], Dict[str, np.ndarray]]]


def simple_policy(policy: Callable[[np.ndarray], Any], struct: Any = None) -> ActFn:
    """Adapts ``policy(obs) -> actions`` or ``-> (actions, extras)`` to the sampler's act function.

    With ``struct`` (a :class:`~rlcore.sampling.struct_actions.StructuredActions` of a Tuple/Dict
    action space), a returned tuple that is a batched action structure is the actions; any other
    tuple is ``(actions, extras)``.

    Examples:
        >>> act = simple_policy(lambda obs: obs.argmax(1))
        >>> act(np.eye(2, dtype=np.float32), [], None, None)
        (array([0, 1]), [], {})
    """

    def act(obs, state_batches, prev_actions, prev_rewards):
        out = policy(obs)
        if isinstance(out, tuple) and not (struct is not None and struct.matches(out, len(obs))):
            actions, extras = out
            return actions, [], dict(extras or {})
        return out, [], {}

    return act


class VectorSampler:
    """Collects fragments from ``num_envs`` envs stepped as one batch by one policy.

    Args:
        env: A gymnasium id, a registered env name, an env class or ``creator(env_config)``, a
            gymnasium or RLlib vector env, or a :class:`~rlcore.env.BaseEnv`.
        policy: ``policy(obs_batch) -> actions`` or ``-> (actions, extras)`` where ``extras`` is a
            dict of per-env numpy columns (``action_logp``, ``vf_preds``, ...) stored with each row.
            For a Tuple/Dict action space, ``actions`` is the batched structure (a tuple/dict of
            ``[N, ...]`` arrays) or its flat rows; the ``actions`` column holds the flat rows
            (:mod:`rlcore.sampling.struct_actions`).
        num_envs: Envs stepped together (ignored when ``env`` is already vectorised).
        rollout_fragment_length: Rows per env per fragment.
        batch_mode: ``"truncate_episodes"``: :meth:`sample` returns exactly
            ``rollout_fragment_length * num_envs`` rows, cutting episodes; ``"complete_episodes"``:
            only whole episodes, at least that many rows.
        env_config: Passed to the env creator (as an ``EnvContext``).
        seed: Seeds the envs (env ``i`` gets ``seed + i``).
        act: Instead of ``policy``: the full act function
            ``act(obs, state_batches, prev_actions, prev_rewards) -> (actions, state_outs, extras)``
            used by :class:`~rlcore.sampling.rollout_worker.RolloutWorker`.
        initial_state: RNN state of a fresh episode (one array per state tensor, no batch dim).
        use_prev_actions_rewards: Feed and store ``prev_actions``/``prev_rewards``.
        obs_transform: Batched ``obs -> processed obs`` (preprocessor, then filter).
        action_transform: Batched ``actions -> env actions`` (e.g. clipping to the space); the
            unclipped actions are stored. For a Tuple/Dict action space it takes the list of
            per-env structured actions.
        clip_rewards: ``True`` clips stored rewards to their sign, a number to ``[-c, c]``.
        horizon: Truncate episodes after this many steps; the sampler resets the env itself
            (:mod:`~rlcore.sampling.step_rules`; the env must offer ``BaseEnv.reset_envs``).
        soft_horizon: With ``horizon``: end the episode for learning and metrics, but do not
            reset the env; the RNN state and previous action/reward carry over (RLlib 1.x).
        no_done_at_end: Never mark an episode terminated: every episode end bootstraps.
        vectorize_mode: How a gymnasium id is vectorized (``gym_env_vectorize_mode``: ``"sync"``,
            ``"async"`` or ``"vector_entry_point"``; see :func:`rlcore.env.make_base_env`).
        callbacks: An object with RLlib's episode hooks; ``worker``/``policies`` are passed on.
        eps_id_start: First episode id (workers use disjoint ranges).
        render: Render sub-env 0 after every step (RLlib's ``render_env``).
        views: Trajectory views to feed ``act`` (``views=`` keyword) and store in each row
            (:class:`~rlcore.data.trajectory_views.ViewSpec`; the model's own, see
            :func:`~rlcore.data.trajectory_views.model_views`).
        sample_rows: Rows per :meth:`sample` (default ``rollout_fragment_length * num_envs`` of the
            built env). A rollout worker gives ``rollout_fragment_length * num_envs_per_worker``
            (RLlib 1.x): a user's vector env of more sub-envs than that is sampled in whole
            fragments and its other fragments wait for the next call.
        collector_class: The trajectory collector (``config["sample_collector"]``): a class with
            the constructor and ``reset/append/cut/pop`` of :class:`rlcore._core.TrajectoryCollector`,
            e.g. a subclass of it that adds columns in ``pop``. Default: the compiled one.
    """

    def __init__(
        self,
        env: Any,
        policy: Optional[Callable[[np.ndarray], Any]] = None,
        *,
        num_envs: int = 1,
        rollout_fragment_length: int = 200,
        batch_mode: str = "truncate_episodes",
        env_config: Optional[Mapping[str, Any]] = None,
        seed: Optional[int] = None,
        act: Optional[ActFn] = None,
        initial_state: Sequence[np.ndarray] = (),
        use_prev_actions_rewards: bool = False,
        obs_transform: Optional[Callable[[Any], np.ndarray]] = None,
        action_transform: Optional[Callable[[np.ndarray], Any]] = None,
        clip_rewards: Any = None,
        horizon: Optional[int] = None,
        soft_horizon: bool = False,
        no_done_at_end: bool = False,
        callbacks: Any = None,
        worker: Any = None,
        policies: Optional[Mapping[str, Any]] = None,
        eps_id_start: int = 0,
        worker_index: int = 0,
        num_workers: int = 0,
        collector_class: Optional[type] = None,
        vectorize_mode: str = "sync",
        sample_rows: Optional[int] = None,
        render: bool = False,
        views: Sequence[Any] = (),
    ):
        if (policy is None) == (act is None):
            raise ValueError("give exactly one of `policy` (obs -> actions[, extras]) and `act`")
        if batch_mode not in BATCH_MODES:
            raise ValueError(f"batch_mode must be one of {BATCH_MODES}, got {batch_mode!r}")
        if not isinstance(rollout_fragment_length, (int, np.integer)) or rollout_fragment_length < 1:
            raise ValueError(f"rollout_fragment_length must be an int >= 1, got {rollout_fragment_length!r}")
        self._limits = EpisodeLimits(horizon, soft_horizon, no_done_at_end)
        self._clip_rewards = check_clip_rewards(clip_rewards)
        self.env = _as_base_env(env, num_envs=num_envs, env_config=env_config, seed=seed,
                                worker_index=worker_index, num_workers=num_workers, vectorize_mode=vectorize_mode)
        if self._limits.needs_reset and not self.env.can_reset_envs:
            raise ValueError(
                f"horizon={horizon!r} needs the sampler to reset single sub-envs, and {self.env!r} cannot "
                f"(autoreset_mode={self.env.autoreset_mode!r}, no partial reset): use soft_horizon=True, no "
                f"horizon, or an env built from single envs (gym_env_vectorize_mode='sync')")
        self._next_step = self.env.autoreset_mode == "next_step"
        self.num_envs = self.env.num_envs
        self.rollout_fragment_length = int(rollout_fragment_length)
        self.batch_mode = batch_mode
        self._struct = None  # Tuple/Dict actions: stored as flat rows, sent to each env structured
        if is_structured_space(self.env.action_space):
            from rlcore.sampling.struct_actions import StructuredActions

            self._struct = StructuredActions(self.env.action_space)
        self._act = act if act is not None else simple_policy(policy, self._struct)
        self._initial_state = [np.asarray(s) for s in initial_state]
        self._use_prev = use_prev_actions_rewards
        self._obs_transform = obs_transform
        # raw observations -> the C-contiguous array the policy and the collector read
        self._as_obs = (np.ascontiguousarray if obs_transform is None
                        else lambda raw: np.ascontiguousarray(obs_transform(raw)))
        self._action_transform = action_transform
        self._seed = seed
        self._book = EpisodeBook(callbacks, worker, policies, self.env, eps_id_start)
        self._step_hook = self._book.wants("on_episode_step")  # the book's hooks are fixed: asked once
        # Whether callbacks may read an ending episode's last observations (``_fill_last``).
        self._fills_last = self._step_hook or self._book.wants("on_episode_end")
        self._collector_class = collector_class_of(collector_class)
        # Same-step auto-reset envs: ``append(next_obs=...)`` starts the next episodes in the same
        # native call (ids from the collector's counter, kept equal to the book's), instead of a
        # ``reset`` call per vector step that ends episodes. Only with the compiled collector's own
        # ``reset``/``append`` (a user's collector class gets its ``reset`` calls).
        self._reset_in_append = not self._next_step and all(
            getattr(self._collector_class, m) is getattr(_backend.TrajectoryCollector, m) for m in ("reset", "append"))
        # Episode ends and the next episodes' starts in one loop (``_end_and_begin``) when nothing
        # needs them one env at a time: no episode callbacks, RNN state, previous actions/rewards
        # or trajectory views to reset, and the collector starts the episodes' rows itself.
        self._lean_ends = (self._reset_in_append and not self._initial_state and not use_prev_actions_rewards
                           and not views and not any(self._book.wants(h) for h in EPISODE_HOOKS))
        # A sampler with lean ends that also sends the env its actions as they are, never resets an
        # env itself and renders nothing steps through ``_plain_step``: ``_step`` without the
        # branches for what it does not have.
        self._plain = (self._lean_ends and self._struct is None and action_transform is None and not render
                       and not self._limits.needs_reset)
        self._collector = None
        self._obs: Optional[np.ndarray] = None
        self._perf = {"env_wait": 0.0, "inference": 0.0, "processing": 0.0, "steps": 0}
        if sample_rows is not None and (isinstance(sample_rows, bool) or not isinstance(sample_rows, (int, np.integer))
                                        or sample_rows < 1):
            raise ValueError(f"sample_rows must be None or an int >= 1, got {sample_rows!r}")
        self._sample_rows = None if sample_rows is None else int(sample_rows)
        self._render = bool(render)
        self._view_specs = list(views)
        self._views = None  # the ViewHistory, made with the first observations
        self._held: Optional[SampleBatch] = None  # fragments popped beyond sample_rows, for the next call
        self._held_lens = np.zeros(0, np.int64)

    # -- public ---------------------------------------------------------------------------------

    @property
    def target_rows(self) -> int:
        """Rows :meth:`sample` returns (truncate mode) or at least returns (complete mode)."""
        return self._sample_rows or self.rollout_fragment_length * self.num_envs

    def sample(self) -> SampleBatch:
        """Steps the envs until a batch is ready and returns it (see ``batch_mode``)."""
        return self.sample_with_segments()[0]

    def sample_with_segments(self) -> Tuple[SampleBatch, np.ndarray]:
        """Like :meth:`sample`, plus the lengths of its segments (one env, episode and fragment each)."""
        if self._obs is None:
            self._start()
        target = self.target_rows
        need = target - (self._held.count if self._held is not None else 0)
        step = self._plain_step if self._plain else self._step
        if self._collector is None:  # the first step makes it (nothing is held before it)
            step()
        collector = self._collector
        while collector.ready_rows < need:
            step()
        columns, seg_lens = collector.pop()
        rows = len(columns[Columns.EPS_ID])
        columns[Columns.AGENT_INDEX] = np.zeros(rows, np.int64)
        columns[Columns.INFOS] = self._pop_infos(columns[Columns.ENV_ID], seg_lens)
        batch = SampleBatch(columns, _dont_check_lens=True)
        if self._held is not None:
            batch, seg_lens = concat_samples([self._held, batch]), np.concatenate([self._held_lens, seg_lens])
            self._held = None
            rows = batch.count
        if self.batch_mode == "truncate_episodes" and rows > target:
            batch, seg_lens = self._keep_rest(batch, seg_lens, target)
        return batch, seg_lens

    def _keep_rest(self, batch: SampleBatch, seg_lens: np.ndarray, target: int) -> Tuple[SampleBatch, np.ndarray]:
        """Whole fragments up to ``target`` rows; the rest is returned by the next :meth:`sample`
        (an env that vectorizes more sub-envs than ``sample_rows`` counts, as RLlib 1.x did)."""
        ends = np.cumsum(seg_lens)
        unroll = batch[Columns.UNROLL_ID][ends - 1]
        fragment_ends = np.flatnonzero(np.append(unroll[1:] != unroll[:-1], True))  # last segment of each fragment
        cut = int(fragment_ends[np.searchsorted(ends[fragment_ends], target)]) + 1  # segments to return
        rows = int(ends[cut - 1])
        if rows < batch.count:
            self._held, self._held_lens = batch.slice(rows, batch.count).copy(), seg_lens[cut:]
            batch, seg_lens = batch.slice(0, rows).copy(), seg_lens[:cut]
        return batch, seg_lens

    def __iter__(self):
        while True:
            yield self.sample()

    def _pop_infos(self, env_ids: np.ndarray, seg_lens: np.ndarray) -> np.ndarray:
        """The ``infos`` column of popped rows.

        Every vector step appends one row per env, except for envs without a live episode in that
        step (a ``"next_step"`` env's auto-reset step, listed in ``self._skipped[e]``), and the
        collector pops each env's rows once, in time order: env ``e``'s oldest unpopped row came
        from step ``self._info_step[e]`` or, past skipped steps, a later one. The info lists of
        steps every env has popped are dropped, so ``self._step_infos[0]`` is step
        ``min(self._info_step)``.

        Without skipped steps (any env but a ``"next_step"`` one) the rows are looked up in one
        native gather over the steps' info lists (:meth:`_gather_infos`); otherwise segment by
        segment.
        """
        if not self._next_step:
            return self._gather_infos(env_ids)
        out = np.empty(len(env_ids), dtype=object)
        steps, first, start = self._step_infos, min(self._info_step), 0
        for length in seg_lens.tolist():
            env = int(env_ids[start])
            s0, skipped = self._info_step[env], self._skipped[env]
            while skipped and skipped[0] < s0:
                skipped.popleft()
            if not skipped or skipped[0] >= s0 + length:
                out[start:start + length] = [steps[s - first][env] for s in range(s0, s0 + length)]
                s0 += length
            else:
                for k in range(start, start + length):
                    while skipped and skipped[0] == s0:
                        skipped.popleft()
                        s0 += 1
                    out[k] = steps[s0 - first][env]
                    s0 += 1
            self._info_step[env] = s0
            start += length
        _drop_first(steps, min(self._info_step) - first)
        return out

    def _gather_infos(self, env_ids: np.ndarray) -> np.ndarray:
        """:meth:`_pop_infos` when no env skipped a step: row ``j`` of env ``e`` came from step
        ``self._info_step[e]`` plus the number of ``e``'s rows before ``j`` in this pop (one
        native loop over the rows, :func:`rlcore._backend.gather_step_rows`)."""
        first = min(self._info_step)  # (a few ints: Python's min, not numpy's reduction)
        info_step = np.asarray(self._info_step, np.int64)
        out, popped = _backend.gather_step_rows(self._step_infos, np.asarray(env_ids, np.int64), info_step - first)
        self._info_step = (info_step + popped).tolist()
        _drop_first(self._step_infos, min(self._info_step) - first)
        return out

    def episodes_for(self, batch: SampleBatch, seg_lens: np.ndarray) -> List[Episode]:
        """The :class:`Episode` of each segment; forgets the ended episodes whose last row this is."""
        episodes, eps = self._episode_map(batch, seg_lens)
        return [episodes[e] for e in eps]

    def episode_map(self, batch: SampleBatch, seg_lens: np.ndarray) -> EpisodeMap:
        """``{eps_id: Episode}`` of the segments, each Episode made only when first read (see
        :class:`~rlcore.sampling.episode_book.EpisodeMap`); forgets the ended episodes whose
        last row this is."""
        return self._episode_map(batch, seg_lens)[0]

    def _episode_map(self, batch: SampleBatch, seg_lens: np.ndarray) -> Tuple[EpisodeMap, List[int]]:
        seg_lens = np.asarray(seg_lens)
        ends = seg_lens.cumsum() - 1  # (the method: np.cumsum's Python wrapper costs ~10 us once per sample)
        starts = ends - seg_lens + 1
        eps = batch[Columns.EPS_ID][starts] if len(starts) else np.zeros(0, np.int64)
        done = eps[np.asarray(batch[Columns.DONES], np.bool_)[ends]].tolist() if len(ends) else []
        eps_list = eps.tolist()
        return EpisodeMap(self._book, eps_list, self._book.release(done)), eps_list

    def get_metrics(self) -> List[RolloutMetrics]:
        """Metrics of the episodes finished since the last call (drained)."""
        return self._book.drain_metrics()

    def perf_stats(self) -> Dict[str, float]:
        """Mean milliseconds per vector step spent in the env, the policy, and the rest."""
        n = max(self._perf["steps"], 1)
        return {
            "mean_env_wait_ms": 1e3 * self._perf["env_wait"] / n,
            "mean_inference_ms": 1e3 * self._perf["inference"] / n,
            "mean_processing_ms": 1e3 * self._perf["processing"] / n,
        }

    def close(self) -> None:
        self.env.close()

    # -- the loop -------------------------------------------------------------------------------

    def _process(self, raw):
        return self._obs_transform(raw) if self._obs_transform is not None else np.asarray(raw)

    def _start(self) -> None:
        raw, infos = self.env.reset(seed=self._seed)
        self._raw_obs = raw
        self._obs = self._as_obs(raw)
        n = self.num_envs
        self._ep_reward = np.zeros(n, np.float64)
        self._ep_len = np.zeros(n, np.int64)
        # The ``infos`` column: each vector step's info list, until every env has popped its row.
        self._step_infos: deque = deque()
        self._info_step = [0] * n  # per env: the step of its oldest unpopped row
        self._skipped = [deque() for _ in range(n)]  # per env: steps in which it stored no row
        self._step_count = 0
        self._no_infos = [{}] * n
        self._live: List[Optional[Episode]] = [None] * n
        self._waiting = np.zeros(n, np.bool_)  # "next_step" envs between an episode's end and their reset
        self._state = [np.repeat(s[None], n, axis=0) for s in self._initial_state]
        self._prev_actions = self._prev_rewards = None
        if self._use_prev:
            space = self.env.action_space
            if self._struct is not None:
                self._prev_actions = np.zeros((n, self._struct.width), self._struct.dtype)
            else:
                self._prev_actions = np.zeros((n, *(space.shape or ())), space.dtype or np.float32)
            self._prev_rewards = np.zeros(n, np.float32)
        if self._lean_ends:  # no callbacks: the book makes an episode's Episode only if it is read
            self._pending_starts = [self._book.open(i) for i in range(n)]
            self._live_ids = list(self._pending_starts)
        else:
            self._pending_starts = [self._begin_episode(i, infos[i] if infos else {}) for i in range(n)]
        if self._view_specs:
            from rlcore.data.trajectory_views import ViewHistory

            action_example = (np.zeros(self._struct.width, self._struct.dtype) if self._struct is not None
                              else np.asarray(self.env.action_space.sample()))
            self._views = ViewHistory(self._view_specs, n, {Columns.OBS: self._obs[0], Columns.ACTIONS: action_example,
                                                           Columns.REWARDS: np.float32(0.0)})
            self._views.start(np.arange(n), self._obs)

    def _begin_episode(self, i: int, info: Mapping) -> int:
        """A new episode on env ``i`` (its callbacks called); returns its id."""
        ep = self._live[i] = self._book.begin(i, lambda ep: self._fill_last(ep, i, info))
        return ep.episode_id

    def _fill_last(self, ep: Episode, i: int, info: Mapping, extras: Optional[Mapping] = None,
                   actions: Any = None) -> None:
        """Brings an episode's counters and ``last_*`` values up to date for a callback."""
        ep.length, ep.total_reward = int(self._ep_len[i]), float(self._ep_reward[i])
        ep.agent_rewards[(DUMMY_AGENT_ID, ep.policy_for())] = ep.total_reward
        ep._set("obs", DUMMY_AGENT_ID, self._obs[i])
        ep._set("raw_obs", DUMMY_AGENT_ID, self._raw_obs[i])
        ep._set("info", DUMMY_AGENT_ID, info)
        if actions is not None:
            ep._set("prev_action", DUMMY_AGENT_ID, ep.last_action_for())
            ep._set("action", DUMMY_AGENT_ID, actions[i])
        if extras is not None:
            ep._set("pi_info", DUMMY_AGENT_ID, {k: v[i] for k, v in extras.items()})
        if self._state:
            ep._set("rnn_state", DUMMY_AGENT_ID, [s[i] for s in self._state])

    def _make_collector(self, actions: np.ndarray, extras: Dict[str, np.ndarray]) -> None:
        spec = {k: (v.shape[1:], v.dtype) for k, v in extras.items()}
        # The first episodes' ids are given to reset(); the collector numbers the later ones it
        # starts in append(next_obs=...) from the book's next id on, in env order as the book does.
        self._collector = self._collector_class(
            self.num_envs, self._obs.shape[1:], self._obs.dtype, actions.shape[1:], actions.dtype, spec,
            self.rollout_fragment_length, self.batch_mode, eps_id_start=self._book.next_id)
        self._collector.reset(self._obs, eps_ids=np.asarray(self._pending_starts, np.int64))
        self._pending_starts = None

    def _step(self) -> None:
        t0 = time.perf_counter()
        state_in = self._state
        views = self._views.views() if self._views else None
        if views:
            actions, state_out, extras = self._act(self._obs, state_in, self._prev_actions, self._prev_rewards,
                                                   views=views)
        else:
            actions, state_out, extras = self._act(self._obs, state_in, self._prev_actions, self._prev_rewards)
        env_actions = None
        if self._struct is not None:
            actions, env_actions = self._struct.split(actions, self.num_envs)
        actions = np.ascontiguousarray(actions)
        t1 = time.perf_counter()
        extras = {k: np.ascontiguousarray(v) for k, v in extras.items()}
        if state_in:
            state_out = [np.ascontiguousarray(s_out, dtype=s_in.dtype) for s_in, s_out in zip(state_in, state_out)]
            for i, (s_in, s_out) in enumerate(zip(state_in, state_out)):
                extras[f"{Columns.STATE_IN_PREFIX}{i}"] = s_in
                extras[f"{Columns.STATE_OUT_PREFIX}{i}"] = s_out
        if self._use_prev:
            extras[Columns.PREV_ACTIONS] = self._prev_actions
            extras[Columns.PREV_REWARDS] = self._prev_rewards
        if views:
            extras.update(views)
        if self._collector is None:
            self._make_collector(actions, extras)
        if env_actions is None:
            env_actions = actions
        if self._action_transform is not None:
            env_actions = self._action_transform(env_actions)
        t2 = time.perf_counter()
        step = self.env.step(env_actions)
        t3 = time.perf_counter()
        if self._render:
            self.env.try_render(0)
        rewards = np.asarray(step.rewards, np.float64)
        # "next_step" envs reset in this step: these rows are no transition
        waiting = self._waiting.copy() if self._next_step and self._waiting.any() else None
        # the episodes' returns and lengths, the limits and the done mask, in one native call
        term, trunc, done, reset, soft, n_done = self._limits.step(rewards, step.terminateds, step.truncateds,
                                                                  self._ep_reward, self._ep_len, waiting)
        stored_rewards = rewards if self._clip_rewards is None else clip_rewards(rewards, self._clip_rewards)
        next_raw = step.obs
        next_obs = self._as_obs(next_raw)
        any_done = n_done > 0
        new_obs, last_raw = next_obs, step.obs  # each env's observation after this step's action
        ended = None
        if any_done:
            ended = done.nonzero()[0]
            new_obs, last_raw = self._final_obs(step, ended, done, next_obs)
            # the horizon cut these episodes: the sampler resets the envs
            if reset is not None and reset.any():
                next_raw, next_obs = self._reset_envs(reset, next_raw, next_obs)
        if waiting is None:
            if any_done and self._reset_in_append:  # the ended envs' next episodes start from next_obs
                self._collector.append(actions, stored_rewards, term, trunc, new_obs, extras, next_obs)
            else:
                self._collector.append(actions, stored_rewards, term, trunc, new_obs, extras)
        else:  # the auto-reset rows of "next_step" envs are no transition
            self._collector.append(actions, stored_rewards, term, trunc, new_obs, extras, skip=waiting)
            for i in np.flatnonzero(waiting).tolist():
                self._skipped[i].append(self._step_count)
        self._step_infos.append(step.infos or self._no_infos)
        self._step_count += 1
        self._state[:] = state_out
        rewards32 = stored_rewards.astype(np.float32) if self._use_prev or self._views else None
        if self._use_prev:
            self._prev_actions = actions.copy()
            self._prev_rewards = rewards32
        if self._views:
            self._views.push(Columns.ACTIONS, actions)
            self._views.push(Columns.REWARDS, rewards32)
            self._views.push(Columns.OBS, next_obs)
        if self._step_hook:  # on_episode_step after every step, the last included (RLlib 1.x)
            self._obs, self._raw_obs = new_obs, last_raw
            for i in range(self.num_envs):
                ep = self._live[i]
                if ep is not None and (waiting is None or not waiting[i]):
                    info = step.infos[i] if step.infos else {}
                    self._book.step(ep, i, lambda ep: self._fill_last(ep, i, info, extras, actions))
        starts = None
        if any_done and self._lean_ends:
            self._end_and_begin(ended)
        elif any_done:
            self._obs, self._raw_obs = new_obs, last_raw
            perf = self.perf_stats()
            for i in ended.tolist():
                self._end_episode(i, step.infos[i] if step.infos else {}, extras, actions, perf)
            # the next episode starts now, unless a "next_step" env resets only at its next step()
            if self._next_step:
                cut = reset if reset is not None else soft  # the horizon's cuts (hard or soft: one at most)
                starts = done & cut if cut is not None else np.zeros_like(done)
                self._waiting |= done & ~starts
            else:
                starts = done
        if waiting is not None:  # "next_step" envs reset in this step: their new episodes start
            starts = waiting if starts is None else starts | waiting
            self._waiting &= ~waiting
        self._obs, self._raw_obs = next_obs, next_raw
        if starts is done:  # every ended env starts its next episode now
            self._start_rows(starts, soft, ended)
        elif starts is not None and np.count_nonzero(starts):
            self._start_rows(starts, soft, np.flatnonzero(starts))
        self._perf["inference"] += t1 - t0
        self._perf["env_wait"] += t3 - t2
        self._perf["processing"] += (t2 - t1) + (time.perf_counter() - t3)
        self._perf["steps"] += 1

    def _plain_step(self) -> None:
        """:meth:`_step` for a plain sampler (``_plain``): the same actions, rows, episodes and
        timings, in one pass without the branches for RNN state, previous actions and rewards,
        trajectory views, structured or transformed actions, rendering, sampler resets,
        ``"next_step"`` envs and episode callbacks."""
        t0 = time.perf_counter()
        actions, _, extras = self._act(self._obs, self._state, None, None)
        actions = np.ascontiguousarray(actions)
        t1 = time.perf_counter()
        extras = {k: np.ascontiguousarray(v) for k, v in extras.items()}
        if self._collector is None:
            self._make_collector(actions, extras)
        t2 = time.perf_counter()
        step = self.env.step(actions)
        t3 = time.perf_counter()
        rewards = np.asarray(step.rewards, np.float64)
        term, trunc, done, _, _, n_done = self._limits.step(rewards, step.terminateds, step.truncateds,
                                                            self._ep_reward, self._ep_len, None)
        if self._clip_rewards is not None:
            rewards = clip_rewards(rewards, self._clip_rewards)
        next_obs = self._as_obs(step.obs)
        ended = None
        if n_done:
            ended = done.nonzero()[0]
            new_obs, _ = self._final_obs(step, ended, done, next_obs)
            self._collector.append(actions, rewards, term, trunc, new_obs, extras, next_obs)
        else:
            self._collector.append(actions, rewards, term, trunc, next_obs, extras)
        self._step_infos.append(step.infos or self._no_infos)
        self._step_count += 1
        if ended is not None:
            self._end_and_begin(ended)
        self._obs, self._raw_obs = next_obs, step.obs
        perf = self._perf
        perf["inference"] += t1 - t0
        perf["env_wait"] += t3 - t2
        perf["processing"] += (t2 - t1) + (time.perf_counter() - t3)
        perf["steps"] += 1

    def _final_obs(self, step: Any, ended: np.ndarray, done: np.ndarray, next_obs: np.ndarray) -> Tuple[np.ndarray, Any]:
        """Every env's observation after a step in which the envs ``ended`` (``done``) ended
        episodes, processed (the ``new_obs`` rows) and raw: the episodes' last observations where
        the env reset them in the step, ``next_obs`` elsewhere."""
        new_obs, last_raw = next_obs, step.obs
        if step.final_obs_full and self._obs_transform is None:  # every env's observation after the step
            final = np.ascontiguousarray(step.final_obs)
            return final, final
        if step.final_obs is not None:  # same-step auto-reset: the episodes' last observations
            # (the envs the env ended: without a horizon, every done env)
            env_ended = ended if self._limits.horizon is None else np.flatnonzero(
                done & (np.asarray(step.terminateds) | np.asarray(step.truncateds)))
            if len(env_ended):
                batched = isinstance(step.final_obs, np.ndarray)  # rows of the ended envs, no per-env loop
                finals = step.final_obs[env_ended] if batched else [step.final_obs[i] for i in env_ended]
                new_obs = next_obs.copy()
                new_obs[env_ended] = self._process(finals)
                if self._fills_last:  # the raw ones only for callbacks (``episode.last_raw_obs_for()``)
                    last_raw = step.obs.copy() if isinstance(step.obs, np.ndarray) else list(step.obs)
                    if batched and isinstance(last_raw, np.ndarray):
                        last_raw[env_ended] = finals
                    else:
                        for k, i in enumerate(env_ended.tolist()):
                            last_raw[i] = finals[k]
        return new_obs, last_raw

    def _reset_envs(self, mask: np.ndarray, raw: Any, processed: np.ndarray) -> Tuple[Any, np.ndarray]:
        """Resets the envs in ``mask`` now; returns the next raw and processed obs with their rows."""
        new_raw, _ = self.env.reset_envs(mask)
        rows = np.flatnonzero(mask)
        processed = processed.copy()
        processed[rows] = self._process(new_raw)
        if isinstance(raw, np.ndarray):
            raw = raw.copy()
            raw[rows] = new_raw
        else:
            raw = list(raw)
            for k, i in enumerate(rows.tolist()):
                raw[i] = new_raw[k]
        return raw, processed

    def _start_rows(self, starts: np.ndarray, soft: Optional[np.ndarray], rows: np.ndarray) -> None:
        """New episodes on the envs in ``starts`` (their indices: ``rows``) from their current
        observation; fresh RNN state and previous action/reward unless a soft horizon cut the
        episode (RLlib 1.x's ``soft_reset``)."""
        fresh = starts if soft is None else starts & ~soft
        for s, init in zip(self._state, self._initial_state):
            s[fresh] = init
        if self._use_prev:
            self._prev_actions[fresh] = 0
            self._prev_rewards[fresh] = 0.0
        if self._views:
            self._views.start(np.flatnonzero(fresh), self._obs[fresh])
        if self._reset_in_append and not self._book.wants("on_episode_start"):  # the collector started them
            begin = self._book.begin
            for i in rows.tolist():
                self._live[i] = begin(i, call_start=False)
            return
        ids = np.array([self._begin_episode(i, {}) for i in rows.tolist()], np.int64)
        if not self._reset_in_append:
            self._collector.reset(np.ascontiguousarray(self._obs[rows]), env_ids=rows, eps_ids=ids)

    def _end_and_begin(self, ended: np.ndarray) -> None:
        """Ends the episodes of the envs ``ended`` (their metrics kept) and begins the next ones,
        whose rows the collector has started: :meth:`_end_episode` and :meth:`_start_rows` for a
        sampler where no callback, RNN state, previous action/reward or trajectory view needs them
        (``_lean_ends``), by episode id (``EpisodeBook.open``/``close``: an Episode object only
        for an episode that is read)."""
        ep_len, ep_reward, live, book = self._ep_len, self._ep_reward, self._live_ids, self._book
        perf = self.perf_stats()  # one dict for this step's ends
        for i in ended.tolist():  # a few envs: element access beats fancy indexing
            book.close(live[i], i, ep_len.item(i), ep_reward.item(i), perf)
            ep_len[i] = 0
            ep_reward[i] = 0.0
            live[i] = book.open(i)

    def _end_episode(self, i: int, info: Mapping, extras: Mapping, actions: np.ndarray, perf: Dict[str, float]) -> None:
        ep = self._live[i]
        self._live[i] = None
        ep.length, ep.total_reward = int(self._ep_len[i]), float(self._ep_reward[i])
        ep.agent_rewards[_AGENT_KEY] = ep.total_reward
        self._book.end(ep, i, perf, lambda ep: self._fill_last(ep, i, info, extras, actions))
        self._ep_reward[i] = 0.0
        self._ep_len[i] = 0


def _drop_first(steps: deque, k: int) -> None:
    """Drops the first ``k`` entries of ``steps`` (all of them at once when that is every one).

    Examples:
        >>> d = deque([1, 2, 3]); _drop_first(d, 2); list(d)
        [3]
    """
    if k >= len(steps):
        steps.clear()
    else:
        for _ in range(k):
            steps.popleft()


def _as_base_env(env: Any, *, num_envs: int, env_config: Optional[Mapping[str, Any]], seed: Optional[int],
                 worker_index: int, num_workers: int, vectorize_mode: str) -> Any:
    """A :class:`~rlcore.env.BaseEnv` from whatever names, builds or is an env."""
    from rlcore.env import BaseEnv, EnvContext, make_base_env, make_env_creator

    if isinstance(env, BaseEnv):
        return env
    if isinstance(env, (str, type)) or (callable(env) and not hasattr(env, "step")):
        creator = make_env_creator(env)
    else:  # an env instance (gymnasium env or vector env, RLlib VectorEnv)
        if num_envs != 1 and not hasattr(env, "num_envs"):
            raise ValueError(f"num_envs={num_envs} needs an env id, class or creator, not one env instance")
        creator = lambda ctx, _env=env: _env  # noqa: E731
    ctx = EnvContext(dict(env_config or {}), worker_index=worker_index, num_workers=num_workers)
    return make_base_env(creator, ctx, num_envs, seed=seed, vectorize_mode=vectorize_mode)


def collector_class_of(collector_class: Optional[type]) -> type:
    """The trajectory collector to use: ``config["sample_collector"]`` checked, or the compiled one.

    Raises:
        TypeError: Not a class with the collector's ``reset``/``append``/``cut``/``pop``.

    Examples:
        >>> collector_class_of(None) is _backend.TrajectoryCollector
        True
    """
    if collector_class is None:
        return _backend.TrajectoryCollector
    if not (isinstance(collector_class, type) and all(
            callable(getattr(collector_class, m, None)) for m in ("reset", "append", "cut", "pop"))):
        raise TypeError(f"sample_collector must be a class with reset/append/cut/pop (like "
                        f"rlcore._core.TrajectoryCollector), got {collector_class!r}")
    return collector_class


def segment_lengths(batch: Mapping[str, np.ndarray]) -> np.ndarray:
    """Lengths of a batch's segments (one env, episode and fragment each), from its columns.

    A segment ends where ``eps_id``, ``env_id`` or ``unroll_id`` changes, after a row that is
    terminated or truncated, and at the end of the batch.

    Examples:
        >>> segment_lengths({"eps_id": np.array([0, 0, 1, 1, 1]), "dones": np.array([0, 1, 0, 0, 0], bool)}).tolist()
        [2, 3]
    """
    n = len(batch[Columns.EPS_ID])
    if n == 0:
        return np.zeros(0, np.int64)
    ends = np.zeros(n, np.bool_)
    ends[-1] = True
    for key in (Columns.EPS_ID, Columns.ENV_ID, Columns.UNROLL_ID):
        if key in batch:
            col = np.asarray(batch[key])
            ends[:-1] |= col[1:] != col[:-1]
    for key in (Columns.TERMINATEDS, Columns.TRUNCATEDS, Columns.DONES):
        if key in batch:
            ends |= np.asarray(batch[key], np.bool_)
    return np.diff(np.concatenate([[-1], np.flatnonzero(ends)])).astype(np.int64)


def bootstrap_values(batch: Mapping[str, np.ndarray], seg_lens: np.ndarray,
                     value_fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The value to bootstrap each segment from: 0 if it ended terminated, else V(final new_obs).

    ``value_fn`` is called once, on the final ``new_obs`` of the non-terminated segments.

    Examples:
        >>> b = {"new_obs": np.array([[1.0], [2.0], [3.0]]), "terminateds": np.array([False, True, False])}
        >>> bootstrap_values(b, np.array([2, 1]), lambda obs: obs[:, 0] * 10).tolist()
        [0.0, 30.0]
    """
    last = np.cumsum(seg_lens) - 1
    out = np.zeros(len(seg_lens), np.float32)
    if len(last) == 0:
        return out
    term_key = Columns.TERMINATEDS if Columns.TERMINATEDS in batch else Columns.DONES
    open_ = ~np.asarray(batch[term_key], np.bool_)[last]
    if open_.any():
        out[open_] = np.asarray(value_fn(np.asarray(batch[Columns.NEXT_OBS])[last[open_]]), np.float32).reshape(-1)
    return out


def _overridden_hooks(callbacks: Any, names: Sequence[str] = EPISODE_HOOKS) -> frozenset:
    """The hooks among ``names`` that a callbacks object really implements (no-op defaults skipped)."""
    if callbacks is None:
        return frozenset()
    from rlcore.sampling.callbacks import DefaultCallbacks

    return frozenset(name for name in names if DefaultCallbacks.overrides(callbacks, name))
