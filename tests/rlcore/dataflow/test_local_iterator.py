"""LocalIterator operators: union (deterministic, async, weighted with "*"), duplicate, NOT_READY
handling, retries, fetch hooks, concurrency, validation, repr and explain.

Local iterators need no Ray: where the semantics are subtle, each test also runs the same program
on ``ray.util.iter.LocalIterator`` (the oracle; importing it does not start Ray).
"""

from __future__ import annotations

import random
import threading
import types

import pytest

from rlcore import dataflow
from rlcore.dataflow import NOT_READY, LocalIterator, SharedMetrics


def _oracle():
    import ray.util.iter as it_mod
    import ray.util.iter_metrics as metrics_mod

    return types.SimpleNamespace(
        LocalIterator=it_mod.LocalIterator,
        SharedMetrics=metrics_mod.SharedMetrics,
        NOT_READY=it_mod._NextValueNotReady(),
        is_not_ready=lambda x: isinstance(x, it_mod._NextValueNotReady),
    )


def _rlcore():
    return types.SimpleNamespace(
        LocalIterator=LocalIterator,
        SharedMetrics=SharedMetrics,
        NOT_READY=NOT_READY,
        is_not_ready=lambda x: x is NOT_READY,
    )


IMPLS = {"rlcore": _rlcore, "oracle": _oracle}


def stream(ns, items, name="s"):
    """A local iterator over ``items``; the string "NR" stands for a not-ready poll."""

    def base(timeout=None):
        for x in items:
            yield ns.NOT_READY if x == "NR" else x

    return ns.LocalIterator(base, ns.SharedMetrics(), name=name)


def plain(ns, xs):
    return ["NR" if ns.is_not_ready(x) else x for x in xs]


UNION_CASES = [
    # (id, streams, kwargs, expected output)
    ("deterministic", [[1, 2, 3], ["a", "b"]], {"deterministic": True}, [1, "a", 2, "b", 3]),
    ("async_skips_not_ready", [["NR", "NR", "a0"], ["b0", "b1"]], {}, ["b0", "b1", "a0"]),
    ("weights_2_1", [[0, 1, 2, 3, 4], ["a", "b", "c"]], {"round_robin_weights": [2, 1]}, [0, 1, "a", 2, 3, "b", 4, "c"]),
    (
        "weights_star_pulls_all_ready",
        [["a0", "a1", "a2"], ["b0", "b1", "NR", "b2", "NR", "NR", "b3"]],
        {"round_robin_weights": [1, "*"]},
        ["a0", "b0", "b1", "a1", "b2", "a2", "b3"],
    ),
    (
        "weights_star_capped_at_100",
        [["a0", "a1", "a2"], list(range(250))],
        {"round_robin_weights": [1, "*"]},
        ["a0", *range(100), "a1", *range(100, 200), "a2", *range(200, 250)],
    ),
    ("weights_zero_starves_until_others_end", [[1, 2], ["x"]], {"round_robin_weights": [1, 0]}, None),
    ("three_way", [[1, 2], ["a"], [True, False, None]], {"deterministic": True}, [1, "a", True, 2, False, None]),
]


@pytest.mark.parametrize("impl", sorted(IMPLS))
@pytest.mark.parametrize("case", UNION_CASES, ids=[c[0] for c in UNION_CASES])
def test_union(case, impl):
    ns = IMPLS[impl]()
    _, streams, kwargs, expected = case
    its = [stream(ns, s, name=f"s{i}") for i, s in enumerate(streams)]
    u = its[0].union(*its[1:], **kwargs)
    if expected is None:  # weight 0 never pulls: only the other child's items, then it spins
        assert plain(ns, u.take(2)) == [1, 2]
        return
    assert plain(ns, list(u)) == expected


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_union_fractional_weights_keep_their_mean(impl):
    ns = IMPLS[impl]()
    a = ns.LocalIterator(lambda timeout=None: iter(lambda: "a", None), ns.SharedMetrics())
    b = ns.LocalIterator(lambda timeout=None: iter(lambda: "b", None), ns.SharedMetrics())
    random.seed(0)
    out = a.union(b, round_robin_weights=[0.5, 1]).take(3000)
    assert abs(out.count("a") / len(out) - 1 / 3) < 0.03


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_not_ready_passes_through_every_operator_and_never_reaches_fns(impl):
    ns = IMPLS[impl]()
    seen = []

    def check(x):
        assert not ns.is_not_ready(x)
        seen.append(x)
        return x

    it = stream(ns, [1, "NR", 2, 3, "NR", 4])
    it = it.for_each(check).filter(check).combine(lambda x: [check(x)]).batch(2).flatten()
    it = it.shuffle(1, seed=0)
    # batch() holds items back but lets NOT_READY through at once, in both implementations
    assert plain(ns, list(it)) == ["NR", 1, 2, "NR", 3, 4]
    assert seen == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_not_ready_flows_out_of_a_nested_async_union_without_reaching_fns(impl):
    ns = IMPLS[impl]()
    calls = []

    def check(x):
        assert not ns.is_not_ready(x)
        calls.append(x)
        return x

    inner = stream(ns, ["NR", 1, "NR", 2]).union(stream(ns, ["NR", "NR", "a"]))
    outer = inner.for_each(check).filter(check).union(stream(ns, ["z"]))
    out = [x for x in outer if not ns.is_not_ready(x)]
    assert sorted(map(str, out)) == ["1", "2", "a", "z"]
    assert sorted(map(str, calls)) == ["1", "1", "2", "2", "a", "a"]


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_for_each_retries_while_fn_is_not_ready(impl):
    ns = IMPLS[impl]()
    attempts = {}

    def enqueue_like(x):
        attempts[x] = attempts.get(x, 0) + 1
        return x * 10 if attempts[x] > x else ns.NOT_READY

    out = plain(ns, list(stream(ns, [0, 1, 2]).for_each(enqueue_like)))
    assert out == [0, "NR", 10, "NR", "NR", 20]
    assert attempts == {0: 1, 1: 2, 2: 3}


