"""BaseEnv: what the sampler drives, N sub-envs stepped as one batch with arrays in and out.

Every env a rollout worker samples from (a gymnasium env copied N times, a gymnasium vector env,
a user's ``VectorEnv``, sub-envs in Ray actors) is seen through this one interface:

    obs, infos = base_env.reset(seed=0)         # obs: [N, ...] array (a list for Dict/Tuple spaces)
    while ...:
        step = base_env.step(actions)           # actions: [N, ...] array (a list for Dict/Tuple spaces)

A sub-env whose episode ends is reset automatically, in one of two ways (``autoreset_mode``,
gymnasium's two auto-reset modes):

- ``"same_step"``: its row of ``step.obs`` holds the FIRST obs of its next episode, its row of
  ``step.final_obs`` the episode's last observation.
- ``"next_step"``: its row of ``step.obs`` holds the episode's last observation; the next
  ``step()`` resets it (ignoring its action) and flags it in ``step.reset_mask``: that row of
  ``step.obs`` is the first obs of the next episode, and the row is no transition.

The sampler applies horizons itself (:mod:`rlcore.sampling.step_rules`): it cuts an episode and
resets that sub-env with :meth:`BaseEnv.reset_envs`, which envs with a partial reset offer
(``can_reset_envs``). Errors raised by a sub-env come out as :class:`EnvError`, naming the env and
its vector index.
"""

from __future__ import annotations

import abc
from typing import Any, NamedTuple

import numpy as np

from rlcore.env.wrappers import OldGymAPIAdapter


class VectorStep(NamedTuple):
    """The result of one ``BaseEnv.step`` over all N sub-envs.

    Arrays are C-contiguous and owned by the caller (a later step never overwrites them).

    Attributes:
        obs: Next observations [N, ...] (a list for Dict/Tuple spaces). For envs whose episode
            ended in this step: the first observation of the next episode.
        rewards: Rewards [N] (float64 or float32).
        terminateds: bool [N]: the episode reached a terminal state (bootstrap from 0).
        truncateds: bool [N]: the episode was cut (time limit, horizon): bootstrap from
            V(final obs).
        infos: One dict per env, in a new list each step (the sampler keeps it for the ``infos``
            column); for an env that ended, the info of its last step. Treat the dicts as
            read-only: envs that give no info share empty dicts.
        final_obs: ``"same_step"`` envs: None if no env ended; else [N, ...] (or a list) whose rows
            of ended envs hold the episode's final observation (other rows are unspecified,
            unless ``final_obs_full``).
            ``"next_step"`` envs: always None (``obs`` holds the final observations).
        reset_mask: ``"next_step"`` envs: None, or bool [N] marking the sub-envs this step reset
            (their ``obs`` row starts a new episode; reward and flags mean nothing).
        final_obs_full: ``final_obs`` is an [N, ...] array whose other rows are those of ``obs``:
            every env's observation after this step's action, so a sampler takes it whole
            instead of copying ``obs`` and writing the ended envs' rows into the copy.
    """

    obs: Any
    rewards: np.ndarray
    terminateds: np.ndarray
    truncateds: np.ndarray
    infos: list
    final_obs: Any
    reset_mask: Any = None
    final_obs_full: bool = False


SAME_STEP = "same_step"
NEXT_STEP = "next_step"


class EnvError(RuntimeError):
    """An exception raised inside a sub-env, re-raised with which env and where.

    Attributes:
        env_name: The env spec (registered name, gymnasium id or class name).
        vector_index: Index of the failing sub-env in its vector (None: the whole vector env).
        worker_index: Index of the rollout worker the env belongs to.
        phase: ``"step"``, ``"reset"`` or ``"create"``.

    Examples:
        >>> err = EnvError("CartPole-v1", 3, "step", worker_index=1)
        >>> str(err)
        'env CartPole-v1 (worker_index=1, vector_index=3) raised in step'
        >>> isinstance(err, RuntimeError)
        True
    """

    def __init__(
        self,
        env_name: str,
        vector_index: int | None,
        phase: str,
        worker_index: int = 0,
        cause: BaseException | None = None,
    ) -> None:
        where = f"vector_index={vector_index}" if vector_index is not None else "all sub-envs"
        message = f"env {env_name} (worker_index={worker_index}, {where}) raised in {phase}"
        if cause is not None:
            message += f": {type(cause).__name__}: {cause}"
        super().__init__(message)
        self.env_name = env_name
        self.vector_index = vector_index
        self.worker_index = worker_index
        self.phase = phase

    def __reduce__(self):  # picklable across Ray (the cause travels as __cause__ only locally)
        fields = (str(self), self.env_name, self.vector_index, self.worker_index, self.phase)
        return (_rebuild_env_error, fields)


def _rebuild_env_error(message, env_name, vector_index, worker_index, phase):
    err = EnvError(env_name, vector_index, phase, worker_index)
    err.args = (message,)
    return err


def is_array_space(space: Any) -> bool:
    """Whether observations/actions of ``space`` batch into one numpy array (not a list).

    Box, Discrete, MultiDiscrete and MultiBinary batch into arrays; Dict, Tuple, Text, Graph and
    other spaces batch into lists of per-env values.

    Examples:
        >>> import gymnasium.spaces as sp
        >>> is_array_space(sp.Box(0, 1, (3,))), is_array_space(sp.Discrete(2))
        (True, True)
        >>> is_array_space(sp.Dict({"a": sp.Discrete(2)}))
        False
    """
    from gymnasium import spaces

    return isinstance(space, (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary))


