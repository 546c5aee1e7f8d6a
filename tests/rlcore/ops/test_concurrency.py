"""Concurrency operators: concurrently (modes, output_indexes, weights), Enqueue and dequeue."""

import queue
import threading
import time

import pytest

from rlcore.dataflow import NOT_READY, LocalIterator, SharedMetrics, get_metrics
from rlcore.ops import Enqueue, concurrently, dequeue


def _stream(items, name="s"):
    return LocalIterator(lambda timeout: iter(items), SharedMetrics(), name=name)


@pytest.mark.parametrize("kwargs,expected", [
    ({"mode": "round_robin"}, [0, "a", 1, "b", 2, "c", 3, 4]),
    ({"mode": "round_robin", "output_indexes": [0]}, [0, 1, 2, 3, 4]),
    ({"mode": "round_robin", "output_indexes": [1]}, ["a", "b", "c"]),
    ({"mode": "round_robin", "output_indexes": [1, 0]}, [0, "a", 1, "b", 2, "c", 3, 4]),
    ({"mode": "round_robin", "round_robin_weights": [2, 1]}, [0, 1, "a", 2, 3, "b", 4, "c"]),
    ({"mode": "round_robin", "round_robin_weights": [1, "*"]}, [0, "a", "b", "c", 1, 2, 3, 4]),
])
def test_concurrently_round_robin(kwargs, expected):
    assert list(concurrently([_stream(range(5)), _stream("abc")], **kwargs)) == expected


def test_concurrently_async_outputs_everything_and_drives_hidden_ops():
    side_effects = []

    def store(x):
        side_effects.append(x)
        return x

    out = list(concurrently([_stream(range(4)).for_each(store), _stream("xy")], mode="async", output_indexes=[1]))
    assert out == ["x", "y"]
    assert side_effects == [0, 1, 2, 3]  # the non-output op was still run


def test_concurrently_merges_metrics():
    def count(name):
        def fn(x):
            get_metrics().counters[name] += 1
            return x
        return fn

    merged = concurrently([_stream(range(3)).for_each(count("a")), _stream(range(2)).for_each(count("b"))])
    list(merged)
    assert dict(merged.shared_metrics.get().counters) == {"a": 3, "b": 2}


@pytest.mark.parametrize("ops,kwargs,error", [
    (1, {}, "at least 2 ops"),
    (2, {"mode": "parallel"}, "mode='parallel'"),
    (2, {"mode": "async", "round_robin_weights": [1, 2]}, "cannot be given in async mode"),
    (2, {"round_robin_weights": ["*", "*"]}, "cannot all be"),
    (2, {"output_indexes": [2]}, "index 2 is not in range"),
])
def test_concurrently_errors(ops, kwargs, error):
    with pytest.raises(ValueError, match=error):
        concurrently([_stream([1]) for _ in range(ops)], **kwargs)


def test_concurrently_needs_local_iterators():
    with pytest.raises(TypeError, match="expected a LocalIterator"):
        concurrently([_stream([1]), [2]])


def test_enqueue_returns_not_ready_when_full_and_retries():
    q = queue.Queue(maxsize=2)
    it = _stream(range(5)).for_each(Enqueue(q))
    got = it.take(3)
    assert got == [0, 1, NOT_READY]
    assert q.get_nowait() == 0
    assert next(it) == 2  # the same item was retried once there was room


def test_enqueue_dequeue_through_a_learner_thread():
    inq, outq = queue.Queue(maxsize=4), queue.Queue()
    stop = threading.Event()

    def learner():
        while not stop.is_set():
            try:
                x = inq.get(timeout=0.01)
            except queue.Empty:
                continue
            outq.put(x * 10)

    thread = threading.Thread(target=learner, daemon=True)
    thread.start()
    try:
        enqueue_op = _stream(range(20)).for_each(Enqueue(inq))
        dequeue_op = dequeue(outq, check=thread.is_alive)
        merged = concurrently([enqueue_op, dequeue_op], mode="async", output_indexes=[1])
        got = [next(merged) for _ in range(20)]
        assert got == [10 * i for i in range(20)]
    finally:
        stop.set()
        thread.join(timeout=5)


def test_dequeue_raises_with_the_cause_when_check_fails():
    class Learner:
        error = ZeroDivisionError("nan loss")

        def is_alive(self):
            return False

    with pytest.raises(RuntimeError, match="check\\(\\)` returned False") as info:
        dequeue(queue.Queue(), check=Learner().is_alive).take(1)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


@pytest.mark.parametrize("factory", [lambda: Enqueue([]), lambda: dequeue([])])
def test_queue_ops_need_a_queue(factory):
    with pytest.raises(TypeError, match="expected a queue.Queue"):
        factory()


def test_dequeue_yields_not_ready_while_empty():
    q = queue.Queue()
    it = dequeue(q)
    t0 = time.perf_counter()
    assert it.take(2) == [NOT_READY, NOT_READY]
    assert time.perf_counter() - t0 < 1.0
    q.put("x")
    assert next(it) == "x"


def test_dequeue_poll_s_sets_the_wait_on_an_empty_queue():
    t0 = time.perf_counter()
    assert dequeue(queue.Queue(), poll_s=0.05).take(2) == [NOT_READY, NOT_READY]
    assert time.perf_counter() - t0 >= 0.09  # two waits of 50 ms (the default is 1 ms)
    q = queue.Queue()
    q.put("x")
    assert dequeue(q, poll_s=0).take(2) == ["x", NOT_READY]  # 0: no wait at all


@pytest.mark.parametrize("poll_s", [-0.1, True, "1"])
def test_dequeue_rejects_a_bad_poll_s(poll_s):
    with pytest.raises(ValueError, match="poll_s="):
        dequeue(queue.Queue(), poll_s=poll_s)
