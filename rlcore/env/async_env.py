"""AsyncEnv: RLlib 1.x's ``BaseEnv`` protocol, agents polled for observations and sent actions.

RLlib 1.x sampled every env through one asynchronous interface: ``poll()`` returns what is
ready, as two-level dicts ``{env_id: {agent_id: value}}``, and ``send_actions`` answers the
agents that were ready::

    obs, rewards, dones, infos, off_policy_actions = env.poll()
    env.send_actions({env_id: {agent_id: action, ...}, ...})

An env id may be any hashable; envs and agents may come and go. A sub-env whose ``"__all__"``
is done is reset by ``try_reset(env_id)``: it returns the new episode's observations, or
:data:`ASYNC_RESET_RETURN` (or None) when they will arrive in a later ``poll()``.
``off_policy_actions`` holds actions an agent already took itself (an external simulator that
logged its own action); the row records that action. ``poll()`` may also return gymnasium's
form, ``(obs, rewards, terminateds, truncateds, infos, off_policy_actions)``.

rlcore's own :class:`~rlcore.env.base_env.BaseEnv` is the synchronous, array-batched interface
the fast single-agent sampler drives. :class:`AsyncEnv` is the 1.x protocol for users' own
BaseEnvs (``rllib_compat.env.BaseEnv`` is this class): the multi-agent sampler drives any
``AsyncEnv`` a rollout worker's env creator returns. :func:`convert_to_base_env` (1.x's
``BaseEnv.to_base_env``) wraps every other kind of env in the protocol.

Examples:
    >>> import gymnasium as gym
    >>> env = convert_to_base_env(gym.make("CartPole-v1"), make_env=lambda i: gym.make("CartPole-v1"), num_envs=2)
    >>> obs, rewards, dones, infos, off_policy = env.poll()
    >>> sorted(obs), list(obs[0]), rewards[0], dones[0]
    ([0, 1], ['agent0'], {'agent0': None}, {'__all__': False, 'agent0': False})
    >>> env.send_actions({0: {"agent0": 0}, 1: {"agent0": 1}})
    >>> rewards = env.poll()[1]
    >>> rewards[0], rewards[1]
    ({'agent0': 1.0}, {'agent0': 1.0})
"""

from __future__ import annotations

import abc
import inspect
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from rlcore.env.base_env import BaseEnv, EnvError, env_name_of
from rlcore.env.multi_agent_env import ALL, MultiAgentEnv, as_gymnasium_multi_agent
from rlcore.env.wrappers import TRUNCATED_KEY, as_gymnasium_env

__all__ = ["ASYNC_RESET_RETURN", "DUMMY_AGENT_ID", "AsyncEnv", "RemoteAsyncEnv", "convert_to_base_env",
           "try_reset_accepts_seed"]

#: What ``try_reset`` returns when the new episode's observations come in a later ``poll()``.
ASYNC_RESET_RETURN = "async_reset_return"
#: The agent id of a single-agent env seen through the protocol (RLlib 1.x's ``_DUMMY_AGENT_ID``).
DUMMY_AGENT_ID = "agent0"

MultiEnvDict = Dict[Any, Dict[Any, Any]]


