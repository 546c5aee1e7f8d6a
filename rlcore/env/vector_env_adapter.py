"""VectorEnvAdapter: a user's RLlib-style ``VectorEnv`` seen as a ``BaseEnv``.

A ``VectorEnv`` steps its sub-envs itself (``vector_step``) but leaves resets to the caller
(``reset_at``); the adapter resets ended sub-envs in the same step, converts RLlib 1.x
``dones`` (4-tuple results) to ``terminated``/``truncated`` (truncated when the env's info has
``"TimeLimit.truncated"``), accepts the 5-tuple form too, resets chosen sub-envs with ``reset_at``
(:meth:`reset_envs`, for the sampler's horizon), and batches the per-env lists into arrays.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from rlcore.env.base_env import BaseEnv, EnvError, VectorStep, empty_batch, env_name_of, is_array_space
from rlcore.env.wrappers import TRUNCATED_KEY


def _takes_keyword(fn: Any, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature to read: do not guess
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _obs_only(result: Any) -> tuple[Any, dict | None]:
    """Splits ``(obs, info)`` results (gymnasium style) from bare observations (RLlib 1.x)."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
        return result
    return result, None


class VectorEnvAdapter(BaseEnv):
    """Drives a ``VectorEnv`` (``vector_reset``/``reset_at``/``vector_step``) as a ``BaseEnv``.

    Args:
        vector_env: The user's vector env (``num_envs``, ``observation_space``,
            ``action_space`` of one sub-env).
        env_name: Name for error messages (default: the class name).
        worker_index: Rollout worker index, for error messages.
        seed: Seed of the first reset: ``vector_reset(seeds=[seed + i ...])`` if the env takes
            seeds (RLlib 2.x signature), else ignored.

    Examples:
        >>> import gymnasium
        >>> from rlcore.env.vector_env import VectorEnv
        >>> class Two(VectorEnv):
        ...     def __init__(self):
        ...         super().__init__(gymnasium.spaces.Discrete(5), gymnasium.spaces.Discrete(2), 2)
        ...         self.t = [0, 0]
        ...     def vector_reset(self):
        ...         self.t = [0, 0]
        ...         return [0, 0]
        ...     def reset_at(self, index):
        ...         self.t[index] = 0
        ...         return 0
        ...     def vector_step(self, actions):
        ...         self.t = [t + 1 for t in self.t]
        ...         return list(self.t), [1.0, 1.0], [t >= 2 for t in self.t], [{}, {}]
        >>> env = VectorEnvAdapter(Two())
        >>> env.reset()[0].tolist()
        [0, 0]
        >>> env.step(np.array([0, 0])).obs.tolist()
        [1, 1]
        >>> step = env.step(np.array([0, 0]))
        >>> step.obs.tolist(), step.terminateds.tolist(), step.final_obs.tolist()
        ([0, 0], [True, True], [2, 2])
    """

    can_reset_envs = True

    def __init__(
        self,
        vector_env: Any,
        *,
        env_name: str | None = None,
        worker_index: int = 0,
        seed: int | None = None,
    ) -> None:
        for name in ("vector_reset", "reset_at", "vector_step", "num_envs"):
            if not hasattr(vector_env, name):
                raise TypeError(
                    f"VectorEnvAdapter(vector_env={vector_env!r}): missing {name!r}; expected a "
                    f"VectorEnv with vector_reset, reset_at, vector_step and num_envs"
                )
        self._env = vector_env
        self.num_envs = int(vector_env.num_envs)
        self.observation_space = vector_env.observation_space
        self.action_space = vector_env.action_space
        self.env_name = env_name or env_name_of(vector_env)
        self.worker_index = worker_index
        self._seed = seed
        self._reset_takes_seeds = _takes_keyword(vector_env.vector_reset, "seeds")
        self._empty_infos = [{} for _ in range(self.num_envs)]
        self._obs_is_array = self.observation_space is not None and is_array_space(self.observation_space)

    def get_sub_environments(self) -> list:
        getter = getattr(self._env, "get_sub_environments", None) or getattr(self._env, "get_unwrapped", None)
        return list(getter()) if getter is not None else []

    def get_vector_env(self) -> Any:
        """The wrapped user vector env."""
        return self._env

    def _batch(self, rows: list) -> Any:
        if self._obs_is_array:
            out = empty_batch(self.observation_space, self.num_envs)
            for i, row in enumerate(rows):
                out[i] = row
            return out
        return list(rows)

    def _infos(self, infos: Any) -> list[dict]:
        if not infos:
            return list(self._empty_infos)
        return [info if info else self._empty_infos[i] for i, info in enumerate(infos)]

    def reset(self, seed: int | None = None) -> tuple[Any, list[dict]]:
        if seed is None:
            seed = self._seed
        self._seed = None
        try:
            if seed is not None and self._reset_takes_seeds:
                result = self._env.vector_reset(seeds=[seed + i for i in range(self.num_envs)])
            else:  # an RLlib 1.x vector_reset() takes no seeds
                result = self._env.vector_reset()
        except Exception as err:
            raise EnvError(self.env_name, None, "reset", self.worker_index, err) from err
        if (
            isinstance(result, tuple)
            and len(result) == 2
            and isinstance(result[1], (list, tuple))
            and len(result[1]) == self.num_envs
            and all(isinstance(info, dict) for info in result[1])
        ):
            obs, infos = result
        else:
            obs, infos = result, None
        if len(obs) != self.num_envs:
            raise ValueError(
                f"env {self.env_name}: vector_reset returned {len(obs)} observations for "
                f"num_envs={self.num_envs}"
            )
        return self._batch(list(obs)), self._infos(infos)

    def reset_envs(self, mask: np.ndarray) -> tuple[Any, list[dict]]:
        rows = self._mask_rows(mask)
        obs, infos = [], []
        for i in rows:
            o, info = self._reset_one(i)
            obs.append(o)
            infos.append(info if info else self._empty_infos[i])
        if self._obs_is_array:
            out = empty_batch(self.observation_space, len(rows))
            for k, o in enumerate(obs):
                out[k] = o
            return out, infos
        return obs, infos

    def _reset_one(self, i: int) -> tuple[Any, dict | None]:
        try:
            return _obs_only(self._env.reset_at(i))
        except Exception as err:
            raise EnvError(self.env_name, i, "reset", self.worker_index, err) from err

    def step(self, actions: Any) -> VectorStep:
        n = self.num_envs
        if len(actions) != n:
            self._check_actions(actions)
        if isinstance(actions, np.ndarray):
            actions = list(actions.tolist() if actions.ndim == 1 else actions)
        try:
            result = self._env.vector_step(actions)
        except Exception as err:
            raise EnvError(self.env_name, None, "step", self.worker_index, err) from err
        if len(result) == 5:
            obs, rewards, terms, truncs, infos = result
            terms = [bool(x) for x in terms]
            truncs = [bool(x) for x in truncs]
        elif len(result) == 4:
            obs, rewards, dones, infos = result
            infos = infos or [{}] * n
            truncs = [bool(d) and bool((info or {}).get(TRUNCATED_KEY, False)) for d, info in zip(dones, infos)]
            terms = [bool(d) and not tr for d, tr in zip(dones, truncs)]
        else:
            raise ValueError(
                f"env {self.env_name}: vector_step returned a {len(result)}-tuple; expected "
                f"(obs, rewards, dones, infos) or (obs, rewards, terminateds, truncateds, infos)"
            )
        obs = list(obs)
        final_obs = None
        for i in range(n):
            if terms[i] or truncs[i]:
                if final_obs is None:
                    final_obs = empty_batch(self.observation_space, n) if self._obs_is_array else [None] * n
                final_obs[i] = obs[i]
                obs[i], _ = self._reset_one(i)
        return VectorStep(
            self._batch(obs),
            np.asarray(rewards, dtype=np.float64),
            np.array(terms, dtype=np.bool_),
            np.array(truncs, dtype=np.bool_),
            self._infos(infos),
            final_obs,
        )

    def try_render(self, index: int = 0) -> Any:
        render_at = getattr(self._env, "try_render_at", None)
        return render_at(index) if render_at is not None else super().try_render(index)

    def close(self) -> None:
        close = getattr(self._env, "close", None)
        if callable(close):
            close()
        else:
            super().close()
