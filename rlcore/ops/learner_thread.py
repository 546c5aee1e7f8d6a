"""``LearnerThread``: trains the local worker's policies on batches another thread hands it.

The asynchronous plans (IMPALA, APPO) sample on the workers and learn in this thread at the same
time (RLlib 1.x ``ray.rllib.execution.learner_thread``)::

    train batches --Enqueue--> inqueue -> MinibatchBuffer -> learn_on_batch -> outqueue --dequeue--> plan

- ``inqueue``: a ``queue.Queue(maxsize=learner_queue_size)`` of train batches;
- each batch is learned on ``num_sgd_iter`` times, interleaved over a ring of
  ``minibatch_buffer_size`` batches (:class:`~rlcore.ops.minibatch_buffer.MinibatchBuffer`);
- ``outqueue``: one ``(env_steps, agent_steps, {policy_id: learner_stats})`` per learning step;
- ``weights_updated`` turns True after each step (the plan's weight broadcast resets it);
- statistics for the result dict (:meth:`LearnerThread.add_learner_metrics`): ``info["learner"]``,
  ``info["learner_queue"]`` (in-queue size after each step: count, mean, std, quantiles) and
  ``info["timing_breakdown"]`` (``learner_grad_time_ms``, ``learner_load_time_ms``,
  ``learner_load_wait_time_ms``, ``learner_dequeue_time_ms``).

Failures: an exception in the thread ends it and is kept; :meth:`LearnerThread.check_alive` (the
plan's ``dequeue`` check) then raises a :class:`LearnerThreadError` in the trainer's thread
naming the policy being trained and carrying the learner's own traceback. No batch for
``learner_queue_timeout`` seconds is such a failure too. :meth:`LearnerThread.stop` ends the
thread after its current step and joins it.

Examples:
    >>> from rlcore.data import SampleBatch
    >>> class Worker:  # stands in for a RolloutWorker
    ...     def learn_on_batch(self, batch):
    ...         return {"default_policy": {"learner_stats": {"loss": float(batch.count)}}}
    >>> learner = LearnerThread(Worker(), minibatch_buffer_size=1, num_sgd_iter=2,
    ...                         learner_queue_size=4, learner_queue_timeout=10)
    >>> learner.start()
    >>> learner.inqueue.put(SampleBatch({"obs": [1, 2, 3]}))
    >>> [learner.outqueue.get(timeout=10) for _ in range(2)]
    [(3, 3, {'default_policy': {'loss': 3.0}}), (3, 3, {'default_policy': {'loss': 3.0}})]
    >>> learner.stop(); learner.is_alive()
    False
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID
from rlcore.dataflow.metrics import TimerStat
from rlcore.ops.common import agent_steps, learner_stats_by_policy
from rlcore.ops.minibatch_buffer import MinibatchBuffer

__all__ = ["LearnerThread", "LearnerThreadError", "WindowStat"]

logger = logging.getLogger(__name__)

POLL_S = 0.05
"""Longest single wait of the learner on its queue; it checks for ``stop()`` between waits."""

JOIN_TIMEOUT_S = 60.0
"""How long :meth:`LearnerThread.stop` waits for the current learning step to end."""


class WindowStat:
    """Count, mean, std and quantiles (0, 10, 50, 90, 100 %) of the last ``n`` values (RLlib's ``WindowStat``).

    Examples:
        >>> w = WindowStat("size", 3)
        >>> for v in (1, 2, 3, 4):
        ...     w.push(v)
        >>> w.stats()
        {'size_count': 4, 'size_mean': 3.0, 'size_std': 0.816496580927726, 'size_quantiles': [2.0, 2.2, 3.0, 3.8, 4.0]}
    """

    def __init__(self, name: str, n: int):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n={n!r}: expected an int >= 1 (window size)")
        self.name = name
        self.items = np.full(n, np.nan)
        self.idx = 0
        self.count = 0

    def push(self, value: float) -> None:
        self.items[self.idx] = value
        self.idx = (self.idx + 1) % len(self.items)
        self.count += 1

    def stats(self) -> Dict[str, Any]:
        held = self.items[: min(self.count, len(self.items))]
        quantiles = np.nanpercentile(held, [0, 10, 50, 90, 100]).tolist() if self.count else []
        return {
            f"{self.name}_count": int(self.count),
            f"{self.name}_mean": float(np.mean(held)) if self.count else float("nan"),
            f"{self.name}_std": float(np.std(held)) if self.count else float("nan"),
            f"{self.name}_quantiles": quantiles,
        }


class LearnerThreadError(RuntimeError):
    """A learner thread failed; the message names the policy and holds the thread's traceback.

    Attributes:
        policy_id: The policy being trained when it failed (None when the failure was not in
            a learning step, e.g. a queue timeout).
        learner_traceback: The formatted traceback of the learner thread.
    """

    def __init__(self, message: str, policy_id: Optional[str] = None, learner_traceback: str = ""):
        super().__init__(message)
        self.policy_id = policy_id
        self.learner_traceback = learner_traceback


class _QueueTimeout(Exception):
    """No train batch reached the learner within ``learner_queue_timeout``."""


class LearnerThread(threading.Thread):
    """A daemon thread that learns on the batches of its ``inqueue`` (RLlib 1.x's ``LearnerThread``).

    Args:
        local_worker: The worker whose policies learn (``learn_on_batch(batch) -> {pid: fetches}``).
        minibatch_buffer_size: Train batches held for the ``num_sgd_iter`` passes (>= 1).
        num_sgd_iter: Passes over each train batch (>= 1).
        learner_queue_size: Capacity of ``inqueue`` (>= 1).
        learner_queue_timeout: Seconds without a new batch after which the thread fails.

    Attributes:
        inqueue: Train batches in (``queue.Queue``).
        outqueue: ``(env_steps, agent_steps, {policy_id: learner_stats})`` out, one per step.
        minibatch_buffer: The :class:`MinibatchBuffer` over ``inqueue``.
        weights_updated: Set after each learning step; the weight broadcast clears it.
        stats: ``{policy_id: learner_stats}`` of the latest step.
        num_steps: Learning steps done.
        queue_timer, grad_timer, load_timer, load_wait_timer: The timers behind
            ``timing_breakdown`` (the load timers stay 0 here; the multi-GPU variant uses them).
        learner_queue_size: :class:`WindowStat` of the in-queue size after each step.
    """

    def __init__(self, local_worker: Any, minibatch_buffer_size: int, num_sgd_iter: int, learner_queue_size: int,
                 learner_queue_timeout: float):
        super().__init__(name="rlcore-learner", daemon=True)
        if isinstance(learner_queue_size, bool) or not isinstance(learner_queue_size, int) or learner_queue_size < 1:
            raise ValueError(f"learner_queue_size={learner_queue_size!r}: expected an int >= 1")
        self.local_worker = local_worker
        self.inqueue: queue.Queue = queue.Queue(maxsize=learner_queue_size)
        self.outqueue: queue.Queue = queue.Queue()
        self.minibatch_buffer = MinibatchBuffer(self.inqueue, size=minibatch_buffer_size,
                                                timeout=learner_queue_timeout, num_passes=num_sgd_iter,
                                                init_num_passes=num_sgd_iter)
        self.learner_queue_timeout = float(learner_queue_timeout)
        self.queue_timer = TimerStat()
        self.grad_timer = TimerStat()
        self.load_timer = TimerStat()
        self.load_wait_timer = TimerStat()
        self.learner_queue_size = WindowStat("size", 50)
        self.weights_updated = False
        self.stats: Dict[str, Any] = {}
        self.num_steps = 0
        self.stopped = False
        self._stop_event = threading.Event()
        self._lock = threading.Lock()  # the timers and window are read by the trainer's thread
        self._policy_id: Optional[str] = None
        self._failure: Optional[Tuple[Optional[str], BaseException, str]] = None

    # -- the thread -----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                self.step()
        except Exception as err:  # noqa: BLE001 - kept and raised in the trainer's thread by check_alive()
            self._failure = (self._policy_id, err, traceback.format_exc())
            logger.error("learner thread failed (policy %r): %s: %s", self._policy_id, type(err).__name__, err)
        finally:
            self.stopped = True

    def step(self) -> bool:
        """One learning step: the next minibatch, ``learn_on_batch``, the result on ``outqueue``.

        Returns:
            False when the thread was stopped while waiting for a batch, else True.
        """
        t0 = time.perf_counter()
        item, released = self._next_minibatch()
        if item is None:
            return False
        batch = self._take(item, time.perf_counter() - t0)
        t1 = time.perf_counter()
        fetches = self._learn(batch)
        t2 = time.perf_counter()
        self.weights_updated = True
        self.stats = learner_stats_by_policy(fetches, batch)
        self.num_steps += 1
        with self._lock:
            self.grad_timer.push(t2 - t1)
            self.learner_queue_size.push(self.inqueue.qsize())
        self._release(item, released)
        self.outqueue.put((batch.count, agent_steps(batch), self.stats))
        return True

    def _take(self, item: Any, waited_s: float) -> Any:
        """The train batch of a minibatch-buffer item (here the batch itself; time counted as dequeue time)."""
        with self._lock:
            self.queue_timer.push(waited_s)
        return item

    def _release(self, item: Any, released: bool) -> None:
        """Called after learning on ``item``; ``released`` on its last pass (nothing to do here)."""

    def _next_minibatch(self) -> Tuple[Any, bool]:
        """``minibatch_buffer.get()`` in short waits, so ``stop()`` is seen; ``(None, True)`` once stopped."""
        deadline = time.monotonic() + self.learner_queue_timeout
        while not self._stop_event.is_set():
            try:
                return self.minibatch_buffer.get(timeout=min(POLL_S, self.learner_queue_timeout))
            except queue.Empty:
                if time.monotonic() >= deadline:
                    raise _QueueTimeout(
                        f"no train batch reached the learner within learner_queue_timeout={self.learner_queue_timeout} s "
                        "(the sampling side is too slow or stopped; raise learner_queue_timeout for slow envs)"
                    ) from None
        return None, True

    def _learn(self, batch: Any) -> Dict[str, Any]:
        """``local_worker.learn_on_batch``, one policy at a time so a failure names its policy."""
        if not isinstance(batch, MultiAgentBatch):
            self._policy_id = DEFAULT_POLICY_ID
            fetches = self.local_worker.learn_on_batch(batch)
        else:
            fetches = {}
            for pid, policy_batch in batch.policy_batches.items():
                self._policy_id = pid
                fetches.update(self.local_worker.learn_on_batch(MultiAgentBatch({pid: policy_batch}, batch.count)))
        self._policy_id = None
        return fetches

    # -- control and reporting from the trainer's thread ------------------------------------------

    def check_alive(self) -> bool:
        """The plan's ``dequeue`` check: True while running, False once stopped cleanly.

        Raises:
            LearnerThreadError: When the thread failed: names the policy and includes the learner's
                traceback; the original exception is the ``__cause__``.
        """
        if self._failure is not None:
            policy_id, err, tb = self._failure
            where = f"while training policy {policy_id!r}" if policy_id is not None else "while waiting for batches"
            raise LearnerThreadError(f"the learner thread failed {where}: {type(err).__name__}: {err}\n\n"
                                     f"Learner thread traceback:\n{tb}", policy_id, tb) from err
        return self.is_alive() and not self._stop_event.is_set()

    def stop(self, timeout: float = JOIN_TIMEOUT_S) -> None:
        """Stops the thread after its current step and joins it.

        Raises:
            TimeoutError: When the thread is still in a learning step after ``timeout`` seconds.
        """
        self._stop_event.set()
        self.stopped = True
        if self.is_alive():
            self.join(timeout)
            if self.is_alive():
                raise TimeoutError(f"learner thread {self.name!r} did not finish its learning step within {timeout} s")

    def add_learner_metrics(self, result: Dict[str, Any]) -> Dict[str, Any]:
        """Adds ``learner``, ``learner_queue`` and ``timing_breakdown`` to ``result["info"]`` (``.for_each()``)."""

        def timer_to_ms(timer: TimerStat) -> float:
            return round(1000 * timer.mean, 3)

        with self._lock:
            info = {
                "learner_queue": self.learner_queue_size.stats(),
                "timing_breakdown": {
                    "learner_grad_time_ms": timer_to_ms(self.grad_timer),
                    "learner_load_time_ms": timer_to_ms(self.load_timer),
                    "learner_load_wait_time_ms": timer_to_ms(self.load_wait_timer),
                    "learner_dequeue_time_ms": timer_to_ms(self.queue_timer),
                },
            }
        result.setdefault("info", {}).update(info, learner=dict(self.stats))
        return result

    def _drain_outqueue(self) -> List[Any]:
        """What the thread put on ``outqueue`` and nobody read yet (after :meth:`stop`)."""
        items = []
        while True:
            try:
                items.append(self.outqueue.get_nowait())
            except queue.Empty:
                return items
