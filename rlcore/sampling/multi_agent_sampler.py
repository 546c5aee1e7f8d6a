"""Multi-agent sampling: ``num_envs`` MultiAgentEnv copies, one policy call per policy per step.

Agents come and go, so rows are kept per agent in lists rather than in the fixed-slot compiled
collector; inference is still batched: each step, every agent of every env that maps to the same
policy is in one ``compute_actions`` call. An agent's row is completed when its next observation
(or its episode end) arrives: ``(obs_t, action_t, reward_{t+1}, terminated/truncated_{t+1},
new_obs_{t+1})``.

Each agent's trajectory fragment is postprocessed by its policy with the other agents' fragments of
the same episode as ``other_agent_batches``, then grouped per policy into a
:class:`~rlcore.data.MultiAgentBatch` of ``rollout_fragment_length * num_envs`` env steps
(``truncate_episodes``) or of whole episodes (``complete_episodes``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.concat import concat_samples
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import SampleBatch
from rlcore.sampling.episode import Episode

_ALL = "__all__"


class _AgentTrajectory:
    """Rows of one agent in one episode since its last cut."""

    def __init__(self, agent_id: Any, policy_id: str, agent_index: int, env_index: int, eps_id: int):
        self.agent_id, self.policy_id, self.agent_index = agent_id, policy_id, agent_index
        self.env_index, self.eps_id = env_index, eps_id
        self.rows: Dict[str, list] = defaultdict(list)
        self.pending: Optional[dict] = None  # the row waiting for its reward and next obs
        self.t = 0
        self.done = False

    def act(self, obs: np.ndarray, action: Any, extras: Dict[str, Any]) -> None:
        self.pending = {Columns.OBS: obs, Columns.ACTIONS: action, **extras}

    def complete(self, reward: float, terminated: bool, truncated: bool, new_obs: np.ndarray,
                 info: Optional[dict] = None) -> None:
        if self.pending is None:
            return
        row = self.pending
        self.pending = None
        row.update({Columns.REWARDS: reward, Columns.TERMINATEDS: terminated, Columns.TRUNCATEDS: truncated,
                    Columns.NEXT_OBS: new_obs, Columns.T: self.t, Columns.INFOS: {} if info is None else info})
        self.t += 1
        for k, v in row.items():
            self.rows[k].append(v)

    def __len__(self) -> int:
        return len(self.rows[Columns.REWARDS])

    def build(self, unroll_id: int) -> SampleBatch:
        n = len(self)
        cols = {k: np.asarray(v) for k, v in self.rows.items() if k != Columns.INFOS}
        cols[Columns.INFOS] = np.empty(n, dtype=object)
        cols[Columns.INFOS][:] = self.rows[Columns.INFOS]  # dicts stay dicts (no 2-D object array)
        cols[Columns.REWARDS] = cols[Columns.REWARDS].astype(np.float32)
        cols[Columns.DONES] = cols[Columns.TERMINATEDS] | cols[Columns.TRUNCATEDS]
        cols[Columns.EPS_ID] = np.full(n, self.eps_id, np.int64)
        cols[Columns.ENV_ID] = np.full(n, self.env_index, np.int64)
        cols[Columns.AGENT_INDEX] = np.full(n, self.agent_index, np.int64)
        cols[Columns.UNROLL_ID] = np.full(n, unroll_id, np.int64)
        self.rows = defaultdict(list)
        return SampleBatch(cols)


class MultiAgentSampler:
    """Samples a rollout worker's multi-agent envs (see the module docstring).

    Args:
        worker: The :class:`~rlcore.sampling.rollout_worker.RolloutWorker` (policies, mapping
            function, preprocessors, filters, callbacks, env creator and settings).
        eps_id_start: First episode id.
    """

    def __init__(self, worker: Any, eps_id_start: int = 0):
        from rlcore.env import as_gymnasium_multi_agent

        self.worker = worker
        self.num_envs = worker.num_envs
        ctx = worker.env_context
        first = worker.env if worker.env is not None else worker._env_creator(ctx)
        envs = [first] + [worker._env_creator(ctx.copy_with_overrides(vector_index=i)) for i in range(1, self.num_envs)]
        self.envs = [as_gymnasium_multi_agent(e) for e in envs]
        self._raw_envs = envs
        self._next_eps = eps_id_start
        self._next_unroll = 0
        self._metrics: list = []
        self._ready: Dict[str, List[SampleBatch]] = defaultdict(list)
        self._ready_env_steps = 0
        self._obs: List[Optional[dict]] = [None] * self.num_envs
        self._episodes: List[Optional[Episode]] = [None] * self.num_envs
        self._trajs: List[Dict[Any, _AgentTrajectory]] = [dict() for _ in range(self.num_envs)]
        self._agent_index: List[Dict[Any, int]] = [dict() for _ in range(self.num_envs)]
        self._states: List[Dict[Any, list]] = [dict() for _ in range(self.num_envs)]
        self._action_handlers: Dict[str, tuple] = {}  # policy id -> (StructuredActions, clipper), each or None
        self._env_steps_since_start = [0] * self.num_envs
        self._started = False

    @property
    def env(self):
        return _SubEnvs(self._raw_envs)

    def _start_env(self, i: int, soft_obs: Optional[dict] = None) -> None:
        """A new episode on env ``i``: after a reset, or (``soft_obs``, a soft-horizon cut) on the
        env as it is, with its last observations, agent indices and RNN states carried over."""
        ep = Episode(self._next_eps, i, self.worker.policy_mapping_fn)
        if soft_obs is None:
            seed = None if self.worker._seed is None else self.worker._seed + i + 7919 * self._next_eps
            obs, infos = self.envs[i].reset(seed=seed)
            self._obs[i] = self._transform(ep, obs)
            self._agent_index[i], self._states[i] = {}, {}
        else:
            old = self._episodes[i]
            for agent_id, o in soft_obs.items():
                ep._set("raw_obs", agent_id, old.last_raw_obs_for(agent_id))
                ep._set("obs", agent_id, o)
            self._obs[i] = dict(soft_obs)
        self._next_eps += 1
        self._episodes[i], self._trajs[i] = ep, {}
        self._env_steps_since_start[i] = 0
        self._call("on_episode_start", worker=self.worker, base_env=self.env, policies=self.worker.policy_map,
                   episode=ep, env_index=i)

    def _call(self, hook: str, **kwargs: Any) -> None:
        getattr(self.worker.callbacks, hook)(**kwargs)

    def _transform(self, ep: Episode, obs: dict) -> dict:
        out = {}
        for agent_id, o in obs.items():
            pid = ep.policy_for(agent_id)
            processed = self.worker.filters[pid](self.worker.preprocessors[pid].transform_batch([o]))[0]
            ep._set("raw_obs", agent_id, o)
            ep._set("obs", agent_id, processed)
            out[agent_id] = processed
        return out

    def _traj(self, i: int, agent_id: Any) -> _AgentTrajectory:
        trajs = self._trajs[i]
        if agent_id not in trajs:
            ep = self._episodes[i]
            index = self._agent_index[i].setdefault(agent_id, len(self._agent_index[i]))
            trajs[agent_id] = _AgentTrajectory(agent_id, ep.policy_for(agent_id), index, i, ep.episode_id)
        return trajs[agent_id]

    def sample(self) -> MultiAgentBatch:
        """Steps every env until a batch is ready (see the module docstring)."""
        if not self._started:
            for i in range(self.num_envs):
                self._start_env(i)
            self._started = True
        w = self.worker
        target = w.rollout_fragment_length * self.num_envs
        truncate = w.batch_mode == "truncate_episodes"
        steps = 0
        while True:
            if truncate and steps >= w.rollout_fragment_length:
                for i in range(self.num_envs):
                    self._cut(i, episode_over=False)
                break
            if not truncate and self._ready_env_steps >= target:
                break
            self._step()
            steps += 1
        batches = {pid: concat_samples(bs) for pid, bs in self._ready.items() if bs}
        env_steps = target if truncate else self._ready_env_steps
        self._ready = defaultdict(list)
        self._ready_env_steps = 0
        return MultiAgentBatch(batches, env_steps)

    def _step(self) -> None:
        w = self.worker
        # one compute_actions per policy over every acting agent of every env
        groups: Dict[str, List[Tuple[int, Any]]] = defaultdict(list)
        for i, obs in enumerate(self._obs):
            for agent_id in obs:
                groups[self._episodes[i].policy_for(agent_id)].append((i, agent_id))
        actions: List[dict] = [dict() for _ in range(self.num_envs)]
        for pid, members in groups.items():
            policy = w.policy_map[pid]
            obs_batch = np.stack([self._obs[i][a] for i, a in members])
            init = policy.get_initial_state() if policy.is_recurrent() else []
            states = [np.stack([self._states[i].get(a, init)[k] for i, a in members]) for k in range(len(init))]
            acts, state_out, extras = policy.compute_actions(
                obs_batch, state_batches=states or None, explore=w.policy_config.get("explore", True),
                timestep=w.global_vars.get("timestep"))
            n = len(members)
            extras = {k: v for k, v in extras.items() if isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) == n}
            env_acts = acts
            struct, clip = self._action_handling(pid, policy)
            if struct is not None:  # Tuple/Dict actions: flat rows stored, a structure per agent sent
                acts, env_acts = struct.split(acts, n)
            if clip is not None:  # clip_actions: the env gets clipped actions, the rows keep them raw
                env_acts = clip(env_acts)
            for row, (i, a) in enumerate(members):
                row_extras = {k: v[row] for k, v in extras.items()}
                for k, s in enumerate(states):
                    row_extras[f"{Columns.STATE_IN_PREFIX}{k}"] = s[row]
                self._traj(i, a).act(self._obs[i][a], acts[row], row_extras)
                if state_out:
                    self._states[i][a] = [np.asarray(s[row]) for s in state_out]
                actions[i][a] = env_acts[row]
                ep = self._episodes[i]
                ep._set("prev_action", a, ep.last_action_for(a))
                ep._set("action", a, acts[row])
                ep._set("pi_info", a, row_extras)
        for i, env in enumerate(self.envs):
            self._step_env(i, env, actions[i])

    def _action_handling(self, pid: str, policy: Any) -> tuple:
        """``(flat-row converter or None, clipper or None)`` for a policy's action space: the
        converter for a Tuple/Dict space, the clipper with the worker's ``clip_actions``."""
        if pid not in self._action_handlers:
            from rlcore.sampling.struct_actions import StructuredActions, action_clipper, is_structured_space

            space = policy.action_space
            self._action_handlers[pid] = (StructuredActions(space) if is_structured_space(space) else None,
                                  action_clipper(space) if self.worker._clip_actions else None)
        return self._action_handlers[pid]

    def _step_env(self, i: int, env: Any, action_dict: dict) -> None:
        w = self.worker
        ep = self._episodes[i]
        try:
            obs, rewards, terms, truncs, infos = env.step(action_dict)
        except Exception as err:
            from rlcore.env import EnvError, env_name_of

            raise EnvError(env_name_of(self._raw_envs[i]), i, "step", worker_index=w.worker_index) from err
        self._env_steps_since_start[i] += 1
        horizon_hit = w._horizon is not None and self._env_steps_since_start[i] >= w._horizon
        env_done = bool(terms.get(_ALL) or truncs.get(_ALL))
        all_done = env_done or horizon_hit
        new_obs = self._transform(ep, obs)
        for agent_id, r in rewards.items():
            pid = ep.policy_for(agent_id)
            ep.agent_rewards[(agent_id, pid)] += float(r)
            ep.total_reward += float(r)
            ep._agent_reward_history[agent_id].append(float(r))
            ep._set("prev_reward", agent_id, float(r))
        for agent_id, info in infos.items():
            ep._set("info", agent_id, info)
        ep.length += 1
        for agent_id, traj in self._trajs[i].items():
            if traj.pending is None:
                continue
            seen = agent_id in new_obs or agent_id in rewards or all_done
            if not seen:
                continue  # the agent did not act this step: its row waits for its next observation
            term = bool(terms.get(agent_id, False) or terms.get(_ALL, False))
            trunc = bool(truncs.get(agent_id, False) or truncs.get(_ALL, False) or horizon_hit) and not term
            if w._no_done_at_end:
                term, trunc = False, term or trunc
            if all_done and not term:
                trunc = True
            reward = float(rewards.get(agent_id, 0.0))
            if w._clip_rewards is True:
                reward = float(np.sign(reward))
            elif w._clip_rewards:
                reward = float(np.clip(reward, -w._clip_rewards, w._clip_rewards))
            traj.complete(reward, term, trunc, new_obs.get(agent_id, self._obs[i].get(agent_id)), infos.get(agent_id))
            traj.done = term or trunc
        if _overrides(w.callbacks, "on_episode_step"):  # after every step, the last included
            self._call("on_episode_step", worker=w, base_env=self.env, episode=ep, env_index=i)
        if all_done:
            self._cut(i, episode_over=True)
            self._call("on_episode_end", worker=w, base_env=self.env, policies=w.policy_map, episode=ep, env_index=i)
            self._metrics.append(ep.to_metrics({}))
            self._start_env(i, new_obs if horizon_hit and w._soft_horizon and not env_done else None)
        else:
            self._obs[i] = {a: o for a, o in new_obs.items() if not self._trajs[i].get(a) or not self._trajs[i][a].done}

    def _cut(self, i: int, episode_over: bool) -> None:
        """Postprocesses every agent fragment of env ``i`` (with the others as context) and files it."""
        w = self.worker
        ep = self._episodes[i]
        built: Dict[Any, Tuple[Any, SampleBatch]] = {}
        for agent_id, traj in self._trajs[i].items():
            if len(traj):
                built[agent_id] = (w.policy_map[traj.policy_id], traj.build(self._next_unroll))
        self._next_unroll += 1
        if not built:
            return
        if w.batch_mode == "complete_episodes" and not episode_over:
            raise ValueError("complete_episodes: an episode cannot be cut before it ends")
        for agent_id, (policy, batch) in built.items():
            others = {a: pb for a, pb in built.items() if a != agent_id}
            processed = policy.postprocess_trajectory(batch.copy(), others, ep)
            if _overrides(w.callbacks, "on_postprocess_trajectory"):
                self._call("on_postprocess_trajectory", worker=w, episode=ep, agent_id=agent_id,
                           policy_id=self._trajs[i][agent_id].policy_id, policies=w.policy_map,
                           postprocessed_batch=processed, original_batches=built)
            self._ready[self._trajs[i][agent_id].policy_id].append(processed)
        if episode_over:
            self._ready_env_steps += ep.length if w.count_steps_by == "env_steps" else sum(
                len(b) for _, b in built.values())

    def get_metrics(self) -> list:
        out, self._metrics = self._metrics, []
        return out

    def close(self) -> None:
        for env in self._raw_envs:
            if hasattr(env, "close"):
                env.close()


class _SubEnvs:
    """The ``base_env`` handed to callbacks in multi-agent sampling: the sub-envs."""

    def __init__(self, envs: list):
        self._envs = envs

    def get_sub_environments(self) -> list:
        return list(self._envs)


def _overrides(callbacks: Any, hook: str) -> bool:
    from rlcore.sampling.callbacks import DefaultCallbacks

    return DefaultCallbacks.overrides(callbacks, hook)
