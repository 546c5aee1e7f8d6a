"""RemoteBaseEnv: a BaseEnv whose N sub-envs each live in their own Ray actor.

For envs whose ``step`` is slow (a simulator, a game engine), ``remote_worker_envs=True`` steps
the sub-envs of one rollout worker in parallel: each step sends one action to every actor and
waits for all answers (``ray.get`` with a timeout). Each actor does its own same-step auto-reset,
so one round trip per sub-env per step is all it costs. The actors ask
for no CPU (``num_cpus=0``), like RLlib's remote envs, so they never block rollout workers from
being scheduled. Ray is imported only when this class is used, and must already be initialized.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np

from rlcore.env.base_env import BaseEnv, EnvError, VectorStep, empty_batch, env_name_of
from rlcore.env.env_context import EnvContext

logger = logging.getLogger(__name__)


class _RemoteSubEnv:
    """Actor body: one sub-env with same-step auto-reset."""

    def __init__(self, creator: Callable[[EnvContext], Any], env_context: EnvContext) -> None:
        from rlcore.env.wrappers import as_gymnasium_env

        self.user_env = creator(env_context)
        self.env = as_gymnasium_env(self.user_env)

    def describe(self) -> tuple[Any, Any, str]:
        return self.env.observation_space, self.env.action_space, env_name_of(self.user_env)

    def reset(self, seed: int | None) -> tuple[Any, dict]:
        return self.env.reset(seed=seed)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict, Any]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        final_obs = None
        if terminated or truncated:
            final_obs = obs
            obs, _ = self.env.reset()
        return obs, reward, bool(terminated), bool(truncated), info or {}, final_obs

    def render(self) -> Any:
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class RemoteBaseEnv(BaseEnv):
    """N sub-envs in N Ray actors, stepped in parallel.

    Args:
        env_creator: ``creator(env_context) -> env``; must be serializable by Ray.
        env_context: The worker's context; sub-env i gets ``vector_index=i, remote=True``.
        num_envs: Number of sub-envs (actors).
        seed: Seed of the first reset (sub-env i gets ``seed + i``).
        timeout_s: Longest wait for any actor call before raising ``EnvError``.
    """

    can_reset_envs = True

    def __init__(
        self,
        env_creator: Callable[[EnvContext], Any],
        env_context: EnvContext,
        num_envs: int,
        *,
        seed: int | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        import ray

        if not ray.is_initialized():
            raise RuntimeError("remote_envs=True runs each sub-env in a Ray actor: call ray.init() first")
        self._ray = ray
        self.num_envs = num_envs
        self.worker_index = env_context.worker_index
        self.env_name = getattr(env_creator, "env_name", None) or env_name_of(env_creator)
        self._timeout = timeout_s
        self._seed = seed
        actor_cls = ray.remote(num_cpus=0)(_RemoteSubEnv)
        self._actors = [
            actor_cls.remote(env_creator, env_context.copy_with_overrides(vector_index=i, remote=True))
            for i in range(num_envs)
        ]
        spaces = self._get_all([actor.describe.remote() for actor in self._actors], "create")
        self.observation_space, self.action_space, _ = spaces[0]
        self._empty_infos = [{} for _ in range(num_envs)]

    def _get_all(self, refs: list, phase: str) -> list:
        ray = self._ray
        try:
            return ray.get(refs, timeout=self._timeout)
        except Exception as err:
            index = None
            for i, ref in enumerate(refs):  # find which sub-env failed, for the message
                try:
                    ray.get(ref, timeout=0.1)
                except ray.exceptions.RayError:  # task error, dead actor or still running
                    index = i
                    break
            raise EnvError(self.env_name, index, phase, self.worker_index, err) from err

    def reset(self, seed: int | None = None) -> tuple[Any, list[dict]]:
        if seed is None:
            seed = self._seed
        self._seed = None
        seeds = [None if seed is None else seed + i for i in range(self.num_envs)]
        return self._reset_rows(list(range(self.num_envs)), seeds)

    def reset_envs(self, mask: np.ndarray) -> tuple[Any, list[dict]]:
        rows = self._mask_rows(mask)
        return self._reset_rows(rows, [None] * len(rows))

    def _reset_rows(self, rows: list[int], seeds: list) -> tuple[Any, list[dict]]:
        results = self._get_all([self._actors[i].reset.remote(s) for i, s in zip(rows, seeds)], "reset")
        obs = empty_batch(self.observation_space, len(rows))
        infos = []
        for k, (o, info) in enumerate(results):
            obs[k] = o
            infos.append(info if info else self._empty_infos[rows[k]])
        return obs, infos

    def step(self, actions: Any) -> VectorStep:
        n = self.num_envs
        if len(actions) != n:
            self._check_actions(actions)
        if isinstance(actions, np.ndarray) and actions.ndim == 1:
            actions = actions.tolist()
        refs = [actor.step.remote(actions[i]) for i, actor in enumerate(self._actors)]
        results = self._get_all(refs, "step")
        obs = empty_batch(self.observation_space, n)
        rewards = np.empty(n, dtype=np.float64)
        terms = np.empty(n, dtype=np.bool_)
        truncs = np.empty(n, dtype=np.bool_)
        infos = list(self._empty_infos)
        final_obs = None
        for i, (o, r, te, tr, info, final) in enumerate(results):
            obs[i] = o
            rewards[i] = r
            terms[i] = te
            truncs[i] = tr
            if info:
                infos[i] = info
            if final is not None:
                if final_obs is None:
                    final_obs = empty_batch(self.observation_space, n)
                final_obs[i] = final
        return VectorStep(obs, rewards, terms, truncs, infos, final_obs)

    def try_render(self, index: int = 0) -> Any:
        return self._get_all([self._actors[index].render.remote()], "render")[0]

    def close(self) -> None:
        close_env_actors(self._ray, self._actors, self._timeout, self.env_name)
        self._actors = []


def close_env_actors(ray: Any, actors: list, timeout_s: float, env_name: str) -> None:
    """Closes each sub-env actor's env (waiting up to ``timeout_s``), then kills the actors."""
    try:
        ray.get([a.close.remote() for a in actors], timeout=timeout_s)
    except ray.exceptions.RayError as err:  # the actors are killed right after anyway
        logger.debug("closing remote sub-envs of %s: %s", env_name, err)
    for actor in actors:
        ray.kill(actor)