class AsyncEnv(abc.ABC):
    """RLlib 1.x's ``BaseEnv``: sub-envs whose agents are polled and sent actions.

    Subclasses implement :meth:`poll` and :meth:`send_actions`, and :meth:`try_reset` when a
    sub-env can be reset on request. Set ``observation_space`` / ``action_space`` (those of one
    agent) when all agents share them: the default policy takes them.

    Examples:
        >>> class Counter(AsyncEnv):
        ...     def __init__(self):
        ...         self.t, self.sent = 0, None
        ...     def poll(self):
        ...         obs = {"env": {"a": self.t}}
        ...         rewards = {"env": {"a": None if self.t == 0 else 1.0}}
        ...         dones = {"env": {"__all__": self.t >= 2}}
        ...         return obs, rewards, dones, {"env": {}}, {}
        ...     def send_actions(self, action_dict):
        ...         self.sent = action_dict
        ...         self.t += 1
        >>> env = Counter()
        >>> env.poll()[0], env.try_reset("env"), env.get_unwrapped()
        ({'env': {'a': 0}}, None, [])
    """

    observation_space: Any = None
    action_space: Any = None

    @staticmethod
    def to_base_env(env: Any, make_env: Optional[Callable[[int], Any]] = None, num_envs: int = 1,
                    remote_envs: bool = False, remote_env_batch_wait_ms: int = 0,
                    policy_config: Any = None) -> "AsyncEnv":
        """Wraps any env in the protocol (RLlib 1.x's static ``BaseEnv.to_base_env``).

        See :func:`convert_to_base_env`; ``policy_config`` is accepted as 1.x did and unused.
        """
        return convert_to_base_env(env, make_env, num_envs, remote_envs, remote_env_batch_wait_ms)

    @abc.abstractmethod
    def poll(self) -> Tuple[MultiEnvDict, ...]:
        """Observations of the agents that are ready, and what came with them.

        Returns:
            ``(obs, rewards, dones, infos, off_policy_actions)``, each ``{env_id: {agent_id:
            value}}``; ``dones[env_id]["__all__"]`` ends that sub-env's episode. A reward is None
            for an episode's first observation. Gymnasium's 6-tuple ``(obs, rewards, terminateds,
            truncateds, infos, off_policy_actions)`` is accepted too.
        """

    @abc.abstractmethod
    def send_actions(self, action_dict: MultiEnvDict) -> None:
        """Actions for the agents of the last ``poll()``: ``{env_id: {agent_id: action}}``."""

    def try_reset(self, env_id: Any = None) -> Any:
        """Resets sub-env ``env_id``.

        Returns:
            The new episode's ``{agent_id: obs}``; :data:`ASYNC_RESET_RETURN` when they come in
            a later ``poll()``; None when this env cannot be reset on request.
        """
        return None

    def get_sub_environments(self) -> List[Any]:
        """The individual sub-envs, where there are such objects (else ``[]``)."""
        return []

    def get_unwrapped(self) -> List[Any]:
        """RLlib 1.x's older name of :meth:`get_sub_environments`."""
        return self.get_sub_environments()

    def try_render(self, env_id: Any = None) -> Any:
        """Renders sub-env ``env_id`` where possible; returns what its ``render`` returns."""
        return None

    def stop(self) -> None:
        """Releases the sub-envs (closes each one that has ``close``)."""
        for env in self.get_sub_environments():
            close = getattr(env, "close", None)
            if callable(close):
                close()

    def close(self) -> None:
        """Same as :meth:`stop` (the name rlcore's samplers call)."""
        self.stop()


