"""The metrics context: shared by the operators of a pipeline, through union and duplicate."""

from __future__ import annotations

import pytest

from rlcore import dataflow
from rlcore.dataflow import LocalIterator, MetricsContext, SharedMetrics, TimerStat, get_metrics


def stream(items, name="s"):
    return LocalIterator(lambda timeout=None: iter(items), SharedMetrics(), name=name)


def record(tag):
    """An operator that writes a counter, a timer and an info entry."""

    def fn(x):
        m = get_metrics()
        m.counters[f"{tag}_items"] += 1
        with m.timers[f"{tag}_timer"]:
            pass
        m.info[f"{tag}_last"] = x
        return x

    fn.__name__ = f"record_{tag}"
    return fn


def observe(log):
    """An operator that copies what earlier operators wrote."""

    def fn(x):
        m = get_metrics()
        log.append((dict(m.counters), sorted(m.timers), dict(m.info)))
        return x

    return fn


def test_values_set_in_one_operator_are_seen_by_later_ones_and_by_the_pipeline():
    log = []
    it = stream([1, 2]).for_each(record("a")).filter(lambda x: True).for_each(observe(log))
    assert list(it) == [1, 2]
    assert log[-1] == ({"a_items": 2}, ["a_timer"], {"a_last": 2})
    m = it.shared_metrics.get()
    assert m.counters["a_items"] == 2 and m.timers["a_timer"].count == 2


def test_metrics_survive_union():
    log = []
    a = stream([1, 2], "a").for_each(record("a"))
    b = stream([3], "b").for_each(record("b"))
    u = a.union(b, deterministic=True).for_each(observe(log))
    assert list(u) == [1, 3, 2]
    assert log[-1][0] == {"a_items": 2, "b_items": 1}
    assert a.shared_metrics.get() is b.shared_metrics.get() is u.shared_metrics.get()


def test_metrics_survive_duplicate():
    src = stream([1, 2]).for_each(record("src"))
    left, right = src.duplicate(2)
    log = []
    right = right.for_each(observe(log))
    out = [x for x in (next(left), next(right), next(left), next(right)) if x is not dataflow.NOT_READY]
    assert sorted(out) == [1, 1, 2, 2]
    assert log[-1][0] == {"src_items": 2}
    assert left.shared_metrics.get() is right.shared_metrics.get()


def test_metrics_of_a_gathered_parallel_pipeline():
    it = dataflow.from_range(6, num_shards=3, backend="inprocess").gather_async()
    it = it.for_each(record("g"))
    actors = []
    it = it.for_each(lambda x: actors.append(get_metrics().current_actor) or x)
    assert sorted(it) == list(range(6))
    assert it.shared_metrics.get().counters["g_items"] == 6
    assert len({id(a) for a in actors}) == 3


def test_get_metrics_outside_an_operator_raises():
    list(stream([1]).for_each(record("x")))
    with pytest.raises(ValueError, match="outside an iterator"):
        get_metrics()


def test_save_restore_round_trip_and_bad_input():
    m = MetricsContext()
    m.counters["steps"] = 7
    m.info["learner"] = {"loss": 1.0}
    m.timers["t"].push(1.0)
    m2 = MetricsContext()
    m2.restore(m.save())
    assert dict(m2.counters) == {"steps": 7} and m2.info == {"learner": {"loss": 1.0}} and not m2.timers
    with pytest.raises(ValueError, match="values="):
        m2.restore({"counters": {}})


TIMER_CASES = [
    # (window, pushes, units, mean, throughput)
    (10, [1.0, 3.0], [10, 30], 2.0, 10.0),
    (2, [5.0, 1.0, 3.0], [100, 2, 6], 2.0, 2.0),
    (3, [], [], 0.0, 0.0),
]


@pytest.mark.parametrize("window,pushes,units,mean,throughput", TIMER_CASES)
def test_timer_stat_window(window, pushes, units, mean, throughput):
    t = TimerStat(window_size=window)
    for p in pushes:
        t.push(p)
    for u in units:
        t.push_units_processed(u)
    assert (t.mean, t.mean_throughput, t.count, t.has_units_processed()) == (mean, throughput, len(pushes), bool(units))


def test_timer_stat_times_a_block_and_rejects_nesting():
    t = TimerStat()
    with t:
        with pytest.raises(RuntimeError, match="already timing"):
            t.__enter__()
    assert t.count == 1 and t.mean >= 0.0
    with pytest.raises(ValueError, match="window_size=0"):
        TimerStat(window_size=0)


def test_rllib_compat_metrics_are_the_same_objects():
    from rllib_compat.util import iter_metrics

    assert iter_metrics.MetricsContext is MetricsContext and iter_metrics.SharedMetrics is SharedMetrics
