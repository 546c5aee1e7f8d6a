"""MultiAgentReplayBuffer: one prioritized replay buffer per policy, RLlib's ``LocalReplayBuffer``.

``add_batch`` takes a SampleBatch (stored as the default policy) or a MultiAgentBatch. In
``ReplayMode.INDEPENDENT`` each policy's rows go to that policy's
:class:`PrioritizedReplayBuffer`, cut into sequences of ``replay_sequence_length`` rows (one unit
each; a unit is a row when the length is 1), with the mean of a ``weights`` column, if present,
as the initial priority. ``replay()`` returns None until ``learning_starts`` env steps were added,
then a MultiAgentBatch with ``replay_batch_size`` rows per policy (``replay_batch_size //
replay_sequence_length`` sequences), each with ``weights`` and ``batch_indexes``.
``update_priorities({pid: (batch_indexes, td_errors)})`` sets priorities to ``|td| + eps``.

In ``ReplayMode.LOCKSTEP`` all policies are stored together as timeslices of
``replay_sequence_length`` env steps (:class:`LockstepReplayBuffer`), replayed uniformly and
without priorities. ``alpha = 0`` gives uniform sampling with all weights 1.

Capacity and ``learning_starts`` are divided by ``num_shards``, as each shard of a sharded replay
(one buffer per replay actor) holds its share.
"""

from __future__ import annotations

import enum
import time
from typing import Any, Mapping

import numpy as np

from rlcore.data.replay_buffers._validation import check_int, check_nonneg_float, check_positive_float
from rlcore.data.replay_buffers.lockstep import LockstepReplayBuffer
from rlcore.data.replay_buffers.prioritized import PrioritizedReplayBuffer
from rlcore.data.replay_buffers.uniform import StorageUnit, _rng_state, _rng_unstate
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch

_SEQ_LENS = "seq_lens"
_WEIGHTS = "weights"


class ReplayMode(str, enum.Enum):
    """How a multi-agent replay buffer stores policies: each on its own, or all in lockstep."""

    INDEPENDENT = "independent"
    LOCKSTEP = "lockstep"


class _MeanTimer:
    """Total seconds and count of one operation."""

    def __init__(self) -> None:
        self.total, self.count = 0.0, 0

    def add(self, seconds: float) -> None:
        self.total += seconds
        self.count += 1

    @property
    def mean_ms(self) -> float:
        return round(1000.0 * self.total / self.count, 3) if self.count else 0.0


