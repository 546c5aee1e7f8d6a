"""``rllib_compat.util.iter`` / ``iter_metrics`` re-export rlcore's objects under the old names."""

import pytest

import rlcore.dataflow as dataflow
from rlcore.dataflow import local_combinators, metrics, parallel_iterator
from rllib_compat.util import iter as compat_iter
from rllib_compat.util import iter_metrics as compat_metrics

PAIRS = [
    (compat_iter, "from_items", dataflow.from_items),
    (compat_iter, "from_range", dataflow.from_range),
    (compat_iter, "from_iterators", dataflow.from_iterators),
    (compat_iter, "from_actors", dataflow.from_actors),
    (compat_iter, "ParallelIterator", dataflow.ParallelIterator),
    (compat_iter, "LocalIterator", dataflow.LocalIterator),
    (compat_iter, "ParallelIteratorWorker", dataflow.ParallelIteratorWorker),
    (compat_iter, "_NextValueNotReady", dataflow.NotReadyType),
    (compat_iter, "_ActorSet", parallel_iterator.ShardSet),
    (compat_iter, "_randomized_int_cast", local_combinators._randomized_int_cast),
    (compat_metrics, "MetricsContext", metrics.MetricsContext),
    (compat_metrics, "SharedMetrics", metrics.SharedMetrics),
]


@pytest.mark.parametrize("module,name,obj", PAIRS, ids=[p[1] for p in PAIRS])
def test_old_name_is_the_rlcore_object(module, name, obj):
    assert getattr(module, name) is obj


def test_old_style_program_runs_unchanged():
    from rllib_compat.util.iter import _NextValueNotReady, from_items

    it = from_items([1, 2, 3, 4], num_shards=2, backend="inprocess").for_each(lambda x: x * 2)
    out = [x for x in it.gather_async() if not isinstance(x, _NextValueNotReady)]
    assert sorted(out) == [2, 4, 6, 8]
