"""Training operators: TrainOneStep (plain and minibatch SGD), gradients, target updates, weight sync."""

import numpy as np
import pytest

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.dataflow import LocalIterator, SharedMetrics, get_metrics
from rlcore.ops import (
    LEARN_ON_BATCH_TIMER,
    ApplyGradients,
    AverageGradients,
    ComputeGradients,
    ConcatBatches,
    TrainOneStep,
    UpdateTargetNetwork,
    async_gradients,
    do_minibatch_sgd,
    parallel_rollouts,
)


def _metrics(it):
    return it.shared_metrics.get()


def _train_op(ws, train_batch, **train_kwargs):
    return (parallel_rollouts(ws, mode="bulk_sync")
            .combine(ConcatBatches(min_batch_size=train_batch))
            .for_each(TrainOneStep(ws, **train_kwargs)))


def test_train_one_step_learns_counts_and_sets_global_vars(ops_support):
    ws = ops_support.worker_set(fragment=10)
    op = _train_op(ws, 20)
    batch, info = next(op)
    policy = ops_support.spy(ws)
    assert batch.count == 20 and policy.learn_sizes == [20]
    assert info == {"default_policy": {"learner_stats": {"rows": 20.0, "w": 1.0}}}
    m = _metrics(op)
    assert m.info["learner"] == {"default_policy": {"rows": 20.0, "w": 1.0}}
    assert (m.counters["num_steps_sampled"], m.counters["num_steps_trained"]) == (20, 20)
    assert (m.counters["num_agent_steps_trained"], m.counters["num_steps_trained_this_iter"]) == (20, 20)
    assert policy.timesteps_seen[-1] == 20 and policy.global_timestep == 20
    assert m.timers[LEARN_ON_BATCH_TIMER].mean_units_processed == 20
    next(op)
    assert m.counters["num_steps_trained"] == 40 and policy.global_timestep == 40
    ws.stop()


@pytest.mark.parametrize("num_sgd_iter,minibatch,expected_sizes", [
    (1, 0, [40]),
    (3, 0, [40, 40, 40]),
    (1, 16, [16, 16, 8]),
    (3, 16, [16, 16, 8] * 3),
    (2, 40, [40, 40]),
    (2, 64, [40, 40]),  # a minibatch larger than the batch is the whole batch
])
def test_minibatch_sgd_epochs_and_sizes(ops_support, num_sgd_iter, minibatch, expected_sizes):
    ws = ops_support.worker_set(fragment=40)
    op = _train_op(ws, 40, num_sgd_iter=num_sgd_iter, sgd_minibatch_size=minibatch)
    _, info = next(op)
    sizes = ops_support.spy(ws).learn_sizes
    per_epoch = len(expected_sizes) // num_sgd_iter
    for e in range(num_sgd_iter):  # each epoch covers every row once, in shuffled minibatch order
        assert sorted(sizes[e * per_epoch:(e + 1) * per_epoch]) == sorted(expected_sizes[:per_epoch])
    assert len(sizes) == len(expected_sizes)
    stats = info["default_policy"]["learner_stats"]
    last_epoch = expected_sizes[-per_epoch:]
    assert stats["rows"] == pytest.approx(np.mean(last_epoch))  # the last epoch's stats, averaged
    assert _metrics(op).info["learner"]["default_policy"] == stats
    ws.stop()


def test_minibatch_sgd_shuffles_rows_but_sees_each_row_once_per_epoch():
    seen = []

    class Worker:
        def learn_on_batch(self, ma):
            (pid, b), = ma.policy_batches.items()
            seen.append(b["x"].tolist())
            return {pid: {"learner_stats": {}}}

    batch = SampleBatch({"x": np.arange(12)})
    np.random.seed(0)
    do_minibatch_sgd(batch, {"default_policy": None}, Worker(), num_sgd_iter=2, sgd_minibatch_size=4)
    epoch1, epoch2 = sum(seen[:3], []), sum(seen[3:], [])
    assert sorted(epoch1) == sorted(epoch2) == list(range(12))
    assert epoch1 != list(range(12)) and epoch1 != epoch2