@pytest.mark.parametrize("impl", sorted(IMPLS))
def test_duplicate_gives_every_item_to_every_child(impl):
    ns = IMPLS[impl]()
    a, b, c = stream(ns, range(5)).duplicate(3)
    outs = [[], [], []]
    for _ in range(40):  # interleave, skipping NOT_READY, until all are done
        for child, out in zip((a, b, c), outs):
            try:
                x = next(child)
            except StopIteration:
                continue
            if not ns.is_not_ready(x):
                out.append(x)
    assert outs == [list(range(5))] * 3


def test_duplicate_child_running_ahead_waits_for_the_others():
    a, b = stream(_rlcore(), range(5)).duplicate(2)
    assert next(a) == 0
    assert next(a) is NOT_READY  # b has not read 0 yet
    assert [next(b), next(b)] == [0, 1]
    assert next(b) is NOT_READY  # now a is behind
    assert next(a) == 1


class _Hooked:
    def __init__(self, name):
        self.events, self.name = [], name

    def __call__(self, x):
        self.events.append(("call", x))
        return x


class FetchAwareOp(_Hooked):
    def on_fetch_start(self):
        self.events.append(("fetch",))


class LegacyHookOp(_Hooked):
    def _on_fetch_start(self):
        self.events.append(("fetch",))


@pytest.mark.parametrize("op_cls", [FetchAwareOp, LegacyHookOp])
def test_fetch_hook_runs_before_each_fetch_not_on_not_ready(op_cls):
    op = op_cls("op")
    list(stream(_rlcore(), [1, "NR", 2]).for_each(op))
    assert op.events == [("fetch",), ("call", 1), ("fetch",), ("call", 2), ("fetch",)]


def test_for_each_max_concurrency_threads_bound_in_flight_calls():
    lock, state = threading.Lock(), {"now": 0, "max": 0}
    three_in_flight = threading.Barrier(3, timeout=30)  # broken (the test fails) unless 3 calls overlap

    def slow(x):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        three_in_flight.wait()
        with lock:
            state["now"] -= 1
        return x * 2

    out = list(stream(_rlcore(), range(12)).for_each(slow, max_concurrency=3))
    assert sorted(out) == [2 * x for x in range(12)]
    assert state["max"] == 3


def test_operator_functions_see_the_pipeline_metrics_inside_threads():
    def count(x):
        dataflow.get_metrics().counters["n"] += 1
        return x

    it = stream(_rlcore(), range(5)).for_each(count, max_concurrency=2)
    assert sorted(it) == list(range(5))
    assert it.shared_metrics.get().counters["n"] == 5


BAD_ARGS = [
    ("batch0", lambda it: it.batch(0), ValueError, "n=0"),
    ("shuffle0", lambda it: it.shuffle(0), ValueError, "shuffle_buffer_size=0"),
    ("for_each_noncallable", lambda it: it.for_each(3), TypeError, "fn=3"),
    ("max_concurrency_negative", lambda it: it.for_each(str, max_concurrency=-1), ValueError, "max_concurrency=-1"),
    ("executor", lambda it: it.for_each(str, max_concurrency=2, executor="gpu"), ValueError, "executor='gpu'"),
    ("union_type", lambda it: it.union([1, 2]), TypeError, "expected a LocalIterator"),
    ("weights_len", lambda it: it.union(it, round_robin_weights=[1]), ValueError, "length 1"),
    ("weights_value", lambda it: it.union(it, round_robin_weights=[1, "x"]), ValueError, "'x'"),
    ("duplicate1", lambda it: it.duplicate(1), ValueError, "n=1"),
    ("take_negative", lambda it: it.take(-1), ValueError, "n=-1"),
]


