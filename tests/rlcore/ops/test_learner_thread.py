"""LearnerThread, MultiGPULearnerThread and MinibatchBuffer: passes, out-queue items, statistics, failures, stop."""

import queue
import threading

import numpy as np
import pytest

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.ops.concurrency import dequeue
from rlcore.ops.learner_thread import LearnerThread, LearnerThreadError, WindowStat
from rlcore.ops.minibatch_buffer import MinibatchBuffer
from rlcore.ops.multi_gpu_learner_thread import MultiGPULearnerThread

WAIT_S = 30


def batch(n, tag=0):
    return SampleBatch({"obs": np.full(n, tag, np.float32)})


class FakeWorker:
    """learn_on_batch records (policy ids, rows); raises for ``fail_on`` policy; ``gate`` holds the first call."""

    def __init__(self, fail_on=None, gate=None):
        self.calls = []
        self.fail_on = fail_on
        self.gate = gate
        self.entered = threading.Event()

    def learn_on_batch(self, samples):
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(WAIT_S)
        if isinstance(samples, MultiAgentBatch):
            out = {}
            for pid, b in samples.policy_batches.items():
                if pid == self.fail_on:
                    raise_loss_error(pid)
                self.calls.append((pid, b.count))
                out[pid] = {"learner_stats": {"rows": float(b.count)}}
            return out
        if self.fail_on == "default_policy":
            raise_loss_error("default_policy")
        self.calls.append(("default_policy", samples.count))
        return {"default_policy": {"learner_stats": {"rows": float(samples.count), "tag": float(samples["obs"][0])}}}


def raise_loss_error(pid):
    raise FloatingPointError(f"loss of {pid} is nan")


def learner(worker, **kw):
    args = dict(minibatch_buffer_size=1, num_sgd_iter=1, learner_queue_size=4, learner_queue_timeout=WAIT_S)
    args.update(kw)
    return LearnerThread(worker, **args)


def outputs(thread, n):
    return [thread.outqueue.get(timeout=WAIT_S) for _ in range(n)]


# -- MinibatchBuffer -------------------------------------------------------------------------------


def test_minibatch_buffer_replays_each_batch_num_passes_times_round_robin():
    q = queue.Queue()
    for tag in "abcd":
        q.put(tag)
    buf = MinibatchBuffer(q, size=2, timeout=1.0, num_passes=3, init_num_passes=3)
    got = [buf.get() for _ in range(12)]
    assert [b for b, _ in got] == list("ababab") + list("cdcdcd")
    assert [r for _, r in got] == [False] * 4 + [True] * 2 + [False] * 4 + [True] * 2


def test_minibatch_buffer_warms_up_from_init_num_passes():
    q = queue.Queue()
    for tag in "abc":
        q.put(tag)
    buf = MinibatchBuffer(q, size=1, timeout=1.0, num_passes=3, init_num_passes=1)
    assert [buf.get()[0] for _ in range(6)] == ["a", "b", "b", "c", "c", "c"]


