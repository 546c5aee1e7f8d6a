"""OutputWriter: where a rollout worker's sampled batches go (RLlib 1.x's ``OutputWriter``).

A worker built with an ``output`` config calls ``writer.write(batch)`` on every batch it
samples. :class:`NoopOutput` drops them (the default: ``output: None``).

Examples:
    >>> class Collect(OutputWriter):
    ...     def __init__(self): self.seen = []
    ...     def write(self, sample_batch): self.seen.append(sample_batch)
    >>> w = Collect(); w.write("b"); w.seen
    ['b']
    >>> NoopOutput().write("b") is None
    True
"""

from __future__ import annotations

import abc
from typing import Any

__all__ = ["OutputWriter", "NoopOutput"]


class OutputWriter(abc.ABC):
    """Base of every output writer."""

    @abc.abstractmethod
    def write(self, sample_batch: Any) -> None:
        """Saves one batch (a ``SampleBatch`` or ``MultiAgentBatch``)."""

    def close(self) -> None:
        """Flushes and releases what the writer holds (files); the worker calls it when it stops."""


class NoopOutput(OutputWriter):
    """Drops every batch."""

    def write(self, sample_batch: Any) -> None:
        """Does nothing."""
