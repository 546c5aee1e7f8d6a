"""RLlib 1.x import path ``ray.rllib.evaluation.sample_batch_builder``: build SampleBatches row by row.

``SampleBatchBuilder`` collects rows (``add_values(obs=..., actions=..., ...)``) or whole batches
and ``build_and_reset()`` returns them as one rlcore :class:`~rlcore.data.SampleBatch` (columns as
numpy arrays, float64 stored as float32, a fresh ``unroll_id`` when the rows have none): what 1.x
programs use to write offline experience by hand. ``MultiAgentSampleBatchBuilder`` keeps one
builder per agent and, at ``postprocess_batch_so_far``/``build_and_reset``, clips rewards as
configured, runs each agent's policy ``postprocess_trajectory`` (with the other agents' batches;
it includes the exploration's postprocessing), calls the ``on_postprocess_trajectory`` callback and files
the result under the agent's policy; ``build_and_reset`` returns a ``MultiAgentBatch`` (a plain
``SampleBatch`` when only the default policy has data).

Examples:
    >>> builder = SampleBatchBuilder()
    >>> for t in range(3):
    ...     builder.add_values(t=t, obs=[0.5 * t, 1.0], actions=t % 2, rewards=1.0, dones=t == 2)
    >>> batch = builder.build_and_reset()
    >>> batch.count, batch["obs"].dtype, batch["actions"].tolist(), builder.count
    (3, dtype('float32'), [0, 1, 0], 0)
"""

from __future__ import annotations

import collections
from typing import Any, Dict, List

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import SampleBatch
from rlcore.policy.utils import to_numpy
from rlcore.sampling.episode import DUMMY_AGENT_ID

__all__ = ["MultiAgentSampleBatchBuilder", "SampleBatchBuilder"]


def _column(values: List[Any]) -> np.ndarray:
    """A list of row values as a column: numpy (object when ragged), float64 stored as float32."""
    values = [to_numpy(v) for v in values]
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged rows
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
    return arr.astype(np.float32) if arr.dtype == np.float64 else arr


class SampleBatchBuilder:
    """Builds a ``SampleBatch`` from rows (dicts) or batches, column by column.

    Attributes:
        count: Rows added since the last ``build_and_reset``.
    """

    _next_unroll_id = 0  # tells unrolls of one episode apart (class-wide, as in RLlib 1.x)

    def __init__(self):
        self.buffers: Dict[str, List[Any]] = collections.defaultdict(list)
        self.count = 0

    def add_values(self, **values: Any) -> None:
        """Adds one row: ``{column: value}``."""
        for key, value in values.items():
            self.buffers[key].append(value)
        self.count += 1

    def add_batch(self, batch: SampleBatch) -> None:
        """Adds every row of ``batch``."""
        for key, column in batch.items():
            self.buffers[key].extend(column)
        self.count += batch.count

    def build_and_reset(self) -> SampleBatch:
        """All rows added so far as one ``SampleBatch``; the builder is empty afterwards."""
        batch = SampleBatch({key: _column(values) for key, values in self.buffers.items()})
        if Columns.UNROLL_ID not in batch:
            batch[Columns.UNROLL_ID] = np.repeat(np.int64(SampleBatchBuilder._next_unroll_id), batch.count)
            SampleBatchBuilder._next_unroll_id += 1
        self.buffers.clear()
        self.count = 0
        return batch


