"""Play episodes with a trained trainer: what ``rlcore rollout`` runs (RLlib 1.x ``rllib rollout``).

:func:`rollout` builds the trainer's env (its ``env_creator`` and ``env_config``), then steps it
with ``trainer.compute_action``: per agent and its policy (``multiagent.policy_mapping_fn``) in a
multi-agent env, passing each agent's previous action and reward, and carrying RNN state for
recurrent policies. It stops after ``num_steps`` env steps or ``num_episodes`` episodes (0: no
limit on that count), prints one line per episode and hands every step to a ``saver``.
:class:`RolloutSaver` is 1.x's saver: it keeps ``[obs, action, next_obs, reward, done(, info)]``
rows per episode and writes them when it is closed: as msgpack (numpy arrays as typed byte
blobs, :mod:`rlcore.policy.policy_state`; read back with :meth:`RolloutSaver.load`), not pickle as
1.x did, or into a ``shelve`` (pickle-based, 1.x's ``--use-shelve``) when asked.

Examples:
    >>> keep_going(steps=3, num_steps=5, episodes=0, num_episodes=0)
    True
    >>> keep_going(steps=5, num_steps=5, episodes=0, num_episodes=0)
    False
    >>> keep_going(steps=0, num_steps=0, episodes=2, num_episodes=2)
    False
"""

from __future__ import annotations

import os
import shelve
import sys
from typing import Any, Callable, Dict, List, Optional, TextIO

import numpy as np

from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.policy.policy_state import packb, unpackb

__all__ = ["DEFAULT_AGENT_ID", "RolloutSaver", "keep_going", "rollout"]

#: The agent id a single-agent env's steps are recorded under.
DEFAULT_AGENT_ID = "agent0"


def keep_going(steps: int, num_steps: int, episodes: int, num_episodes: int) -> bool:
    """Whether to go on: no limit is reached (a limit of 0 or ``None`` means none)."""
    if num_episodes and episodes >= num_episodes:
        return False
    if num_steps and steps >= num_steps:
        return False
    return True


