"""Rollout operators: parallel_rollouts modes and counters, ConcatBatches, SelectExperiences, StandardizeFields."""

import numpy as np
import pytest

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.dataflow import LocalIterator, ParallelIterator, SharedMetrics
from rlcore.ops import (
    SAMPLE_TIMER,
    ConcatBatches,
    SelectExperiences,
    StandardizeFields,
    parallel_rollouts,
)


def _stream(items, name="src"):
    return LocalIterator(lambda timeout: iter(items), SharedMetrics(), name=name)


def _counters(it):
    return it.shared_metrics.get().counters


@pytest.mark.parametrize("mode", ["bulk_sync", "async"])
@pytest.mark.parametrize("num_envs", [1, 3])
def test_local_rollouts_count_sampled_steps(ops_support, mode, num_envs):
    ws = ops_support.worker_set(fragment=7, num_envs=num_envs)
    rollouts = parallel_rollouts(ws, mode=mode)
    sizes = [b.count for b in rollouts.take(3)]
    assert sizes == [7 * num_envs] * 3
    assert _counters(rollouts)["num_steps_sampled"] == 21 * num_envs
    assert _counters(rollouts)["num_agent_steps_sampled"] == 21 * num_envs
    assert repr(rollouts) == f"LocalIterator[parallel_rollouts[{mode}, local].for_each()]"
    ws.stop()


def test_raw_mode_is_a_parallel_iterator_over_the_local_worker(ops_support):
    ws = ops_support.worker_set(fragment=5)
    raw = parallel_rollouts(ws, mode="raw")
    assert isinstance(raw, ParallelIterator) and raw.num_shards() == 1
    assert [b.count for b in raw.gather_sync().take(2)] == [5, 5]
    ws.stop()


@pytest.mark.parametrize("kwargs,error", [
    ({"mode": "sync"}, "mode='sync'"),
    ({"mode": "bulk_sync", "num_async": 0}, "num_async=0"),
])
def test_parallel_rollouts_rejects_bad_arguments(ops_support, kwargs, error):
    ws = ops_support.worker_set()
    with pytest.raises(ValueError, match=error):
        parallel_rollouts(ws, **kwargs)
    ws.stop()


@pytest.mark.parametrize("sizes,min_batch,expected", [
    ([3, 3, 3, 3, 3], 6, [6, 6]),
    ([3, 3, 3, 3, 3], 7, [9]),
    ([10, 1, 1], 4, [10]),
    ([2, 0, 2, 0, 2], 6, [6]),  # empty batches are ignored
    ([5, 5], 100, []),
])
def test_concat_batches_sizes(sizes, min_batch, expected):
    batches = [SampleBatch({"x": np.arange(n)}) for n in sizes]
    out = _stream(batches).combine(ConcatBatches(min_batch_size=min_batch))
    assert [b.count for b in out] == expected


def test_concat_batches_keeps_row_order_and_times_sampling():
    batches = [SampleBatch({"x": np.arange(i * 4, i * 4 + 4)}) for i in range(4)]
    it = _stream(batches).combine(ConcatBatches(min_batch_size=8))
    out = list(it)
    assert [b["x"].tolist() for b in out] == [list(range(8)), list(range(8, 16))]
    timer = it.shared_metrics.get().timers[SAMPLE_TIMER]
    assert timer.count == 2 and timer.mean_units_processed == 8


def test_sample_timer_counts_upstream_fetches_only(monkeypatch):
    """On a clock only the source and the learner move (no sleeps, so no load in the figures): two
    20 ms fetches per train batch are sampling, the learner's 300 ms after each batch are not."""
    import types

    now = [0.0]
    monkeypatch.setattr("rlcore.ops.rollout.time", types.SimpleNamespace(perf_counter=lambda: now[0]))

    def slow_source(timeout):
        while True:
            now[0] += 0.02
            yield SampleBatch({"x": np.arange(5)})

    def slow_learner(batch):
        now[0] += 0.3
        return batch

    it = (LocalIterator(slow_source, SharedMetrics(), name="slow")
          .combine(ConcatBatches(min_batch_size=10)).for_each(slow_learner))
    it.take(3)
    timer = it.shared_metrics.get().timers[SAMPLE_TIMER]
    assert timer.count == 3
    assert timer.mean == pytest.approx(0.04)
    assert timer.mean_throughput == pytest.approx(10 / 0.04)


