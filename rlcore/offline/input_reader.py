"""InputReader: a source of sample batches a rollout worker reads instead of sampling its env.

Subclasses implement :meth:`InputReader.next`. Two rlcore hooks have working defaults: a reader
that receives episode metrics from elsewhere (a policy server's clients) returns them from
:meth:`InputReader.get_metrics`, and one that holds resources (sockets, threads) releases them in
:meth:`InputReader.stop`, which the worker calls when it stops.

Examples:
    >>> import numpy as np
    >>> from rlcore.data.sample_batch import SampleBatch
    >>> class Constant(InputReader):
    ...     def next(self):
    ...         return SampleBatch({"obs": np.zeros((2, 1)), "rewards": np.ones(2)})
    >>> r = Constant()
    >>> r.next().count, r.get_metrics()
    (2, [])
"""

from __future__ import annotations

import abc
from typing import Any, List

__all__ = ["InputReader"]


class InputReader(abc.ABC):
    """Base of every input reader (RLlib 1.x's ``InputReader``)."""

    @abc.abstractmethod
    def next(self) -> Any:
        """Returns the next batch (a ``SampleBatch`` or ``MultiAgentBatch``; may be empty)."""

    def get_metrics(self) -> List[Any]:
        """Episode metrics (``RolloutMetrics``) gathered since the last call; none by default."""
        return []

    def stop(self) -> None:
        """Releases the reader's resources; a file or in-memory reader holds none to release."""
