"""Multi-agent sampling over the compiled collector: one collector per policy, a slot per agent.

``num_envs`` MultiAgentEnv copies step together. Each policy has a
:class:`~rlcore._core.TrajectoryCollector` whose "envs" are slots: an agent gets a slot for its
trajectory in an episode (freed when the agent is done), so rows are stored as the single-agent
sampler stores them, columnar and per policy. Each step makes one ``compute_actions`` call per
policy over every acting agent of every env, one ``append`` per policy of the rows completed in
that step, and one ``reset`` per policy for the agents that start.

An agent's row is ``(obs_t, action_t, reward, terminated, truncated, new_obs)``: it is completed
when the agent's next observation arrives or the agent is done; the reward is everything the agent
received since it acted (steps in which it had no observation included; ``None`` counts as 0).
Horizons, ``soft_horizon``, ``no_done_at_end`` and reward clipping are
:mod:`~rlcore.sampling.step_rules`, and episode ids, callbacks and metrics the
:class:`~rlcore.sampling.episode_book.EpisodeBook`, both shared with the single-agent sampler.

:meth:`MultiAgentSampler.sample_fragments` returns each policy's raw fragments; the rollout worker
postprocesses them (:mod:`~rlcore.sampling.trajectory_postprocessor`: each agent's fragment with
the other agents' fragments of the same episode and cut) into a
:class:`~rlcore.data.MultiAgentBatch` of ``rollout_fragment_length * num_envs`` env steps
(``truncate_episodes``) or of whole episodes (``complete_episodes``).
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.concat import concat_samples
from rlcore.data.sample_batch import SampleBatch
from rlcore.data.trajectory_views import ViewHistory, model_views
from rlcore.sampling.episode import Episode
from rlcore.sampling.episode_book import EpisodeBook
from rlcore.sampling.sampler import collector_class_of
from rlcore.sampling.step_rules import EpisodeLimits, check_clip_rewards, clip_rewards
from rlcore.sampling.trajectory_postprocessor import FragmentBatch

_ALL = "__all__"


class _Agent:
    """One agent in one episode on one env."""

    __slots__ = ("agent_id", "pid", "index", "slot", "traj", "pending", "reward", "done", "cut")

    def __init__(self, agent_id: Any, pid: str, index: int):
        self.agent_id, self.pid, self.index = agent_id, pid, index
        self.slot = -1  # no trajectory yet
        self.traj = -1
        self.pending = False  # acted, row waiting for its next observation or its end
        self.reward = 0.0
        self.done = False
        self.cut = False  # done only because the episode was cut (horizon), not by its own flags


class _PolicySlots:
    """One policy's slots: its collector, each slot's current obs, pending action and extras,
    RNN state and infos, and which agent trajectory each collector episode id is."""

    def __init__(self, policy: Any, obs_shape: tuple, obs_dtype: Any, fragment_length: int, collector_class: type,
                 struct: Any, clipper: Any):
        self.policy = policy
        self.obs_shape, self.obs_dtype = tuple(obs_shape), np.dtype(obs_dtype)
        self.fragment_length = fragment_length
        self.collector_class = collector_class
        self.struct, self.clipper = struct, clipper
        self.initial_state = [np.asarray(s) for s in policy.get_initial_state()] if policy.is_recurrent() else []
        self.cap = 0
        self.free: List[int] = []
        self.obs = np.zeros((0, *self.obs_shape), self.obs_dtype)
        self.state = [np.zeros((0, *s.shape), s.dtype) for s in self.initial_state]
        self.pending: Optional[Dict[str, np.ndarray]] = None  # "actions" and extras, [cap, ...]
        self.infos: List[deque] = []
        self.collector = None
        self.views = None  # the policy model's trajectory views over the slots (made with the first obs)
        self.view_specs = model_views(policy)
        self.unstarted: List[Tuple[int, int]] = []  # (slot, traj) started before the collector exists
        self.trajs: Dict[int, tuple] = {}  # traj id -> (eps_id, env_index, agent_id, agent_index)

    def alloc(self) -> int:
        if not self.free:
            self._grow(max(4, 2 * self.cap))
        return self.free.pop()

    def _grow(self, cap: int) -> None:
        extra = cap - self.cap

        def widen(arr: np.ndarray, fill: Any = 0) -> np.ndarray:
            out = np.empty((cap, *arr.shape[1:]), arr.dtype)
            out[:self.cap] = arr
            out[self.cap:] = fill
            return out

        self.obs = widen(self.obs)
        self.state = [widen(s, init) for s, init in zip(self.state, self.initial_state)]
        if self.pending is not None:
            self.pending = {k: widen(v) for k, v in self.pending.items()}
        self.infos += [deque() for _ in range(extra)]
        if self.collector is not None:
            self.collector.add_envs(extra)
        if self.views is not None:
            self.views.grow(cap)
        self.free.extend(range(cap - 1, self.cap - 1, -1))
        self.cap = cap

    def start(self, slots: np.ndarray, trajs: np.ndarray, obs: np.ndarray, fresh: np.ndarray) -> None:
        """New trajectories on ``slots`` from first observations ``obs``; RNN state reset where
        ``fresh`` (else carried over: a soft horizon)."""
        self.obs[slots] = obs
        for s, init in zip(self.state, self.initial_state):
            s[slots[fresh]] = init
        if self.view_specs:
            if self.views is None:
                self.views = ViewHistory(self.view_specs, self.cap, {
                    Columns.OBS: obs[0], Columns.REWARDS: np.float32(0.0),
                    Columns.ACTIONS: (np.zeros(self.struct.width, self.struct.dtype) if self.struct is not None
                                      else np.asarray(self.policy.action_space.sample()))})
            self.views.start(slots[fresh], obs[fresh])
        if self.collector is None:
            self.unstarted += list(zip(slots.tolist(), trajs.tolist()))
        else:
            self.collector.reset(np.ascontiguousarray(obs), env_ids=slots, eps_ids=trajs)

    def act(self, slots: np.ndarray, explore: Any, timestep: Any) -> Tuple[np.ndarray, Any, Dict[str, np.ndarray]]:
        """``compute_actions`` for the agents on ``slots``; keeps each row's action and extras
        until its completion; returns the stored actions, the env actions and the extras."""
        n = len(slots)
        states = [s[slots] for s in self.state]
        views = self.views.views(slots) if self.views else None
        actions, state_out, extras = self.policy.compute_actions(self.obs[slots], state_batches=states or None,
                                                                  explore=explore, timestep=timestep,
                                                                  **({"input_views": views} if views else {}))
        extras = {k: v for k, v in extras.items() if isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) == n}
        env_actions = actions
        if self.struct is not None:  # Tuple/Dict actions: flat rows stored, a structure per agent sent
            actions, env_actions = self.struct.split(actions, n)
        if self.clipper is not None:  # clip_actions: the env gets clipped actions, the rows keep them raw
            env_actions = self.clipper(env_actions)
        columns = {Columns.ACTIONS: np.asarray(actions), **extras, **(views or {})}
        for k, s in enumerate(states):
            columns[f"{Columns.STATE_IN_PREFIX}{k}"] = s
        for k, s in enumerate(state_out or []):
            self.state[k][slots] = s
            columns[f"{Columns.STATE_OUT_PREFIX}{k}"] = np.asarray(s, self.state[k].dtype)
        if self.pending is None:
            self._make_collector(columns)
        for k, v in columns.items():
            self.pending[k][slots] = v
        return columns[Columns.ACTIONS], env_actions, extras

    def record_action(self, slot: int, action: Any) -> np.ndarray:
        """Makes ``action`` (one agent's action as the env takes it) the action of ``slot``'s
        pending row: an action the agent took itself (off-policy). Returns the stored row."""
        pending = self.pending[Columns.ACTIONS]
        if self.struct is not None:
            pending[slot] = self.struct.flat(_batch_of_one(action), 1)[0]
        else:
            pending[slot] = np.asarray(action, pending.dtype)
        return pending[slot].copy()

    def _make_collector(self, columns: Dict[str, np.ndarray]) -> None:
        actions = columns[Columns.ACTIONS]
        spec = {k: (v.shape[1:], v.dtype) for k, v in columns.items() if k != Columns.ACTIONS}
        self.pending = {k: np.zeros((self.cap, *v.shape[1:]), v.dtype) for k, v in columns.items()}
        # Rows are cut when an agent is done; truncate_episodes cuts are made by the sampler.
        self.collector = self.collector_class(self.cap, self.obs_shape, self.obs_dtype, actions.shape[1:],
                                              actions.dtype, spec, self.fragment_length, "complete_episodes")
        if self.unstarted:
            slots, trajs = (np.array(x, np.int64) for x in zip(*self.unstarted))
            self.collector.reset(np.ascontiguousarray(self.obs[slots]), env_ids=slots, eps_ids=trajs)
            self.unstarted = []

    def complete(self, slots: np.ndarray, rewards: np.ndarray, terms: np.ndarray, truncs: np.ndarray,
                 new_obs: np.ndarray, infos: List[dict]) -> None:
        """Appends the rows of ``slots``; ``new_obs`` is also what they act on next."""
        pend = self.pending
        self.collector.append(pend[Columns.ACTIONS][slots], rewards, terms, truncs, new_obs,
                              {k: v[slots] for k, v in pend.items() if k != Columns.ACTIONS}, env_ids=slots)
        self.obs[slots] = new_obs
        if self.views:
            self.views.push(Columns.ACTIONS, pend[Columns.ACTIONS][slots], slots)
            self.views.push(Columns.REWARDS, rewards.astype(np.float32), slots)
            self.views.push(Columns.OBS, new_obs, slots)
        for slot, info in zip(slots.tolist(), infos):
            self.infos[slot].append(info)

    def pop(self) -> Optional[FragmentBatch]:
        """Every ready row, as a fragment batch with the episodes' ids and env indices."""
        if self.collector is None or self.collector.ready_rows == 0:
            return None
        cols, seg_lens = self.collector.pop()
        ends = np.cumsum(seg_lens)
        starts = ends - seg_lens
        order = np.argsort(cols[Columns.EPS_ID][starts], kind="stable")
        if (np.diff(order) < 0).any():  # slots are reused: put the trajectories back in the order they began
            rows = np.concatenate([np.arange(starts[k], ends[k]) for k in order])
            cols = {k: v[rows] for k, v in cols.items()}
            seg_lens = seg_lens[order]
            ends = np.cumsum(seg_lens)
            starts = ends - seg_lens
        trajs = cols[Columns.EPS_ID][starts].tolist()
        slots = cols[Columns.ENV_ID][starts].tolist()
        meta = [self.trajs[t] for t in trajs]
        cols[Columns.EPS_ID] = np.repeat(np.array([m[0] for m in meta], np.int64), seg_lens)
        cols[Columns.ENV_ID] = np.repeat(np.array([m[1] for m in meta], np.int64), seg_lens)
        cols[Columns.AGENT_INDEX] = np.repeat(np.array([m[3] for m in meta], np.int64), seg_lens)
        infos = np.empty(len(cols[Columns.REWARDS]), dtype=object)
        for slot, a, b in zip(slots, starts.tolist(), ends.tolist()):
            queue = self.infos[slot]
            infos[a:b] = [queue.popleft() for _ in range(b - a)]
        cols[Columns.INFOS] = infos
        for t, last in zip(trajs, cols[Columns.DONES][ends - 1].tolist()):
            if last:  # the trajectory's last row
                del self.trajs[t]
        return FragmentBatch(SampleBatch(cols, _dont_check_lens=True), seg_lens, [m[2] for m in meta])

    def cut(self) -> None:
        if self.collector is not None:
            self.collector.cut()


class _SubEnvs:
    """The ``base_env`` handed to callbacks in multi-agent sampling: the sub-envs."""

    def __init__(self, envs: list):
        self._envs = envs

    def get_sub_environments(self) -> list:
        return list(self._envs)


class _EnvCopies:
    """The sampler's own ``num_envs`` MultiAgentEnv copies: every copy steps in every step."""

    def __init__(self, envs: list, worker_index: int):
        from rlcore.env import as_gymnasium_multi_agent

        self.raw = envs
        self.envs = [as_gymnasium_multi_agent(e) for e in envs]
        self.ids = list(range(len(envs)))
        self.base_env = _SubEnvs(envs)
        self.worker_index = worker_index

    def step(self, action_dicts: Dict[int, dict]) -> List[Tuple[int, tuple, Optional[dict]]]:
        """``(env index, (obs, rewards, terminateds, truncateds, infos), off-policy actions)`` of each env."""
        empty: dict = {}
        return [(i, self._call(i, "step", action_dicts.get(i, empty)), None) for i in self.ids]

    def reset(self, i: int, seed: Optional[int]) -> Any:
        """Env ``i``'s ``(obs, infos)`` of a new episode."""
        return self._call(i, "reset", seed)

    def _call(self, i: int, phase: str, arg: Any) -> Any:
        try:
            return self.envs[i].step(arg) if phase == "step" else self.envs[i].reset(seed=arg)
        except Exception as err:
            from rlcore.env import EnvError, env_name_of

            raise EnvError(env_name_of(self.raw[i]), i, phase, worker_index=self.worker_index) from err

    def render(self) -> None:
        self.envs[0].render()

    def close(self) -> None:
        for env in self.raw:
            if hasattr(env, "close"):
                env.close()


class _PolledEnv:
    """A user's :class:`~rlcore.env.async_env.AsyncEnv` (RLlib 1.x's BaseEnv protocol): sub-env
    ids mapped to the sampler's env indices as they appear; an index is freed when its episode
    ends and the env does not reset it at once (the id may come back later, or never: an
    external application's episodes each have their own id)."""

    def __init__(self, env: Any, worker_index: int):
        from rlcore.env.async_env import try_reset_accepts_seed

        self.base_env = env
        self.ids: List[Any] = []  # env index -> env id (None: free)
        self._index: Dict[Any, int] = {}
        self._free: List[int] = []
        self._to_send: set = set()  # env indices of the last poll still running: they get actions
        self._seeded = try_reset_accepts_seed(env)
        self.worker_index = worker_index

    def step(self, action_dicts: Dict[int, dict]) -> List[Tuple[int, tuple, Optional[dict]]]:
        """Sends the actions (each env of the last poll gets a dict, maybe empty, as 1.x's
        sampler sent), then polls: ``(env index, 5-tuple, off-policy actions)`` of each env that
        reported."""
        from rlcore.env.multi_agent_env import split_dones

        if self._to_send:
            self.base_env.send_actions({self.ids[i]: action_dicts.get(i, {}) for i in sorted(self._to_send)})
        polled = self.base_env.poll()
        if len(polled) == 5:
            obs, rewards, dones, infos, off = polled
            terms = truncs = None
        elif len(polled) == 6:
            obs, rewards, terms, truncs, infos, off = polled
        else:
            raise ValueError(f"{type(self.base_env).__name__}.poll() returned {len(polled)} values; expected (obs, "
                             "rewards, dones, infos, off_policy_actions) or (obs, rewards, terminateds, truncateds, "
                             "infos, off_policy_actions)")
        out = []
        reported = list(obs)
        flags = dones if terms is None else terms
        reported += [e for e in flags if e not in obs and (flags[e] or {}).get(_ALL)]
        new = [e for e in reported if e not in self._index]
        if new:  # indices in id order where ids sort (remote sub-envs 0..n-1 keep their numbers)
            try:
                new.sort()
            except TypeError:
                pass
            for env_id in new:
                i = self._free.pop() if self._free else len(self.ids)
                if i == len(self.ids):
                    self.ids.append(env_id)
                self.ids[i] = env_id
                self._index[env_id] = i
        for env_id in reported:
            i = self._index[env_id]
            env_infos = infos.get(env_id) or {}
            if terms is None:
                env_terms, env_truncs = split_dones(dones.get(env_id) or {}, env_infos)
            else:
                env_terms, env_truncs = dict(terms.get(env_id) or {}), dict(truncs.get(env_id) or {})
                env_terms.setdefault(_ALL, False)
                env_truncs.setdefault(_ALL, False)
            out.append((i, (obs.get(env_id) or {}, rewards.get(env_id) or {}, env_terms, env_truncs, env_infos),
                        (off or {}).get(env_id)))
        self._to_send = {i for i, _, _ in out}
        return out

    def reset(self, i: int, seed: Optional[int]) -> Any:
        """``(obs, {})`` of env ``i``'s new episode, or None: its observations come with a later
        poll (:data:`~rlcore.env.async_env.ASYNC_RESET_RETURN`) or it cannot be reset on
        request (``try_reset`` returned None); then the index is freed."""
        from rlcore.env.async_env import ASYNC_RESET_RETURN

        env_id = self.ids[i]
        try:
            obs = self.base_env.try_reset(env_id, seed=seed) if self._seeded else self.base_env.try_reset(env_id)
        except Exception as err:
            from rlcore.env import EnvError, env_name_of

            raise EnvError(env_name_of(self.base_env), env_id, "reset", worker_index=self.worker_index) from err
        if isinstance(obs, dict):
            return obs, {}
        self._to_send.discard(i)
        del self._index[env_id]
        self.ids[i] = None
        self._free.append(i)
        return ASYNC_RESET_RETURN if isinstance(obs, str) and obs == ASYNC_RESET_RETURN else None

    def render(self) -> None:
        self.base_env.try_render()

    def close(self) -> None:
        self.base_env.stop()


class MultiAgentSampler:
    """Samples a rollout worker's multi-agent envs (see the module docstring).

    Args:
        worker: The :class:`~rlcore.sampling.rollout_worker.RolloutWorker` (policies, mapping
            function, preprocessors, filters, callbacks, env creator and settings).
        eps_id_start: First episode id.
    """

    def __init__(self, worker: Any, eps_id_start: int = 0):
        from rlcore.env.async_env import AsyncEnv

        self.worker = worker
        ctx = worker.env_context
        first = worker.env if worker.env is not None else worker._env_creator(ctx)
        if isinstance(first, AsyncEnv):  # a user's BaseEnv (1.x protocol), or remote envs polled as they finish
            self._envs: Any = _PolledEnv(first, worker.worker_index)
            self.num_envs = 0  # grows as sub-envs report
        else:
            envs = [first] + [worker._env_creator(ctx.copy_with_overrides(vector_index=i))
                              for i in range(1, worker.num_envs)]
            self._envs = _EnvCopies(envs, worker.worker_index)
            self.num_envs = len(envs)
        self.env = self._envs.base_env
        self._limits = EpisodeLimits(worker._horizon, worker._soft_horizon, worker._no_done_at_end)
        self._clip = check_clip_rewards(worker._clip_rewards)
        self._book = EpisodeBook(worker.callbacks, worker, worker.policy_map, self.env, eps_id_start,
                                 worker.policy_mapping_fn)
        self._collector_class = collector_class_of(worker.policy_config.get("sample_collector"))
        self._slots: Dict[str, _PolicySlots] = {}
        self._next_traj = 0
        self._episodes: List[Optional[Episode]] = [None] * self.num_envs  # None: no running episode
        self._agents: List[Dict[Any, _Agent]] = [dict() for _ in range(self.num_envs)]
        self._acting: Dict[str, List[Tuple[int, _Agent]]] = defaultdict(list)  # who acts in the next step
        self._ep_len = np.zeros(self.num_envs, np.int64)
        self._off_policy: Dict[int, dict] = {}  # env index -> actions its agents took themselves (polled envs)
        self._finished_steps = 0  # env (or agent) steps of the episodes ended since the last sample
        self._rows_appended = 0  # agent steps stored
        self._held: Dict[str, List[FragmentBatch]] = defaultdict(list)  # complete mode: rows of running episodes
        self._started = False

    # -- sampling ---------------------------------------------------------------------------------

    def sample_fragments(self) -> Tuple[Dict[str, FragmentBatch], Dict[int, Episode], int]:
        """Steps every env until a batch is ready.

        Returns:
            ``({policy_id: FragmentBatch}, {eps_id: Episode}, env_steps)``: each policy's raw rows
            (to be postprocessed), the episodes they belong to, and the env steps they hold.
            ``truncate_episodes``: ``rollout_fragment_length`` steps of every env, counted in env
            steps, or (``count_steps_by="agent_steps"``) until as many agent steps are stored. A
            poll of asynchronous (remote) envs may bring several envs' steps at once, so then the
            batch can hold up to ``num_envs - 1`` env steps more, as RLlib 1.x's sampler's can.
        """
        w = self.worker
        if not self._started:
            for i in range(self.num_envs):  # polled envs: their first observations come with the first poll
                self._reset_env(i)
            self._started = True
        truncate = w.batch_mode == "truncate_episodes"
        target = w.fragment_length_per_env * w.num_envs
        env_steps = 0
        if truncate:  # the target in env steps (a poll may overshoot it), or at least it in agent steps
            by_agent = w.count_steps_by == "agent_steps"
            rows_before = self._rows_appended
            while (self._rows_appended - rows_before if by_agent else env_steps) < target:
                env_steps += self._step()
            for slots in self._slots.values():
                slots.cut()
        else:
            while self._finished_steps < target:
                self._step()
        episodes = self._book.held()
        out: Dict[str, FragmentBatch] = {}
        for pid, slots in self._slots.items():
            parts = self._held.pop(pid, [])
            popped = slots.pop()
            if popped is not None:
                parts.append(popped)
            if not truncate:  # rows of episodes still running wait for their episode's end
                parts, self._held[pid] = _split_by_episode(parts, episodes)
            if self._untrained(episodes):
                parts = [p for p in (_without_untrained(p, episodes) for p in parts) if p is not None]
            if parts:
                out[pid] = _concat_fragments(parts)
        if not truncate:
            env_steps = self._finished_steps
        self._finished_steps = 0
        self._book.release()  # every finished episode's rows are in this sample
        return out, episodes, env_steps

    @staticmethod
    def _untrained(episodes: Dict[int, Episode]) -> bool:
        """Whether any of these episodes is not to be trained on (``training_enabled=False``)."""
        return any(not ep._training_enabled for ep in episodes.values())

    def sample(self) -> Any:
        """One sample as a :class:`~rlcore.data.MultiAgentBatch`, without postprocessing."""
        from rlcore.data.multi_agent_batch import MultiAgentBatch

        samples, _, env_steps = self.sample_fragments()
        return MultiAgentBatch({pid: frag.batch for pid, frag in samples.items()}, env_steps)

    def get_metrics(self) -> list:
        return self._book.drain_metrics()

    def close(self) -> None:
        self._envs.close()

    # -- one step of every env --------------------------------------------------------------------

    def _step(self) -> int:
        """One step: the acting agents' actions to their envs, then each env's result. Returns
        the env steps taken (every copy; for a polled env, the sub-envs that reported a step)."""
        w = self.worker
        explore, timestep = w.policy_config.get("explore", True), w.global_vars.get("timestep")
        action_dicts: Dict[int, dict] = defaultdict(dict)
        off_policy, self._off_policy = self._off_policy, {}
        for pid, members in self._acting.items():  # one compute_actions per policy
            slots = self._slots[pid]
            idx = np.fromiter((ag.slot for _, ag in members), np.int64, len(members))
            actions, env_actions, extras = slots.act(idx, explore, timestep)
            for row, (i, ag) in enumerate(members):
                action_dicts[i][ag.agent_id] = env_actions[row]
                ag.pending = True
                last = self._episodes[i]._last
                last["prev_action"][ag.agent_id] = last["action"].get(ag.agent_id)
                taken = off_policy.get(i)
                if taken is not None and ag.agent_id in taken:  # the agent acted itself: its row records that
                    last["action"][ag.agent_id] = slots.record_action(ag.slot, taken[ag.agent_id])
                else:
                    last["action"][ag.agent_id] = actions[row]
                self._episodes[i]._set_row("pi_info", ag.agent_id, extras, row)
        self._acting = defaultdict(list)
        results = self._envs.step(action_dicts)
        if w._render:
            self._envs.render()
        stepped = []
        for i, result, taken in results:
            if i >= self.num_envs:
                self._add_envs(i + 1)
            if taken:
                self._off_policy[i] = taken
            if self._episodes[i] is None:  # a polled env's first observations of an episode
                self._begin_episode(i, result[0], result[4])
            else:
                stepped.append((i, result))
        if not stepped:
            return 0
        idx = np.fromiter((i for i, _ in stepped), np.int64, len(stepped))
        self._ep_len[idx] += 1
        term_all = np.array([bool(r[2].get(_ALL)) for _, r in stepped])
        trunc_all = np.array([bool(r[3].get(_ALL)) for _, r in stepped])
        limits = self._limits.apply(term_all, trunc_all, self._ep_len[idx])
        completions: Dict[str, list] = defaultdict(list)
        starts: Dict[str, list] = defaultdict(list)
        for k, (i, result) in enumerate(stepped):
            self._collect(i, result, bool(limits.done[k]), completions, starts)
        for pid, rows in completions.items():
            self._complete(pid, rows)
        self._start_trajectories(starts)
        for i, _ in stepped:
            self._book.step(self._episodes[i], self._envs.ids[i])
        for k in np.flatnonzero(limits.done).tolist():
            i, result = stepped[k]
            self._end_episode(i, soft=limits.soft is not None and bool(limits.soft[k]), obs=result[0],
                              cut=not (term_all[k] or trunc_all[k]))
        return len(stepped)

    def _add_envs(self, n: int) -> None:
        """Room for env indices up to ``n`` (a polled env reported a new sub-env)."""
        extra = n - self.num_envs
        self._episodes += [None] * extra
        self._agents += [dict() for _ in range(extra)]
        self._ep_len = np.concatenate([self._ep_len, np.zeros(extra, np.int64)])
        self.num_envs = n

    def _collect(self, i: int, result: tuple, env_done: bool, completions: Dict[str, list],
                 starts: Dict[str, list]) -> None:
        """Env ``i``'s step: rewards, the rows it completes and the agents it starts."""
        obs, rewards, terms, truncs, infos = result
        ep, agents = self._episodes[i], self._agents[i]
        obs = self._observe(i, obs)
        ep.length += 1
        last = ep._last
        for agent_id, r in rewards.items():
            if r is None:
                continue
            r = float(r)
            ag = agents.get(agent_id)
            pid = ag.pid if ag is not None else ep.policy_for(agent_id)
            ep.agent_rewards[(agent_id, pid)] += r
            ep.total_reward += r
            ep._agent_reward_history[agent_id].append(r)
            last["prev_reward"][agent_id] = r
            if ag is not None and ag.pending:
                ag.reward += r
        for agent_id, info in infos.items():
            last["info"][agent_id] = info
            if info and info.get("training_enabled") is False:  # an external episode not to train on
                ep._training_enabled = False
        no_done_at_end = self._limits.no_done_at_end
        all_term, all_trunc = bool(terms.get(_ALL)), bool(truncs.get(_ALL))
        for agent_id, ag in agents.items():
            if not ag.pending:
                continue
            term = bool(terms.get(agent_id) or all_term)
            own_end = term or bool(truncs.get(agent_id) or all_trunc)
            done = own_end or env_done
            if not done and agent_id not in obs:
                continue  # no new observation yet: the row waits (its reward adds up)
            trunc = done and not term
            if no_done_at_end:
                term, trunc = False, done
            completions[ag.pid].append((ag, ag.reward, term, trunc, obs.get(agent_id), infos.get(agent_id) or {}, i))
            ag.pending, ag.reward, ag.done, ag.cut = False, 0.0, done, done and not own_end
            ep._agent_steps += 1
        if env_done:
            return
        for agent_id, o in obs.items():
            ag = agents.get(agent_id)
            if ag is None:
                ag = self._agent(i, agent_id)
            if not ag.done and ag.slot < 0:
                starts[ag.pid].append((i, ag, o, True))

    def _observe(self, i: int, obs: dict) -> dict:
        """The worker's ``observation_fn`` (RLlib 1.x's ObservationFunction) on env ``i``'s obs dict."""
        fn = self.worker._observation_fn
        if fn is None:
            return obs
        out = fn(agent_obs=obs, worker=self.worker, base_env=self.env, policies=self.worker.policy_map,
                 episode=self._episodes[i])
        if not isinstance(out, dict):
            raise TypeError(f"observation_fn must return a dict of agent observations, got {type(out).__name__}")
        return out

    def _processed(self, pid: str, raws: list) -> np.ndarray:
        w = self.worker
        return np.ascontiguousarray(w.filters[pid](w.preprocessors[pid].transform_batch(raws)))

    def _complete(self, pid: str, rows: list) -> None:
        """Appends a policy's rows completed in this step; the agents that go on act next."""
        slots = self._slots[pid]
        idx = np.fromiter((r[0].slot for r in rows), np.int64, len(rows))
        with_obs = [k for k, r in enumerate(rows) if r[4] is not None]
        new_obs = slots.obs[idx]  # an agent done without a last observation keeps its last one
        if with_obs:
            new_obs[with_obs] = self._processed(pid, [rows[k][4] for k in with_obs])
        rewards = clip_rewards(np.fromiter((r[1] for r in rows), np.float64, len(rows)), self._clip)
        terms = np.fromiter((r[2] for r in rows), np.bool_, len(rows))
        truncs = np.fromiter((r[3] for r in rows), np.bool_, len(rows))
        slots.complete(idx, rewards, terms, truncs, new_obs, [r[5] for r in rows])
        self._rows_appended += len(rows)
        for k, (ag, _, _, _, raw, _, i) in enumerate(rows):
            last = self._episodes[i]._last
            if raw is not None:
                last["raw_obs"][ag.agent_id] = raw
                last["obs"][ag.agent_id] = new_obs[k]
            if ag.done:
                slots.free.append(ag.slot)  # the trajectory's rows stay in the collector until popped
            else:
                self._acting[pid].append((i, ag))

    def _start_trajectories(self, starts: Dict[str, list]) -> None:
        """New agent trajectories ``(env, agent, raw obs, fresh)``: a slot each (or the one a soft
        horizon carried over, with its RNN state: not ``fresh``)."""
        for pid, rows in starts.items():
            obs = self._processed(pid, [r[2] for r in rows])
            slots = self._policy_slots(pid, obs)
            obs = obs.astype(slots.obs_dtype, copy=False)
            idx = np.empty(len(rows), np.int64)
            trajs = np.arange(self._next_traj, self._next_traj + len(rows), dtype=np.int64)
            self._next_traj += len(rows)
            for k, (i, ag, raw, _) in enumerate(rows):
                if ag.slot < 0:
                    ag.slot = slots.alloc()
                ag.traj = int(trajs[k])
                idx[k] = ag.slot
                slots.trajs[ag.traj] = (self._episodes[i].episode_id, self._batch_env_id(i), ag.agent_id, ag.index)
                last = self._episodes[i]._last
                last["raw_obs"][ag.agent_id] = raw
                last["obs"][ag.agent_id] = obs[k]
                self._acting[pid].append((i, ag))
            slots.start(idx, trajs, obs, np.fromiter((r[3] for r in rows), np.bool_, len(rows)))

    def _batch_env_id(self, i: int) -> int:
        """The ``env_id`` column of env index ``i``'s rows: the env's own id where it is an int (a
        polled env's ids, e.g. remote sub-envs 0..n-1, as RLlib 1.x's batches carry them; the index
        the sampler gives an id depends on which env reports first), else the index (the column is
        int64: an external application's ids of other kinds)."""
        env_id = self._envs.ids[i]
        return int(env_id) if isinstance(env_id, (int, np.integer)) and not isinstance(env_id, bool) else i

    # -- episodes -----------------------------------------------------------------------------------

    def _policy_slots(self, pid: str, first_obs: np.ndarray) -> _PolicySlots:
        """The policy's slots (made on its first processed observations, which fix the obs row)."""
        if pid not in self._slots:
            from rlcore.sampling.struct_actions import StructuredActions, action_clipper, is_structured_space

            w = self.worker
            policy = w.policy_map[pid]
            space = policy.action_space
            self._slots[pid] = _PolicySlots(
                policy, first_obs.shape[1:], first_obs.dtype, w.fragment_length_per_env, self._collector_class,
                StructuredActions(space) if is_structured_space(space) else None,
                action_clipper(space, w._normalize_actions, w._clip_actions))
        return self._slots[pid]

    def _agent(self, i: int, agent_id: Any) -> _Agent:
        agents = self._agents[i]
        ag = agents.get(agent_id)
        if ag is None:
            ag = agents[agent_id] = _Agent(agent_id, self._episodes[i].policy_for(agent_id), len(agents))
        return ag

    def _reset_env(self, i: int, cut: bool = False) -> None:
        """Resets env ``i`` and starts a new episode on it (a polled env may answer later: then
        the episode starts with the observations of a later poll)."""
        w = self.worker
        seed = None if w._seed is None else w._seed + i + 7919 * self._book.next_id
        env_id = self._envs.ids[i]
        reset = self._envs.reset(i, seed)
        if not isinstance(reset, tuple):
            self._episodes[i], self._agents[i] = None, {}
            if reset is None and cut:
                raise ValueError(
                    f"horizon={self._limits.horizon}: env {type(self.env).__name__} cut an episode of sub-env "
                    f"{env_id} but cannot reset it on request (try_reset returned None); a horizon needs try_reset "
                    "support (or ASYNC_RESET_RETURN)")
            return
        self._begin_episode(i, *reset)

    def _begin_episode(self, i: int, obs: dict, infos: dict) -> None:
        """A new episode on env ``i`` from its first observations."""
        ep = self._new_episode(i)
        obs = self._observe(i, obs)
        for agent_id, info in (infos or {}).items():
            ep._last["info"][agent_id] = info
            if info and info.get("training_enabled") is False:
                ep._training_enabled = False
        starts: Dict[str, list] = defaultdict(list)
        for agent_id, o in obs.items():
            ag = self._agent(i, agent_id)
            starts[ag.pid].append((i, ag, o, True))
        self._start_trajectories(starts)
        self._book.started(ep, self._envs.ids[i])

    def _new_episode(self, i: int) -> Episode:
        ep = self._book.begin(self._envs.ids[i], call_start=False)
        self._episodes[i] = ep
        self._agents[i] = {}
        self._ep_len[i] = 0
        return ep

    def _end_episode(self, i: int, soft: bool, obs: dict, cut: bool = False) -> None:
        """Env ``i``'s episode is over: callbacks and metrics, its slots freed; then a new episode,
        on the env as it is after a soft horizon (agents keep their slots and RNN state), else
        after a reset."""
        w = self.worker
        ep, agents = self._episodes[i], self._agents[i]
        self._book.end(ep, self._envs.ids[i])
        self._finished_steps += ep.length if w.count_steps_by == "env_steps" else ep._agent_steps
        starts: Dict[str, list] = defaultdict(list)
        for ag in agents.values():
            if ag.slot < 0:
                continue
            slots = self._slots[ag.pid]
            goes_on = soft and ag.agent_id in obs and (ag.cut or not ag.done)
            if ag.done and goes_on:
                slots.free.remove(ag.slot)  # it goes on on the same slot, with its RNN state
            elif not ag.done:  # observed but never acted: an empty trajectory
                slots.trajs.pop(ag.traj, None)
                if not goes_on:
                    slots.free.append(ag.slot)
            if goes_on:
                starts[ag.pid].append((ag, False))
        if not soft:
            self._reset_env(i, cut)
            return
        ep = self._new_episode(i)
        new_starts: Dict[str, list] = defaultdict(list)
        for pid, carried in starts.items():
            for old, fresh in carried:
                ag = self._agent(i, old.agent_id)
                ag.slot, ag.index = old.slot, old.index
                new_starts[pid].append((i, ag, obs[old.agent_id], fresh))
        for agent_id, o in obs.items():  # agents that appeared in the step that was cut
            if agent_id not in agents:
                ag = self._agent(i, agent_id)
                new_starts[ag.pid].append((i, ag, o, True))
        self._start_trajectories(new_starts)
        self._book.started(ep, self._envs.ids[i])


def _batch_of_one(value: Any) -> Any:
    """A (nested tuple/dict) action as a batch of one: each leaf gets a leading axis of 1."""
    if isinstance(value, dict):
        return {k: _batch_of_one(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_batch_of_one(v) for v in value)
    return np.asarray(value)[None]


def _split_by_episode(parts: List[FragmentBatch], episodes: Dict[int, Episode]) -> Tuple[list, list]:
    """(fragments of finished episodes, fragments of running ones)."""
    done, running = [], []
    for frag in parts:
        ends = np.cumsum(frag.seg_lens)
        eps = frag.batch[Columns.EPS_ID][ends - frag.seg_lens].tolist()
        finished = np.array([getattr(episodes.get(e), "_done", False) for e in eps], np.bool_)
        if finished.all():
            done.append(frag)
        elif not finished.any():
            running.append(frag)
        else:
            agents = np.asarray(frag.agent_ids, dtype=object)
            for keep, out in ((finished, done), (~finished, running)):
                out.append(FragmentBatch(_take_rows(frag.batch, np.repeat(keep, frag.seg_lens)), frag.seg_lens[keep],
                                         agents[keep].tolist()))
    return done, running


def _without_untrained(frag: FragmentBatch, episodes: Dict[int, Episode]) -> Optional[FragmentBatch]:
    """``frag`` without the trajectories of episodes started with ``training_enabled=False``
    (RLlib 1.x's ExternalEnv: played and counted, not trained on); None if nothing is left."""
    ends = np.cumsum(frag.seg_lens)
    eps = frag.batch[Columns.EPS_ID][ends - frag.seg_lens].tolist()
    keep = np.array([getattr(episodes.get(e), "_training_enabled", True) for e in eps], np.bool_)
    if keep.all():
        return frag
    if not keep.any():
        return None
    agents = np.asarray(frag.agent_ids, dtype=object)
    return FragmentBatch(_take_rows(frag.batch, np.repeat(keep, frag.seg_lens)), frag.seg_lens[keep],
                         agents[keep].tolist())


def _take_rows(batch: SampleBatch, mask: np.ndarray) -> SampleBatch:
    return SampleBatch({k: np.asarray(v)[mask] for k, v in batch.items()}, _dont_check_lens=True)


def _concat_fragments(parts: List[FragmentBatch]) -> FragmentBatch:
    if len(parts) == 1:
        return parts[0]
    return FragmentBatch(concat_samples([p.batch for p in parts]), np.concatenate([p.seg_lens for p in parts]),
                         [a for p in parts for a in p.agent_ids])
