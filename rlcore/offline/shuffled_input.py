"""ShuffledInput: a sliding shuffle buffer over another reader (RLlib 1.x's ``ShuffledInput``).

The buffer holds ``n`` batches; each ``next()`` returns one at a random slot and refills the
slot from the child. With ``n <= 1`` batches pass through in order (``shuffle_buffer_size: 0``).

Examples:
    >>> from rlcore.offline.input_reader import InputReader
    >>> class Count(InputReader):
    ...     def __init__(self): self.i = 0
    ...     def next(self):
    ...         self.i += 1
    ...         return self.i
    >>> s = ShuffledInput(Count(), n=4, seed=0)
    >>> out = [s.next() for _ in range(6)]
    >>> sorted(out) != out, len(set(out))
    (True, 6)
    >>> [ShuffledInput(Count(), n=0).next() for _ in range(1)]
    [1]
"""

from __future__ import annotations

import random
from typing import Any, List, Optional

from rlcore.offline.input_reader import InputReader

__all__ = ["ShuffledInput"]


class ShuffledInput(InputReader):
    """Shuffles the batches of ``child`` within a window of ``n``.

    Args:
        child: The reader to shuffle.
        n: Batches in the buffer (``shuffle_buffer_size``).
        seed: Seeds the slot choice.

    Raises:
        TypeError: ``child`` is not an ``InputReader``; ``n`` is not an int >= 0.
    """

    def __init__(self, child: InputReader, n: int = 0, seed: Optional[int] = None):
        if not isinstance(child, InputReader):
            raise TypeError(f"ShuffledInput(child={child!r:.60}): expected an InputReader")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise TypeError(f"shuffle_buffer_size={n!r}: expected an int >= 0")
        self.child, self.n = child, n
        self._rng = random.Random(seed)
        self._buffer: List[Any] = []

    def next(self) -> Any:
        """A batch from a random slot of the buffer (filled from the child first)."""
        if self.n <= 1:
            return self.child.next()
        while len(self._buffer) < self.n:
            self._buffer.append(self.child.next())
        i = self._rng.randrange(self.n)
        out, self._buffer[i] = self._buffer[i], self.child.next()
        return out

    def get_metrics(self) -> list:
        """The child's metrics."""
        return self.child.get_metrics()

    def stop(self) -> None:
        """Stops the child."""
        self.child.stop()