def try_reset_accepts_seed(env: AsyncEnv) -> bool:
    """Whether ``env.try_reset`` takes ``seed=`` (RLlib 2.x's signature; 1.x's takes ``env_id`` only).

    Examples:
        >>> class Old(AsyncEnv):
        ...     poll = send_actions = lambda self, *a: None
        ...     def try_reset(self, env_id=None): return None
        >>> try_reset_accepts_seed(Old())
        False
    """
    try:
        params = inspect.signature(env.try_reset).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def convert_to_base_env(env: Any, make_env: Optional[Callable[[int], Any]] = None, num_envs: int = 1,
                        remote_envs: bool = False, remote_env_batch_wait_ms: int = 0) -> AsyncEnv:
    """Any env as an :class:`AsyncEnv` (RLlib 1.x's ``convert_to_base_env`` / ``to_base_env``).

    Args:
        env: An ``AsyncEnv`` (returned as is), an ``ExternalEnv`` / ``ExternalMultiAgentEnv``, a
            ``MultiAgentEnv``, a gymnasium (or old gym) env, a gymnasium vector env, an rlcore
            ``VectorEnv`` or ``BaseEnv``.
        make_env: ``make_env(vector_index) -> env`` building the other sub-envs (``env`` is
            sub-env 0); needed when ``num_envs > 1`` for single envs and remote envs.
        num_envs: Number of sub-envs (a vector env brings its own).
        remote_envs: Each sub-env in its own Ray actor (:class:`RemoteAsyncEnv`).
        remote_env_batch_wait_ms: With ``remote_envs``: how long ``poll()`` waits for more
            sub-envs to be ready once one is.

    Returns:
        The env in the protocol. Sub-env ids are ``0..num_envs-1``; a single-agent env's agent
        is :data:`DUMMY_AGENT_ID`.

    Raises:
        ValueError: ``remote_envs`` with ``num_envs=1`` (as RLlib 1.x), or ``num_envs > 1``
            without ``make_env``.

    Examples:
        >>> from rlcore.env import make_multi_agent
        >>> ma = make_multi_agent("CartPole-v1")({"num_agents": 2})
        >>> env = convert_to_base_env(ma)
        >>> obs = env.poll()[0]
        >>> sorted(obs[0])
        [0, 1]
    """
    if isinstance(env, AsyncEnv):
        return env
    from rlcore.env.external_env import ExternalEnv

    if isinstance(env, ExternalEnv):
        return env.to_base_env(make_env, num_envs, remote_envs, remote_env_batch_wait_ms)
    if isinstance(num_envs, bool) or not isinstance(num_envs, int) or num_envs < 1:
        raise ValueError(f"to_base_env num_envs={num_envs!r}: expected an int >= 1")
    if remote_envs and num_envs == 1:
        raise ValueError("to_base_env(remote_envs=True, num_envs=1): remote envs only make sense with num_envs > 1 "
                         "(each sub-env runs in its own actor and they step in parallel)")
    if (remote_envs or num_envs > 1) and make_env is None and not _is_vector(env):
        raise ValueError(f"to_base_env(num_envs={num_envs}{', remote_envs=True' if remote_envs else ''}) needs "
                         f"make_env(vector_index) to build the other sub-envs of {env_name_of(env)}")
    if remote_envs:
        close = getattr(env, "close", None)
        if callable(close):  # the actors build their own copies
            close()
        return RemoteAsyncEnv(make_env, num_envs, multiagent=isinstance(env, MultiAgentEnv),
                              remote_env_batch_wait_ms=remote_env_batch_wait_ms)
    if isinstance(env, MultiAgentEnv):
        return _MultiAgentEnvsAsync([env] + [make_env(i) for i in range(1, num_envs)])
    if isinstance(env, BaseEnv):
        return _BaseEnvAsync(env)
    from rlcore.env.base_env_factory import make_base_env

    def creator(ctx: Any) -> Any:
        return env if ctx.vector_index == 0 else make_env(ctx.vector_index)

    creator.env_name = env_name_of(env)  # type: ignore[attr-defined]
    return _BaseEnvAsync(make_base_env(creator, num_envs=num_envs))


def _is_vector(env: Any) -> bool:
    import gymnasium

    return (isinstance(env, (BaseEnv, gymnasium.vector.VectorEnv))
            or (hasattr(env, "vector_step") and hasattr(env, "reset_at")))


def _ended(term: bool, trunc: bool, info: Any) -> Tuple[bool, Any]:
    """1.x's ``done`` of one agent, and its info marked ``TimeLimit.truncated`` when truncated."""
    if trunc and not term:
        return True, {**(info or {}), TRUNCATED_KEY: True}
    return bool(term), info if info is not None else {}


def _as_1x(result: tuple) -> tuple:
    """A gymnasium multi-agent step ``(obs, rewards, terms, truncs, infos)`` as 1.x's
    ``(obs, rewards, dones, infos)`` for one sub-env."""
    obs, rewards, terms, truncs, infos = result
    dones, out_infos = {}, dict(infos)
    for agent_id in set(terms) | set(truncs):
        if agent_id == ALL:
            continue
        dones[agent_id], info = _ended(bool(terms.get(agent_id)), bool(truncs.get(agent_id)), infos.get(agent_id))
        if info is not infos.get(agent_id):
            out_infos[agent_id] = info
    dones[ALL] = bool(terms.get(ALL)) or bool(truncs.get(ALL))
    if dones[ALL] and bool(truncs.get(ALL)) and not bool(terms.get(ALL)):
        for agent_id in obs:  # an episode cut by its time limit: each agent's info says so
            out_infos[agent_id] = {**(out_infos.get(agent_id) or {}), TRUNCATED_KEY: True}
    return obs, rewards, dones, out_infos


