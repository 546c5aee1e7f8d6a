"""ExternalEnv / ExternalMultiAgentEnv: an application that drives its own loop and asks for actions.

Control is inverted (RLlib 1.x's ``ExternalEnv``): a game, a simulator or a service runs its own
loop in :meth:`ExternalEnv.run` (a thread the rollout worker starts) and, per episode, calls::

    eid = self.start_episode()
    action = self.get_action(eid, obs)        # on-policy: blocks until the sampler answers
    self.log_action(eid, obs, action)         # or: the application chose the action itself
    self.log_returns(eid, reward, info)       # rewards add up until the next action
    self.end_episode(eid, obs)

Several episodes may run at once (at most ``max_concurrent``). The worker samples it through
:class:`~rlcore.env.async_env.AsyncEnv` (``to_base_env()``): each running episode is a sub-env
whose id is the episode id; the multi-agent sampler drives it, so every algorithm trains from it,
off-policy ``log_action`` data included (the rows record the logged actions). An episode started
with ``training_enabled=False`` is played and counted in the metrics, but its rows are not
trained on. An exception in ``run()`` stops sampling with that exception as the cause.

Examples:
    >>> import gymnasium as gym
    >>> import numpy as np
    >>> class Echo(ExternalEnv):
    ...     def run(self):
    ...         eid = self.start_episode()
    ...         for t in range(3):
    ...             self.get_action(eid, np.float32([t]))
    ...             self.log_returns(eid, 1.0)
    ...         self.end_episode(eid, np.float32([3]))
    >>> env = Echo(gym.spaces.Discrete(2), gym.spaces.Box(0, 9, (1,), np.float32)).to_base_env()
    >>> obs = env.poll()[0]
    >>> [o["agent0"].tolist() for o in obs.values()]
    [[0.0]]
    >>> env.send_actions({eid: {"agent0": 1} for eid in obs})
    >>> env.poll()[1] == {eid: {"agent0": 1.0} for eid in obs}
    True
    >>> env.stop()  # the application's waiting get_action raises ExternalEnvStopped; run() ends
"""

from __future__ import annotations

import abc
import queue
import threading
import uuid
from typing import Any, Dict, Optional

from rlcore.env.async_env import DUMMY_AGENT_ID, AsyncEnv
from rlcore.env.multi_agent_env import ALL

__all__ = ["ExternalEnv", "ExternalEnvStopped", "ExternalMultiAgentEnv"]

#: How long ``get_action`` / ``log_action`` wait for the sampler's answer (RLlib 1.x: 60 s).
ACTION_TIMEOUT_S = 60.0
#: How often a waiting ``poll()`` checks that the application's thread is still alive.
_LIVENESS_CHECK_S = 0.5


_STOP = object()  # put on the action queues when the env is stopped


class ExternalEnvStopped(RuntimeError):
    """Raised in the application's thread by ``get_action`` / ``log_action`` / ``start_episode``
    once the env was stopped (its rollout worker stopped): ``run()`` should end. When it is not
    caught, ``run()`` ends quietly."""


class _Episode:
    """One running external episode: what the application reported, and the sampler's answers."""

    def __init__(self, episode_id: str, condition: threading.Condition, training_enabled: bool, multiagent: bool):
        self.episode_id = episode_id
        self.condition = condition
        self.training_enabled = training_enabled
        self.multiagent = multiagent
        self.items: "queue.Queue[dict]" = queue.Queue()
        self.actions: "queue.Queue[Any]" = queue.Queue()
        self.reward: Any = {} if multiagent else 0.0
        self.dones: Dict[Any, bool] = {}
        self.info: Any = {}
        self.ended = False

    def report(self, obs: Any, off_policy_action: Any = None, done: bool = False) -> None:
        """Queues one observation (with the rewards and infos since the last one) for ``poll()``."""
        info = self.info
        if not self.training_enabled:  # 1.x marks the infos; the sampler drops such episodes' rows
            if self.multiagent:
                info = {a: {**(info.get(a) or {}), "training_enabled": False} for a in (obs or {})}
            else:
                info = {**info, "training_enabled": False}
        item = {"obs": obs, "reward": self.reward, "done": done, "dones": dict(self.dones), "info": info}
        if off_policy_action is not None:
            item["off_policy_action"] = off_policy_action
        self.reward, self.info = ({} if self.multiagent else 0.0), {}
        with self.condition:
            self.items.put_nowait(item)
            self.ended = self.ended or done
            self.condition.notify_all()

    def answer(self, episode_env: "ExternalEnv") -> Any:
        try:
            action = self.actions.get(timeout=episode_env._action_timeout_s)
        except queue.Empty:
            raise TimeoutError(
                f"episode {self.episode_id}: no action from the sampler within {episode_env._action_timeout_s} s "
                "(is a trainer or rollout worker sampling this env?)") from None
        if action is _STOP:
            raise ExternalEnvStopped(f"episode {self.episode_id}: the env was stopped")
        return action


