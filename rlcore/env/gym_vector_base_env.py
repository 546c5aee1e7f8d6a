"""GymVectorBaseEnv: a BaseEnv over a gymnasium ``VectorEnv``, through gymnasium's public API only.

gymnasium vector envs declare how they auto-reset in ``metadata["autoreset_mode"]``; the adapter
passes that on as the BaseEnv's ``autoreset_mode``:

- ``SAME_STEP``: an ended sub-env is reset inside ``step``; its last observation comes in
  ``infos["final_obs"]`` (BaseEnv ``"same_step"``).
- ``NEXT_STEP`` (gymnasium's default, and what ``CartPoleVectorEnv`` does): the ended sub-env is
  reset by the *next* ``step`` call, which ignores its action (BaseEnv ``"next_step"``: the
  sampler stores no row for it in that step).
- ``DISABLED``: nobody resets; the adapter resets ended sub-envs right away with
  ``reset(options={"reset_mask": mask})`` (BaseEnv ``"same_step"``), which needs a vector env that
  takes a reset mask.

A partial reset (:meth:`GymVectorBaseEnv.reset_envs`, what a sampler horizon needs) is
``reset(options={"reset_mask": mask})``, offered for gymnasium's ``SyncVectorEnv`` and
``AsyncVectorEnv``, the vector envs documented to take it. gymnasium's per-key ``infos`` dict of
arrays (with ``"_key"`` masks) becomes one dict per env.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import numpy as np

from rlcore.env.base_env import (
    NEXT_STEP,
    SAME_STEP,
    BaseEnv,
    EnvError,
    VectorStep,
    empty_batch,
    env_name_of,
    is_array_space,
)


def autoreset_mode_of(vec_env: Any) -> Any:
    """gymnasium's ``AutoresetMode`` of a vector env (``NEXT_STEP`` when it does not say).

    Examples:
        >>> import gymnasium
        >>> autoreset_mode_of(gymnasium.make_vec("CartPole-v1", 2, vectorization_mode="vector_entry_point")).name
        'NEXT_STEP'
    """
    from gymnasium.vector import AutoresetMode

    mode = getattr(vec_env, "metadata", {}).get("autoreset_mode", AutoresetMode.NEXT_STEP)
    return AutoresetMode(mode) if isinstance(mode, str) else mode


def takes_reset_mask(vec_env: Any) -> bool:
    """Whether ``vec_env.reset(options={"reset_mask": mask})`` resets only the masked sub-envs.

    True for gymnasium's ``SyncVectorEnv`` and ``AsyncVectorEnv`` (under any wrappers).

    Examples:
        >>> import gymnasium
        >>> takes_reset_mask(gymnasium.make_vec("CartPole-v1", 2, vectorization_mode="sync"))
        True
        >>> takes_reset_mask(gymnasium.make_vec("CartPole-v1", 2, vectorization_mode="vector_entry_point"))
        False
    """
    from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv

    return isinstance(getattr(vec_env, "unwrapped", vec_env), (SyncVectorEnv, AsyncVectorEnv))


def split_vector_infos(infos: dict, n: int, empty: list[dict] | None = None) -> list[dict]:
    """Turns gymnasium's vector ``infos`` (arrays plus ``"_key"`` masks) into one dict per env.

    Args:
        infos: The vector env's info dict.
        n: Number of sub-envs.
        empty: Dicts to use for envs without info (default: fresh empty dicts).

    Examples:
        >>> split_vector_infos({"x": ["a", "b"], "_x": np.array([True, False])}, 2)
        [{'x': 'a'}, {}]
    """
    out = list(empty) if empty is not None else [{} for _ in range(n)]
    if not infos:
        return out
    fresh = [False] * n
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        mask = infos.get("_" + key)
        rows = range(n) if mask is None else np.flatnonzero(mask).tolist()
        per_env = split_vector_infos(value, n) if isinstance(value, dict) else None
        for i in rows:
            if not fresh[i]:
                out[i] = {}
                fresh[i] = True
            out[i][key] = per_env[i] if per_env is not None else value[i]
    return out


class GymVectorBaseEnv(BaseEnv):
    """A gymnasium ``VectorEnv`` seen as a ``BaseEnv`` (see the module docstring).

    Args:
        vec_env: The gymnasium vector env.
        env_name: Name for error messages (default: its spec id or class name).
        worker_index: Rollout worker index, for error messages.
        seed: Seed of the first reset (passed to ``vec_env.reset(seed=...)``).

    Raises:
        ValueError: ``autoreset_mode=DISABLED`` on a vector env that takes no reset mask.

    Examples:
        >>> import gymnasium
        >>> vec = gymnasium.make_vec("CartPole-v1", 2, vectorization_mode="vector_entry_point",
        ...                          max_episode_steps=2)
        >>> env = GymVectorBaseEnv(vec, seed=0)
        >>> env.autoreset_mode, env.can_reset_envs
        ('next_step', False)
        >>> _ = env.reset()
        >>> _ = env.step(np.array([0, 0]))
        >>> step = env.step(np.array([0, 0]))
        >>> step.truncateds.tolist(), step.reset_mask
        ([True, True], None)
        >>> step = env.step(np.array([0, 0]))  # the auto-reset step: no transition
        >>> step.reset_mask.tolist(), bool(np.all(np.abs(step.obs) <= 0.05))
        ([True, True], True)
    """

    def __init__(
        self,
        vec_env: Any,
        *,
        env_name: str | None = None,
        worker_index: int = 0,
        seed: int | None = None,
    ) -> None:
        from gymnasium.vector import AutoresetMode

        self._vec = vec_env
        self.num_envs = int(vec_env.num_envs)
        self.observation_space = vec_env.single_observation_space
        self.action_space = vec_env.single_action_space
        self.env_name = env_name or env_name_of(vec_env)
        self.worker_index = worker_index
        self._seed = seed
        mode = autoreset_mode_of(vec_env)
        self.can_reset_envs = takes_reset_mask(vec_env)
        self._reset_ended_now = mode == AutoresetMode.DISABLED
        if self._reset_ended_now and not self.can_reset_envs:
            raise ValueError(
                f"vector env {self.env_name} ({type(vec_env).__name__}) has autoreset_mode=DISABLED and takes "
                f"no reset(options={{'reset_mask': ...}}): nothing would reset its sub-envs; use "
                f"autoreset_mode SAME_STEP or NEXT_STEP, or give the env as single envs"
            )
        self.autoreset_mode = NEXT_STEP if mode == AutoresetMode.NEXT_STEP else SAME_STEP
        self._obs_is_array = is_array_space(self.observation_space)
        self._act_is_array = is_array_space(self.action_space)
        # SyncVectorEnv(copy=False) returns its own buffer: copy it so results stay valid.
        self._copy_obs = getattr(getattr(vec_env, "unwrapped", vec_env), "copy", True) is False
        self._ended = np.zeros(self.num_envs, np.bool_)  # next_step: reset by the next step()
        self._empty_infos = [{} for _ in range(self.num_envs)]

    def get_vector_env(self) -> Any:
        """The wrapped gymnasium vector env."""
        return self._vec

    def reset(self, seed: int | None = None) -> tuple[Any, list[dict]]:
        if seed is None:
            seed = self._seed
        self._seed = None
        try:
            obs, infos = self._vec.reset(seed=seed)
        except Exception as err:
            raise EnvError(self.env_name, None, "reset", self.worker_index, err) from err
        self._ended[:] = False
        return self._as_batch(obs), split_vector_infos(infos, self.num_envs, self._empty_infos)

    def reset_envs(self, mask: np.ndarray) -> tuple[Any, list[dict]]:
        rows = self._mask_rows(mask)
        if not self.can_reset_envs:
            return super().reset_envs(mask)
        if not rows:
            return empty_batch(self.observation_space, 0), []
        try:
            obs, infos = self._vec.reset(options={"reset_mask": mask.copy()})
        except Exception as err:
            raise EnvError(self.env_name, rows[0], "reset", self.worker_index, err) from err
        self._ended[mask] = False
        batch = self._as_batch(obs)
        per_env = split_vector_infos(infos, self.num_envs, self._empty_infos)
        if self._obs_is_array:
            return batch[mask], [per_env[i] for i in rows]
        return [batch[i] for i in rows], [per_env[i] for i in rows]

    def _as_batch(self, obs: Any) -> Any:
        if self._copy_obs:
            obs = deepcopy(obs)
        if self._obs_is_array:
            # CartPoleVectorEnv returns state.T (Fortran order): give the sampler C order.
            return obs if obs.flags.c_contiguous else np.ascontiguousarray(obs)
        from gymnasium.vector.utils import iterate

        return list(iterate(self._vec.observation_space, obs))

    def step(self, actions: Any) -> VectorStep:
        n = self.num_envs
        if len(actions) != n:
            self._check_actions(actions)
        if self._act_is_array and not isinstance(actions, np.ndarray):
            actions = np.asarray(actions, dtype=self.action_space.dtype)
        elif not self._act_is_array and isinstance(actions, list):  # per-env Tuple/Dict actions
            from gymnasium.vector.utils import concatenate, create_empty_array

            actions = concatenate(self.action_space, actions, create_empty_array(self.action_space, n))
        try:
            obs, rewards, terms, truncs, infos = self._vec.step(actions)
        except Exception as err:
            raise EnvError(self.env_name, None, "step", self.worker_index, err) from err
        obs = self._as_batch(obs)
        terms = np.asarray(terms, dtype=np.bool_)
        truncs = np.asarray(truncs, dtype=np.bool_)
        ended = terms | truncs
        any_ended = bool(ended.any())
        if self.autoreset_mode == NEXT_STEP:
            reset_mask = None
            if self._ended.any():
                reset_mask = self._ended.copy()
            self._ended = ended
            return VectorStep(obs, np.asarray(rewards), terms, truncs,
                              split_vector_infos(infos, n, self._empty_infos), None, reset_mask)
        final_obs = None
        if any_ended and not self._reset_ended_now:  # SAME_STEP: the final obs are in the infos
            final_obs = empty_batch(self.observation_space, n)
            final_rows = infos.pop("final_obs")
            final_info = infos.pop("final_info", {})
            infos.pop("_final_obs", None)
            infos.pop("_final_info", None)
            per_env = split_vector_infos(infos, n, self._empty_infos)
            ended_info = split_vector_infos(final_info, n, self._empty_infos)
            for i in np.flatnonzero(ended).tolist():
                final_obs[i] = final_rows[i]
                per_env[i] = ended_info[i]
        else:
            per_env = split_vector_infos(infos, n, self._empty_infos)
        if any_ended and self._reset_ended_now:  # DISABLED: reset the ended sub-envs now
            final_obs = obs
            obs = list(obs) if not self._obs_is_array else obs.copy()
            new_rows, _ = self.reset_envs(ended)
            for k, i in enumerate(np.flatnonzero(ended).tolist()):
                obs[i] = new_rows[k]
        return VectorStep(obs, np.asarray(rewards), terms, truncs, per_env, final_obs,
                          final_obs_full=final_obs is not None and self._obs_is_array and self._reset_ended_now)

    def try_render(self, index: int = 0) -> Any:
        frames = self._vec.render()
        if isinstance(frames, (list, tuple)):
            return frames[index]
        return frames

    def close(self) -> None:
        self._vec.close()