def test_concat_batches_counts_agent_steps_of_multi_agent_batches():
    ma = MultiAgentBatch({"a": SampleBatch({"x": [1, 2]}), "b": SampleBatch({"x": [3, 4, 5]})}, env_steps=2)
    out = _stream([ma] * 4).combine(ConcatBatches(min_batch_size=10, count_steps_by="agent_steps")).take(2)
    assert [(b.env_steps(), b.agent_steps()) for b in out] == [(4, 10), (4, 10)]


@pytest.mark.parametrize("kwargs,error", [
    ({"min_batch_size": 0}, "min_batch_size=0"),
    ({"min_batch_size": 4.5}, "min_batch_size=4.5"),
    ({"min_batch_size": 4, "count_steps_by": "steps"}, "count_steps_by='steps'"),
])
def test_concat_batches_rejects_bad_arguments(kwargs, error):
    with pytest.raises(ValueError, match=error):
        ConcatBatches(**kwargs)


def test_concat_batches_rejects_non_batches():
    with pytest.raises(TypeError, match="SampleBatch or MultiAgentBatch"):
        _stream([{"x": [1]}]).combine(ConcatBatches(min_batch_size=1)).take(1)


def test_select_experiences():
    ma = MultiAgentBatch({"a": SampleBatch({"x": [1]}), "b": SampleBatch({"x": [2]}),
                          "c": SampleBatch({"x": [3]})}, 1)
    out = SelectExperiences({"a", "c"})(ma)
    assert sorted(out.policy_batches) == ["a", "c"] and out.env_steps() == 1
    plain = SampleBatch({"x": [1]})
    assert SelectExperiences(["a"])(plain) is plain
    with pytest.raises(TypeError, match="list of names"):
        SelectExperiences("a")


def test_standardize_fields_per_policy_and_in_place():
    rng = np.random.default_rng(0)
    a = SampleBatch({"adv": rng.normal(5, 3, 50).astype(np.float32), "other": np.arange(50.0)})
    b = SampleBatch({"adv": np.full(4, 2.0, np.float32), "other": np.arange(4.0)})
    ma = MultiAgentBatch({"a": a, "b": b}, 50)
    out = StandardizeFields(["adv"])(ma)
    assert out is ma
    np.testing.assert_allclose([a["adv"].mean(), a["adv"].std()], [0, 1], atol=1e-5)
    assert a["adv"].dtype == np.float32
    assert b["adv"].tolist() == [0.0] * 4  # constant column: std floor 1e-4, no NaN
    assert a["other"].tolist() == list(range(50))  # untouched


def test_standardize_fields_plain_batch_and_missing_column():
    batch = SampleBatch({"adv": [1.0, 2.0, 3.0]})
    assert StandardizeFields(["adv"])(batch) is batch
    np.testing.assert_allclose(batch["adv"], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    with pytest.raises(ValueError, match="column 'value_targets' is missing from policy 'default_policy'"):
        StandardizeFields(["value_targets"])(batch)


@pytest.mark.ray
def test_remote_rollouts_bulk_sync_async_and_a_dead_worker(ray_ops, ops_support):
    """One WorkerSet of 2 Ray workers: bulk_sync sizes, async sources, then a killed worker."""
    from rlcore.dataflow import get_metrics

    ws = ops_support.worker_set(num_workers=2, fragment=6, num_envs=2, recreate_failed_workers=True)
    try:
        rollouts = parallel_rollouts(ws, mode="bulk_sync")
        batches = rollouts.take(2)
        assert [b.count for b in batches] == [24, 24]  # one batch of 6 x 2 envs from each worker
        assert len(set(batches[0]["eps_id"].tolist())) >= 4
        assert _counters(rollouts)["num_steps_sampled"] == 48

        seen = []

        def record(batch):
            seen.append(get_metrics().current_actor)
            return batch

        # Whichever worker answers first comes first: a worker slowed by a busy machine may answer
        # after several of the other's, so past 8 batches they are taken until both answered (at most 40).
        async_rollouts = parallel_rollouts(ws, mode="async", num_async=2).for_each(record)
        counts = [b.count for b in async_rollouts.take(8)]
        while set(seen) != set(ws.remote_workers()) and len(counts) < 40:
            counts.append(next(async_rollouts).count)
        assert counts == [12] * len(counts)
        assert set(seen) == set(ws.remote_workers()), f"only {set(seen)} answered in {len(counts)} batches"
        assert _counters(async_rollouts)["num_steps_sampled"] == 12 * len(counts)

        victim = ws.remote_workers()[1]
        ray_ops.kill(victim)
        assert next(rollouts).count == 24  # no fragment lost: the replacement sampled again
        assert victim not in ws.remote_workers() and len(ws.remote_workers()) == 2
        assert _counters(rollouts)["num_steps_sampled"] == 72
    finally:
        ws.stop()