class MultiAgentSampleBatchBuilder:
    """Per-agent rows in, per-policy postprocessed batches out (RLlib 1.x).

    Args:
        policy_map: ``{policy_id: Policy}``.
        clip_rewards: ``True`` clips rewards to their sign, a number to ``[-x, x]``, else none.
        callbacks: A ``DefaultCallbacks`` (its ``on_postprocess_trajectory`` is called per agent).

    Attributes:
        count: Env steps taken (the caller increments it, as RLlib 1.x's sampler did).
    """

    def __init__(self, policy_map: Dict[str, Any], clip_rewards: Any, callbacks: Any):
        self.policy_map = policy_map
        self.clip_rewards = clip_rewards
        self.callbacks = callbacks
        self.policy_builders = {pid: SampleBatchBuilder() for pid in policy_map}
        self.agent_builders: Dict[Any, SampleBatchBuilder] = {}
        self.agent_to_policy: Dict[Any, str] = {}
        self.count = 0

    def total(self) -> int:
        """Rows added for all agents and not yet postprocessed."""
        return sum(b.count for b in self.agent_builders.values())

    def has_pending_agent_data(self) -> bool:
        """Whether any agent has rows not yet postprocessed."""
        return len(self.agent_builders) > 0

    def add_values(self, agent_id: Any, policy_id: str, **values: Any) -> None:
        """Adds one row for ``agent_id``, controlled by ``policy_id`` (adds ``agent_id`` to the row).

        Raises:
            ValueError: ``policy_id`` is not in the policy map.
        """
        if policy_id not in self.policy_map:
            raise ValueError(f"add_values: policy_id={policy_id!r} is not one of the policies {sorted(self.policy_map)}")
        if agent_id not in self.agent_builders:
            self.agent_builders[agent_id] = SampleBatchBuilder()
            self.agent_to_policy[agent_id] = policy_id
        if agent_id != DUMMY_AGENT_ID:
            values["agent_id"] = agent_id
        self.agent_builders[agent_id].add_values(**values)

    def postprocess_batch_so_far(self, episode: Any = None) -> None:
        """Postprocesses every agent's pending rows and files them under the agent's policy.

        Raises:
            ValueError: an agent's rows span more than one episode.
        """
        pre_batches = {aid: (self.policy_map[self.agent_to_policy[aid]], b.build_and_reset())
                       for aid, b in self.agent_builders.items()}
        for _, batch in pre_batches.values():
            if self.clip_rewards is True:
                batch[Columns.REWARDS] = np.sign(batch[Columns.REWARDS])
            elif self.clip_rewards:
                batch[Columns.REWARDS] = np.clip(batch[Columns.REWARDS], -self.clip_rewards, self.clip_rewards)
        post_batches = {}
        for agent_id, (policy, batch) in pre_batches.items():
            if (Columns.DONES in batch and np.any(batch[Columns.DONES][:-1])) or \
                    (Columns.EPS_ID in batch and len(set(batch[Columns.EPS_ID].tolist())) > 1):
                raise ValueError(f"agent {agent_id!r}: batches sent to postprocessing must only contain steps "
                                 "from a single episode")
            others = {aid: pb for aid, pb in pre_batches.items() if aid != agent_id}
            # rlcore policies run their exploration's postprocessing inside postprocess_trajectory.
            post_batches[agent_id] = policy.postprocess_trajectory(batch, others, episode)
        from rlcore.sampling import get_global_worker

        for agent_id, post in post_batches.items():
            pid = self.agent_to_policy[agent_id]
            self.callbacks.on_postprocess_trajectory(
                worker=get_global_worker(), episode=episode, agent_id=agent_id, policy_id=pid,
                policies=self.policy_map, postprocessed_batch=post, original_batches=pre_batches)
            self.policy_builders[pid].add_batch(post)
        self.agent_builders.clear()
        self.agent_to_policy.clear()

    def check_missing_dones(self) -> None:
        """Raises ``ValueError`` for an agent whose last row is not done (the env ended without it)."""
        for agent_id, builder in self.agent_builders.items():
            if not builder.buffers[Columns.DONES] or builder.buffers[Columns.DONES][-1] is not True:
                raise ValueError(
                    f"The environment terminated for all agents, but agent {agent_id!r} (policy "
                    f"{self.agent_to_policy[agent_id]!r}) has no final (done) observation. Include the last "
                    "observation of every live agent when setting '__all__' done, or set no_done_at_end=True.")

    def build_and_reset(self, episode: Any = None) -> Any:
        """Postprocesses pending rows, then returns every policy's rows (``MultiAgentBatch.wrap_as_needed``).

        Args:
            episode: The episode passed to postprocessing and callbacks (may be ``None``).
        """
        self.postprocess_batch_so_far(episode)
        policy_batches = {pid: b.build_and_reset() for pid, b in self.policy_builders.items() if b.count > 0}
        steps, self.count = self.count, 0
        return MultiAgentBatch.wrap_as_needed(policy_batches, steps)