@pytest.mark.parametrize("case", BAD_ARGS, ids=[c[0] for c in BAD_ARGS])
def test_bad_arguments_raise_clear_errors(case):
    _, call, exc, text = case
    with pytest.raises(exc, match=text.replace("[", r"\[").replace("(", r"\(")):
        call(stream(_rlcore(), [1, 2]))


def test_zip_with_source_actor_outside_gather_async_raises():
    with pytest.raises(ValueError, match="gather_async"):
        list(stream(_rlcore(), [1]).zip_with_source_actor())


def test_zip_with_source_actor_after_in_process_gather_async_names_the_shard():
    par = dataflow.from_range(4, num_shards=2, backend="inprocess")
    pairs = list(par.gather_async().zip_with_source_actor())
    shards = par.shard_sets[0].shards
    assert sorted(x for _, x in pairs) == [0, 1, 2, 3]
    assert {x: shards.index(a) for a, x in pairs} == {0: 0, 1: 0, 2: 1, 3: 1}


def test_repr_names_stages_and_explain_counts_them():
    it = stream(_rlcore(), range(10), name="src").for_each(lambda x: x + 1).filter(lambda x: x % 2).batch(2)
    assert repr(it) == "LocalIterator[src.for_each().filter().batch(2)]"
    assert list(it) == [[1, 3], [5, 7], [9]]
    lines = it.explain().splitlines()
    assert lines[0] == repr(it)
    assert [line.strip().lstrip("└─ ").split("  ")[0] for line in lines[1:]] == [
        "batch(2)",
        "filter(<lambda>)",
        "for_each(<lambda>)",
        "src",
    ]
    assert [line.split("items=")[1].split()[0] for line in lines[1:]] == ["3", "5", "10", "10"]


def test_explain_of_a_union_shows_both_branches():
    u = stream(_rlcore(), [1, 2], name="a").union(stream(_rlcore(), [3], name="b").for_each(str), deterministic=True)
    list(u)
    text = u.explain()
    assert "union(deterministic=True)  items=3" in text
    assert "├── a  items=2" in text and "for_each(str)  items=1" in text and "b  items=1" in text


def test_next_method_take_and_show(capsys):
    it = stream(_rlcore(), [1, 2, 3, 4])
    assert it.next() == 1 and next(it) == 2
    assert it.take(0) == [] and it.take(1) == [3]
    it.show()
    assert capsys.readouterr().out == "4\n"


def test_not_ready_singleton_is_rllib_compatible():
    from rllib_compat.util.iter import _NextValueNotReady

    assert _NextValueNotReady() is NOT_READY and isinstance(NOT_READY, _NextValueNotReady)
    assert dataflow.skips_not_ready(lambda x: x + 1)(NOT_READY) is NOT_READY


def test_labels_name_stages_in_explain_and_errors_and_keep_fetch_hooks():
    op = FetchAwareOp("op")
    it = stream(_rlcore(), [1, 2]).for_each(dataflow.labeled("hooked", op))
    assert list(it) == [1, 2]
    assert "for_each(hooked)  items=2" in it.explain()
    assert op.events[0] == ("fetch",)  # the hook was found through the label

    def fail(x):
        raise RuntimeError("no")

    par = dataflow.from_range(2, num_shards=1, backend="inprocess").for_each(dataflow.labeled("risky", fail))
    with pytest.raises(dataflow.ShardError) as info:
        par.take(1)
    assert info.value.stage == "for_each(risky)"


def test_labelable_operator_class():
    class Scale(dataflow.Labelable):
        def __call__(self, x):
            return 3 * x

    it = stream(_rlcore(), [1]).for_each("triple" >> Scale())
    assert list(it) == [3] and "for_each(triple)" in it.explain()
    with pytest.raises(ValueError, match="label=''"):
        dataflow.labeled("", Scale())


def test_combine_is_one_named_stage_and_errors_name_it():
    def split(x):
        if x == 2:
            raise KeyError("split")
        return [x, x]

    it = stream(_rlcore(), [1, 2]).combine(split)
    assert repr(it) == "LocalIterator[s.combine()]"
    with pytest.raises(KeyError) as info:
        list(it)
    assert "(raised in dataflow stage 'combine(split)')" in info.value.__notes__
    assert "combine(split)  items=1" in it.explain()
