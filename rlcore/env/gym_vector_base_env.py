"""GymVectorBaseEnv: a BaseEnv over a gymnasium ``VectorEnv``, giving same-step auto-reset.

gymnasium vector envs declare how they auto-reset in ``metadata["autoreset_mode"]``:

- ``SAME_STEP``: an ended sub-env is reset inside ``step``; its last observation comes in
  ``infos["final_obs"]``. That is already the ``BaseEnv`` contract.
- ``NEXT_STEP`` (the default, and what ``CartPoleVectorEnv`` does) or ``DISABLED``: the ended
  sub-env is reset by the *next* ``step`` call, which ignores its action. This adapter instead
  resets the ended rows right away, so the sampler never wastes a step or misaligns actions.
  That needs a partial reset: ``reset(options={"reset_mask": mask})`` for ``SyncVectorEnv``
  and ``AsyncVectorEnv``, and a row reset for ``CartPoleVectorEnv`` that draws the same random
  numbers its own ``NEXT_STEP`` reset would. :func:`row_resetter` says whether one exists.

gymnasium's per-key ``infos`` dict of arrays (with ``"_key"`` masks) becomes one dict per env.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any, Callable

import numpy as np

from rlcore.env.base_env import BaseEnv, EnvError, VectorStep, empty_batch, env_name_of, is_array_space

RowResetter = Callable[[np.ndarray], Any]


def _autoreset_mode(vec_env: Any) -> Any:
    from gymnasium.vector import AutoresetMode

    mode = getattr(vec_env, "metadata", {}).get("autoreset_mode", AutoresetMode.NEXT_STEP)
    return AutoresetMode(mode) if isinstance(mode, str) else mode


def _cartpole_row_resetter(env: Any) -> RowResetter | None:
    needed = ("state", "steps", "prev_done", "low", "high", "np_random")
    if not all(hasattr(env, name) for name in needed):
        return None

    def reset_rows(mask: np.ndarray) -> np.ndarray:
        # Exactly what CartPoleVectorEnv.step does for rows in prev_done (the same random draw),
        # done now instead of at the next step.
        rows = np.flatnonzero(mask)
        draw = env.np_random.uniform(low=env.low, high=env.high, size=(4, rows.size))
        env.state[:, rows] = draw
        env.steps[rows] = 0
        env.prev_done[rows] = False
        return draw.T

    return reset_rows


def row_resetter(vec_env: Any) -> RowResetter | None:
    """A function resetting the sub-envs selected by a bool mask, returning their new obs rows.

    Returns None when ``vec_env`` supports no partial reset known to rlcore.

    Examples:
        >>> import gymnasium
        >>> vec = gymnasium.make_vec("CartPole-v1", 3, vectorization_mode="vector_entry_point")
        >>> _ = vec.reset(seed=0)
        >>> row_resetter(vec)(np.array([True, False, True])).shape
        (2, 4)
    """
    from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv
    from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv

    base = getattr(vec_env, "unwrapped", vec_env)
    if isinstance(base, CartPoleVectorEnv):
        if base is not vec_env:  # wrappers may transform obs: resetting under them is unsafe
            return None
        return _cartpole_row_resetter(base)
    if isinstance(base, (SyncVectorEnv, AsyncVectorEnv)):

        def reset_rows(mask: np.ndarray) -> Any:
            obs, _ = vec_env.reset(options={"reset_mask": mask})
            if isinstance(obs, np.ndarray):
                return obs[mask]
            return obs  # structured obs: the caller picks rows itself

        return reset_rows
    return None


def supports_same_step(vec_env: Any, horizon: int | None = None) -> bool:
    """Whether :class:`GymVectorBaseEnv` can give same-step auto-reset (and ``horizon``) for it.

    Examples:
        >>> import gymnasium
        >>> supports_same_step(gymnasium.make_vec("CartPole-v1", 2, vectorization_mode="sync"))
        True
    """
    from gymnasium.vector import AutoresetMode

    if row_resetter(vec_env) is not None:
        return True
    return _autoreset_mode(vec_env) == AutoresetMode.SAME_STEP and horizon is None


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
    """A gymnasium ``VectorEnv`` seen as a ``BaseEnv`` with same-step auto-reset.

    Args:
        vec_env: The gymnasium vector env.
        env_name: Name for error messages (default: its spec id or class name).
        worker_index: Rollout worker index, for error messages.
        seed: Seed of the first reset (passed to ``vec_env.reset(seed=...)``).
        horizon: Truncate episodes after this many steps (needs a partial reset).

    Examples:
        >>> import gymnasium
        >>> vec = gymnasium.make_vec("CartPole-v1", 2, vectorization_mode="vector_entry_point",
        ...                          max_episode_steps=2)
        >>> env = GymVectorBaseEnv(vec, seed=0)
        >>> _ = env.reset()
        >>> _ = env.step(np.array([0, 0]))
        >>> step = env.step(np.array([0, 0]))
        >>> step.truncateds.tolist(), bool(np.all(np.abs(step.obs) <= 0.05))
        ([True, True], True)
    """

    def __init__(
        self,
        vec_env: Any,
        *,
        env_name: str | None = None,
        worker_index: int = 0,
        seed: int | None = None,
        horizon: int | None = None,
    ) -> None:
        from gymnasium.vector import AutoresetMode

        if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1):
            raise ValueError(f"horizon={horizon!r}: expected None or an int >= 1")
        self._vec = vec_env
        self.num_envs = int(vec_env.num_envs)
        self.observation_space = vec_env.single_observation_space
        self.action_space = vec_env.single_action_space
        self.env_name = env_name or env_name_of(vec_env)
        self.worker_index = worker_index
        self._seed = seed
        self._horizon = self.horizon = horizon
        self._same_step = _autoreset_mode(vec_env) == AutoresetMode.SAME_STEP
        self._reset_rows = row_resetter(vec_env)
        if self._reset_rows is None and (not self._same_step or horizon is not None):
            need = "horizon" if self._same_step else f"autoreset_mode={_autoreset_mode(vec_env)}"
            raise ValueError(
                f"vector env {self.env_name} ({type(vec_env).__name__}) with {need} needs a partial "
                f"reset, and rlcore knows none for it; give the env as single envs instead"
            )
        self._obs_is_array = is_array_space(self.observation_space)
        self._act_is_array = is_array_space(self.action_space)
        # SyncVectorEnv(copy=False) returns its own buffer: copy it so results stay valid.
        self._copy_obs = getattr(getattr(vec_env, "unwrapped", vec_env), "copy", True) is False
        self._t = np.zeros(self.num_envs, dtype=np.int64)
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
        self._t[:] = 0
        if self._copy_obs:
            obs = deepcopy(obs)
        return self._as_batch(obs), split_vector_infos(infos, self.num_envs, self._empty_infos)

    def _as_batch(self, obs: Any) -> Any:
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
        if self._copy_obs:
            obs = deepcopy(obs)
        obs = self._as_batch(obs)
        terms = np.asarray(terms, dtype=np.bool_)
        truncs = np.asarray(truncs, dtype=np.bool_)
        ended = terms | truncs
        any_ended = bool(ended.any())
        final_obs = None
        if self._same_step and any_ended:
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
        to_reset = ended if any_ended and not self._same_step else None
        if self._horizon is not None:
            t = self._t
            t += 1
            hit = (t >= self._horizon) & ~ended
            if hit.any():
                truncs = truncs | hit
                to_reset = hit if to_reset is None else (to_reset | hit)
                t[hit] = 0
            if any_ended:
                t[ended] = 0
        if to_reset is not None:
            obs, final_obs = self._reset_now(obs, final_obs, to_reset)
        return VectorStep(obs, np.asarray(rewards), terms, truncs, per_env, final_obs)

    def _reset_now(self, obs: Any, final_obs: Any, mask: np.ndarray) -> tuple[Any, Any]:
        try:
            new_rows = self._reset_rows(mask)
        except Exception as err:
            first = int(np.flatnonzero(mask)[0])
            raise EnvError(self.env_name, first, "reset", self.worker_index, err) from err
        if self._obs_is_array:
            if final_obs is None:
                final_obs = obs  # rows of the reset envs hold their last obs; others: anything
                obs = obs.copy()
            else:
                final_obs[mask] = obs[mask]
            obs[mask] = new_rows
            return obs, final_obs
        if final_obs is None:
            final_obs = empty_batch(self.observation_space, self.num_envs)
        new_obs = self._as_batch(new_rows)
        obs = list(obs)
        for i in np.flatnonzero(mask).tolist():
            final_obs[i] = obs[i]
            obs[i] = new_obs[i]
        return obs, final_obs

    def try_render(self, index: int = 0) -> Any:
        frames = self._vec.render()
        if isinstance(frames, (list, tuple)):
            return frames[index]
        return frames

    def close(self) -> None:
        self._vec.close()
