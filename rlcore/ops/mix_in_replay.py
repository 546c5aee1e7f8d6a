"""Mixing replayed batches into a stream: ``SimpleReplayBuffer`` and ``MixInReplay`` (IMPALA/APPO).

:class:`SimpleReplayBuffer` is a ring of ``num_slots`` whole batches replayed uniformly;
:class:`MixInReplay` (``.for_each()`` then ``.flatten()``) outputs each input batch followed by
about ``replay_proportion`` batches replayed from such a ring.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> it = LocalIterator(lambda t: iter(["b0", "b1", "b2"]), SharedMetrics())
    >>> out = it.for_each(MixInReplay(num_slots=2, replay_proportion=1.0, seed=0)).flatten().take(6)
    >>> out[0::2]
    ['b0', 'b1', 'b2']
"""

from __future__ import annotations

import random
from typing import Any, List, Optional

__all__ = ["SimpleReplayBuffer", "MixInReplay"]


class SimpleReplayBuffer:
    """A ring of the last ``num_slots`` batches; ``replay()`` returns one chosen uniformly.

    Args:
        num_slots: Batches held (>= 0; with 0 nothing is stored).
        replay_proportion: Unused; kept for RLlib's signature.
        seed: Seed of the replay choice.

    Examples:
        >>> buf = SimpleReplayBuffer(2, seed=0)
        >>> for b in ("a", "b", "c"):
        ...     buf.add_batch(b)
        >>> sorted(buf.replay_batches), len(buf)
        (['b', 'c'], 2)
    """

    def __init__(self, num_slots: int, replay_proportion: Optional[float] = None, *, seed: Optional[int] = None):
        if isinstance(num_slots, bool) or not isinstance(num_slots, int) or num_slots < 0:
            raise ValueError(f"num_slots={num_slots!r}: expected an int >= 0")
        self.num_slots = num_slots
        self.replay_batches: List[Any] = []
        self.replay_index = 0
        self._rng = random.Random(seed)

    def add_batch(self, sample_batch: Any) -> None:
        """Stores a batch, overwriting the oldest once ``num_slots`` are held."""
        if self.num_slots <= 0:
            return
        if len(self.replay_batches) < self.num_slots:
            self.replay_batches.append(sample_batch)
        else:
            self.replay_batches[self.replay_index] = sample_batch
            self.replay_index = (self.replay_index + 1) % self.num_slots

    def replay(self) -> Any:
        """A stored batch chosen uniformly at random.

        Raises:
            ValueError: When the buffer is empty.
        """
        if not self.replay_batches:
            raise ValueError("SimpleReplayBuffer.replay(): the buffer is empty (add_batch first, or num_slots=0)")
        return self._rng.choice(self.replay_batches)

    def __len__(self) -> int:
        return len(self.replay_batches)


class MixInReplay:
    """Outputs each batch followed by replayed ones: use with ``.for_each()`` then ``.flatten()``.

    Each input batch is stored in a :class:`SimpleReplayBuffer` of ``num_slots`` batches and
    returned first in a list; then, with ``f = replay_proportion``, while ``random() < f`` a
    replayed batch is appended and ``f`` decreases by 1, so on average about
    ``replay_proportion`` replayed batches follow each new one (RLlib's rule).

    Args:
        num_slots: Batches in the replay ring.
        replay_proportion: Mean replayed batches per input batch (>= 0).
        seed: Seed of the draws.

    Raises:
        ValueError: When ``replay_proportion > 0`` and ``num_slots == 0``.
    """

    def __init__(self, num_slots: int, replay_proportion: float, *, seed: Optional[int] = None):
        if isinstance(replay_proportion, bool) or not isinstance(replay_proportion, (int, float)) or replay_proportion < 0:
            raise ValueError(f"replay_proportion={replay_proportion!r}: expected a number >= 0")
        if replay_proportion > 0 and num_slots == 0:
            raise ValueError(f"replay_proportion={replay_proportion!r} > 0 needs num_slots > 0, got num_slots=0")
        self.replay_buffer = SimpleReplayBuffer(num_slots, seed=None if seed is None else seed + 1)
        self.replay_proportion = float(replay_proportion)
        self._rng = random.Random(seed)

    def __call__(self, sample_batch: Any) -> List[Any]:
        self.replay_buffer.add_batch(sample_batch)
        output = [sample_batch]
        f = self.replay_proportion
        while self._rng.random() < f:
            f -= 1
            output.append(self.replay_buffer.replay())
        return output
