"""LockstepReplayBuffer: replay whose unit is a multi-agent timeslice, all policies together.

RLlib's ``replay_mode="lockstep"``: a MultiAgentBatch is cut into timeslices of ``k`` env steps
(:meth:`MultiAgentBatch.timeslices`), and each slice is stored and sampled as one unit, so the
rows of every policy for the same env steps come back together (for algorithms that train
several agents on a shared view of time). Each policy keeps its own :class:`ColumnStorage`; the
slices form one FIFO ring shared by all policies, and a new slice evicts the oldest whole slices
until every policy's rows fit in ``capacity``. Sampling is uniform over slices (RLlib did not
prioritize in lockstep mode either).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from rlcore.data.replay_buffers._validation import check_int
from rlcore.data.replay_buffers.column_storage import ColumnStorage
from rlcore.data.replay_buffers.uniform import _rng_state, _rng_unstate


class LockstepReplayBuffer:
    """Uniform FIFO replay of multi-agent timeslices.

    Args:
        capacity: Rows held at most *per policy* (an int >= 1).
        seed: Seed of the sampling RNG.
        name: Name used in errors and stats.

    Examples:
        >>> import numpy as np
        >>> from rlcore.data.sample_batch import SampleBatch
        >>> from rlcore.data.multi_agent_batch import MultiAgentBatch
        >>> p0 = SampleBatch({"eps_id": [0, 0, 0], "t": [0, 1, 2], "x": [1., 2., 3.]})
        >>> p1 = SampleBatch({"eps_id": [0, 0], "t": [0, 2], "x": [4., 5.]})
        >>> buf = LockstepReplayBuffer(capacity=10, seed=0)
        >>> buf.add(MultiAgentBatch({"p0": p0, "p1": p1}, 3), k=1)
        3
        >>> len(buf), buf.sample(2).env_steps()
        (3, 2)
    """

    def __init__(self, capacity: int = 10000, *, seed: int | None = None, name: str | None = None) -> None:
        self.name = name or type(self).__name__
        self.capacity = check_int("capacity", capacity, 1)
        self._rng = np.random.default_rng(seed)
        self._storages: dict[Any, ColumnStorage] = {}
        self._start: dict[Any, np.ndarray] = {}
        self._len: dict[Any, np.ndarray] = {}
        self._live_rows: dict[Any, int] = {}
        self._env_steps = np.zeros(self.capacity, np.int64)
        self._first = 0
        self._num = 0
        self._added_count = 0
        self._sampled_count = 0

    def __len__(self) -> int:
        """Number of timeslices held."""
        return self._num

    def _policy(self, pid: Any) -> ColumnStorage:
        if pid not in self._storages:
            self._storages[pid] = ColumnStorage(self.capacity, name=f"{self.name}[{pid!r}]")
            self._start[pid] = np.zeros(self.capacity, np.int64)
            self._len[pid] = np.zeros(self.capacity, np.int64)
            self._live_rows[pid] = 0
        return self._storages[pid]

    def add(self, batch, k: int = 1) -> int:
        """Cuts a MultiAgentBatch (or SampleBatch, as the default policy) into timeslices of ``k``
        env steps and adds each as one unit; returns the number of slices added."""
        from rlcore.data.multi_agent_batch import MultiAgentBatch
        from rlcore.data.sample_batch import SampleBatch

        k = check_int("k", k, 1)
        if isinstance(batch, SampleBatch):
            batch = batch.as_multi_agent()
        if not isinstance(batch, MultiAgentBatch):
            raise TypeError(f"{self.name}: batch must be a MultiAgentBatch or SampleBatch, got {type(batch).__name__}")
        slices = batch.timeslices(k)
        for s in slices:
            self._add_slice(s)
        return len(slices)

    def _add_slice(self, ts) -> None:
        parts = {pid: b for pid, b in ts.policy_batches.items() if b.count > 0}
        for pid, b in parts.items():
            if b.count > self.capacity:
                raise ValueError(
                    f"{self.name}: a timeslice with {b.count} rows of policy {pid!r} does not fit in capacity {self.capacity}"
                )
            self._policy(pid)._prepare(b)  # schema check before anything changes
        while self._num and any(self._live_rows[p] + b.count > self.capacity for p, b in parts.items()):
            slot = self._first
            for p in self._storages:
                self._live_rows[p] -= int(self._len[p][slot])
                self._len[p][slot] = 0
            self._first = (slot + 1) % self.capacity
            self._num -= 1
        if self._num == self.capacity:  # more slices than rows: only possible with empty slices
            raise ValueError(f"{self.name}: more than {self.capacity} timeslices without rows")
        slot = (self._first + self._num) % self.capacity
        for pid in self._storages:
            self._len[pid][slot] = 0
        for pid, b in parts.items():
            start, n = self._storages[pid].write(b)
            self._start[pid][slot] = start
            self._len[pid][slot] = n
            self._live_rows[pid] += n
        self._env_steps[slot] = ts.env_steps()
        self._num += 1
        self._added_count += ts.env_steps()

    def sample(self, n: int):
        """Draws ``n`` timeslices uniformly with replacement; returns them as one MultiAgentBatch
        whose ``env_steps`` is the sum of theirs."""
        from rlcore.data.multi_agent_batch import MultiAgentBatch
        from rlcore.data.sample_batch import SampleBatch

        n = check_int("n", n, 1)
        if self._num == 0:
            raise ValueError(f"cannot sample from {self.name}: it is empty (size 0, capacity {self.capacity})")
        slots = (self._first + self._rng.integers(0, self._num, n, dtype=np.int64)) % self.capacity
        out = {}
        for pid, storage in self._storages.items():
            lens = self._len[pid][slots]
            if lens.sum() == 0:
                continue
            starts = np.repeat(self._start[pid][slots], lens)
            within = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
            out[pid] = SampleBatch(storage.gather((starts + within) % self.capacity))
        env_steps = int(self._env_steps[slots].sum())
        self._sampled_count += env_steps
        return MultiAgentBatch(out, env_steps)

    def stats(self, debug: bool = False) -> dict[str, Any]:
        """``added_count``/``sampled_count`` in env steps, ``num_entries`` (slices held),
        ``est_size_bytes``, ``capacity``, and the rows held per policy."""
        return {
            "added_count": self._added_count,
            "sampled_count": self._sampled_count,
            "est_size_bytes": sum(s.nbytes() for s in self._storages.values()),
            "num_entries": self._num,
            "capacity": self.capacity,
            "num_timesteps_per_policy": dict(self._live_rows),
        }

    def get_state(self) -> dict[str, Any]:
        """Per-policy columns and slice ring, counters and RNG state (numpy arrays and plain values)."""
        return {
            "policies": {
                pid: {"storage": s.get_state(), "start": self._start[pid].copy(), "len": self._len[pid].copy(),
                      "live_rows": self._live_rows[pid]}
                for pid, s in self._storages.items()
            },
            "env_steps": self._env_steps.copy(),
            "first": self._first,
            "num": self._num,
            "added_count": self._added_count,
            "sampled_count": self._sampled_count,
            "rng": _rng_state(self._rng),
        }

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restores :meth:`get_state` (same capacity)."""
        self._storages, self._start, self._len, self._live_rows = {}, {}, {}, {}
        for pid, p in state["policies"].items():
            self._policy(pid).set_state(p["storage"])
            self._start[pid] = np.array(p["start"], np.int64)
            self._len[pid] = np.array(p["len"], np.int64)
            self._live_rows[pid] = int(p["live_rows"])
        self._env_steps = np.array(state["env_steps"], np.int64)
        self._first, self._num = int(state["first"]), int(state["num"])
        self._added_count, self._sampled_count = int(state["added_count"]), int(state["sampled_count"])
        self._rng = np.random.default_rng()
        self._rng.bit_generator.state = _rng_unstate(state["rng"])
