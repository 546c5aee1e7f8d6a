"""``MinibatchBuffer``: replays each train batch of a queue several times, from a ring of slots.

A learner thread reads its batches through this buffer (RLlib 1.x
``ray.rllib.execution.minibatch_buffer``): with ``size`` slots and ``num_passes`` passes, each
batch taken from the queue is returned ``num_passes`` times, interleaved round-robin with the
batches of the other slots, and then released. ``size=1, num_passes=1`` (IMPALA's default) is a
plain queue read.

Examples:
    >>> import queue
    >>> q = queue.Queue()
    >>> for b in ("a", "b"):
    ...     q.put(b)
    >>> buf = MinibatchBuffer(q, size=2, timeout=1.0, num_passes=2, init_num_passes=2)
    >>> [buf.get() for _ in range(4)]
    [('a', False), ('b', False), ('a', True), ('b', True)]
"""

from __future__ import annotations

import queue
from typing import Any, List, Optional, Tuple

__all__ = ["MinibatchBuffer"]


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r}: expected an int >= {minimum}")
    return value


class MinibatchBuffer:
    """A ring of ``size`` batches from ``inqueue``, each returned ``num_passes`` times.

    Args:
        inqueue: The ``queue.Queue`` the batches come from.
        size: Slots of the ring (batches held at once, >= 1).
        timeout: Seconds :meth:`get` waits for a new batch before raising ``queue.Empty``.
        num_passes: Passes over each batch once warmed up (>= 1).
        init_num_passes: Passes over the first batch; each later batch gets one more until
            ``num_passes`` is reached (RLlib's warm-up, so the first update comes quickly).

    Raises:
        ValueError: For a size, pass count or timeout out of range.
    """

    def __init__(self, inqueue: queue.Queue, size: int, timeout: float, num_passes: int, init_num_passes: int = 1):
        if not isinstance(inqueue, queue.Queue):
            raise TypeError(f"inqueue={inqueue!r}: expected a queue.Queue, got {type(inqueue).__name__}")
        self.inqueue = inqueue
        self.size = _check_int("size", size, 1)
        self.max_ttl = _check_int("num_passes", num_passes, 1)
        self.cur_max_ttl = min(_check_int("init_num_passes", init_num_passes, 1), self.max_ttl)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout={timeout!r}: expected seconds > 0")
        self.timeout = float(timeout)
        self.buffers: List[Any] = [None] * size
        self.ttl: List[int] = [0] * size
        self.idx = 0

    def get(self, timeout: Optional[float] = None) -> Tuple[Any, bool]:
        """The next batch to learn on, and whether this was its last pass.

        Args:
            timeout: Wait at most this long for a new batch (default: the buffer's ``timeout``).

        Returns:
            ``(batch, released)``; ``released`` is True on the batch's last pass.

        Raises:
            queue.Empty: When a new batch is needed and none arrives in time. The ring is left
                as it was, so the call can be retried.
        """
        if self.ttl[self.idx] <= 0:
            self.buffers[self.idx] = self.inqueue.get(timeout=self.timeout if timeout is None else timeout)
            self.ttl[self.idx] = self.cur_max_ttl
            if self.cur_max_ttl < self.max_ttl:
                self.cur_max_ttl += 1
        buf = self.buffers[self.idx]
        self.ttl[self.idx] -= 1
        released = self.ttl[self.idx] <= 0
        if released:
            self.buffers[self.idx] = None
        self.idx = (self.idx + 1) % self.size
        return buf, released

    def __repr__(self) -> str:
        return (f"MinibatchBuffer(size={self.size}, num_passes={self.max_ttl}, "
                f"held={sum(t > 0 for t in self.ttl)})")
