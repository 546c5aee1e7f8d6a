"""AsyncSampler: a rollout worker's sampling in a background thread (RLlib's ``sample_async``).

The thread calls ``produce()`` again and again: one finished batch (sampled and postprocessed)
each time, with the episode metrics that finished while making it. It puts them in a queue of
``queue_size`` batches. :meth:`next` takes the oldest. While the learner works on a batch, the
envs step and the policy acts for the next ones, so a batch may come from weights that are up to
``queue_size`` updates old, as in RLlib 1.x.

The policy's lock orders its inference against ``learn_on_batch`` and ``set_weights``. An
exception in the thread comes out of the next :meth:`next` call, as the same exception. The
thread is a daemon and stops after its current batch once :meth:`stop` is called.

Examples:
    >>> import itertools
    >>> counter = itertools.count()
    >>> sampler = AsyncSampler(lambda: (next(counter), []), queue_size=2)
    >>> [sampler.next(timeout=5) for _ in range(3)]
    [0, 1, 2]
    >>> sampler.stop()
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, List, Optional, Tuple

__all__ = ["AsyncSampler"]

_DONE = object()


class AsyncSampler:
    """Runs ``produce() -> (batch, metrics)`` in a daemon thread, ``queue_size`` batches ahead.

    Args:
        produce: Makes one finished batch and returns it with the metrics of the episodes that
            finished meanwhile (called in the thread only).
        queue_size: Batches made ahead of :meth:`next` (RLlib's ``AsyncSampler`` kept 5).
        name: The thread's name.
    """

    def __init__(self, produce: Callable[[], Tuple[Any, List[Any]]], queue_size: int = 5,
                 name: str = "rlcore-async-sampler"):
        if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 1:
            raise ValueError(f"queue_size={queue_size!r}: expected an int >= 1")
        self._produce = produce
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._error: Optional[BaseException] = None
        self._metrics: List[Any] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                item = self._produce()
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.05)
                        break
                    except queue.Full:
                        continue
        except BaseException as err:  # noqa: BLE001 - handed to the consumer, which re-raises it
            self._error = err
        finally:
            try:
                self._queue.put_nowait(_DONE)
            except queue.Full:
                pass  # the consumer finds the thread dead instead (see next)

    @property
    def alive(self) -> bool:
        """Whether the sampling thread is running."""
        return self._thread.is_alive()

    def next(self, timeout: Optional[float] = None) -> Any:
        """The oldest finished batch (its metrics go to :meth:`get_metrics`).

        Args:
            timeout: Seconds to wait at most (``None``: until a batch comes).

        Raises:
            Exception: The exception that stopped the sampling thread.
            RuntimeError: When the sampler was stopped.
            TimeoutError: When no batch came within ``timeout``.
        """
        waited = 0.0
        while True:
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                waited += 0.1
                if not self._thread.is_alive() and self._queue.empty():
                    item = _DONE
                elif timeout is not None and waited >= timeout:
                    raise TimeoutError(f"no sample from the async sampler within {timeout} s") from None
                else:
                    continue
            if item is _DONE:
                self._queue.put_nowait(_DONE)  # every later call fails the same way
                if self._error is not None:
                    raise self._error
                raise RuntimeError("the async sampler was stopped")
            batch, metrics = item
            self._metrics.extend(metrics)
            return batch

    def get_metrics(self) -> List[Any]:
        """The metrics that came with the batches taken so far (drained)."""
        out, self._metrics = self._metrics, []
        return out

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the thread after its current batch (waits at most ``timeout`` seconds)."""
        self._stop.set()
        self._thread.join(timeout)