def test_minibatch_sgd_keeps_recurrent_rows_in_order():
    seen = []

    class Worker:
        def learn_on_batch(self, ma):
            (pid, b), = ma.policy_batches.items()
            seen.append(b["x"].tolist())
            return {pid: {"learner_stats": {}}}

    batch = SampleBatch({"x": np.arange(8), "state_in_0": np.zeros((8, 2))})
    do_minibatch_sgd(batch, {"default_policy": None}, Worker(), num_sgd_iter=1, sgd_minibatch_size=4)
    assert sorted(seen) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_minibatch_sgd_multi_agent_trains_each_listed_policy(ops_support):
    calls = []

    class Worker:
        def learn_on_batch(self, ma):
            (pid, b), = ma.policy_batches.items()
            calls.append((pid, b.count))
            return {pid: {"learner_stats": {"n": b.count}}}

    ma = MultiAgentBatch({"a": SampleBatch({"x": np.arange(6)}), "b": SampleBatch({"x": np.arange(4)}),
                          "c": SampleBatch({"x": np.arange(2)})}, 6)
    out = do_minibatch_sgd(ma, {"a": None, "b": None, "z": None}, Worker(), 1, 4)
    assert sorted(calls) == [("a", 2), ("a", 4), ("b", 4)]
    assert out == {"a": {"n": 3.0}, "b": {"n": 4.0}}


@pytest.mark.parametrize("kwargs,error", [
    ({"num_sgd_iter": 0}, "num_sgd_iter=0"),
    ({"sgd_minibatch_size": -1}, "sgd_minibatch_size=-1"),
    ({"policies": "default_policy"}, "not a string"),
])
def test_train_one_step_rejects_bad_arguments(ops_support, kwargs, error):
    ws = ops_support.worker_set()
    with pytest.raises((ValueError, TypeError), match=error):
        TrainOneStep(ws, **kwargs)
    ws.stop()


def test_compute_then_apply_gradients_locally(ops_support):
    ws = ops_support.worker_set(fragment=8)
    op = (parallel_rollouts(ws).for_each(ComputeGradients(ws)).batch(2)
          .for_each(AverageGradients()).for_each(ApplyGradients(ws)))
    grads, count = next(op)
    policy = ops_support.spy(ws)
    assert count == 16 and grads[0].tolist() == [16.0, 16.0]  # summed, as RLlib does
    assert policy.w.tolist() == [16.0, 16.0]
    m = _metrics(op)
    assert (m.counters["num_steps_sampled"], m.counters["num_steps_trained"]) == (16, 16)
    assert m.info["learner"] == {"default_policy": {"rows": 8.0}}
    assert {"compute_grads", "apply_grad"} <= set(m.timers)
    assert policy.global_timestep == 16
    ws.stop()


@pytest.mark.parametrize("items,expected", [
    ([([np.ones(2)], 1)], ([[1.0, 1.0]], 1)),
    ([([np.ones(2), None], 1), ([np.ones(2), None], 2)], ([[2.0, 2.0], None], 3)),
    ([({"p": [np.ones(1)]}, 1), ({"p": [np.full(1, 3.0)]}, 1)], ({"p": [[4.0]]}, 2)),
])
def test_average_gradients_sums(items, expected):
    grads, count = AverageGradients()(items)

    def plain(g):
        if isinstance(g, dict):
            return {k: plain(v) for k, v in g.items()}
        if isinstance(g, list):
            return [plain(x) for x in g]
        return None if g is None else g.tolist()

    assert (plain(grads), count) == expected


