"""VectorEnv: RLlib 1.x's user-facing API for an env that holds and steps N copies itself.

Users subclass it to batch their own simulator::

    class MyVec(VectorEnv):
        def vector_reset(self): return [obs_0, ..., obs_n-1]
        def reset_at(self, index): return obs_index
        def vector_step(self, actions): return obs_list, rewards, dones, infos

``vector_step`` may return RLlib 1.x's 4-tuple ``(obs, rewards, dones, infos)`` or the
5-tuple ``(obs, rewards, terminateds, truncateds, infos)``; ``vector_reset``/``reset_at`` may
return bare observations or ``(obs, infos)``. ``make_base_env`` accepts either form
(``rlcore.env.vector_env_adapter``). ``VectorEnv.vectorize_gym_envs`` (alias ``wrap``) builds one
from N single gym envs; rlcore steps those with its fast loop.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from rlcore.env.wrappers import as_gymnasium_env


class VectorEnv:
    """An env that holds ``num_envs`` sub-envs and steps them together (RLlib 1.x API).

    Args:
        observation_space: The observation space of ONE sub-env.
        action_space: The action space of ONE sub-env.
        num_envs: Number of sub-envs.

    Examples:
        >>> import gymnasium
        >>> vec = VectorEnv.vectorize_gym_envs(lambda i: gymnasium.make("CartPole-v1"), num_envs=2)
        >>> len(vec.vector_reset()), vec.num_envs
        (2, 2)
        >>> obs, rewards, dones, infos = vec.vector_step([0, 1])
        >>> rewards, dones
        ([1.0, 1.0], [False, False])
    """

    def __init__(self, observation_space: Any, action_space: Any, num_envs: int) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
            raise ValueError(f"VectorEnv num_envs={num_envs!r}: expected an int >= 1")
        self.observation_space = observation_space
        self.action_space = action_space
        self.num_envs = num_envs

    @staticmethod
    def vectorize_gym_envs(
        make_env: Callable[[int], Any] | None = None,
        existing_envs: Sequence[Any] | None = None,
        num_envs: int = 1,
        action_space: Any = None,
        observation_space: Any = None,
        env_config: Any = None,
        policy_config: Any = None,
    ) -> _VectorizedGymEnv:
        """Builds a VectorEnv from single gym envs: ``existing_envs`` plus ``make_env(i)`` copies.

        Args:
            make_env: ``make_env(vector_index) -> env`` creating missing sub-envs.
            existing_envs: Envs already created (used first).
            num_envs: Total number of sub-envs.
            action_space: Defaults to the first env's.
            observation_space: Defaults to the first env's.
            env_config: Unused; accepted for RLlib signature compatibility.
            policy_config: Unused; accepted for RLlib signature compatibility.

        Returns:
            A ``VectorEnv`` stepping the envs one after the other.
        """
        return _VectorizedGymEnv(
            make_env=make_env,
            existing_envs=existing_envs,
            num_envs=num_envs,
            observation_space=observation_space,
            action_space=action_space,
        )

    wrap = vectorize_gym_envs  # RLlib 1.0-1.2 name

    def vector_reset(self) -> list:
        """Resets all sub-envs; returns the list of observations."""
        raise NotImplementedError

    def reset_at(self, index: int) -> Any:
        """Resets sub-env ``index``; returns its observation."""
        raise NotImplementedError

    def vector_step(self, actions: Any) -> tuple:
        """Steps all sub-envs; returns ``(obs, rewards, dones, infos)`` lists (or the 5-tuple)."""
        raise NotImplementedError

    def get_sub_environments(self) -> list:
        """The individual envs, if the VectorEnv has any (else an empty list)."""
        return []

    def to_base_env(self, make_env: Callable[[int], Any] | None = None, num_envs: int = 1, remote_envs: bool = False,
                    remote_env_batch_wait_ms: int = 0) -> Any:
        """This env in RLlib 1.x's BaseEnv protocol (:func:`rlcore.env.async_env.convert_to_base_env`)."""
        from rlcore.env.async_env import convert_to_base_env

        return convert_to_base_env(self, make_env, num_envs, remote_envs, remote_env_batch_wait_ms)

    def get_unwrapped(self) -> list:
        """RLlib 1.x name of :meth:`get_sub_environments`."""
        return self.get_sub_environments()

    def try_render_at(self, index: int | None = None) -> Any:
        """Renders sub-env ``index`` (default 0) if it can render."""
        envs = self.get_sub_environments()
        return envs[index or 0].render() if envs else None


class _VectorizedGymEnv(VectorEnv):
    """N single gym envs behind the VectorEnv API (what ``vectorize_gym_envs`` returns)."""

    def __init__(
        self,
        make_env: Callable[[int], Any] | None,
        existing_envs: Sequence[Any] | None,
        num_envs: int,
        observation_space: Any = None,
        action_space: Any = None,
    ) -> None:
        envs = list(existing_envs or [])
        if len(envs) > num_envs:
            raise ValueError(f"vectorize_gym_envs: {len(envs)} existing_envs > num_envs={num_envs}")
        if len(envs) < num_envs and make_env is None:
            raise ValueError(
                f"vectorize_gym_envs: num_envs={num_envs} but only {len(envs)} existing_envs and "
                f"no make_env to create the rest"
            )
        while len(envs) < num_envs:
            envs.append(make_env(len(envs)))
        self.envs = envs
        self._gym_envs = [as_gymnasium_env(env) for env in envs]
        first = self._gym_envs[0]
        super().__init__(
            observation_space or first.observation_space,
            action_space or first.action_space,
            num_envs,
        )

    def vector_reset(self) -> list:
        return [env.reset()[0] for env in self._gym_envs]

    def reset_at(self, index: int) -> Any:
        return self._gym_envs[index].reset()[0]

    def vector_step(self, actions: Any) -> tuple[list, list, list, list]:
        """Steps each env; returns RLlib 1.x lists, ``info["TimeLimit.truncated"]`` on truncation."""
        obs, rewards, dones, infos = [], [], [], []
        for env, action in zip(self._gym_envs, actions):
            o, r, te, tr, info = env.step(action)
            if tr and not te:
                info = dict(info, **{"TimeLimit.truncated": True})
            obs.append(o)
            rewards.append(r)
            dones.append(bool(te or tr))
            infos.append(info)
        return obs, rewards, dones, infos

    def get_sub_environments(self) -> list:
        return list(self.envs)