class ExternalEnv(threading.Thread, abc.ABC):
    """An env whose own loop (:meth:`run`, in a thread) asks for actions (see the module docstring).

    Args:
        action_space: The action space.
        observation_space: The observation space.
        max_concurrent: Most episodes running at once; starting one more is an error.
    """

    _multiagent = False

    def __init__(self, action_space: Any, observation_space: Any, max_concurrent: int = 100):
        threading.Thread.__init__(self, daemon=True, name=f"rlcore-external-env-{type(self).__name__}")
        if isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int) or max_concurrent < 1:
            raise ValueError(f"{type(self).__name__}(max_concurrent={max_concurrent!r}): expected an int >= 1")
        self.action_space = action_space
        self.observation_space = observation_space
        self._episodes: Dict[str, _Episode] = {}
        self._finished: set = set()
        self._results_avail_condition = threading.Condition()
        self._max_concurrent_episodes = max_concurrent
        self._action_timeout_s = ACTION_TIMEOUT_S
        #: The exception that ended :meth:`run`, if any (``poll()`` raises with it as the cause).
        self.error: Optional[BaseException] = None
        self._stopped = False
        self._user_run = self.run
        self.run = self._guarded_run  # type: ignore[method-assign]

    @abc.abstractmethod
    def run(self) -> None:
        """The application's loop: start episodes, get or log actions, log returns, end episodes."""

    def _guarded_run(self) -> None:
        try:
            self._user_run()
        except ExternalEnvStopped:  # the worker stopped: the expected end of the loop
            return
        except BaseException as err:
            self.error = err
            raise
        finally:
            with self._results_avail_condition:
                self._results_avail_condition.notify_all()

    def start_episode(self, episode_id: Optional[str] = None, training_enabled: bool = True) -> str:
        """Starts an episode; returns its id (a new uuid hex if ``episode_id`` is None).

        Raises:
            ValueError: The id is already running or finished, or ``max_concurrent`` episodes run.
        """
        episode_id = uuid.uuid4().hex if episode_id is None else episode_id
        if self._stopped:
            raise ExternalEnvStopped(f"{type(self).__name__} was stopped: no new episode {episode_id}")
        with self._results_avail_condition:
            if episode_id in self._finished:
                raise ValueError(f"episode {episode_id} has already completed")
            if episode_id in self._episodes:
                raise ValueError(f"episode {episode_id} is already started")
            running = sum(not ep.ended for ep in self._episodes.values())
            if running >= self._max_concurrent_episodes:
                raise ValueError(f"{type(self).__name__}: max_concurrent={self._max_concurrent_episodes} episodes are "
                                 f"running; end one before starting episode {episode_id} (were some never ended?)")
            self._episodes[episode_id] = _Episode(episode_id, self._results_avail_condition, training_enabled,
                                                  self._multiagent)
        return episode_id

    def get_action(self, episode_id: str, observation: Any) -> Any:
        """Reports ``observation`` and returns the policy's action for it (blocks until sampled)."""
        episode = self._get(episode_id)
        episode.report(observation)
        return episode.answer(self)

    def log_action(self, episode_id: str, observation: Any, action: Any) -> None:
        """Reports ``observation`` and the ``action`` the application took itself (off-policy)."""
        episode = self._get(episode_id)
        episode.report(observation, off_policy_action=action)
        episode.answer(self)  # in step with the sampler, as 1.x

    def log_returns(self, episode_id: str, reward: float, info: Optional[dict] = None) -> None:
        """Adds ``reward`` to the last action's reward; ``info`` becomes the step's info."""
        episode = self._get(episode_id)
        episode.reward += reward
        if info:
            episode.info = info

    def end_episode(self, episode_id: str, observation: Any) -> None:
        """Ends the episode with its last observation."""
        episode = self._get(episode_id)
        self._finished.add(episode_id)
        episode.report(observation, done=True)

    def stop_serving(self) -> None:
        """Stops the env: the application's waiting calls (and later ones) raise
        :class:`ExternalEnvStopped`, so ``run()`` ends. The rollout worker calls it when it stops."""
        self._stopped = True
        with self._results_avail_condition:
            for episode in self._episodes.values():
                episode.actions.put(_STOP)
            self._results_avail_condition.notify_all()

    def _get(self, episode_id: str) -> _Episode:
        if episode_id in self._finished:
            raise ValueError(f"episode {episode_id} has already completed")
        episode = self._episodes.get(episode_id)
        if episode is None:
            raise ValueError(f"episode {episode_id} not found (start it with start_episode)")
        return episode

    def to_base_env(self, make_env: Any = None, num_envs: int = 1, remote_envs: bool = False,
                    remote_env_batch_wait_ms: int = 0) -> AsyncEnv:
        """This env in RLlib 1.x's BaseEnv protocol (starts :meth:`run`'s thread).

        Raises:
            ValueError: ``num_envs > 1`` or ``remote_envs`` (as RLlib 1.x: run several
                episodes at once instead).
        """
        if num_envs != 1 or remote_envs:
            raise ValueError(f"{type(self).__name__}: an ExternalEnv is one env (num_envs={num_envs}, remote_envs="
                             f"{remote_envs}); run several episodes at once in it instead (max_concurrent)")
        return _ExternalEnvAsync(self)


