"""One episode on one env: what callbacks see, and what episode metrics are made from.

The sampler keeps running rewards and lengths in arrays for all envs at once and creates an
``Episode`` per episode, not per step; its ``length`` and ``total_reward`` are brought up to date
before every callback. Without episode callbacks, the single-agent sampler makes an episode's
``Episode`` only when something reads it (postprocessing, ``on_postprocess_trajectory``; see
:class:`~rlcore.sampling.episode_book.EpisodeBook`): its metrics come from the counters. The surface is RLlib's ``MultiAgentEpisode``: ``user_data``,
``custom_metrics``, ``hist_data``, ``media``, ``agent_rewards`` and the ``last_*_for`` accessors.

Examples:
    >>> ep = Episode(episode_id=7, env_index=0)
    >>> ep.custom_metrics["pole_angle"] = 0.1
    >>> ep.policy_for(), ep.length
    ('default_policy', 0)
"""

from __future__ import annotations

import numbers
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple

from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.sampling.metrics import RolloutMetrics

DUMMY_AGENT_ID = "agent0"


class Episode:
    """RLlib's ``MultiAgentEpisode`` surface for one episode on one env.

    Args:
        episode_id: Unique id of the episode (the ``eps_id`` column of its rows).
        env_index: Index of the sub-environment in the worker's vector of envs (for an env in
            RLlib 1.x's BaseEnv protocol: the sub-env's id, which may be any hashable).
        policy_mapping_fn: ``agent_id -> policy_id`` (single-agent: always ``default_policy``).
    """

    def __init__(
        self,
        episode_id: int,
        env_index: Any,
        policy_mapping_fn: Optional[Callable[[Any], str]] = None,
    ):
        self.episode_id = int(episode_id)
        self.env_index = (env_index if type(env_index) is int  # noqa: E721 (the usual case, no ABC check)
                          else int(env_index) if isinstance(env_index, numbers.Integral) else env_index)
        self.length = 0
        self.total_reward = 0.0
        self._agent_steps = 0  # rows stored for its agents (multi-agent sampling: count_steps_by)
        self.agent_rewards: Dict[Tuple[Any, str], float] = defaultdict(float)
        self.custom_metrics: Dict[str, Any] = {}
        self.user_data: Dict[str, Any] = {}
        self.hist_data: Dict[str, List[Any]] = {}
        self.media: Dict[str, Any] = {}
        self._policy_mapping_fn = policy_mapping_fn
        self._agent_to_policy: Dict[Any, str] = {}
        self._agent_reward_history: Dict[Any, List[float]] = defaultdict(list)
        self._last: Dict[str, Dict[Any, Any]] = defaultdict(dict)  # kind -> agent -> value
        self._extra_batches: List[Any] = []
        self._training_enabled = True  # False: an external episode started with training_enabled=False

    def policy_for(self, agent_id: Any = DUMMY_AGENT_ID) -> str:
        """The policy id of an agent (the mapping function's answer, cached per episode)."""
        if agent_id not in self._agent_to_policy:
            fn = self._policy_mapping_fn
            self._agent_to_policy[agent_id] = DEFAULT_POLICY_ID if fn is None else fn(agent_id)
        return self._agent_to_policy[agent_id]

    def _set(self, kind: str, agent_id: Any, value: Any) -> None:
        self._last[kind][agent_id] = value

    def last_observation_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Any:
        """The last (preprocessed, filtered) observation of an agent."""
        return self._last["obs"].get(agent_id)

    def last_raw_obs_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Any:
        """The last observation of an agent as the env returned it."""
        return self._last["raw_obs"].get(agent_id)

    def last_info_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Any:
        """The last info dict of an agent."""
        return self._last["info"].get(agent_id)

    def last_action_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Any:
        """The last action an agent took."""
        return self._last["action"].get(agent_id)

    def prev_action_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Any:
        """The action before the last one."""
        return self._last["prev_action"].get(agent_id)

    def prev_reward_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Any:
        """The reward before the last one."""
        return self._last["prev_reward"].get(agent_id, 0.0)

    def rnn_state_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Any:
        """The current RNN state of an agent (a list of arrays; empty if not recurrent)."""
        return self._last["rnn_state"].get(agent_id, [])

    def last_pi_info_for(self, agent_id: Any = DUMMY_AGENT_ID) -> Dict[str, Any]:
        """The policy's extra outputs (``action_logp``, ``vf_preds``, ...) for the last action."""
        info = self._last["pi_info"].get(agent_id, {})
        if isinstance(info, _RowOf):  # kept as (columns, row) by the sampler; a dict when read
            info = self._last["pi_info"][agent_id] = {k: v[info.row] for k, v in info.columns.items()}
        return info

    def _set_row(self, kind: str, agent_id: Any, columns: Dict[str, Any], row: int) -> None:
        """Sets ``kind`` of an agent to row ``row`` of ``columns``, without copying it out yet."""
        self._last[kind][agent_id] = _RowOf(columns, row)

    def soft_reset(self) -> None:
        """Clears the accumulated reward and length (RLlib's soft horizon)."""
        self.length = 0
        self.total_reward = 0.0
        self.agent_rewards = defaultdict(float)
        self._agent_reward_history = defaultdict(list)

    def add_extra_batch(self, batch: Any) -> None:
        """Adds a batch that the worker returns along with its next sample (RLlib semantics)."""
        self._extra_batches.append(batch)

    def to_metrics(self, perf_stats: Dict[str, float]) -> RolloutMetrics:
        """The finished episode as :class:`RolloutMetrics`."""
        return RolloutMetrics(self.length, self.total_reward, dict(self.agent_rewards), self.custom_metrics,
                              perf_stats, self.hist_data, self.media)

    def __repr__(self) -> str:
        return f"Episode(id={self.episode_id}, env={self.env_index}, length={self.length}, reward={self.total_reward:.3g})"


class _RowOf:
    """Row ``row`` of a dict of batched columns, read only when asked for."""

    __slots__ = ("columns", "row")

    def __init__(self, columns: Dict[str, Any], row: int):
        self.columns, self.row = columns, row


# RLlib's name.
MultiAgentEpisode = Episode
