"""MultiAgentEnv: an env with several agents, every value a dict keyed by agent id.

The API is gymnasium-style (what RLlib 2.x uses)::

    obs, infos = env.reset(seed=None, options=None)            # {agent_id: obs}, {agent_id: info}
    obs, rewards, terminateds, truncateds, infos = env.step({agent_id: action})

``terminateds["__all__"]`` / ``truncateds["__all__"]`` end the episode; only agents present in
``obs`` act next. RLlib 1.x subclasses (``reset() -> obs``, ``step() -> (obs, rewards, dones,
infos)`` with ``dones["__all__"]``) still work: :func:`as_gymnasium_multi_agent` presents both
kinds with the 5-tuple API, and the multi-agent sampler only ever sees that form.
:func:`make_multi_agent` builds a MultiAgentEnv out of N copies of a single-agent env.
"""

from __future__ import annotations

from typing import Any, Callable

from rlcore.env.env_context import EnvContext
from rlcore.env.wrappers import TRUNCATED_KEY, as_gymnasium_env, reset_accepts_seed

ALL = "__all__"


class MultiAgentEnv:
    """Base class of multi-agent envs: subclasses implement ``reset`` and ``step``.

    ``observation_space`` / ``action_space`` may be set to the space of one agent when all
    agents share it (policies then default to it).

    Examples:
        >>> class Echo(MultiAgentEnv):
        ...     def reset(self, *, seed=None, options=None):
        ...         return {"a": 0, "b": 0}, {}
        ...     def step(self, action_dict):
        ...         obs = dict(action_dict)
        ...         return obs, {k: 1.0 for k in obs}, {"__all__": True}, {"__all__": False}, {}
        >>> env = Echo()
        >>> env.reset()[0], env.step({"a": 1, "b": 2})[2]
        ({'a': 0, 'b': 0}, {'__all__': True})
    """

    observation_space: Any = None
    action_space: Any = None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """Starts an episode; returns ``(obs_dict, infos_dict)``."""
        raise NotImplementedError

    def step(self, action_dict: dict) -> tuple[dict, dict, dict, dict, dict]:
        """Applies the agents' actions; returns obs, rewards, terminateds, truncateds, infos."""
        raise NotImplementedError

    def render(self) -> Any:
        """Renders the env (no-op by default)."""
        return None

    def to_base_env(self, make_env: Callable[[int], Any] | None = None, num_envs: int = 1,
                    remote_envs: bool = False, remote_env_batch_wait_ms: int = 0) -> Any:
        """This env (and ``num_envs - 1`` more from ``make_env(i)``) in RLlib 1.x's BaseEnv
        protocol (:func:`rlcore.env.async_env.convert_to_base_env`)."""
        from rlcore.env.async_env import convert_to_base_env

        return convert_to_base_env(self, make_env, num_envs, remote_envs, remote_env_batch_wait_ms)

    def close(self) -> None:
        """Releases resources (no-op by default)."""


