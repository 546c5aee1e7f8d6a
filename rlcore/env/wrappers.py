"""The old-gym-API adapter: a ``reset() -> obs`` / ``step() -> (obs, reward, done, info)`` env seen
through the gymnasium API (``reset(seed=, options=) -> (obs, info)``, 5-tuple ``step``).

RLlib 1.x envs were written for gym < 0.26. ``done`` becomes ``terminated``, unless the env (or
gym's old ``TimeLimit``) marked the step with ``info["TimeLimit.truncated"]``, in which case it
becomes ``truncated``. A seed passed to ``reset`` goes to the old ``env.seed(seed)`` if the env
has one.

``as_gymnasium_env(env)`` decides, from how the env answers its first ``reset`` and ``step``,
whether an env needs the adapter, so a user never has to say which API the env follows.
"""

from __future__ import annotations

import inspect
from typing import Any

TRUNCATED_KEY = "TimeLimit.truncated"


def convert_old_step(result: tuple) -> tuple[Any, float, bool, bool, dict]:
    """Turns an old ``(obs, reward, done, info)`` step result into the gymnasium 5-tuple.

    Args:
        result: The 4-tuple returned by an old-API ``step``.

    Returns:
        ``(obs, reward, terminated, truncated, info)``.

    Examples:
        >>> convert_old_step((1, 0.5, True, {}))
        (1, 0.5, True, False, {})
        >>> convert_old_step((1, 0.5, True, {"TimeLimit.truncated": True}))
        (1, 0.5, False, True, {'TimeLimit.truncated': True})
    """
    obs, reward, done, info = result
    if info is None:
        info = {}
    truncated = bool(done) and bool(info.get(TRUNCATED_KEY, False))
    return obs, reward, bool(done) and not truncated, truncated, info


def reset_accepts_seed(env: Any) -> bool:
    """Whether ``env.reset`` takes a ``seed`` keyword (gymnasium API) or ``**kwargs``.

    Examples:
        >>> class Old:
        ...     def reset(self): return 0
        >>> class New:
        ...     def reset(self, *, seed=None, options=None): return 0, {}
        >>> reset_accepts_seed(Old()), reset_accepts_seed(New())
        (False, True)
    """
    try:
        params = inspect.signature(env.reset).parameters
    except (TypeError, ValueError):  # builtins or C extensions without a signature
        return True
    return "seed" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def is_new_reset_result(result: Any, observation_space: Any = None) -> bool:
    """Whether a ``reset`` result is gymnasium's ``(obs, info)`` rather than an old bare obs.

    An old env whose observation is itself a 2-tuple ending in a dict is told apart by its
    observation space when it has a ``Tuple`` space containing the result.

    Examples:
        >>> is_new_reset_result(([0.0], {})), is_new_reset_result([0.0, 1.0])
        (True, False)
    """
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
        return False
    if observation_space is not None and type(observation_space).__name__ == "Tuple":
        try:
            return not observation_space.contains(result)
        except (TypeError, ValueError, AttributeError, IndexError, KeyError):
            return True  # a space that cannot judge the value: trust the shape of the result
    return True


class OldGymAPIAdapter:
    """Presents an old-gym-API env through the gymnasium API.

    Args:
        env: An env whose ``reset()`` returns the observation and whose ``step`` returns
            ``(obs, reward, done, info)``.

    Examples:
        >>> class Countdown:
        ...     observation_space = action_space = None
        ...     def reset(self):
        ...         self.n = 2
        ...         return self.n
        ...     def step(self, action):
        ...         self.n -= 1
        ...         return self.n, 1.0, self.n == 0, {}
        >>> env = OldGymAPIAdapter(Countdown())
        >>> env.reset(seed=3)
        (2, {})
        >>> env.step(0), env.step(0)
        ((1, 1.0, False, False, {}), (0, 1.0, True, False, {}))
    """

    def __init__(self, env: Any) -> None:
        self.env = env
        self.observation_space = getattr(env, "observation_space", None)
        self.action_space = getattr(env, "action_space", None)
        self._reset_takes_seed = reset_accepts_seed(env)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict]:
        """Resets the wrapped env; a seed goes to ``env.seed`` (old API) or ``env.reset``."""
        if self._reset_takes_seed and (seed is not None or options is not None):
            result = self.env.reset(seed=seed, options=options)
        else:
            if seed is not None and callable(getattr(self.env, "seed", None)):
                self.env.seed(seed)
            result = self.env.reset()
        if is_new_reset_result(result, self.observation_space):
            return result
        return result, {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict]:
        """Steps the wrapped env and converts a 4-tuple result (a 5-tuple passes through)."""
        result = self.env.step(action)
        if len(result) == 5:
            return result
        return convert_old_step(result)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        return self.env.render(*args, **kwargs)

    def close(self) -> None:
        close = getattr(self.env, "close", None)
        if callable(close):
            close()

    @property
    def unwrapped(self) -> Any:
        return getattr(self.env, "unwrapped", self.env)

    def __getattr__(self, name: str) -> Any:
        if name == "env":  # not set yet (unpickling): avoid infinite recursion
            raise AttributeError(name)
        return getattr(self.env, name)

    def __repr__(self) -> str:
        return f"OldGymAPIAdapter({self.env!r})"


def as_gymnasium_env(env: Any) -> Any:
    """Returns ``env`` if it follows the gymnasium API, else ``OldGymAPIAdapter(env)``.

    A ``gymnasium.Env`` whose ``reset`` takes ``seed`` is trusted as is; any other env is
    wrapped: the adapter passes gymnasium-style results through unchanged and converts old ones,
    deciding per call, so wrapping a new-API env is harmless.

    Examples:
        >>> import gymnasium
        >>> env = gymnasium.make("CartPole-v1")
        >>> as_gymnasium_env(env) is env
        True
        >>> class Old:
        ...     def reset(self): return 0
        ...     def step(self, a): return 0, 0.0, True, {}
        >>> type(as_gymnasium_env(Old())).__name__
        'OldGymAPIAdapter'
    """
    import gymnasium

    if isinstance(env, OldGymAPIAdapter):
        return env
    if isinstance(env, gymnasium.Env) and reset_accepts_seed(env):
        if not isinstance(env, gymnasium.Wrapper) or reset_accepts_seed(env.unwrapped):
            return env
    return OldGymAPIAdapter(env)