class MultiAgentReplayBuffer:
    """Per-policy prioritized replay with RLlib's ``LocalReplayBuffer`` semantics.

    Args:
        capacity: Rows held per policy (before dividing by ``num_shards``).
        num_shards: Number of replay shards this buffer is one of (>= 1).
        learning_starts: Env steps to add before :meth:`replay` returns batches.
        replay_batch_size: Rows per policy in each replayed batch.
        alpha: Priority exponent (0: uniform).
        beta: Importance-weight exponent.
        eps: Added to ``|td_error|`` to make a priority.
        replay_mode: ``"independent"`` or ``"lockstep"``.
        replay_sequence_length: Rows (env steps in lockstep) stored and replayed together.
        seed: Seed of the sampling RNGs (each policy's buffer gets a seed drawn from it).

    Examples:
        >>> import numpy as np
        >>> from rlcore.data.sample_batch import SampleBatch
        >>> buf = MultiAgentReplayBuffer(100, learning_starts=10, replay_batch_size=4, seed=0)
        >>> buf.replay() is None
        True
        >>> buf.add_batch(SampleBatch({"obs": np.arange(16.0), "rewards": np.ones(16, np.float32)}))
        >>> ma = buf.replay()
        >>> ma.policy_batches["default_policy"].count, ma.env_steps()
        (4, 4)
        >>> b = ma.policy_batches["default_policy"]
        >>> buf.update_priorities({"default_policy": (b["batch_indexes"], np.full(4, 2.0))})
    """

    def __init__(
        self,
        capacity: int = 10000,
        *,
        num_shards: int = 1,
        learning_starts: int = 1000,
        replay_batch_size: int = 1,
        alpha: float = 0.6,
        beta: float = 0.4,
        eps: float = 1e-6,
        replay_mode: ReplayMode | str = ReplayMode.INDEPENDENT,
        replay_sequence_length: int = 1,
        seed: int | None = None,
    ) -> None:
        num_shards = check_int("num_shards", num_shards, 1)
        check_int("capacity", capacity, 1)
        self.capacity = check_int("capacity // num_shards", capacity // num_shards, 1)
        self.replay_starts = check_int("learning_starts", learning_starts, 0) // num_shards
        self.replay_sequence_length = check_int("replay_sequence_length", replay_sequence_length, 1)
        replay_batch_size = check_int("replay_batch_size", replay_batch_size, 1)
        self.replay_batch_size = max(1, replay_batch_size // self.replay_sequence_length)
        self.alpha = check_nonneg_float("alpha", alpha)
        self.beta = check_nonneg_float("beta", beta)
        self.eps = check_positive_float("eps", eps)
        try:
            self.replay_mode = ReplayMode(replay_mode)
        except ValueError:
            raise ValueError(
                f"replay_mode must be one of {[m.value for m in ReplayMode]}, got {replay_mode!r}"
            ) from None
        self._lockstep = self.replay_mode is ReplayMode.LOCKSTEP
        self._rng = np.random.default_rng(seed)
        self.replay_buffers: dict[Any, PrioritizedReplayBuffer] = {}
        self.lockstep_buffer = (
            LockstepReplayBuffer(self.capacity, seed=self._child_seed()) if self._lockstep else None
        )
        self.num_added = 0
        self._timers = {k: _MeanTimer() for k in ("add_batch", "replay", "update_priorities")}
        self._add_timer, self._replay_timer, self._update_timer = self._timers.values()

    def _child_seed(self) -> int:
        return int(self._rng.integers(0, 2**63 - 1))

    def _buffer(self, pid: Any) -> PrioritizedReplayBuffer:
        if pid not in self.replay_buffers:
            unit = StorageUnit.TIMESTEPS if self.replay_sequence_length == 1 else StorageUnit.ITEMS
            self.replay_buffers[pid] = PrioritizedReplayBuffer(
                self.capacity, alpha=self.alpha, beta=self.beta, eps=self.eps, storage_unit=unit,
                seed=self._child_seed(), name=f"{type(self).__name__}[{pid!r}]",
            )
        return self.replay_buffers[pid]

    # --- adding ---------------------------------------------------------------------------------

    def add_batch(self, batch) -> None:
        """Stores a SampleBatch (as the default policy) or a MultiAgentBatch; counts its env steps."""
        t0 = time.perf_counter()
        if isinstance(batch, SampleBatch):
            if self._lockstep:
                batch = batch.as_multi_agent()
            else:  # the default policy's batch: stored as is, its env steps are its count
                buf = self.replay_buffers.get(DEFAULT_POLICY_ID)
                count = -1
                if buf is not None and self.replay_sequence_length == 1 and _WEIGHTS not in batch and _SEQ_LENS not in batch:
                    # every row at the max priority in one native call, which also counts the rows
                    # (a batch that fits the stored columns exactly has no extras: its count)
                    count = buf._add_exact(batch)
                if count < 0:
                    count = batch.count
                    if count > 0:
                        self._add_policy(DEFAULT_POLICY_ID, batch, count)
                self._add_timer.add(time.perf_counter() - t0)
                self.num_added += count
                return
        if not isinstance(batch, MultiAgentBatch):
            raise TypeError(f"add_batch: batch must be a SampleBatch or MultiAgentBatch, got {type(batch).__name__}")
        if self._lockstep:
            self.lockstep_buffer.add(batch, self.replay_sequence_length)
        else:
            for pid, b in batch.policy_batches.items():
                count = b.count
                if count > 0:
                    self._add_policy(pid, b, count)
        self._add_timer.add(time.perf_counter() - t0)
        self.num_added += batch.env_steps()

    def _add_policy(self, pid: Any, b, n: int) -> None:
        buf = self.replay_buffers.get(pid)
        if buf is None:
            buf = self._buffer(pid)
        k = self.replay_sequence_length
        if k == 1 and _WEIGHTS not in b and _SEQ_LENS not in b:  # every row at the max priority
            buf.add(b)
            return
        cols = b if _SEQ_LENS not in b else {key: v for key, v in b.items() if key != _SEQ_LENS}
        weights = np.asarray(cols[_WEIGHTS], np.float64) if _WEIGHTS in cols else None
        if k == 1:
            buf.add(cols, priorities=weights)
            return
        lens = np.full(n // k, k, np.int64)
        if n % k:
            lens = np.append(lens, n % k)
        prios = None
        if weights is not None:
            prios = np.add.reduceat(weights, np.concatenate(([0], np.cumsum(lens)[:-1]))) / lens
        buf.add(cols, unit_lens=lens, priorities=prios)

    # --- replay ---------------------------------------------------------------------------------

    def replay(self):
        """A MultiAgentBatch of ``replay_batch_size`` units per policy, or None before
        ``learning_starts`` env steps were added."""
        if self.num_added < self.replay_starts:
            return None
        t0 = time.perf_counter()
        if self._lockstep:
            if len(self.lockstep_buffer) == 0:
                return None
            out = self.lockstep_buffer.sample(self.replay_batch_size)
        else:
            samples = {}
            n, beta = self.replay_batch_size, self.beta
            for pid, buf in self.replay_buffers.items():
                if len(buf):
                    samples[pid] = buf.sample(n, beta)
            if not samples:
                return None
            out = MultiAgentBatch(samples, n)
        self._replay_timer.add(time.perf_counter() - t0)
        return out

    def update_priorities(self, prio_dict: Mapping[Any, tuple[Any, Any]]) -> None:
        """Sets ``|td_errors| + eps`` as the priorities of ``batch_indexes``, per policy.

        Raises:
            ValueError: for an unknown policy id, or in lockstep mode (no priorities there).
        """
        if self._lockstep:
            raise ValueError("update_priorities: replay_mode='lockstep' does not use priorities")
        t0 = time.perf_counter()
        buffers = self.replay_buffers
        for pid, (batch_indexes, td_errors) in prio_dict.items():
            buf = buffers.get(pid)
            if buf is None:
                raise ValueError(f"update_priorities: unknown policy id {pid!r}; buffers exist for {list(buffers)}")
            buf.update_td_errors(batch_indexes, td_errors)
        self._update_timer.add(time.perf_counter() - t0)

    def priorities(self, policy_id: Any, batch_indexes: Any) -> np.ndarray:
        """The current priorities of one policy's replayed units (their ``batch_indexes``).

        Raises:
            ValueError: for an unknown policy id, or in lockstep mode (no priorities there).

        Examples:
            >>> import numpy as np
            >>> from rlcore.data.sample_batch import SampleBatch
            >>> buf = MultiAgentReplayBuffer(10, learning_starts=1, replay_batch_size=2, alpha=1.0, seed=0)
            >>> buf.add_batch(SampleBatch({"obs": np.arange(4.0), "weights": np.full(4, 2.0)}))
            >>> buf.update_priorities({"default_policy": (np.array([1]), np.array([-0.5]))})
            >>> buf.priorities("default_policy", [0, 1]).round(6).tolist()
            [2.0, 0.500001]
        """
        if self._lockstep:
            raise ValueError("priorities: replay_mode='lockstep' does not use priorities")
        if policy_id not in self.replay_buffers:
            raise ValueError(f"priorities: unknown policy id {policy_id!r}; buffers exist for {list(self.replay_buffers)}")
        return self.replay_buffers[policy_id].priorities(batch_indexes)

    # --- stats and checkpoints ------------------------------------------------------------------

    def stats(self, debug: bool = False) -> dict[str, Any]:
        """Mean times of add/replay/update in ms, ``num_added``, and ``policy_<pid>`` buffer stats."""
        out: dict[str, Any] = {f"{k}_time_ms": t.mean_ms for k, t in self._timers.items()}
        out["num_added"] = self.num_added
        if self._lockstep:
            out["policy___all__"] = self.lockstep_buffer.stats(debug)
        for pid, buf in self.replay_buffers.items():
            out[f"policy_{pid}"] = buf.stats(debug)
        return out

    def get_state(self) -> dict[str, Any]:
        """Every policy buffer's state, ``num_added`` and the seed RNG (msgpack-friendly values)."""
        return {
            "replay_mode": self.replay_mode.value,
            "num_added": self.num_added,
            "buffers": {pid: buf.get_state() for pid, buf in self.replay_buffers.items()},
            "lockstep": self.lockstep_buffer.get_state() if self._lockstep else None,
            "rng": _rng_state(self._rng),
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restores :meth:`get_state` into a buffer built with the same arguments."""
        if state.get("replay_mode") != self.replay_mode.value:
            raise ValueError(
                f"set_state: state is for replay_mode {state.get('replay_mode')!r}, expected {self.replay_mode.value!r}"
            )
        self.replay_buffers = {}
        for pid, s in state["buffers"].items():
            self._buffer(pid).set_state(s)
        if self._lockstep:
            self.lockstep_buffer.set_state(state["lockstep"])
        self.num_added = int(state["num_added"])
        self._rng = np.random.default_rng()
        self._rng.bit_generator.state = _rng_unstate(state["rng"])