class _GymnasiumMultiAgentAdapter(MultiAgentEnv):
    """Presents an old (1.x) or new multi-agent env through the 5-tuple API."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.observation_space = getattr(env, "observation_space", None)
        self.action_space = getattr(env, "action_space", None)
        self._reset_takes_seed = reset_accepts_seed(env)

    def _name(self) -> str:
        return type(self.env).__qualname__

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        if self._reset_takes_seed:
            result = self.env.reset(seed=seed, options=options)
        else:
            if seed is not None and callable(getattr(self.env, "seed", None)):
                self.env.seed(seed)
            result = self.env.reset()
        if isinstance(result, tuple) and len(result) == 2:
            return result[0], result[1] or {}
        if isinstance(result, dict):
            return result, {}
        raise ValueError(
            f"multi-agent env {self._name()}: reset returned {type(result).__name__}; expected "
            f"an obs dict or (obs_dict, infos_dict)"
        )

    def step(self, action_dict: dict) -> tuple[dict, dict, dict, dict, dict]:
        result = self.env.step(action_dict)
        if len(result) == 5:
            obs, rewards, terms, truncs, infos = result
            if ALL not in terms:
                raise ValueError(
                    f"multi-agent env {self._name()}: step's terminateds dict has no '__all__' "
                    f"key (got keys {sorted(map(str, terms))})"
                )
            if ALL not in truncs:
                truncs = dict(truncs)
                truncs[ALL] = False
            return obs, rewards, terms, truncs, infos or {}
        if len(result) != 4:
            raise ValueError(
                f"multi-agent env {self._name()}: step returned a {len(result)}-tuple; expected "
                f"(obs, rewards, dones, infos) or (obs, rewards, terminateds, truncateds, infos)"
            )
        obs, rewards, dones, infos = result
        infos = infos or {}
        if ALL not in dones:
            raise ValueError(
                f"multi-agent env {self._name()}: step's dones dict has no '__all__' key "
                f"(got keys {sorted(map(str, dones))})"
            )
        terms, truncs = split_dones(dones, infos)
        return obs, rewards, terms, truncs, infos

    def render(self) -> Any:
        render = getattr(self.env, "render", None)
        return render() if callable(render) else None

    def close(self) -> None:
        close = getattr(self.env, "close", None)
        if callable(close):
            close()

    def __getattr__(self, name: str) -> Any:
        if name == "env":
            raise AttributeError(name)
        return getattr(self.env, name)


def split_dones(dones: dict, infos: dict) -> tuple[dict, dict]:
    """RLlib 1.x's ``dones`` dict as gymnasium's ``(terminateds, truncateds)``.

    An agent is truncated when its info has ``"TimeLimit.truncated"``, else terminated;
    ``"__all__"`` is truncated only if every agent that ended in the step was truncated.

    Args:
        dones: ``{agent_id: bool}`` with ``"__all__"``.
        infos: ``{agent_id: info dict}`` (agents may be missing).

    Returns:
        ``(terminateds, truncateds)``, both with ``"__all__"``.

    Examples:
        >>> split_dones({"a": True, "b": True, "__all__": True}, {"a": {"TimeLimit.truncated": True}})
        ({'a': False, 'b': True, '__all__': True}, {'a': True, 'b': False, '__all__': False})
    """
    terms, truncs = {}, {}
    for agent_id, done in dones.items():
        if agent_id == ALL:
            continue
        info = infos.get(agent_id) or {}
        truncated = bool(done) and bool(info.get(TRUNCATED_KEY, False))
        terms[agent_id] = bool(done) and not truncated
        truncs[agent_id] = truncated
    ended = [a for a, d in dones.items() if a != ALL and d]
    all_done = bool(dones.get(ALL))
    all_truncated = all_done and bool(ended) and all(truncs[a] for a in ended)
    terms[ALL] = all_done and not all_truncated
    truncs[ALL] = all_truncated
    return terms, truncs


def as_gymnasium_multi_agent(env: Any) -> MultiAgentEnv:
    """Presents a multi-agent env (RLlib 1.x style or gymnasium style) with the 5-tuple API.

    Old-style 4-tuple ``dones`` become ``terminateds``, or ``truncateds`` for agents whose info
    has ``"TimeLimit.truncated"``; ``"__all__"`` is truncated only if every agent that ended in
    that step was truncated. A missing ``"__all__"`` in ``truncateds`` is added as False; a
    missing ``"__all__"`` in ``dones``/``terminateds`` is a ValueError naming the env.

    Args:
        env: The multi-agent env.

    Returns:
        An adapter (``.env`` is the original), or ``env`` itself if already adapted.

    Examples:
        >>> class Old:
        ...     def reset(self): return {"a": 0}
        ...     def step(self, actions):
        ...         return {"a": 1}, {"a": 1.0}, {"a": True, "__all__": True}, {"a": {}}
        >>> env = as_gymnasium_multi_agent(Old())
        >>> env.reset()
        ({'a': 0}, {})
        >>> obs, rewards, terminateds, truncateds, infos = env.step({"a": 0})
        >>> terminateds, truncateds
        ({'a': True, '__all__': True}, {'a': False, '__all__': False})
    """
    if isinstance(env, _GymnasiumMultiAgentAdapter):
        return env
    return _GymnasiumMultiAgentAdapter(env)


def make_multi_agent(env_name_or_creator: str | Callable[[Any], Any]) -> type[MultiAgentEnv]:
    """A MultiAgentEnv class holding ``config["num_agents"]`` independent copies of one env.

    Agent ids are ``0..num_agents-1``. Each copy is built from the config without the
    ``num_agents`` key (a gymnasium id gets ``gymnasium.make(id, **config)``). On ``reset(seed=s)``
    agent i's env is reset with ``s + i``. An agent that ends stays out of later observations;
    ``"__all__"`` ends when every agent ended (``truncateds["__all__"]`` if all were truncated).

    The env is resolved when an instance is made, not when the class is made (as in RLlib 1.x):
    a name registered after ``make_multi_agent`` but before the first instance works.

    Args:
        env_name_or_creator: A gymnasium id or registered name, a ``"package.module.ClassName"``,
            an env class, or a ``creator(env_config) -> env`` callable.

    Returns:
        The class; instantiate it with a config dict (or ``EnvContext``).

    Raises:
        TypeError: When ``env_name_or_creator`` is neither a str nor callable.

    Examples:
        >>> MultiCartPole = make_multi_agent("CartPole-v1")
        >>> env = MultiCartPole({"num_agents": 2})
        >>> obs, infos = env.reset(seed=0)
        >>> sorted(obs), env.observation_space.shape
        ([0, 1], (4,))
        >>> obs, rewards, terminateds, truncateds, infos = env.step({0: 0, 1: 1})
        >>> rewards, terminateds["__all__"]
        ({0: 1.0, 1: 1.0}, False)
    """
    from rlcore.env.registry import env_spec_name, make_env_creator

    name = env_spec_name(env_name_or_creator)

    class MultiEnv(MultiAgentEnv):
        def __init__(self, config: Any = None) -> None:
            creator = make_env_creator(env_name_or_creator)
            config = EnvContext() if config is None else config
            if not isinstance(config, EnvContext):
                config = EnvContext(config)
            num = config.get("num_agents", 1)
            if isinstance(num, bool) or not isinstance(num, int) or num < 1:
                raise ValueError(f"make_multi_agent config['num_agents']={num!r}: expected an int >= 1")
            sub_config = {k: v for k, v in config.items() if k != "num_agents"}
            sub_context = config.copy_with_overrides(env_config=sub_config)
            self.agents = [as_gymnasium_env(creator(sub_context.copy_with_overrides())) for _ in range(num)]
            self.observation_space = self.agents[0].observation_space
            self.action_space = self.agents[0].action_space
            self._terminated: set = set()
            self._truncated: set = set()

        def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
            self._terminated, self._truncated = set(), set()
            obs, infos = {}, {}
            for i, env in enumerate(self.agents):
                obs[i], infos[i] = env.reset(seed=None if seed is None else seed + i, options=options)
            return obs, infos

        def step(self, action_dict: dict) -> tuple[dict, dict, dict, dict, dict]:
            obs, rewards, terms, truncs, infos = {}, {}, {}, {}, {}
            for i, action in action_dict.items():
                obs[i], rewards[i], terms[i], truncs[i], infos[i] = self.agents[i].step(action)
                if terms[i]:
                    self._terminated.add(i)
                elif truncs[i]:
                    self._truncated.add(i)
            n = len(self.agents)
            terms[ALL] = len(self._terminated) + len(self._truncated) == n and bool(self._terminated)
            truncs[ALL] = len(self._truncated) == n
            return obs, rewards, terms, truncs, infos

        def render(self) -> Any:
            return self.agents[0].render()

        def close(self) -> None:
            for env in self.agents:
                env.close()

    MultiEnv.__name__ = MultiEnv.__qualname__ = f"MultiAgent[{name}]"
    return MultiEnv