class ExternalMultiAgentEnv(ExternalEnv):
    """The multi-agent :class:`ExternalEnv`: observations, actions, rewards and infos are dicts
    keyed by agent id; ``log_returns`` may also end single agents (``multiagent_done_dict``)."""

    _multiagent = True

    def __init__(self, action_space: Any, observation_space: Any, max_concurrent: int = 100):
        super().__init__(action_space, observation_space, max_concurrent)
        if isinstance(action_space, dict) and isinstance(observation_space, dict) \
                and set(action_space) != set(observation_space):
            raise ValueError(f"{type(self).__name__}: the agent ids of the action and observation space dicts "
                             f"differ: {sorted(map(str, action_space))} vs {sorted(map(str, observation_space))}")

    def log_returns(self, episode_id: str, reward_dict: dict, info_dict: Optional[dict] = None,
                    multiagent_done_dict: Optional[dict] = None) -> None:
        """Adds each agent's reward; ``info_dict`` becomes the step's infos; agents in
        ``multiagent_done_dict`` end (or not) as it says."""
        episode = self._get(episode_id)
        for agent_id, reward in reward_dict.items():
            episode.reward[agent_id] = episode.reward.get(agent_id, 0.0) + reward
        if multiagent_done_dict:
            episode.dones.update({a: bool(d) for a, d in multiagent_done_dict.items() if a != ALL})
        if info_dict:
            episode.info = info_dict


class _ExternalEnvAsync(AsyncEnv):
    """An :class:`ExternalEnv` in the BaseEnv protocol: each running episode is a sub-env."""

    def __init__(self, external_env: ExternalEnv):
        self.external_env = external_env
        self.multiagent = external_env._multiagent
        self.observation_space = external_env.observation_space
        self.action_space = external_env.action_space
        if not external_env.is_alive() and external_env.ident is None:
            external_env.start()

    def poll(self) -> tuple:
        env = self.external_env
        with env._results_avail_condition:
            while True:
                ready = [ep for ep in env._episodes.values() if not ep.items.empty()]
                if ready:
                    break
                if not env.is_alive():
                    cause = env.error
                    raise RuntimeError(f"{type(env).__name__}: its run() thread has stopped"
                                       + (f" ({type(cause).__name__}: {cause})" if cause else " (run() returned)")
                                       + "; no episode can report any more") from cause
                env._results_avail_condition.wait(_LIVENESS_CHECK_S)
            items = {}
            for ep in ready:
                items[ep.episode_id] = ep.items.get_nowait()
                if ep.ended and ep.items.empty():
                    del env._episodes[ep.episode_id]
        return self._as_poll(items)

    def _as_poll(self, items: Dict[str, dict]) -> tuple:
        obs, rewards, dones, infos, off = {}, {}, {}, {}, {}
        for eid, item in items.items():
            if not self.multiagent:
                a = DUMMY_AGENT_ID
                obs[eid], rewards[eid], infos[eid] = {a: item["obs"]}, {a: item["reward"]}, {a: item["info"]}
                dones[eid] = {ALL: item["done"], a: item["done"]}
                if "off_policy_action" in item:
                    off[eid] = {a: item["off_policy_action"]}
                continue
            agents = item["obs"] or {}
            obs[eid] = agents
            rewards[eid] = {a: item["reward"].get(a, 0.0) for a in agents}
            rewards[eid].update({a: r for a, r in item["reward"].items() if a not in agents})
            dones[eid] = {ALL: item["done"], **{a: item["dones"].get(a, False) for a in agents}}
            infos[eid] = {a: (item["info"] or {}).get(a, {}) for a in agents}
            if "off_policy_action" in item:
                off[eid] = item["off_policy_action"]
        return obs, rewards, dones, infos, off

    def send_actions(self, action_dict: dict) -> None:
        episodes = self.external_env._episodes
        for eid, actions in action_dict.items():
            episode = episodes.get(eid)
            if episode is None or not actions:  # ended, or no agent of it acts
                continue
            episode.actions.put(actions if self.multiagent else actions[DUMMY_AGENT_ID])

    def get_sub_environments(self) -> list:
        return [self.external_env]

    def stop(self) -> None:
        """Stops the application's loop (:meth:`ExternalEnv.stop_serving`)."""
        self.external_env.stop_serving()