@pytest.mark.parametrize("items,error", [
    ([], "non-empty list"),
    ([([1.0], 1), ([1.0, 2.0], 1)], "differ in length"),
    ([({"a": 1.0}, 1), ({"b": 1.0}, 1)], "keys differ"),
    ([[1.0]], "must be a \\(grads, count\\) tuple"),
])
def test_average_gradients_errors(items, error):
    with pytest.raises(ValueError, match=error):
        AverageGradients()(items)


def test_apply_gradients_rejects_non_pairs(ops_support):
    ws = ops_support.worker_set()
    stream = LocalIterator(lambda t: iter([[1.0]]), SharedMetrics())
    with pytest.raises(ValueError, match="tuple of \\(grads, count\\)"):
        stream.for_each(ApplyGradients(ws)).take(1)
    ws.stop()


def test_update_target_network_every_freq_steps(ops_support):
    ws = ops_support.worker_set()
    policy = ops_support.spy(ws)

    def sample(x):
        get_metrics().counters["num_steps_sampled"] += 10
        return x

    it = (LocalIterator(lambda t: iter(range(10)), SharedMetrics())
          .for_each(sample).for_each(UpdateTargetNetwork(ws, target_update_freq=25)))
    assert it.take(10) == list(range(10))  # items pass through
    m = _metrics(it)
    # updates when steps - last > 25: at 30 and at 60 and at 90
    assert policy.target_updates == 3 and m.counters["num_target_updates"] == 3
    assert m.counters["last_target_update_ts"] == 90
    ws.stop()


@pytest.mark.ray
def test_async_gradients_update_only_the_source_worker(ray_ops, ops_support):
    ws = ops_support.worker_set(num_workers=2, fragment=5)
    try:
        sources = []

        def record(item):
            sources.append(get_metrics().current_actor)
            return item

        op = async_gradients(ws).for_each(record).for_each(ApplyGradients(ws, update_all=False))
        items = op.take(6)
        assert [count for _, count in items] == [5] * 6
        local = ops_support.spy(ws)
        assert local.w.tolist() == [30.0, 30.0] and len(local.applied) == 6
        m = _metrics(op)
        assert (m.counters["num_steps_sampled"], m.counters["num_steps_trained"]) == (30, 30)
        assert m.info["learner"] == {"default_policy": {"rows": 5.0}} and m.timers["grad_wait"].count == 6
        last = ray_ops.get(sources[-1].get_weights.remote(), timeout=60)["default_policy"]["w"]
        assert last.tolist() == [30.0, 30.0]  # the last sender got the newest weights
        # Both workers send gradients (which one comes first depends on the machine: a slow start
        # of one actor can leave the first six to the other).
        for _ in range(40):
            if set(sources) == set(ws.remote_workers()):
                break
            op.take(1)
        assert set(sources) == set(ws.remote_workers())
    finally:
        ws.stop()


def test_async_gradients_without_remote_workers_runs_in_process(ops_support):
    ws = ops_support.worker_set(fragment=6)
    op = async_gradients(ws).for_each(ApplyGradients(ws, update_all=False))
    assert [count for _, count in op.take(3)] == [6, 6, 6]
    assert ops_support.spy(ws).w.tolist() == [18.0, 18.0]
    m = _metrics(op)
    assert (m.counters["num_steps_sampled"], m.counters["num_steps_trained"]) == (18, 18)
    assert repr(op) == "LocalIterator[async_gradients[local].for_each().for_each()]"
    ws.stop()


def test_apply_gradients_update_all_false_needs_the_source_actor(ops_support):
    class FakeWorkers:
        def __init__(self, local):
            self.local = local

        def local_worker(self):
            return self.local

        def remote_workers(self):
            return ["remote-1"]

    ws = ops_support.worker_set()
    fake = FakeWorkers(ws.local_worker())
    stream = LocalIterator(lambda t: iter([([np.ones(2, np.float32)], 4)]), SharedMetrics())
    with pytest.raises(ValueError, match="current_actor must be set"):
        stream.for_each(ApplyGradients(fake, update_all=False)).take(1)
    ws.stop()
