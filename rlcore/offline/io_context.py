"""IOContext: what an input reader (or output writer) is told about the worker it serves.

Examples:
    >>> ctx = IOContext(log_dir="/tmp/run", config={"rollout_fragment_length": 50}, worker_index=2)
    >>> ctx.log_dir, ctx.config["rollout_fragment_length"], ctx.worker_index, ctx.worker
    ('/tmp/run', 50, 2, None)
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional

from rlcore.offline.input_reader import InputReader

__all__ = ["IOContext", "SamplerInput"]


class IOContext:
    """The context an ``input_creator(ioctx)`` receives (RLlib 1.x's ``IOContext``).

    Args:
        log_dir: The trainer's log directory, if any.
        config: The full trainer config (``{}`` when None).
        worker_index: The rollout worker's index (0: the local worker; 1..n: remote ones).
        worker: The :class:`~rlcore.sampling.rollout_worker.RolloutWorker` being built (its
            policies exist by the time the input creator runs).

    Raises:
        TypeError: ``config`` is not a mapping, or ``worker_index`` is not an int >= 0.
    """

    def __init__(self, log_dir: Optional[str] = None, config: Optional[Mapping[str, Any]] = None,
                 worker_index: int = 0, worker: Any = None):
        if config is not None and not isinstance(config, Mapping):
            raise TypeError(f"IOContext(config={config!r:.60}): expected a dict, got {type(config).__name__}")
        if isinstance(worker_index, bool) or not isinstance(worker_index, int) or worker_index < 0:
            raise TypeError(f"IOContext(worker_index={worker_index!r}): expected an int >= 0")
        self.log_dir = log_dir
        self.config: Mapping[str, Any] = config if config is not None else {}
        self.worker_index = worker_index
        self.worker = worker

    def default_sampler_input(self) -> "SamplerInput":
        """The worker's own env sampling as an :class:`~rlcore.offline.InputReader` (the
        ``"sampler"`` source of a ``MixedInput``).

        Raises:
            ValueError: The context has no worker.
        """
        if self.worker is None:
            raise ValueError("IOContext.default_sampler_input(): this context has no worker to sample from")
        return SamplerInput(self.worker)

    def __repr__(self) -> str:
        return f"IOContext(log_dir={self.log_dir!r}, worker_index={self.worker_index})"


class SamplerInput(InputReader):
    """Batches the worker samples from its envs (``worker.sample_env()``), as a reader.

    Args:
        worker: A :class:`~rlcore.sampling.rollout_worker.RolloutWorker`.
    """

    def __init__(self, worker: Any):
        self.worker = worker

    def next(self) -> Any:
        """One sampled, postprocessed batch."""
        return self.worker.sample_env()

    def get_metrics(self) -> List[Any]:
        """The episodes the worker finished in its envs since the last call."""
        return self.worker._env_metrics()
