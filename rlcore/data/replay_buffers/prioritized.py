"""PrioritizedReplayBuffer: replay that samples each unit in proportion to ``priority ** alpha``.

Proportional prioritization (Schaul et al. 2016) over the compiled sum and min segment trees, one
leaf per slot. New units get the largest priority seen so far. ``sample(n, beta)`` draws
``rng.random(n) * total`` prefix sums, finds their leaves with one batched
``find_prefixsum_idx``, and adds two columns to the SampleBatch it returns:

* ``weights`` (float32): importance weights ``(N * P(i)) ** -beta`` divided by the largest possible
  weight ``(N * P_min) ** -beta`` (``P_min`` from the min tree), so they lie in ``(0, 1]``;
* ``batch_indexes`` (int64): the slot of each row's unit, to pass back to
  :meth:`PrioritizedReplayBuffer.update_priorities`.

For items, both are repeated over the item's rows.

``add``, ``sample`` and ``update_td_errors`` are methods of the compiled base class
``PrioritizedReplayCore`` (no Python frame before the native work), and each operation's hot path
is one call of the compiled core: the storage's ``write_exact``
(``ReplayRing.add``: all columns, both trees' leaves, the ring's position and row count, and the
slots written), ``replay_sample`` (prefix-sum search, min tree, importance weights and, for
timesteps, the uniforms drawn from the buffer's RNG and the gather of the sampled rows' numeric
columns from the storage's records, one record per row; object columns such as ``infos`` are then
indexed with the slots) and
``replay_update`` (checks, ``|td_error| + eps`` for :meth:`update_td_errors`, ``priority ** alpha``,
both trees, and the max priority and update count in the buffer's ``ReplayPriorityStats``). Input they do not take as is (a dtype to cast, an invalid priority) goes through the
general path, which casts or raises.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from rlcore._backend import (
    MinSegmentTree,
    PrioritizedReplayCore,
    ReplayPriorityStats,
    SumSegmentTree,
    replay_sample,
    replay_update,
)
from rlcore.data.replay_buffers._validation import check_nonneg_float, check_positive_float
from rlcore.data.replay_buffers.uniform import _PLAIN_FLAGS, ReplayBuffer, StorageUnit, _count, _sample_batch
from rlcore.data.sample_batch import SampleBatch

_ADDED = frozenset(("weights", "batch_indexes"))  # the columns sample() sets on every batch


class PrioritizedReplayBuffer(PrioritizedReplayCore, ReplayBuffer):
    """Prioritized replay with alpha/beta and importance weights.

    ``add``, ``sample`` and ``update_td_errors`` are the compiled core's
    (:class:`~rlcore._backend.PrioritizedReplayCore`, which also holds the attributes they read): one
    native call each for input that fits as is, else the general paths below (``_add_general``,
    ``_sample_general``, ``_update_general``).

    Args:
        capacity: Rows held at most (an int >= 1).
        alpha: How strongly priorities shape sampling (0: uniform), >= 0.
        beta: Default importance-weight exponent of :meth:`sample` (0: no correction), >= 0.
        eps: Added to ``|td_error|`` by :meth:`update_td_errors`, > 0.
        storage_unit: ``"timesteps"`` or ``"items"`` (see :class:`ReplayBuffer`).
        seed: Seed of the sampling RNG.
        name: Name used in errors and stats.

    Examples:
        >>> import numpy as np
        >>> from rlcore.data.sample_batch import SampleBatch
        >>> buf = PrioritizedReplayBuffer(capacity=8, alpha=1.0, beta=1.0, seed=0)
        >>> slots = buf.add(SampleBatch({"obs": np.arange(4.0)}))
        >>> buf.update_priorities(slots, np.array([1.0, 1.0, 1.0, 5.0]))
        >>> b = buf.sample(3)
        >>> sorted(b.keys())
        ['batch_indexes', 'obs', 'weights']
        >>> float(b["weights"].max()) <= 1.0
        True
    """

    def __init__(
        self,
        capacity: int = 10000,
        *,
        alpha: float = 0.6,
        beta: float = 0.4,
        eps: float = 1e-6,
        storage_unit: StorageUnit | str = StorageUnit.TIMESTEPS,
        seed: int | None = None,
        name: str | None = None,
    ) -> None:
        ReplayBuffer.__init__(self, capacity, storage_unit=storage_unit, seed=seed, name=name)
        self.alpha = check_nonneg_float("alpha", alpha)
        self.beta = check_nonneg_float("beta", beta)
        self.eps = check_positive_float("eps", eps)
        self._sum = SumSegmentTree(self.capacity)
        self._min = MinSegmentTree(self.capacity)
        self._stats = ReplayPriorityStats()  # max priority and update count (native updates record them)
        self._batch_type, self._batch_attrs = SampleBatch, _PLAIN_FLAGS  # what the core's sample makes

    @property
    def max_priority(self) -> float:
        """The largest priority so far (1.0 at start): the priority of new units."""
        return self._stats.max_priority

    # --- adding ---------------------------------------------------------------------------------

    def _add_general(self, batch: Mapping[str, Any], unit_lens, priorities) -> np.ndarray:
        """``add`` of a batch the core's one call did not take: given priorities, items, or columns to
        cast or check (the object columns' write and the errors are here)."""
        if priorities is None and unit_lens is None and not self._items:
            added = self._storage.write_exact(batch, self._sum, self._min, self._stats.max_priority ** self.alpha)
            if added is not None:
                self._added_count += added[0]
                return added[1]
        if priorities is not None:
            priorities = np.asarray(priorities, np.float64).reshape(-1)
            # every row at one valid priority (the usual ``weights`` column of ones, RLlib 1.x's
            # priority of a batch): one comparison instead of the checks, then one native call
            same = float(priorities[0]) if len(priorities) else 0.0
            uniform = 0.0 < same < math.inf and bool((priorities == same).all())
            if not uniform:
                self._check_priorities(priorities)
            if self._items:
                expected = 1 if unit_lens is None else len(unit_lens)
            else:
                expected = _count(batch, self.name)
            if len(priorities) != expected:
                raise ValueError(
                    f"{self.name}: priorities has {len(priorities)} entries, expected one per unit ({expected})"
                )
            if uniform and unit_lens is None and not self._items:
                added = self._storage.write_exact(batch, self._sum, self._min, same ** self.alpha)
                if added is not None:
                    if added[0] > 0:
                        self._stats.record(same, 0)
                    self._added_count += added[0]
                    return added[1]
        slots = ReplayBuffer.add(self, batch, unit_lens=unit_lens)
        if priorities is None:
            prios = np.full(len(slots), self.max_priority)
        else:
            prios = priorities[len(priorities) - len(slots):]
            self._stats.record(float(prios.max(initial=0.0)), 0)
        self._set(slots, prios)
        return slots

    def _set(self, slots: np.ndarray, priorities: np.ndarray) -> None:
        values = np.ascontiguousarray(priorities ** self.alpha, np.float64)
        slots = np.ascontiguousarray(slots, np.int64)
        self._sum.update(slots, values)
        self._min.update(slots, values)

    def _on_evict(self, slots: np.ndarray) -> None:
        self._sum.update(slots, np.zeros(len(slots)))
        self._min.update(slots, np.full(len(slots), np.inf))

    # --- sampling -------------------------------------------------------------------------------

    def _sample_general(self, n, beta):
        """``sample`` when the core's one call did not take it: items, object columns, ``n`` or
        ``beta`` to check or convert, an empty buffer (errors)."""
        n = self._check_sample(n)
        if beta is None:
            beta = self.beta  # checked by replay_sample
        elif type(beta) is not float or not 0.0 <= beta < math.inf:
            beta = check_nonneg_float("beta", beta)
        records = None if self._items else self._storage.sample_records
        if records is not None:  # n or beta converted: the core's call
            out = replay_sample(self._sum, self._min, n, beta, records, self._rng, self._batch_type, self._batch_attrs)
            self._sampled_count += n
            return out
        fixed = None if self._items else self._storage.record_columns()
        if fixed is not None:
            # rows are slots: one native call draws the uniforms from the buffer's RNG (as
            # rng.random(n)) and gathers the numeric columns from the storage's records; object
            # columns (infos) are indexed with the slots, and the columns keep the stored order
            names, records, objects, order = fixed
            slots, weights, gathered = replay_sample(self._sum, self._min, n, beta, records, self._rng)
            cols = dict(zip(names, gathered))
            for k, v in objects:
                cols[k] = v[slots]
            if order is not None:
                cols = {k: cols[k] for k in order}
            # stored ``weights`` / ``batch_indexes`` columns are replaced, at the end as on the general path
            cols.pop("weights", None)
            cols.pop("batch_indexes", None)
            cols["weights"] = weights
            cols["batch_indexes"] = slots
            self._sampled_count += n
            return _sample_batch(cols)
        # (N p)^-beta over its largest possible value (N p_min)^-beta, as float32
        slots, weights = replay_sample(self._sum, self._min, self._rng.random(n), beta)
        if self._items:
            rows = self._rows_of(slots)
            lens = self._item_len[slots]
            weights, slots = np.repeat(weights, lens), np.repeat(slots, lens)
        else:
            rows = slots
        cols = self._storage.gather(rows, _ADDED)  # a stored ``weights`` column is replaced below
        cols["weights"] = weights
        cols["batch_indexes"] = slots
        self._sampled_count += len(rows)
        return _sample_batch(cols)

    # --- priorities -----------------------------------------------------------------------------

    def _check_priorities(self, priorities: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(priorities) | (priorities <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"{self.name}: priorities must be finite and > 0, got {float(priorities[i])!r} at position {i}"
            )
        return priorities

    def update_priorities(self, idxes, priorities) -> None:
        """Sets the priority of the units at slots ``idxes`` (from ``batch_indexes``).

        Raises:
            ValueError: on mismatched lengths, a priority that is not finite and > 0, or an index
                that is not a slot currently held.
        """
        if type(idxes) is not np.ndarray:
            idxes = np.asarray(idxes)
        if type(priorities) is not np.ndarray or priorities.dtype != np.float64 or priorities.ndim != 1:
            priorities = np.asarray(priorities, np.float64).reshape(-1)
        if replay_update(self._sum, self._min, idxes, priorities, self.alpha, self._first_item,
                         self._num_items if self._items else self._ring.size, None, self._stats) >= 0.0:
            return  # live slots: num_items items from first_item, or (timesteps: first_item is 0) size rows
        if idxes.ndim != 1 or (len(idxes) and idxes.dtype.kind not in "iu"):
            raise TypeError(f"{self.name}: idxes must be a 1-D array of ints, got {idxes.dtype} of shape {idxes.shape}")
        if len(idxes) != len(priorities):
            raise ValueError(f"{self.name}: idxes has {len(idxes)} entries but priorities has {len(priorities)}")
        self._check_priorities(priorities)
        idxes = idxes.astype(np.int64)
        out = (idxes < 0) | (idxes >= self.capacity)
        out[~out] = ~self._is_live(idxes[~out])
        if out.any():
            i = int(np.argmax(out))
            raise ValueError(
                f"{self.name}: index {int(idxes[i])} at position {i} is not a slot held by the buffer "
                f"({len(self)} units, capacity {self.capacity})"
            )
        self._set(idxes, priorities)
        self._stats.record(float(priorities.max(initial=0.0)), len(idxes))

    def _update_general(self, idxes, td_errors) -> None:
        """``update_td_errors`` when the core's one call did not take it: items, or TD errors and
        indexes to convert or check (errors)."""
        if (self._items and type(idxes) is np.ndarray and type(td_errors) is np.ndarray
                and replay_update(self._sum, self._min, idxes, td_errors, self.alpha, self._first_item,
                                  self._num_items, self.eps, self._stats) >= 0.0):
            return  # items: 1-D float64 or float32 TD errors at live items, in one native call
        td = np.abs(np.asarray(td_errors, np.float64).reshape(-1))
        td += self.eps
        self.update_priorities(idxes, td)

    def priorities(self, idxes) -> np.ndarray:
        """Current priorities (``leaf ** (1 / alpha)``; the leaf itself when ``alpha == 0``) of slots."""
        leaves = self._sum.get(np.ascontiguousarray(idxes, np.int64))
        return leaves if self.alpha == 0 else leaves ** (1.0 / self.alpha)

    # --- stats and checkpoints ------------------------------------------------------------------

    def stats(self, debug: bool = False) -> dict[str, Any]:
        """:meth:`ReplayBuffer.stats` plus ``max_priority`` and, with ``debug``, ``num_priority_updates``."""
        out = super().stats(debug)
        out["max_priority"] = self._stats.max_priority
        if debug:
            out["num_priority_updates"] = self._stats.num_updates
        return out

    def get_state(self) -> dict[str, Any]:
        """:meth:`ReplayBuffer.get_state` plus the tree leaves and the max priority."""
        state = super().get_state()
        all_slots = np.arange(self.capacity, dtype=np.int64)
        state["sum_leaves"] = self._sum.get(all_slots)
        state["min_leaves"] = self._min.get(all_slots)
        state["max_priority"] = self._stats.max_priority
        state["num_updates"] = self._stats.num_updates
        return state

    def set_state(self, state: Mapping[str, Any]) -> None:
        super().set_state(state)
        all_slots = np.arange(self.capacity, dtype=np.int64)
        self._sum = SumSegmentTree(self.capacity)
        self._min = MinSegmentTree(self.capacity)
        self._sum.update(all_slots, np.ascontiguousarray(state["sum_leaves"], np.float64))
        self._min.update(all_slots, np.ascontiguousarray(state["min_leaves"], np.float64))
        self._stats.reset(float(state["max_priority"]), int(state["num_updates"]))
