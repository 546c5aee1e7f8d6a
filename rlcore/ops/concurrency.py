"""Concurrency operators: run several sub-plans as one, and hand items across threads.

- :func:`concurrently` ``(ops, mode="round_robin"|"async", output_indexes, round_robin_weights)``
  merges sub-plans into one stream (a ``union`` of them). Every sub-plan is driven, so all of
  their side effects happen; ``output_indexes`` picks whose items come out.
- :class:`Enqueue` (``.for_each()``) puts items on a ``queue.Queue`` without blocking: when the
  queue is full it returns ``NOT_READY`` and is retried, so a merged plan keeps moving.
- :func:`dequeue` ``(queue, check)`` is a stream of what another thread (a learner) puts on a
  queue, ``NOT_READY`` while it is empty, ending with an error when ``check()`` fails.

Examples:
    >>> from rlcore.dataflow import LocalIterator, SharedMetrics
    >>> def stream(xs):
    ...     return LocalIterator(lambda t: iter(xs), SharedMetrics())
    >>> concurrently([stream([1, 2, 3]), stream(["a", "b", "c"])], mode="round_robin").take(4)
    [1, 'a', 2, 'b']
    >>> concurrently([stream([1, 2]), stream(["a", "b"])], mode="round_robin", output_indexes=[1]).take(2)
    ['a', 'b']
"""

from __future__ import annotations

import queue
from typing import Any, Callable, Iterator, Literal, Optional, Sequence

from rlcore.dataflow._sentinels import NOT_READY
from rlcore.dataflow.local_iterator import LocalIterator
from rlcore.dataflow.metrics import SharedMetrics

__all__ = ["concurrently", "Enqueue", "dequeue"]

ConcurrencyMode = Literal["round_robin", "async"]

QUEUE_POLL_S = 0.001
"""How long ``Enqueue``/``dequeue`` wait on a full/empty queue before answering ``NOT_READY``."""


class _Tag:
    """Marks items of sub-plan ``index`` as ``(index, item)``."""

    def __init__(self, index: int):
        self.index = index
        self.__name__ = f"tag[{index}]"

    def __call__(self, item: Any) -> tuple:
        return self.index, item


def concurrently(ops: Sequence[LocalIterator[Any]], *, mode: ConcurrencyMode = "round_robin",
                 output_indexes: Optional[Sequence[int]] = None,
                 round_robin_weights: Optional[Sequence[Any]] = None) -> LocalIterator[Any]:
    """Runs sub-plans concurrently as one stream.

    Args:
        ops: Two or more ``LocalIterator`` sub-plans.
        mode: ``"round_robin"``: take from each in turn, blocking on each (deterministic);
            ``"async"``: take whatever is ready from any of them.
        output_indexes: Indexes of the sub-plans whose items are output (default: all). The
            others are still pulled, for their side effects.
        round_robin_weights: Items per round from each sub-plan (``"*"``: as many as are
            ready, without blocking); round-robin mode only, and not all ``"*"``.

    Returns:
        The merged ``LocalIterator``; its operators share one metrics context.

    Raises:
        ValueError: For fewer than two ops, an unknown mode, weights in async mode, all-``"*"``
            weights, or an output index out of range.

    Examples:
        >>> from rlcore.dataflow import LocalIterator, SharedMetrics
        >>> a = LocalIterator(lambda t: iter(range(6)), SharedMetrics())
        >>> b = LocalIterator(lambda t: iter("xyz"), SharedMetrics())
        >>> concurrently([a, b], round_robin_weights=[2, 1]).take(6)
        [0, 1, 'x', 2, 3, 'y']
    """
    ops = list(ops)
    if len(ops) < 2:
        raise ValueError(f"concurrently: ops={ops!r}: expected at least 2 ops")
    for i, op in enumerate(ops):
        if not isinstance(op, LocalIterator):
            raise TypeError(f"concurrently: ops[{i}]={op!r}: expected a LocalIterator (gather a ParallelIterator first)")
    if mode == "round_robin":
        deterministic = True
    elif mode == "async":
        deterministic = False
        if round_robin_weights:
            raise ValueError(f"round_robin_weights={list(round_robin_weights)!r} cannot be given in async mode")
    else:
        raise ValueError(f"mode={mode!r}: expected 'round_robin' or 'async'")
    if round_robin_weights and all(w == "*" for w in round_robin_weights):
        raise ValueError(f"round_robin_weights={list(round_robin_weights)!r}: cannot all be '*'")
    if output_indexes is not None:
        output_indexes = list(output_indexes)
        for i in output_indexes:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(ops):
                raise ValueError(f"output_indexes={output_indexes!r}: index {i!r} is not in range(0, {len(ops)})")
        ops = [op.for_each(_Tag(i)) for i, op in enumerate(ops)]
    output = ops[0].union(*ops[1:], deterministic=deterministic, round_robin_weights=round_robin_weights)
    if output_indexes is not None:
        keep = frozenset(output_indexes)

        def select_outputs(tagged: tuple) -> bool:
            return tagged[0] in keep

        def untag(tagged: tuple) -> Any:
            return tagged[1]

        output = output.filter(select_outputs).for_each(untag)
    return output