class RolloutSaver:
    """Records rollouts and writes them when closed (a context manager; RLlib 1.x ``RolloutSaver``).

    Args:
        outfile: Where to write (``None``: keep in memory only, see ``rollouts``): one msgpack
            list of episodes, each a list of step rows.
        use_shelve: Write a ``shelve`` with one entry per episode (``"0"``, ``"1"``, ...) and
            ``"num_episodes"`` instead (Python's shelve pickles its values).
        write_update_file: Also keep ``__progress_<outfile name>`` updated with the progress.
        target_steps, target_episodes: The rollout's limits, for the progress line.
        save_info: Keep each step's info dict as a sixth item.

    Attributes:
        rollouts: The finished episodes, each a list of step rows.
        total_steps: Steps recorded.

    Examples:
        >>> with RolloutSaver() as saver:
        ...     saver.begin_rollout()
        ...     saver.append_step(0, 1, 2, 1.0, True, {})
        ...     saver.end_rollout()
        >>> saver.rollouts, saver.total_steps
        ([[[0, 1, 2, 1.0, True]]], 1)
    """

    def __init__(self, outfile: Optional[str] = None, use_shelve: bool = False, write_update_file: bool = False,
                 target_steps: Optional[int] = None, target_episodes: Optional[int] = None, save_info: bool = False):
        self._outfile = outfile
        self._use_shelve = use_shelve
        self._write_update_file = write_update_file
        self._target_steps, self._target_episodes = target_steps, target_episodes
        self._save_info = save_info
        self._shelf: Any = None
        self._update_path: Optional[str] = None
        self._current: List[list] = []
        self.rollouts: List[List[list]] = []
        self.total_steps = 0

    def __enter__(self) -> "RolloutSaver":
        if self._outfile and self._use_shelve:
            self._shelf = shelve.open(self._outfile)
        if self._outfile and self._write_update_file:
            head, tail = os.path.split(self._outfile)
            self._update_path = os.path.join(head, f"__progress_{tail}")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._shelf is not None:
            self._shelf["num_episodes"] = len(self.rollouts)
            self._shelf.close()
        elif self._outfile:
            try:
                data = packb(self.rollouts)
            except TypeError as err:
                raise ValueError(f"rollout output {self._outfile!r}: {err} (observations, actions, rewards and "
                                 "infos are written as msgpack)") from None
            with open(self._outfile, "wb") as f:
                f.write(data)
        if self._update_path and os.path.exists(self._update_path):
            os.remove(self._update_path)

    @staticmethod
    def load(path: str) -> List[List[list]]:
        """The episodes a saver wrote to ``path`` (msgpack; tuples come back as lists).

        Raises:
            ValueError: the file is not a rollout file written by :class:`RolloutSaver`.
        """
        with open(path, "rb") as f:
            data = f.read()
        try:
            rollouts = unpackb(data)
        except Exception as err:  # msgpack raises several unrelated types on corrupt input
            raise ValueError(f"rollout file {path!r} is not msgpack ({type(err).__name__}: {err})") from err
        if not isinstance(rollouts, list):
            raise ValueError(f"rollout file {path!r} holds a {type(rollouts).__name__}, not a list of episodes")
        return rollouts

    def begin_rollout(self) -> None:
        """Starts an episode."""
        self._current = []

    def append_step(self, obs: Any, action: Any, next_obs: Any, reward: Any, done: Any, info: Any) -> None:
        """Records one step."""
        row = [obs, action, next_obs, reward, done] + ([info] if self._save_info else [])
        self._current.append(row)
        self.total_steps += 1

    def end_rollout(self) -> None:
        """Finishes the episode (writes it to the shelve, updates the progress file)."""
        if self._shelf is not None:
            self._shelf[str(len(self.rollouts))] = self._current
        self.rollouts.append(self._current)
        if self._update_path:
            with open(self._update_path, "w") as f:
                f.write(self._progress() + "\n")

    def _progress(self) -> str:
        if self._target_episodes:
            return f"{len(self.rollouts)} / {self._target_episodes} episodes completed"
        if self._target_steps:
            return f"{self.total_steps} / {self._target_steps} steps completed"
        return f"{len(self.rollouts)} episodes completed"


def _zeros_like(x: Any) -> Any:
    """Zeros in the structure of an action (tuples and dicts of arrays)."""
    if isinstance(x, dict):
        return {k: _zeros_like(v) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_zeros_like(v) for v in x)
    return np.zeros_like(np.asarray(x))


def _make_env(agent: Any) -> Any:
    from rlcore.env import EnvContext

    creator: Optional[Callable] = getattr(agent, "env_creator", None)
    if creator is None:
        raise ValueError(f"rollout: {type(agent).__name__} has no env_creator; pass a built trainer")
    return creator(EnvContext(agent.config.get("env_config") or {}))


def video_problem() -> str:
    """Why ``rollout`` records no videos here (RLlib 1.x's ``--video-dir`` / ``--monitor``).

    Examples:
        >>> "RecordVideo" in video_problem()
        True
    """
    import importlib.util

    missing = [m for m in ("pygame", "moviepy") if importlib.util.find_spec(m) is None]
    why = (f"no renderer is installed ({' and '.join(missing)} missing: gymnasium renders classic-control envs "
           "with pygame and RecordVideo writes files with moviepy)" if missing else
           "rlcore's rollout does not record videos (gymnasium 1.x has no Monitor)")
    return (f"episode videos are not available: {why}; to record, wrap the env in gymnasium.wrappers.RecordVideo "
            "inside your env creator (render_mode='rgb_array')")


