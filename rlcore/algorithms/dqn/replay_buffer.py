"""The Q-learning plans' local replay buffer: per-policy replay with compressed observations.

:class:`QReplayBuffer` is :class:`~rlcore.data.replay_buffers.MultiAgentReplayBuffer` (RLlib's
``LocalReplayBuffer``) plus ``compress_observations``: the ``obs`` and ``new_obs`` columns of every
added batch are stored LZ4-compressed per row (:mod:`rlcore.data.compression`, raw bytes with
dtype and shape, no pickle) and decompressed in the replayed batches. :func:`make_replay_buffer`
builds it from a trainer config (``buffer_size``, ``learning_starts``, ``train_batch_size``,
``prioritized_replay*``, ``multiagent.replay_mode``, ``replay_sequence_length``).

A compressed row is a Python ``bytes`` object held by an object column: besides its LZ4 block it
costs the object's header, the row header (dtype and shape) and an 8-byte pointer. For small
observations (CartPole's 16 bytes) that is several times the raw row, so compression would grow
the buffer. Each policy's column is therefore compressed only if that saves memory: on its first
added batch the buffer compares what the compressed rows would hold (:func:`stored_bytes`) with the
raw bytes, and keeps that choice for the column from then on (a stored column has one layout).
Either way the replayed batches hold the decompressed arrays, as RLlib's did.

Examples:
    >>> import numpy as np
    >>> from rlcore.data import SampleBatch
    >>> buf = QReplayBuffer(100, learning_starts=4, replay_batch_size=2, compress_observations=True, seed=0)
    >>> buf.add_batch(SampleBatch({"obs": np.ones((4, 3), np.float32), "new_obs": np.zeros((4, 3), np.float32),
    ...                            "rewards": np.ones(4, np.float32)}))
    >>> b = buf.replay().policy_batches["default_policy"]
    >>> b["obs"].dtype, b["obs"].shape, float(b["obs"].sum())
    (dtype('float32'), (2, 3), 6.0)
"""

from __future__ import annotations

import sys
from typing import Any, Dict

import numpy as np

from rlcore.data.columns import Columns
from rlcore.data.compression import compress_rows, decompress_rows, is_compressed_column
from rlcore.data.replay_buffers.multi_agent import MultiAgentReplayBuffer

__all__ = ["QReplayBuffer", "make_replay_buffer", "stored_bytes", "COMPRESSED_COLUMNS"]

#: The columns ``compress_observations`` stores compressed (when that saves memory).
COMPRESSED_COLUMNS = (Columns.OBS, Columns.NEXT_OBS)


def stored_bytes(column: np.ndarray) -> int:
    """Memory a column holds once stored in a replay buffer: its raw bytes for a numeric array; for
    an object column of compressed rows, each row's ``bytes`` object plus its 8-byte pointer.

    Examples:
        >>> small = np.zeros((100, 4), np.float32)
        >>> stored_bytes(small), stored_bytes(compress_rows(small)) > stored_bytes(small)
        (1600, True)
        >>> frames = np.zeros((100, 84, 84), np.uint8)
        >>> stored_bytes(compress_rows(frames)) < stored_bytes(frames) // 10
        True
    """
    if column.dtype != object:
        return int(column.nbytes)
    return int(sum(sys.getsizeof(cell) for cell in column)) + 8 * len(column)