class _Ready:
    """Results waiting for the next ``poll()``, keyed by env id."""

    def __init__(self) -> None:
        self.obs: MultiEnvDict = {}
        self.rewards: MultiEnvDict = {}
        self.dones: MultiEnvDict = {}
        self.infos: MultiEnvDict = {}
        self.off_policy_actions: MultiEnvDict = {}

    def put(self, env_id: Any, obs: dict, rewards: dict, dones: dict, infos: dict) -> None:
        self.obs[env_id], self.rewards[env_id], self.dones[env_id], self.infos[env_id] = obs, rewards, dones, infos

    def put_first(self, env_id: Any, obs: dict, infos: dict) -> None:
        self.put(env_id, obs, {a: None for a in obs}, {ALL: False, **{a: False for a in obs}}, dict(infos or {}))

    def take(self) -> tuple:
        """Everything put since the last ``take``, as ``poll()`` returns it; then empty."""
        out = (self.obs, self.rewards, self.dones, self.infos, self.off_policy_actions)
        self.obs, self.rewards, self.dones, self.infos, self.off_policy_actions = {}, {}, {}, {}, {}
        return out


class _MultiAgentEnvsAsync(AsyncEnv):
    """N ``MultiAgentEnv`` copies in the protocol (RLlib 1.x's ``_MultiAgentEnvToBaseEnv``).

    ``send_actions`` steps each sub-env it has actions for; ``poll`` returns their results (the
    first ``poll`` resets every sub-env). ``try_reset`` resets at once.
    """

    def __init__(self, envs: List[Any], seed: Optional[int] = None) -> None:
        self._raw = list(envs)
        self.envs = [as_gymnasium_multi_agent(e) for e in self._raw]
        self.num_envs = len(self.envs)
        self.observation_space = getattr(self._raw[0], "observation_space", None)
        self.action_space = getattr(self._raw[0], "action_space", None)
        self._seed = seed
        self._ready = _Ready()
        self._started = False

    def poll(self) -> tuple:
        if not self._started:
            self._started = True
            for i in range(self.num_envs):
                obs, infos = self._reset(i, None if self._seed is None else self._seed + i)
                self._ready.put_first(i, obs, infos)
        return self._ready.take()

    def send_actions(self, action_dict: MultiEnvDict) -> None:
        for env_id, actions in action_dict.items():
            try:
                result = self.envs[env_id].step(actions)
            except Exception as err:
                raise EnvError(env_name_of(self._raw[env_id]), env_id, "step", cause=err) from err
            self._ready.put(env_id, *_as_1x(result))

    def try_reset(self, env_id: Any = None, *, seed: Optional[int] = None, options: Optional[dict] = None) -> Any:
        if env_id is None:
            return {i: self.try_reset(i, seed=None if seed is None else seed + i) for i in range(self.num_envs)}
        return self._reset(env_id, seed, options)[0]

    def _reset(self, i: int, seed: Optional[int], options: Optional[dict] = None) -> tuple:
        try:
            return self.envs[i].reset(seed=seed, options=options)
        except Exception as err:
            raise EnvError(env_name_of(self._raw[i]), i, "reset", cause=err) from err

    def get_sub_environments(self) -> List[Any]:
        return list(self._raw)

    def try_render(self, env_id: Any = None) -> Any:
        return self.envs[0 if env_id is None else env_id].render()