def test_minibatch_buffer_timeout_raises_empty_and_can_be_retried():
    q = queue.Queue()
    buf = MinibatchBuffer(q, size=1, timeout=0.01, num_passes=2)
    with pytest.raises(queue.Empty):
        buf.get()
    q.put("x")
    assert buf.get(timeout=WAIT_S) == ("x", True)


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=0), "size=0: expected an int >= 1"),
    (dict(num_passes=0), "num_passes=0: expected an int >= 1"),
    (dict(timeout=0), "timeout=0: expected seconds > 0"),
])
def test_minibatch_buffer_checks_its_arguments(kwargs, message):
    args = dict(size=1, timeout=1.0, num_passes=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        MinibatchBuffer(queue.Queue(), **args)


def test_window_stat_reports_the_last_n_values():
    w = WindowStat("size", 2)
    assert w.stats()["size_count"] == 0 and w.stats()["size_quantiles"] == []
    for v in (10, 1, 3):
        w.push(v)
    stats = w.stats()
    assert stats["size_count"] == 3 and stats["size_mean"] == 2.0 and stats["size_quantiles"][-1] == 3.0


# -- LearnerThread -------------------------------------------------------------------------------


def test_learner_trains_each_batch_num_sgd_iter_times_and_reports_steps_and_stats():
    worker = FakeWorker()
    thread = learner(worker, num_sgd_iter=3)
    thread.start()
    try:
        thread.inqueue.put(batch(5, tag=1))
        thread.inqueue.put(batch(7, tag=2))
        out = outputs(thread, 6)
    finally:
        thread.stop()
    assert [o[0] for o in out] == [5, 5, 5, 7, 7, 7]
    assert [o[1] for o in out] == [5, 5, 5, 7, 7, 7]
    assert out[-1][2] == {"default_policy": {"rows": 7.0, "tag": 2.0}}
    assert worker.calls == [("default_policy", 5)] * 3 + [("default_policy", 7)] * 3
    assert thread.num_steps == 6 and thread.weights_updated


def test_learner_metrics_have_queue_stats_timing_breakdown_and_learner_info():
    thread = learner(FakeWorker())
    thread.start()
    try:
        for tag in range(3):
            thread.inqueue.put(batch(4, tag))
        outputs(thread, 3)
        result = thread.add_learner_metrics({"info": {"num_steps_sampled": 12}})
    finally:
        thread.stop()
    info = result["info"]
    assert info["num_steps_sampled"] == 12
    assert info["learner"] == {"default_policy": {"rows": 4.0, "tag": 2.0}}
    assert info["learner_queue"]["size_count"] == 3 and len(info["learner_queue"]["size_quantiles"]) == 5
    timing = info["timing_breakdown"]
    assert set(timing) == {"learner_grad_time_ms", "learner_load_time_ms", "learner_load_wait_time_ms",
                           "learner_dequeue_time_ms"}
    assert timing["learner_grad_time_ms"] >= 0 and timing["learner_load_time_ms"] == 0.0


def test_learner_trains_a_multi_agent_batch_per_policy():
    worker = FakeWorker()
    thread = learner(worker)
    thread.start()
    try:
        thread.inqueue.put(MultiAgentBatch({"p0": batch(3), "p1": batch(2)}, 3))
        ((env_steps, agent_steps, stats),) = outputs(thread, 1)
    finally:
        thread.stop()
    assert (env_steps, agent_steps) == (3, 5)
    assert stats == {"p0": {"rows": 3.0}, "p1": {"rows": 2.0}}
    assert worker.calls == [("p0", 3), ("p1", 2)]


def test_learner_failure_raises_in_the_caller_naming_the_policy_with_the_learner_traceback():
    thread = learner(FakeWorker(fail_on="p1"))
    thread.start()
    thread.inqueue.put(MultiAgentBatch({"p0": batch(3), "p1": batch(2)}, 3))
    thread.join(WAIT_S)
    assert not thread.is_alive()
    with pytest.raises(LearnerThreadError) as info:
        thread.check_alive()
    err = info.value
    assert err.policy_id == "p1"
    assert "while training policy 'p1'" in str(err) and "FloatingPointError: loss of p1 is nan" in str(err)
    assert "raise_loss_error" in err.learner_traceback and "raise_loss_error" in str(err)
    assert isinstance(err.__cause__, FloatingPointError)
    thread.stop()


def test_a_failed_learner_ends_the_plans_dequeue_with_its_error_not_a_bare_check_failure():
    thread = learner(FakeWorker(fail_on="default_policy"))
    thread.start()
    thread.inqueue.put(batch(3))
    stream = dequeue(thread.outqueue, check=thread.check_alive)
    with pytest.raises(LearnerThreadError, match="while training policy 'default_policy'"):
        for _ in stream:
            pass
    thread.stop()


def test_no_batch_within_learner_queue_timeout_is_a_learner_failure():
    thread = learner(FakeWorker(), learner_queue_timeout=0.05)
    thread.start()
    thread.join(WAIT_S)
    with pytest.raises(LearnerThreadError, match="learner_queue_timeout=0.05") as info:
        thread.check_alive()
    assert info.value.policy_id is None


def test_stop_ends_an_idle_learner_and_joins_it():
    before = set(threading.enumerate())
    thread = learner(FakeWorker())
    thread.start()
    assert thread.check_alive()
    thread.stop()
    assert not thread.is_alive() and thread.check_alive() is False
    assert set(threading.enumerate()) <= before  # no thread of its own left (another test's may have ended)


def test_stop_waits_for_the_running_learning_step():
    gate = threading.Event()
    worker = FakeWorker(gate=gate)
    thread = learner(worker)
    thread.start()
    thread.inqueue.put(batch(2))
    assert worker.entered.wait(WAIT_S)
    with pytest.raises(TimeoutError, match="did not finish its learning step within 0.05 s"):
        thread.stop(timeout=0.05)
    gate.set()
    thread.stop()
    assert not thread.is_alive() and worker.calls == [("default_policy", 2)]
    assert thread._drain_outqueue()[0][0] == 2


def test_learner_checks_learner_queue_size():
    with pytest.raises(ValueError, match="learner_queue_size=0: expected an int >= 1"):
        learner(FakeWorker(), learner_queue_size=0)


# -- MultiGPULearnerThread -----------------------------------------------------------------------


def test_multi_gpu_learner_stages_batches_in_tower_stacks_and_times_loading():
    before = set(threading.enumerate())
    worker = FakeWorker()
    thread = MultiGPULearnerThread(worker, num_gpus=0, num_multi_gpu_tower_stacks=2, num_sgd_iter=2,
                                   learner_queue_size=4, learner_queue_timeout=WAIT_S, minibatch_buffer_size=1)
    thread.start()
    try:
        for tag, n in enumerate((3, 4, 5)):
            thread.inqueue.put(batch(n, tag))
        out = outputs(thread, 6)
        result = thread.add_learner_metrics({})
    finally:
        thread.stop()
    assert sorted(o[0] for o in out) == [3, 3, 4, 4, 5, 5]
    assert sorted(c[1] for c in worker.calls) == [3, 3, 4, 4, 5, 5]
    assert thread.load_timer.count == 3 and thread.load_wait_timer.count == 6
    assert set(result["info"]["timing_breakdown"]) >= {"learner_load_time_ms", "learner_load_wait_time_ms"}
    assert thread._loaded() == (0, 2)  # every slot idle again
    assert set(threading.enumerate()) <= before  # no thread of its own left (another test's may have ended)


def test_multi_gpu_learner_needs_as_many_stacks_as_minibatch_buffer_slots():
    with pytest.raises(ValueError, match=r"num_multi_gpu_tower_stacks=1: expected an int >= minibatch_buffer_size \(2\)"):
        MultiGPULearnerThread(FakeWorker(), num_multi_gpu_tower_stacks=1, minibatch_buffer_size=2)


def test_multi_gpu_learner_failure_is_raised_like_the_plain_learners():
    thread = MultiGPULearnerThread(FakeWorker(fail_on="default_policy"), num_gpus=0, num_multi_gpu_tower_stacks=2,
                                   learner_queue_timeout=WAIT_S)
    thread.start()
    thread.inqueue.put(batch(2))
    thread.join(WAIT_S)
    with pytest.raises(LearnerThreadError, match="policy 'default_policy'"):
        thread.check_alive()
    thread.stop()
    assert not thread._loader.is_alive()