class QReplayBuffer(MultiAgentReplayBuffer):
    """``MultiAgentReplayBuffer`` with optional observation compression (see the module docstring).

    Args:
        capacity: Rows per policy.
        compress_observations: Store ``obs``/``new_obs`` LZ4-compressed per row.
        **kwargs: The other ``MultiAgentReplayBuffer`` arguments.
    """

    def __init__(self, capacity: int = 10000, *, compress_observations: bool = False, **kwargs: Any):
        super().__init__(capacity, **kwargs)
        self.compress_observations = bool(compress_observations)
        #: (policy id, column) -> whether that column is stored compressed (decided on its first batch).
        self.compressed_columns: Dict[tuple, bool] = {}

    def add_batch(self, batch: Any) -> None:
        """Stores a SampleBatch or MultiAgentBatch (observations compressed when asked and smaller)."""
        if self.compress_observations:
            batch = _map_policy_batches(batch, self._compress)
        super().add_batch(batch)

    def _compress(self, pid: Any, batch: Any) -> Any:
        cols = dict(batch)
        for k in COMPRESSED_COLUMNS:
            if k not in cols or batch.count == 0 or is_compressed_column(cols[k]):
                continue
            decided = self.compressed_columns.get((pid, k))
            if decided is False:
                continue
            packed = compress_rows(cols[k])
            if decided is None:
                raw = np.asarray(cols[k])
                decided = self.compressed_columns[(pid, k)] = stored_bytes(packed) < stored_bytes(raw)
            if decided:
                cols[k] = packed
        return type(batch)(cols)

    def get_state(self) -> Dict[str, Any]:
        """:meth:`MultiAgentReplayBuffer.get_state` plus the per-column compression choices."""
        state = super().get_state()
        state["compressed_columns"] = [[pid, k, v] for (pid, k), v in self.compressed_columns.items()]
        return state

    def set_state(self, state: Dict[str, Any]) -> None:
        """Restores :meth:`get_state` (the compression choices too, so new rows match the stored ones)."""
        super().set_state(state)
        self.compressed_columns = {(pid, k): bool(v) for pid, k, v in state.get("compressed_columns", [])}

    def replay(self) -> Any:
        """A MultiAgentBatch of ``replay_batch_size`` rows per policy (decompressed), or None."""
        out = super().replay()
        if out is not None and self.compress_observations:
            out = _map_policy_batches(out, _decompress)
        return out


def _decompress(pid: Any, batch: Any) -> Any:
    cols = dict(batch)
    for k in COMPRESSED_COLUMNS:
        if k in cols and is_compressed_column(cols[k]):
            cols[k] = decompress_rows(cols[k])
    return type(batch)(cols)


def _map_policy_batches(batch: Any, fn: Any) -> Any:
    from rlcore.data.multi_agent_batch import MultiAgentBatch
    from rlcore.data.sample_batch import DEFAULT_POLICY_ID

    if isinstance(batch, MultiAgentBatch):
        return MultiAgentBatch({pid: fn(pid, b) for pid, b in batch.policy_batches.items()}, batch.count)
    return fn(DEFAULT_POLICY_ID, batch)


def make_replay_buffer(config: Dict[str, Any], prioritized: bool) -> QReplayBuffer:
    """The local replay buffer of a DQN/SimpleQ plan (RLlib 1.x's ``LocalReplayBuffer`` arguments).

    Without ``prioritized`` the buffer samples uniformly (``alpha = 0``, all weights 1).

    Examples:
        >>> buf = make_replay_buffer({"buffer_size": 1000, "learning_starts": 10, "train_batch_size": 4,
        ...                           "multiagent": {"replay_mode": "independent"}}, prioritized=False)
        >>> buf.capacity, buf.replay_starts, buf.replay_batch_size, buf.alpha
        (1000, 10, 4, 0.0)
    """
    prio = {}
    if prioritized:
        prio = dict(alpha=config["prioritized_replay_alpha"], beta=config["prioritized_replay_beta"],
                    eps=config["prioritized_replay_eps"])
    else:
        prio = dict(alpha=0.0, beta=0.0)
    return QReplayBuffer(
        config["buffer_size"], num_shards=1, learning_starts=config["learning_starts"],
        replay_batch_size=config["train_batch_size"],
        replay_mode=(config.get("multiagent") or {}).get("replay_mode", "independent"),
        replay_sequence_length=config.get("replay_sequence_length", 1),
        compress_observations=bool(config.get("compress_observations")), seed=config.get("seed"), **prio)
