"""``MultiGPULearnerThread``: RLlib 1.x's public name for the learner with tower stacks, on CPU with one tower.

RLlib 1.5+ loads train batches onto GPU "tower stacks" in loader threads while the learner trains
on stacks already loaded. rlcore trains on CPU, so there is one tower (the local worker's
policies) and loading a stack means staging the batch in one of ``num_multi_gpu_tower_stacks``
slots: a loader thread takes batches from ``inqueue`` into idle slots (``load_timer``), the
learner takes loaded slots through a :class:`~rlcore.ops.minibatch_buffer.MinibatchBuffer`
(``load_wait_timer``) and learns on each ``num_sgd_iter`` times before the slot is idle again.
The learner never waits on the in-queue while a loaded slot is ready. ``num_gpus`` is accepted
and logged; no device is used. Everything else (out-queue items, statistics, failures, ``stop()``)
is :class:`~rlcore.ops.learner_thread.LearnerThread`'s.

IMPALA picks this class when ``num_gpus > 1`` or ``num_multi_gpu_tower_stacks > 1`` (RLlib's rule).

Examples:
    >>> from rlcore.data import SampleBatch
    >>> class Worker:
    ...     def learn_on_batch(self, batch):
    ...         return {"default_policy": {"learner_stats": {"rows": batch.count}}}
    >>> learner = MultiGPULearnerThread(Worker(), num_multi_gpu_tower_stacks=2, learner_queue_size=4,
    ...                                 learner_queue_timeout=10)
    >>> learner.start()
    >>> for n in (2, 3):
    ...     learner.inqueue.put(SampleBatch({"obs": [0] * n}))
    >>> sorted(learner.outqueue.get(timeout=10)[0] for _ in range(2))
    [2, 3]
    >>> learner.stop(); learner.is_alive(), learner._loader.is_alive()
    (False, False)
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from typing import Any, List, Optional, Tuple

from rlcore.ops.learner_thread import POLL_S, LearnerThread
from rlcore.ops.minibatch_buffer import MinibatchBuffer

__all__ = ["MultiGPULearnerThread"]

logger = logging.getLogger(__name__)


class MultiGPULearnerThread(LearnerThread):
    """A :class:`LearnerThread` fed through ``num_multi_gpu_tower_stacks`` staged slots (CPU, one tower).

    Args:
        local_worker: The worker whose policies learn.
        num_gpus: Accepted for RLlib's signature; rlcore trains on CPU (logged when > 0).
        lr: Accepted for RLlib's signature (the policies own their optimizers).
        train_batch_size: Accepted for RLlib's signature.
        num_multi_gpu_tower_stacks: Staged slots (>= ``minibatch_buffer_size``).
        num_sgd_iter: Passes over each batch.
        learner_queue_size: Capacity of ``inqueue``.
        learner_queue_timeout: Seconds without a loaded batch after which the thread fails.
        num_data_load_threads: Accepted for RLlib's signature; one loader thread runs.
        minibatch_buffer_size: Slots held at once for the passes (>= 1).

    Raises:
        ValueError: When ``num_multi_gpu_tower_stacks < minibatch_buffer_size``.
    """

    def __init__(self, local_worker: Any, num_gpus: float = 1, lr: Optional[float] = None,
                 train_batch_size: int = 500, num_multi_gpu_tower_stacks: int = 1, num_sgd_iter: int = 1,
                 learner_queue_size: int = 16, learner_queue_timeout: float = 300, num_data_load_threads: int = 16,
                 minibatch_buffer_size: int = 1, _fake_gpus: bool = False):
        super().__init__(local_worker, minibatch_buffer_size=minibatch_buffer_size, num_sgd_iter=num_sgd_iter,
                         learner_queue_size=learner_queue_size, learner_queue_timeout=learner_queue_timeout)
        stacks = num_multi_gpu_tower_stacks
        if isinstance(stacks, bool) or not isinstance(stacks, int) or stacks < minibatch_buffer_size:
            raise ValueError(f"num_multi_gpu_tower_stacks={stacks!r}: expected an int >= minibatch_buffer_size "
                             f"({minibatch_buffer_size})")
        if num_gpus:
            logger.info("MultiGPULearnerThread: num_gpus=%s requested; rlcore trains on CPU with one tower", num_gpus)
        self.name = "rlcore-multi-gpu-learner"
        self.num_multi_gpu_tower_stacks = stacks
        self.tower_stacks: List[Any] = [None] * stacks
        self.idle_tower_stacks: queue.Queue = queue.Queue()
        self.ready_tower_stacks: queue.Queue = queue.Queue()
        for i in range(stacks):
            self.idle_tower_stacks.put(i)
        self.minibatch_buffer = MinibatchBuffer(self.ready_tower_stacks, size=minibatch_buffer_size,
                                                timeout=learner_queue_timeout, num_passes=num_sgd_iter,
                                                init_num_passes=num_sgd_iter)
        self._loader = threading.Thread(target=self._load_loop, name="rlcore-learner-loader", daemon=True)

    def start(self) -> None:
        self._loader.start()
        super().start()

    def _load_loop(self) -> None:
        """Moves batches from ``inqueue`` into idle slots until stopped."""
        try:
            while not self._stop_event.is_set():
                index = self._poll(self.idle_tower_stacks)
                if index is None:
                    return
                t_wait = time.perf_counter()
                batch = self._poll(self.inqueue, on_stop=lambda: self.idle_tower_stacks.put(index))
                if batch is None:
                    return
                t0 = time.perf_counter()
                with self._lock:
                    self.queue_timer.push(t0 - t_wait)
                self.tower_stacks[index] = batch
                with self._lock:
                    self.load_timer.push(time.perf_counter() - t0)
                self.ready_tower_stacks.put(index)
        except Exception as err:  # noqa: BLE001 - kept and raised in the trainer's thread by check_alive()
            self._failure = (None, err, traceback.format_exc())
            self._stop_event.set()

    def _poll(self, source: queue.Queue, on_stop: Any = None) -> Any:
        while not self._stop_event.is_set():
            try:
                return source.get(timeout=POLL_S)
            except queue.Empty:
                continue
        if on_stop is not None:
            on_stop()
        return None

    def _take(self, item: Any, waited_s: float) -> Any:
        """The batch staged in slot ``item``; the wait for a loaded slot is ``load_wait`` time."""
        with self._lock:
            self.load_wait_timer.push(waited_s)
        return self.tower_stacks[item]

    def _release(self, item: Any, released: bool) -> None:
        if released:
            self.tower_stacks[item] = None
            self.idle_tower_stacks.put(item)

    def stop(self, timeout: float = 60.0) -> None:
        super().stop(timeout)
        self._loader.join(timeout)
        if self._loader.is_alive():
            raise TimeoutError(f"loader thread {self._loader.name!r} did not stop within {timeout} s")

    def _loaded(self) -> Tuple[int, int]:
        """(slots loaded and waiting, idle slots): for tests and debugging."""
        return self.ready_tower_stacks.qsize(), self.idle_tower_stacks.qsize()