def empty_batch(space: Any, n: int) -> Any:
    """An uninitialized batch of ``n`` values of ``space``: an array, or a list of None.

    Examples:
        >>> import gymnasium.spaces as sp
        >>> empty_batch(sp.Box(0, 1, (3,)), 2).shape, empty_batch(sp.Tuple([sp.Discrete(2)]), 2)
        ((2, 3), [None, None])
    """
    if is_array_space(space):
        return np.empty((n,) + tuple(space.shape), dtype=space.dtype)
    return [None] * n


def env_name_of(env: Any) -> str:
    """A readable name for an env object: its gymnasium spec id, else its class name.

    Examples:
        >>> import gymnasium
        >>> env_name_of(gymnasium.make("CartPole-v1")), env_name_of(object())
        ('CartPole-v1', 'object')
    """
    spec = getattr(env, "spec", None)
    env_id = getattr(spec, "id", None)
    if isinstance(env_id, str):
        return env_id
    if isinstance(env, OldGymAPIAdapter):
        env = env.env
    return type(env).__qualname__


class BaseEnv(abc.ABC):
    """N sub-envs stepped as one batch: the interface the sampler drives.

    Subclasses set ``num_envs``, ``observation_space`` and ``action_space`` (those of ONE
    sub-env), ``env_name`` and ``worker_index`` (for error messages), ``autoreset_mode`` if it is
    ``"next_step"``, and implement :meth:`reset` and :meth:`step` (and :meth:`reset_envs` with
    ``can_reset_envs = True`` when they can reset single sub-envs). Build one with
    :func:`rlcore.env.make_base_env`.

    Examples:
        >>> from rlcore.env import make_base_env
        >>> env = make_base_env("CartPole-v1", num_envs=2, seed=0)
        >>> obs, infos = env.reset()
        >>> obs.shape, len(infos)
        ((2, 4), 2)
        >>> step = env.step(np.array([0, 1]))
        >>> step.rewards.tolist(), step.terminateds.tolist(), step.final_obs is None
        ([1.0, 1.0], [False, False], True)
        >>> env.close()
    """

    num_envs: int
    observation_space: Any
    action_space: Any
    env_name: str = "env"
    worker_index: int = 0
    #: How an ended sub-env is reset: ``"same_step"`` or ``"next_step"`` (see the module docstring).
    autoreset_mode: str = SAME_STEP
    #: Whether :meth:`reset_envs` can reset chosen sub-envs (what a horizon needs).
    can_reset_envs: bool = False

    @abc.abstractmethod
    def reset(self, seed: int | None = None) -> tuple[Any, list[dict]]:
        """Resets all sub-envs.

        Args:
            seed: Sub-env i is reset with ``seed + i`` (vectorized envs: their own convention).
                None uses the ``seed`` given at construction on the first reset, then no seed.

        Returns:
            ``(obs, infos)``: the obs batch [N, ...] (a list for Dict/Tuple spaces), N dicts.
        """

    @abc.abstractmethod
    def step(self, actions: Any) -> VectorStep:
        """Steps all sub-envs with one action each, auto-resetting the ones that end.

        Args:
            actions: [N, ...] array (a list for Tuple/Dict action spaces).

        Returns:
            A :class:`VectorStep`.
        """

    def reset_envs(self, mask: np.ndarray) -> tuple[Any, list[dict]]:
        """Resets the sub-envs where ``mask`` is True, now (the others are left as they are).

        Args:
            mask: bool [N].

        Returns:
            ``(obs, infos)`` of the reset sub-envs only, in index order: an array [k, ...] (a list
            for Dict/Tuple spaces) and k dicts.

        Raises:
            ValueError: This env has no partial reset (``can_reset_envs`` is False).
        """
        raise ValueError(
            f"{self!r} cannot reset single sub-envs (a horizon needs that): build it from single envs "
            f"(gym_env_vectorize_mode='sync') or use a vector env with a partial reset"
        )

    def get_sub_environments(self) -> list:
        """The individual gym envs (empty when the env is vectorized natively or remote)."""
        return []

    def try_render(self, index: int = 0) -> Any:
        """Renders sub-env ``index`` if it can render; returns what its ``render`` returns."""
        envs = self.get_sub_environments()
        if not envs:
            return None
        return envs[index].render()

    def close(self) -> None:
        """Closes every sub-env."""
        for env in self.get_sub_environments():
            close = getattr(env, "close", None)
            if callable(close):
                close()

    def _mask_rows(self, mask: Any) -> list[int]:
        """The sub-env indices a :meth:`reset_envs` mask selects (validated)."""
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
            raise ValueError(f"{type(self).__name__}.reset_envs(mask={mask!r}): expected a bool array of "
                             f"shape ({self.num_envs},)")
        return np.flatnonzero(mask).tolist()

    def _check_actions(self, actions: Any) -> None:
        try:
            n = len(actions)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__}.step(actions={actions!r}): expected an array or list "
                f"with one action per sub-env ({self.num_envs})"
            ) from None
        if n != self.num_envs:
            raise ValueError(
                f"{type(self).__name__}.step: got {n} actions for num_envs={self.num_envs} "
                f"sub-envs of env {self.env_name}"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self.env_name}, num_envs={self.num_envs}]"