def rollout(agent: Any, env_name: Optional[str] = None, num_steps: int = 10000, num_episodes: int = 0,
            saver: Optional[RolloutSaver] = None, no_render: bool = True, video_dir: Optional[str] = None,
            out: Optional[TextIO] = None) -> List[Dict[str, Any]]:
    """Plays episodes with ``agent``'s policies and prints one line per episode.

    Args:
        agent: A built (usually restored) trainer.
        env_name: The env id, for messages (the env itself comes from ``agent.env_creator``).
        num_steps: Stop after this many env steps (0: no step limit).
        num_episodes: Stop after this many episodes (0: no episode limit).
        saver: Receives ``begin_rollout`` / ``append_step`` / ``end_rollout`` calls.
        no_render: Accepted for RLlib 1.x compatibility; envs are never rendered.
        video_dir: Not supported (there is no gym Monitor in gymnasium 1.x): must be ``None``.
        out: Where episode lines go (default stdout).

    Returns:
        One ``{"reward", "length", "done"}`` dict per episode played (``done`` False for an
        episode cut by ``num_steps``).

    Raises:
        ValueError: negative limits, or a ``video_dir``.
    """
    from rlcore.env import MultiAgentEnv
    from rlcore.env.multi_agent_env import ALL, as_gymnasium_multi_agent
    from rlcore.env.wrappers import as_gymnasium_env

    if num_steps < 0 or num_episodes < 0:
        raise ValueError(f"rollout: num_steps={num_steps} and num_episodes={num_episodes} must be >= 0")
    if video_dir is not None:
        raise ValueError(f"rollout: video_dir={video_dir!r}: {video_problem()}")
    out = out or sys.stdout
    saver = saver or RolloutSaver()
    env = _make_env(agent)
    multiagent = isinstance(env, MultiAgentEnv)
    env = as_gymnasium_multi_agent(env) if multiagent else as_gymnasium_env(env)
    mapping_fn = (agent.config.get("multiagent") or {}).get("policy_mapping_fn") if multiagent else None
    mapping_fn = mapping_fn or (lambda agent_id: DEFAULT_POLICY_ID)
    seed = agent.config.get("seed")
    steps = episodes = 0
    results: List[Dict[str, Any]] = []
    try:
        while keep_going(steps, num_steps, episodes, num_episodes):
            obs, _ = env.reset(seed=None if seed is None else seed + episodes)
            policy_of: Dict[Any, str] = {}
            states: Dict[Any, list] = {}
            prev_actions: Dict[Any, Any] = {}
            prev_rewards: Dict[Any, float] = {}
            saver.begin_rollout()
            reward_total, length, done = 0.0, 0, False
            while not done and keep_going(steps, num_steps, episodes, num_episodes):
                multi_obs = obs if multiagent else {DEFAULT_AGENT_ID: obs}
                actions = {}
                for agent_id, agent_obs in multi_obs.items():
                    pid = policy_of.setdefault(agent_id, mapping_fn(agent_id))
                    policy = agent.get_policy(pid)
                    if agent_id not in states:
                        states[agent_id] = [np.asarray(s) for s in policy.get_initial_state()]
                        prev_actions[agent_id] = _zeros_like(policy.action_space.sample())
                        prev_rewards[agent_id] = 0.0
                    result = agent.compute_action(agent_obs, state=states[agent_id] or None,
                                                  prev_action=prev_actions[agent_id],
                                                  prev_reward=prev_rewards[agent_id], policy_id=pid)
                    if states[agent_id]:
                        result, states[agent_id], _ = result
                    actions[agent_id] = prev_actions[agent_id] = result
                action = actions if multiagent else actions[DEFAULT_AGENT_ID]
                next_obs, reward, terminated, truncated, info = env.step(action)
                if multiagent:
                    prev_rewards.update({k: float(r) for k, r in reward.items() if r is not None})
                    reward_total += float(sum(r for r in reward.values() if r is not None))
                    done = bool(terminated.get(ALL) or truncated.get(ALL))
                else:
                    prev_rewards[DEFAULT_AGENT_ID] = float(np.sum(reward))
                    reward_total += float(np.sum(reward))
                    done = bool(terminated or truncated)
                saver.append_step(obs, action, next_obs, reward, done, info)
                steps += 1
                length += 1
                obs = next_obs
            saver.end_rollout()
            episodes += 1
            results.append({"reward": reward_total, "length": length, "done": done})
            print(f"episode {episodes}: reward {reward_total:.2f}, length {length}{'' if done else ' (cut by --steps)'}",
                  file=out, flush=True)
    finally:
        env.close()
    return results