class Enqueue:
    """Puts each item on ``output_queue`` and passes it on (use with ``.for_each()``).

    Never blocks for long: when the queue stays full for ``QUEUE_POLL_S`` it returns
    ``NOT_READY``, which ``for_each`` yields and then retries with the same item.

    Args:
        output_queue: A ``queue.Queue`` (e.g. a learner thread's in-queue).

    Raises:
        TypeError: When ``output_queue`` is not a ``queue.Queue``.

    Examples:
        >>> import queue
        >>> q = queue.Queue(maxsize=1)
        >>> op = Enqueue(q)
        >>> op("a"), op("b"), q.get(), op("b")
        ('a', NOT_READY, 'a', 'b')
    """

    def __init__(self, output_queue: queue.Queue):
        if not isinstance(output_queue, queue.Queue):
            raise TypeError(f"output_queue={output_queue!r}: expected a queue.Queue, got {type(output_queue).__name__}")
        self.queue = output_queue

    def __call__(self, item: Any) -> Any:
        try:
            self.queue.put(item, timeout=QUEUE_POLL_S)
        except queue.Full:
            return NOT_READY
        return item


def _check_failure(check: Callable[[], bool]) -> Optional[BaseException]:
    """The error a failed ``check``'s owner recorded (e.g. a learner thread's ``error``), if any."""
    owner = getattr(check, "__self__", None)
    for attr in ("error", "exception", "exc"):
        err = getattr(owner, attr, None)
        if isinstance(err, BaseException):
            return err
    return None


def dequeue(input_queue: queue.Queue, check: Callable[[], bool] = lambda: True, *,
            poll_s: Optional[float] = None) -> LocalIterator[Any]:
    """A stream of the items another thread puts on ``input_queue`` (``NOT_READY`` while empty).

    Args:
        input_queue: A ``queue.Queue`` (e.g. a learner thread's out-queue).
        check: Called before each read; when it returns False the stream raises
            ``RuntimeError`` (IMPALA passes ``learner_thread.is_alive``). If ``check`` is a bound
            method whose object has an ``error`` (or ``exception``) attribute holding an
            exception, that exception is chained as the cause, so a dead learner's real error
            is not hidden.
        poll_s: Seconds each read waits on an empty queue before answering ``NOT_READY``
            (None: ``QUEUE_POLL_S``). In an async ``concurrently`` merge this is how long the
            driver sleeps between polls of the other sub-plans when nothing is ready; a longer
            wait means fewer polls (less driver CPU) and a later look at the other sub-plans.

    Raises:
        TypeError: When ``input_queue`` is not a ``queue.Queue``.
        ValueError: When ``poll_s`` is neither None nor a number >= 0.

    Examples:
        >>> import queue
        >>> q = queue.Queue()
        >>> q.put(1); q.put(2)
        >>> dequeue(q).take(3)
        [1, 2, NOT_READY]
    """
    if not isinstance(input_queue, queue.Queue):
        raise TypeError(f"input_queue={input_queue!r}: expected a queue.Queue, got {type(input_queue).__name__}")
    if not callable(check):
        raise TypeError(f"check={check!r}: expected a callable returning bool")
    if poll_s is not None and (isinstance(poll_s, bool) or not isinstance(poll_s, (int, float)) or poll_s < 0):
        raise ValueError(f"poll_s={poll_s!r}: expected None or seconds >= 0")

    def read_queue(timeout: Any = None) -> Iterator[Any]:
        while check():
            wait_s = QUEUE_POLL_S if poll_s is None else poll_s
            try:
                yield input_queue.get(timeout=wait_s) if wait_s > 0 else input_queue.get_nowait()
            except queue.Empty:
                yield NOT_READY
        raise RuntimeError(
            f"Dequeue `check()` returned False ({getattr(check, '__qualname__', check)!s}): the thread feeding "
            "the queue has stopped; exiting the Dequeue iterator") from _check_failure(check)

    return LocalIterator(read_queue, SharedMetrics(), name="dequeue")