class _BaseEnvAsync(AsyncEnv):
    """An rlcore (single-agent, batched) :class:`BaseEnv` in the protocol (RLlib 1.x's
    ``_VectorEnvToBaseEnv``): one agent, :data:`DUMMY_AGENT_ID`, per sub-env.

    ``send_actions`` needs an action for every sub-env (as 1.x's did), except those whose reset
    is pending; the batched env steps when it has them. A sub-env that ended was reset by the
    batched env already, so ``try_reset`` returns its new first observation (for a next-step
    auto-reset env: :data:`ASYNC_RESET_RETURN`, the observation comes with the next step).
    """

    def __init__(self, base_env: BaseEnv) -> None:
        self.base_env = base_env
        self.num_envs = base_env.num_envs
        self.observation_space, self.action_space = base_env.observation_space, base_env.action_space
        self._ready = _Ready()
        self._started = False
        self._next_first: Dict[int, Any] = {}  # sub-env -> first obs of its next episode (same-step reset)
        self._pending_reset: set = set()  # next-step envs: the next step resets them

    def poll(self) -> tuple:
        if not self._started:
            self._started = True
            obs, infos = self.base_env.reset()
            for i in range(self.num_envs):
                self._ready.put_first(i, {DUMMY_AGENT_ID: obs[i]}, {DUMMY_AGENT_ID: infos[i]})
        return self._ready.take()

    def send_actions(self, action_dict: MultiEnvDict) -> None:
        missing = [i for i in range(self.num_envs) if i not in action_dict and i not in self._pending_reset]
        if missing:
            raise ValueError(f"send_actions: no action for sub-envs {missing} of {self.base_env.env_name}: a vectorized "
                             f"env steps all {self.num_envs} sub-envs together, so each needs one")
        filler = self.action_space.sample()
        actions = [action_dict[i][DUMMY_AGENT_ID] if i in action_dict else filler for i in range(self.num_envs)]
        if isinstance(filler, np.ndarray) or np.isscalar(filler):
            actions = np.asarray(actions)
        step = self.base_env.step(actions)
        reset_rows = set(np.flatnonzero(step.reset_mask).tolist()) if step.reset_mask is not None else set()
        for i in range(self.num_envs):
            if i in reset_rows:
                self._pending_reset.discard(i)
                self._ready.put_first(i, {DUMMY_AGENT_ID: step.obs[i]}, {DUMMY_AGENT_ID: step.infos[i]})
                continue
            term, trunc = bool(step.terminateds[i]), bool(step.truncateds[i])
            done, info = _ended(term, trunc, step.infos[i])
            obs = step.obs[i]
            if done and step.final_obs is not None:  # same-step auto-reset: obs is the next episode's first
                self._next_first[i] = obs
                obs = step.final_obs[i]
            elif done:
                self._pending_reset.add(i)
            self._ready.put(i, {DUMMY_AGENT_ID: obs}, {DUMMY_AGENT_ID: float(step.rewards[i])},
                            {ALL: done, DUMMY_AGENT_ID: done}, {DUMMY_AGENT_ID: info})

    def try_reset(self, env_id: Any = None, *, seed: Optional[int] = None, options: Optional[dict] = None) -> Any:
        if env_id is None:
            obs, _ = self.base_env.reset(seed=seed)
            self._next_first.clear()
            self._pending_reset.clear()
            return {i: {DUMMY_AGENT_ID: obs[i]} for i in range(self.num_envs)}
        if env_id in self._next_first:
            return {DUMMY_AGENT_ID: self._next_first.pop(env_id)}
        if env_id in self._pending_reset:
            return ASYNC_RESET_RETURN
        if not self.base_env.can_reset_envs:
            return None
        mask = np.zeros(self.num_envs, np.bool_)
        mask[env_id] = True
        obs, _ = self.base_env.reset_envs(mask)
        return {DUMMY_AGENT_ID: obs[0]}

    def get_sub_environments(self) -> List[Any]:
        return self.base_env.get_sub_environments()

    def try_render(self, env_id: Any = None) -> Any:
        return self.base_env.try_render(0 if env_id is None else env_id)

    def stop(self) -> None:
        self.base_env.close()


class _RemoteSubEnv:
    """Actor body of :class:`RemoteAsyncEnv`: one sub-env, results as agent dicts."""

    def __init__(self, make_env: Callable[[int], Any], index: int, multiagent: bool) -> None:
        self.user_env = make_env(index)
        self.multiagent = multiagent
        self.env = as_gymnasium_multi_agent(self.user_env) if multiagent else as_gymnasium_env(self.user_env)

    def describe(self) -> tuple:
        return self.env.observation_space, self.env.action_space, env_name_of(self.user_env)

    def reset(self, seed: Optional[int] = None) -> tuple:
        obs, infos = self.env.reset(seed=seed)
        if not self.multiagent:
            obs, infos = {DUMMY_AGENT_ID: obs}, {DUMMY_AGENT_ID: infos}
        return "reset", obs, infos

    def step(self, action_dict: dict) -> tuple:
        if self.multiagent:
            return ("step",) + _as_1x(self.env.step(action_dict))
        obs, reward, term, trunc, info = self.env.step(action_dict[DUMMY_AGENT_ID])
        done, info = _ended(bool(term), bool(trunc), info)
        return "step", {DUMMY_AGENT_ID: obs}, {DUMMY_AGENT_ID: reward}, {ALL: done, DUMMY_AGENT_ID: done}, \
            {DUMMY_AGENT_ID: info}

    def render(self) -> Any:
        return self.env.render()

    def close(self) -> None:
        self.env.close()


