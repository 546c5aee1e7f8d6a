"""SubEnvLoop: a BaseEnv over N separate gym envs, stepped in one tight Python loop.

This is the path for every env without a native vectorized version. Each step calls the N
sub-envs' ``step`` in turn, writes results straight into fresh numpy arrays (no per-step
``concatenate``/``deepcopy`` as in gymnasium's ``SyncVectorEnv``), and resets an ended sub-env
in the same step (``VectorStep.final_obs`` keeps its last observation). Old-gym-API sub-envs
are adapted on the fly (``rlcore.env.wrappers``).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from rlcore.env.base_env import BaseEnv, EnvError, VectorStep, env_name_of, is_array_space
from rlcore.env.wrappers import as_gymnasium_env, convert_old_step


class SubEnvLoop(BaseEnv):
    """Steps a list of gym envs as one batch, with same-step auto-reset and a partial reset.

    Args:
        envs: The sub-envs (gymnasium API, or old gym API: adapted automatically).
        env_name: Name used in error messages (default: the first env's spec id or class).
        worker_index: Rollout worker index, for error messages.
        seed: Seed of the first reset (sub-env i gets ``seed + i``); None: unseeded.

    Examples:
        >>> import gymnasium
        >>> env = SubEnvLoop([gymnasium.make("CartPole-v1", max_episode_steps=2) for _ in range(3)], seed=1)
        >>> obs, _ = env.reset()
        >>> env.step(np.zeros(3, dtype=np.int64)).truncateds.tolist()
        [False, False, False]
        >>> step = env.step(np.zeros(3, dtype=np.int64))
        >>> step.truncateds.tolist(), step.final_obs.shape
        ([True, True, True], (3, 4))
        >>> env.reset_envs(np.array([False, True, False]))[0].shape
        (1, 4)
    """

    can_reset_envs = True

    def __init__(
        self,
        envs: Sequence[Any],
        *,
        env_name: str | None = None,
        worker_index: int = 0,
        seed: int | None = None,
    ) -> None:
        if len(envs) == 0:
            raise ValueError("SubEnvLoop(envs=[]): expected at least one sub-env")
        self._user_envs = list(envs)
        self._envs = [as_gymnasium_env(env) for env in envs]
        self.num_envs = len(self._envs)
        first = self._envs[0]
        self.observation_space = first.observation_space
        self.action_space = first.action_space
        self.env_name = env_name or env_name_of(self._user_envs[0])
        self.worker_index = worker_index
        self._seed = seed
        self._obs_is_array = is_array_space(self.observation_space)
        if self._obs_is_array:
            self._obs_batch_shape = (self.num_envs,) + tuple(self.observation_space.shape)
            self._obs_dtype = self.observation_space.dtype
        from gymnasium import spaces

        # Discrete actions go to envs as Python ints (cheaper to index, what envs expect).
        self._actions_to_list = isinstance(self.action_space, spaces.Discrete)
        self._empty_infos = [{} for _ in range(self.num_envs)]

    def get_sub_environments(self) -> list:
        return list(self._user_envs)

    def _new_obs(self) -> Any:
        if self._obs_is_array:
            return np.empty(self._obs_batch_shape, self._obs_dtype)
        return [None] * self.num_envs

    def reset(self, seed: int | None = None) -> tuple[Any, list[dict]]:
        if seed is None:
            seed = self._seed
        self._seed = None
        obs = self._new_obs()
        infos = []
        i = 0
        try:
            for i, env in enumerate(self._envs):
                o, info = env.reset(seed=None if seed is None else seed + i)
                obs[i] = o
                infos.append(info if info else self._empty_infos[i])
        except Exception as err:
            raise EnvError(self.env_name, i, "reset", self.worker_index, err) from err
        return obs, infos

    def reset_envs(self, mask: np.ndarray) -> tuple[Any, list[dict]]:
        rows = self._mask_rows(mask)
        obs, infos = [], []
        i = 0
        try:
            for i in rows:
                o, info = self._envs[i].reset()
                obs.append(o)
                infos.append(info if info else self._empty_infos[i])
        except Exception as err:
            raise EnvError(self.env_name, i, "reset", self.worker_index, err) from err
        if self._obs_is_array:
            return self._stack(obs, "reset", (len(rows),) + self._obs_batch_shape[1:]), infos
        return obs, infos

    def step(self, actions: Any) -> VectorStep:
        n = self.num_envs
        if len(actions) != n:
            self._check_actions(actions)
        acts = actions.tolist() if self._actions_to_list and isinstance(actions, np.ndarray) else actions
        obs = [None] * n
        rewards = [0.0] * n
        terms = [False] * n
        truncs = [False] * n
        infos = list(self._empty_infos)
        final_obs = None
        i = 0
        phase = "step"
        try:
            for i, env in enumerate(self._envs):
                result = env.step(acts[i])
                if len(result) != 5:
                    result = convert_old_step(result)
                o, r, te, tr, info = result
                if te or tr:
                    if final_obs is None:
                        final_obs = [None] * n
                    final_obs[i] = o
                    phase = "reset"
                    o, _ = env.reset()
                    phase = "step"
                    terms[i] = bool(te)
                    truncs[i] = bool(tr)
                obs[i] = o
                rewards[i] = r
                if info:
                    infos[i] = info
        except Exception as err:
            raise EnvError(self.env_name, i, phase, self.worker_index, err) from err
        full = False
        if self._obs_is_array:
            obs = self._stack(obs, "step")
            if final_obs is not None:
                final_obs = self._stack([o if o is not None else obs[k] for k, o in enumerate(final_obs)], "step")
                full = True
        return VectorStep(
            obs,
            np.array(rewards, dtype=np.float64),
            np.array(terms, dtype=np.bool_),
            np.array(truncs, dtype=np.bool_),
            infos,
            final_obs,
            final_obs_full=full,
        )

    def _stack(self, rows: list, phase: str, shape: tuple | None = None) -> np.ndarray:
        """One [N, ...] array (or ``shape``) from per-env observations; a misshapen one is an EnvError."""
        shape = shape or self._obs_batch_shape
        try:
            out = np.array(rows, dtype=self._obs_dtype)
            if out.shape == shape:
                return out
        except (ValueError, TypeError):
            pass
        want = shape[1:]
        bad = next((k for k, row in enumerate(rows) if np.shape(row) != want), None)
        if bad is None:
            cause = TypeError(f"observations do not convert to the observation_space dtype {self._obs_dtype}")
        else:
            cause = ValueError(
                f"observation of shape {np.shape(rows[bad])} does not fit observation_space shape {want}"
            )
        raise EnvError(self.env_name, bad, phase, self.worker_index, cause)

    def try_render(self, index: int = 0) -> Any:
        return self._envs[index].render()

    def close(self) -> None:
        for env in self._envs:
            env.close()
