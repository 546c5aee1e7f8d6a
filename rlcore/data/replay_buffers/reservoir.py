"""ReservoirBuffer: a uniform random sample of every row ever added, of bounded size.

Algorithm R (Vitter 1985): the first ``capacity`` rows are kept; row number ``t`` (counting from
0 over all rows ever added) then replaces a uniformly chosen held row with probability
``capacity / (t + 1)``. At any time each row ever added is held with the same probability, so
sampling from the reservoir samples the whole history uniformly (what NFSP-style average-policy
learning needs). One add draws all its replacement decisions at once and writes the chosen rows
with one scatter per column.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from rlcore.data.replay_buffers.uniform import ReplayBuffer, _count


class ReservoirBuffer(ReplayBuffer):
    """Reservoir sampling over rows (a unit is always one row).

    Args:
        capacity: Rows held at most (an int >= 1).
        seed: Seed of the RNG that makes both the replacement and the sampling draws.
        name: Name used in errors and stats.

    Examples:
        >>> import numpy as np
        >>> from rlcore.data.sample_batch import SampleBatch
        >>> buf = ReservoirBuffer(capacity=10, seed=0)
        >>> _ = buf.add(SampleBatch({"x": np.arange(1000)}))
        >>> len(buf), buf.stats()["added_count"]
        (10, 1000)
        >>> buf.sample(5).count
        5
    """

    def __init__(self, capacity: int = 10000, *, seed: int | None = None, name: str | None = None) -> None:
        super().__init__(capacity, storage_unit="timesteps", seed=seed, name=name)

    def add(self, batch: Mapping[str, Any], *, unit_lens=None) -> np.ndarray:
        """Offers every row of ``batch`` to the reservoir; returns the slots written (row order).

        Rows that were not chosen are dropped; a later row of the same batch that replaces the same
        slot wins, as in the sequential algorithm.
        """
        if unit_lens is not None:
            raise ValueError(f"{self.name}: unit_lens is not supported; a reservoir unit is one row")
        n = _count(batch, self.name)
        seen = self._added_count
        free = max(0, min(n, self.capacity - seen))
        slots = []
        if free:
            head = {k: np.asarray(v)[:free] for k, v in batch.items()}
            start, _ = self._storage.write(head)
            slots.append(start + np.arange(free, dtype=np.int64))
        if n > free:
            t = seen + np.arange(free, n, dtype=np.int64)  # global index of each remaining row
            r = self._rng.integers(0, t + 1)  # uniform in [0, t]
            chosen = np.flatnonzero(r < self.capacity) + free  # rows of the batch that enter
            targets = r[chosen - free]
            # Last write wins: keep, for each target slot, the latest row choosing it.
            rev_targets = targets[::-1]
            uniq, first_in_rev = np.unique(rev_targets, return_index=True)
            src = chosen[::-1][first_in_rev]
            order = np.argsort(src)
            dest_rows, src_rows = uniq[order].astype(np.int64), src[order]
            if len(dest_rows):
                self._storage.scatter(batch, dest_rows, src_rows)
            else:
                self._storage._prepare(batch)  # still reject a batch with the wrong columns
            slots.append(dest_rows)
        self._added_count += n
        return np.concatenate(slots) if slots else np.zeros(0, np.int64)