class RemoteAsyncEnv(AsyncEnv):
    """Sub-envs in Ray actors, polled as they finish (RLlib 1.x's ``RemoteVectorEnv``).

    ``send_actions`` starts each sub-env's step; ``poll`` waits until at least one is done, then
    up to ``remote_env_batch_wait_ms`` longer for the others, and returns those that are ready,
    so a slow sub-env does not hold up the batch. ``try_reset`` starts a reset in the actor and
    returns :data:`ASYNC_RESET_RETURN`. The actors ask for no CPU (as 1.x's). Ray must be
    initialized.

    Args:
        make_env: ``make_env(vector_index) -> env``; serializable by Ray.
        num_envs: Number of sub-envs (actors).
        multiagent: Whether the sub-envs are ``MultiAgentEnv``\\ s.
        remote_env_batch_wait_ms: See above; 0 returns what is ready once one is.
        seed: Sub-env i's first reset gets ``seed + i``.
        timeout_s: The longest wait for a sub-env before raising ``EnvError``.
    """

    def __init__(self, make_env: Callable[[int], Any], num_envs: int, *, multiagent: bool = False,
                 remote_env_batch_wait_ms: float = 0, seed: Optional[int] = None, timeout_s: float = 60.0,
                 env_name: Optional[str] = None, worker_index: int = 0) -> None:
        import ray

        if not ray.is_initialized():
            raise RuntimeError("remote_envs=True runs each sub-env in a Ray actor: call ray.init() first")
        if isinstance(remote_env_batch_wait_ms, bool) or not isinstance(remote_env_batch_wait_ms, (int, float)) \
                or remote_env_batch_wait_ms < 0:
            raise ValueError(f"remote_env_batch_wait_ms={remote_env_batch_wait_ms!r}: expected a number >= 0")
        self._ray = ray
        self.num_envs = num_envs
        self.multiagent = multiagent
        self._wait_s = remote_env_batch_wait_ms / 1000.0
        self._timeout = timeout_s
        self.worker_index = worker_index
        actor_cls = ray.remote(num_cpus=0)(_RemoteSubEnv)
        self._actors = [actor_cls.remote(make_env, i, multiagent) for i in range(num_envs)]
        self.observation_space, self.action_space, name = ray.get(self._actors[0].describe.remote(),
                                                                  timeout=timeout_s)
        self.env_name = env_name or name
        self._pending: Optional[Dict[Any, int]] = None  # object ref -> sub-env
        self._seed = seed

    def poll(self) -> tuple:
        ray = self._ray
        if self._pending is None:
            self._pending = {a.reset.remote(None if self._seed is None else self._seed + i): i
                             for i, a in enumerate(self._actors)}
        if not self._pending:
            raise RuntimeError(f"RemoteAsyncEnv[{self.env_name}].poll(): no sub-env is stepping or resetting "
                               "(send actions or try_reset first)")
        refs = list(self._pending)
        ready, _ = ray.wait(refs, num_returns=1, timeout=self._timeout)
        if not ready:
            raise EnvError(self.env_name, None, "step", self.worker_index,
                           TimeoutError(f"no sub-env answered within {self._timeout} s"))
        if len(refs) > 1:  # the others that are ready within the batch wait
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=self._wait_s)
        out = _Ready()
        for ref in ready:
            i = self._pending.pop(ref)
            try:
                result = ray.get(ref, timeout=self._timeout)
            except ray.exceptions.RayError as err:
                raise EnvError(self.env_name, i, "step", self.worker_index, err) from err
            if result[0] == "reset":
                out.put_first(i, result[1], result[2])
            else:
                out.put(i, *result[1:])
        return out.take()

    def send_actions(self, action_dict: MultiEnvDict) -> None:
        for env_id, actions in action_dict.items():
            self._pending[self._actors[env_id].step.remote(actions)] = env_id

    def try_reset(self, env_id: Any = None, *, seed: Optional[int] = None, options: Optional[dict] = None) -> Any:
        ids = range(self.num_envs) if env_id is None else [env_id]
        for i in ids:
            self._pending[self._actors[i].reset.remote(seed)] = i
        return ASYNC_RESET_RETURN

    def try_render(self, env_id: Any = None) -> Any:
        return self._ray.get(self._actors[0 if env_id is None else env_id].render.remote(), timeout=self._timeout)

    def stop(self) -> None:
        from rlcore.env.remote_base_env import close_env_actors

        close_env_actors(self._ray, self._actors, self._timeout, self.env_name)
        self._actors = []
