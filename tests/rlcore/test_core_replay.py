"""Replay kernels: segment trees and ring insert, native vs numpy twin, and misuse."""

import numpy as np
import pytest

from rlcore import _reference


@pytest.mark.parametrize("capacity", [1, 5, 64, 1000])
def test_sum_tree_parity_and_brute_force(impl, capacity):
    rng = np.random.default_rng(capacity)
    trees = [impl.SumSegmentTree(capacity), _reference.SumSegmentTree(capacity)]
    leaves = np.zeros(capacity)
    for _ in range(5):
        idxs = rng.integers(0, capacity, rng.integers(0, 50)).astype(np.int64)
        vals = rng.random(len(idxs)) * (rng.random(len(idxs)) > 0.2)  # some zero-mass leaves
        for tree in trees:
            tree.update(idxs, vals)
        for i, v in zip(idxs, vals):
            leaves[i] = v  # last write wins
        start, end = sorted(rng.integers(0, capacity + 1, 2))
        for tree in trees:
            np.testing.assert_allclose(tree.sum(), leaves.sum())
            np.testing.assert_allclose(tree.sum(int(start), int(end)), leaves[start:end].sum(), atol=1e-12)
            np.testing.assert_array_equal(tree.get(np.arange(capacity, dtype=np.int64)), leaves)
        total = leaves.sum()
        prefix = rng.random(100) * total
        got = trees[0].find_prefixsum_idx(prefix)
        np.testing.assert_array_equal(got, trees[1].find_prefixsum_idx(prefix))
        if total > 0:
            cum = np.cumsum(leaves)
            want = np.searchsorted(cum, prefix, side="right")  # highest i with sum(leaves[:i]) <= p
            np.testing.assert_array_equal(got, want)
            assert (leaves[got] > 0).all()


def test_prefix_search_never_lands_on_empty_leaf_at_total(impl):
    tree = impl.SumSegmentTree(6)  # padded to 8 leaves; the padding has zero mass
    tree.update(np.array([0, 1, 2], np.int64), np.array([0.1, 0.2, 0.3]))
    got = tree.find_prefixsum_idx(np.array([tree.sum(), tree.sum() * (1 + 1e-12), 0.0]))
    assert got.tolist() == [2, 2, 0]


# --- boundary cases: each result is checked against the twin AND against a value written here -----

TINY = 1e-9  # far below every leaf below: p - TINY stays inside the leaf that ends at p
ALMOST_ONE = float(np.nextafter(1.0, 0.0))


def _same(impl, fn):
    """``fn(module)`` on the implementation under test and on the twin; they must agree."""
    got, twin = fn(impl), fn(_reference)
    assert got == twin, f"{impl.__name__}: {got} != twin {twin}"
    return got


def _sum_tree(m, leaves):
    tree = m.SumSegmentTree(len(leaves))
    tree.update(np.arange(len(leaves), dtype=np.int64), np.array(leaves, np.float64))
    return tree


def _search(impl, leaves, prefixsums):
    return _same(impl, lambda m: _sum_tree(m, leaves).find_prefixsum_idx(np.array(prefixsums, np.float64)).tolist())


def _first_above(leaves, p):
    """A plain loop: the smallest i with sum(leaves[:i + 1]) > p, else the last leaf with mass (0 if none)."""
    acc = 0.0
    for i, leaf in enumerate(leaves):
        acc += leaf
        if acc > p:
            return i
    return max((i for i, leaf in enumerate(leaves) if leaf > 0), default=0)


PREFIX_BOUNDARIES = [
    # issue #11: p equal to a prefix sum belongs to the next leaf
    ([1, 1, 1, 1], [0, 1, 2, 3], [0, 1, 2, 3]),
    ([1, 1, 1, 1], [1 - TINY, 2 - TINY, 3 - TINY, 4 - TINY], [0, 1, 2, 3]),
    ([1, 1, 1, 1], [4, 5], [3, 3]),  # at or past the total: the last leaf with mass
    # zero-mass leaves are never chosen, also when p sits on the boundary just before them
    ([1, 0, 0, 1, 0, 2, 0, 0, 0, 1, 0], [0, 1, 2, 3.5, 4, 5 - TINY, 5, 6], [0, 3, 5, 5, 9, 9, 9, 9]),
    ([0, 0, 3, 0], [0, 3 - TINY, 3], [2, 2, 2]),
    # a single leaf, with and without mass; a tree without mass answers 0
    ([2], [0, 2 - TINY, 2, 7], [0, 0, 0, 0]),
    ([0], [0, 1], [0, 0]),
    ([0, 0, 0, 0, 0], [0, 3], [0, 0]),
    # more than 8 leaves (a descent above the scanned blocks), the mass on one side of the root only
    ([0] * 8 + [1] * 8, [0, 1, 7, 8], [8, 9, 15, 15]),
    ([1] * 8 + [0] * 8, [0, 7, 8, 9], [0, 7, 7, 7]),
    ([0] * 15 + [0.5], [0, 0.5, 3], [15, 15, 15]),
]


@pytest.mark.parametrize("leaves,prefixsums,want", PREFIX_BOUNDARIES,
                         ids=[str(i) for i in range(len(PREFIX_BOUNDARIES))])
def test_prefix_search_at_exact_boundaries(impl, leaves, prefixsums, want):
    assert _search(impl, leaves, prefixsums) == want
    assert [_first_above(leaves, p) for p in prefixsums] == want  # the table agrees with the plain loop


@pytest.mark.parametrize("capacity", [1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 100, 128])
def test_prefix_search_unit_leaves_full_tree(impl, capacity):
    """Every leaf 1, capacity a power of two or not: p in [i, i + 1) is leaf i, p >= capacity the last."""
    ones, i = [1.0] * capacity, list(range(capacity))
    assert _search(impl, ones, i) == i
    assert _search(impl, ones, [k + 0.5 for k in i]) == i
    assert _search(impl, ones, [k + 1 - TINY for k in i]) == i
    assert _search(impl, ones, [capacity, capacity + 0.25]) == [capacity - 1] * 2


@pytest.mark.parametrize("seed", range(6))
def test_prefix_search_every_integer_boundary(impl, seed):
    """Integer masses with runs of zeros: every prefix sum is exact, so p can sit on each boundary."""
    rng = np.random.default_rng(seed)
    for capacity in [1, 2, 7, 8, 9, 31, 33, 64, 70]:
        leaves = (rng.integers(1, 4, capacity) * (rng.random(capacity) < 0.6)).astype(float).tolist()
        total = sum(leaves)
        prefixsums = [k / 2 for k in range(int(2 * total) + 3)] + [max(total - TINY, 0.0)]
        assert _search(impl, leaves, prefixsums) == [_first_above(leaves, p) for p in prefixsums]


SAMPLE_BOUNDARIES = [
    ([1, 1, 1, 1], [0.0, 0.25, 0.5, 0.75, ALMOST_ONE], [0, 1, 2, 3, 3], [0.25] * 5),
    ([0, 2, 0, 2], [0.0, 0.5 - TINY, 0.5, ALMOST_ONE], [1, 1, 3, 3], [0.5] * 4),
    ([3], [0.0, ALMOST_ONE], [0, 0], [1.0, 1.0]),
    ([0, 0, 0], [0.0, 0.5], [0, 0], [0.0, 0.0]),  # no mass: index 0, probability 0
    ([0] * 9 + [4, 4, 0], [0.0, 0.5, ALMOST_ONE], [9, 10, 10], [0.5] * 3),
    ([1, 1], [], [], []),
]


@pytest.mark.parametrize("leaves,uniforms,idxs,probs", SAMPLE_BOUNDARIES,
                         ids=[str(i) for i in range(len(SAMPLE_BOUNDARIES))])
def test_proportional_sample_at_exact_boundaries(impl, leaves, uniforms, idxs, probs):
    got = _same(impl, lambda m: [a.tolist() for a in _sum_tree(m, leaves).sample(np.array(uniforms, np.float64))])
    assert got == [idxs, probs]


@pytest.mark.parametrize("capacity", [8, 9, 63, 64, 65, 511, 513, 4096, 4097])
def test_trees_across_level_boundaries(impl, capacity):
    """Capacities at and around powers of 8 (where the 8-ary trees gain a level): integer masses with
    zeros (exact sums) set by batched updates with repeats, then every boundary search, sums and
    minima over ranges that start and end at and around group edges, against plain loops."""
    rng = np.random.default_rng(capacity)
    leaves, low = [0.0] * capacity, [np.inf] * capacity  # a leaf never set: 0 (sum), +inf (min)
    sums, mins = impl.SumSegmentTree(capacity), impl.MinSegmentTree(capacity)
    for _ in range(4):
        idxs = rng.integers(0, capacity, capacity // 2 + 3)
        vals = (rng.integers(1, 4, len(idxs)) * (rng.random(len(idxs)) < 0.7)).astype(np.float64)
        sums.update(idxs.astype(np.int64), vals)
        mins.update(idxs.astype(np.int64), vals)
        for i, v in zip(idxs.tolist(), vals.tolist()):
            leaves[i] = low[i] = v  # the last write of an index wins
    assert sums.get(np.arange(capacity, dtype=np.int64)).tolist() == leaves
    total = sum(leaves)
    ps = [k / 2 for k in range(int(2 * total) + 3)]
    assert sums.find_prefixsum_idx(np.array(ps)).tolist() == [_first_above(leaves, p) for p in ps]
    edges = sorted({0, capacity} | {min(capacity, max(0, e + d)) for e in range(0, capacity, 8) for d in (-1, 0, 1)})
    for start in edges[:: max(1, len(edges) // 12)]:
        for end in edges:
            if start <= end:
                assert sums.sum(start, end) == sum(leaves[start:end])
                assert mins.min(start, end) == min(low[start:end], default=np.inf)


@pytest.mark.parametrize("seed", range(4))
def test_prefix_search_batched_equals_one_at_a_time(impl, seed):
    """A batch of prefix sums (eight at a time where the CPU has AVX-512F, then four at a time where it
    has AVX2, the rest one at a time) finds what each one searched alone finds: random masses with zeros
    and tiny leaves, prefix sums at running sums of the leaves, at the total and past it, in batches of
    every size mod 8; the random ones as the twin does (at a running sum the tree's pairwise sums and
    the twin's cumsum may round apart)."""
    rng = np.random.default_rng(seed)
    capacity = int(rng.integers(600, 5000))
    leaves = rng.random(capacity) * (rng.random(capacity) < 0.7)
    leaves[rng.random(capacity) < 0.1] *= 1e-17  # masses that vanish in a running sum
    trees = [_sum_tree(m, leaves.tolist()) for m in (impl, _reference)]
    total = trees[0].sum()
    cum = np.cumsum(leaves)
    ps = np.concatenate([rng.random(40) * total, cum[rng.integers(0, capacity, 40)], [0.0, total, total * 1.5]])
    ps = np.minimum(ps, total * 1.5)[rng.permutation(len(ps))]
    alone = [int(trees[0].find_prefixsum_idx(ps[i:i + 1])[0]) for i in range(len(ps))]
    for k in (len(ps), 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 32, 67):
        assert trees[0].find_prefixsum_idx(ps[:k]).tolist() == alone[:k]
    uniform = rng.random(67) * total
    for k in (4, 7, 67):
        assert trees[0].find_prefixsum_idx(uniform[:k]).tolist() == trees[1].find_prefixsum_idx(uniform[:k]).tolist()


@pytest.mark.parametrize("capacity", [1, 2, 7, 8, 9, 16])
def test_reductions_over_every_range(impl, capacity):
    """Integer leaves with zeros and ties (exact sums) over every [start, end), the empty ones included;
    leaves never set count as 0 (sum) and +inf (min)."""
    leaves = [float((5 * i) % 7) - 2.0 for i in range(capacity)]  # -2..4: zeros, negatives, repeats
    set_idxs = np.arange(0, capacity, 2, dtype=np.int64)  # every other leaf; the rest stay unset

    def reductions(m):
        sums, mins = m.SumSegmentTree(capacity), m.MinSegmentTree(capacity)
        sums.update(set_idxs, np.array([abs(leaves[i]) for i in set_idxs.tolist()]))
        mins.update(set_idxs, np.array([leaves[i] for i in set_idxs.tolist()]))
        ranges = [(s, e) for s in range(capacity + 1) for e in range(s, capacity + 1)]
        return [(sums.sum(s, e), mins.min(s, e)) for s, e in ranges] + [(sums.sum(), mins.min())]

    want = []
    for s, e in [(s, e) for s in range(capacity + 1) for e in range(s, capacity + 1)] + [(0, capacity)]:
        total, low = 0.0, np.inf
        for i in range(s, e):
            if i % 2 == 0:
                total, low = total + abs(leaves[i]), min(low, leaves[i])
        want.append((total, low))
    assert _same(impl, reductions) == want


def test_update_repeats_empties_and_zeroes(impl):
    def run(m):
        tree = m.SumSegmentTree(5)
        no_idxs, no_sums = np.array([], np.int64), np.array([], np.float64)
        tree.update(no_idxs, no_sums)  # an empty update changes nothing
        out = [tree.sum(), tree.find_prefixsum_idx(no_sums).tolist(), tree.get(no_idxs).tolist()]
        tree.update(np.array([4, 4, 0, 4], np.int64), np.array([1.0, 2.0, 3.0, 0.5]))  # the last write of 4 wins
        out += [tree.get(np.arange(5, dtype=np.int64)).tolist(), tree.sum()]
        tree.update(np.array([0], np.int64), np.array([0.0]))  # emptied again: never sampled
        out.append(tree.find_prefixsum_idx(np.array([0.0, 0.25, 0.5, 9.0])).tolist())
        return out

    assert _same(impl, run) == [0.0, [], [], [3.0, 0.0, 0.0, 0.0, 0.5], 3.5, [4, 4, 4, 4]]


@pytest.mark.parametrize("capacity", [1, 7, 300])
def test_min_tree_parity_and_brute_force(impl, capacity):
    rng = np.random.default_rng(capacity)
    tree, twin = impl.MinSegmentTree(capacity), _reference.MinSegmentTree(capacity)
    leaves = np.full(capacity, np.inf)
    assert tree.min() == np.inf
    idxs = rng.integers(0, capacity, 40).astype(np.int64)
    vals = rng.standard_normal(40)
    tree.update(idxs, vals)
    twin.update(idxs, vals)
    for i, v in zip(idxs, vals):
        leaves[i] = v
    for start, end in [(0, capacity), (0, 1), (capacity // 2, capacity), (capacity - 1, capacity)]:
        assert tree.min(start, end) == twin.min(start, end) == leaves[start:end].min()


def test_scalar_item_access(impl):
    tree = impl.SumSegmentTree(4)
    tree[3] = 2.5
    assert tree[3] == 2.5 and tree.sum() == 2.5 and len(tree) == 4 and tree.capacity == 4


@pytest.mark.parametrize("seed", range(5))
def test_ring_insert_parity(impl, seed):
    rng = np.random.default_rng(seed)
    cap = int(rng.integers(1, 20))
    shape = [(), (3,), (2, 2)][seed % 3]
    dests = [np.zeros((cap, *shape), np.float32) for _ in range(2)]
    pos = [0, 0]
    for _ in range(6):
        src = rng.standard_normal((int(rng.integers(0, 2 * cap + 2)), *shape)).astype(np.float32)
        pos[0] = impl.ring_insert(dests[0], src, pos[0])
        pos[1] = _reference.ring_insert(dests[1], src, pos[1])
        assert pos[0] == pos[1]
        np.testing.assert_array_equal(dests[0], dests[1])


def test_ring_insert_wraps_and_keeps_last_rows(impl):
    dest = np.zeros(4, np.int64)
    assert impl.ring_insert(dest, np.array([1, 2, 3]), 2) == 1
    assert dest.tolist() == [3, 0, 1, 2]
    assert impl.ring_insert(dest, np.arange(10, 16), 1) == 3  # 6 rows into 4: the last 4 survive
    assert dest.tolist() == [13, 14, 15, 12]  # row j lands at (1 + j) % 4


RING_BOUNDARIES = [
    # capacity, start, src rows, dest afterwards (from zeros), returned position
    (4, 2, [], [0, 0, 0, 0], 2),  # nothing to copy: dest and position unchanged
    (4, 0, [1, 2, 3, 4], [1, 2, 3, 4], 0),  # exactly full from row 0
    (4, 3, [1, 2, 3, 4], [2, 3, 4, 1], 3),  # exactly full from the last row: one wrap
    (4, 3, [1], [0, 0, 0, 1], 0),  # the last row, then back to row 0
    (4, 1, [1, 2, 3, 4, 5], [4, 5, 2, 3], 2),  # one row more than fits: row j lands at (1 + j) % 4
    (1, 0, [1, 2, 3], [3], 0),  # a single row keeps the last one
]


@pytest.mark.parametrize("cap,start,src,want,pos", RING_BOUNDARIES, ids=[str(i) for i in range(len(RING_BOUNDARIES))])
def test_ring_insert_boundaries(impl, cap, start, src, want, pos):
    def run(m):
        dest = np.zeros(cap, np.int64)
        return m.ring_insert(dest, np.array(src, np.int64), np.int64(start)), dest.tolist()

    assert _same(impl, run) == (pos, want)


def test_ring_insert_structured_rows(impl):
    dest = np.zeros((3, 2), np.bool_)
    impl.ring_insert(dest, np.ones((2, 2), np.bool_), 2)
    assert dest.tolist() == [[True, True], [False, False], [True, True]]


I64 = np.array([0, 1], np.int64)
BAD = [
    (lambda m: m.SumSegmentTree(0), ValueError, "capacity"),
    (lambda m: m.SumSegmentTree(2.0), ValueError, "capacity"),
    (lambda m: m.SumSegmentTree(4).update(np.array([0, 4], np.int64), np.ones(2)), IndexError, "idxs"),
    (lambda m: m.SumSegmentTree(4).update(np.array([0, 1], np.int32), np.ones(2)), TypeError, "idxs"),
    (lambda m: m.SumSegmentTree(4).update(I64, np.ones(3)), ValueError, "values"),
    (lambda m: m.SumSegmentTree(4).update(I64, np.array([1.0, -1.0])), ValueError, "values"),
    (lambda m: m.SumSegmentTree(4).update(I64, np.array([1.0, np.nan])), ValueError, "values"),
    (lambda m: m.MinSegmentTree(4).update(I64, np.array([1.0, np.nan])), ValueError, "values"),
    (lambda m: m.SumSegmentTree(4).update(I64, np.ones(2, np.float32)), TypeError, "values"),
    (lambda m: m.SumSegmentTree(4).find_prefixsum_idx(np.ones(2, np.float32)), TypeError, "prefixsums"),
    (lambda m: m.SumSegmentTree(4).sum(3, 1), ValueError, "range"),
    (lambda m: m.SumSegmentTree(4).sum(0, 5), ValueError, "range"),
    (lambda m: m.SumSegmentTree(4)[4], IndexError, "idx"),
    (lambda m: m.SumSegmentTree(4).get(np.array([-1], np.int64)), IndexError, "idxs"),
    (lambda m: m.ring_insert(np.zeros(4), np.zeros(2, np.float32), 0), TypeError, "src"),
    (lambda m: m.ring_insert(np.zeros((4, 2)), np.zeros((2, 3)), 0), ValueError, "src"),
    (lambda m: m.ring_insert(np.zeros((4, 2))[:, 0], np.zeros(2), 0), ValueError, "dest"),
    (lambda m: m.ring_insert(np.zeros(4), np.zeros(2), 4), ValueError, "start"),
    (lambda m: m.ring_insert(np.zeros(4), np.zeros(2), True), ValueError, "start"),
    (lambda m: m.ring_insert(np.zeros(0), np.zeros(2), 0), ValueError, "dest"),
    (lambda m: m.ring_insert(np.zeros(4, object), np.zeros(2, object), 0), TypeError, "object"),
    (lambda m: m.ring_insert(np.zeros(4), [1.0], 0), TypeError, "src"),
]


@pytest.mark.parametrize("call,exc,match", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_raises_naming_the_argument(impl, call, exc, match):
    with pytest.raises(exc, match=match):
        call(impl)


def test_read_only_dest_is_refused(impl):
    dest = np.zeros(4)
    dest.flags.writeable = False
    with pytest.raises(ValueError, match="dest"):
        impl.ring_insert(dest, np.zeros(1), 0)


def test_read_only_inputs_are_accepted(impl):
    """Arrays that come back from ray.get are read-only: kernels must take them."""
    x = np.ones(3, np.float32)
    x.flags.writeable = False
    assert impl.discount_cumsum(x, 1.0).tolist() == [3.0, 2.0, 1.0]
    src = np.ones(2)
    src.flags.writeable = False
    assert impl.ring_insert(np.zeros(3), src, 0) == 2


@pytest.mark.parametrize("bad", [np.nan, -1.0, np.inf])
def test_prefix_search_rejects_bad_prefix_sums(impl, bad):
    tree = impl.SumSegmentTree(16)
    with pytest.raises(ValueError, match="prefixsums"):
        tree.find_prefixsum_idx(np.array([0.5, bad]))


@pytest.mark.parametrize("capacity", [1, 9, 1000])
def test_proportional_sample_parity(impl, capacity):
    rng = np.random.default_rng(capacity)
    trees = [impl.SumSegmentTree(capacity), _reference.SumSegmentTree(capacity)]
    idxs = np.arange(capacity, dtype=np.int64)
    masses = rng.random(capacity) * (rng.random(capacity) > 0.3)
    masses[0] = 0.5
    for tree in trees:
        tree.update(idxs, masses)
    u = rng.random(200)
    (got_i, got_p), (want_i, want_p) = trees[0].sample(u), trees[1].sample(u)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_p, want_p, rtol=1e-12)  # the twin's total is summed from the leaves
    np.testing.assert_array_equal(got_i, trees[0].find_prefixsum_idx(u * trees[0].sum()))
    np.testing.assert_allclose(got_p, masses[got_i] / masses.sum())
    with pytest.raises(ValueError, match="uniforms"):
        trees[0].sample(np.array([1.0]))


# --- fused prioritized-replay steps: replay_add, replay_sample, replay_update -------------------


def _pair(m, capacity):
    return m.SumSegmentTree(capacity), m.MinSegmentTree(capacity)


def _leaves(tree):
    return tree.get(np.arange(tree.capacity, dtype=np.int64))


def _columns(rng, n):
    return [rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 9, n).astype(np.int64),
            rng.random(n) < 0.5]


@pytest.mark.parametrize("cap,start,n", [(1, 0, 1), (7, 5, 4), (7, 0, 7), (7, 3, 20), (64, 60, 0), (1000, 998, 33)])
def test_replay_add_parity_and_expected_rows(impl, cap, start, n):
    rng = np.random.default_rng(cap * 100 + n)
    src = _columns(rng, n)
    out = []
    for m in (impl, _reference):
        dests = [np.zeros((cap, 4), np.float32), np.zeros(cap, np.int64), np.zeros(cap, bool)]
        s, mn = _pair(m, cap)
        s.update(np.arange(cap, dtype=np.int64), np.full(cap, 0.25))
        mn.update(np.arange(cap, dtype=np.int64), np.full(cap, 0.25))
        assert m.replay_add(dests, src, start, s, mn, 2.0) == n
        out.append((dests, _leaves(s), _leaves(mn), s.sum(), mn.min()))
    (got, got_s, got_m, got_total, got_min), (want, want_s, want_m, want_total, want_min) = out
    kept = range(max(0, n - cap), n)
    slots = [(start + j) % cap for j in kept]
    expected_leaves = np.full(cap, 0.25)
    expected_leaves[slots] = 2.0
    for g, w, column in zip(got, want, src):
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(g[slots], column[list(kept)])
    for leaves in (got_s, got_m, want_s, want_m):
        np.testing.assert_array_equal(leaves, expected_leaves)
    np.testing.assert_allclose(got_total, expected_leaves.sum())
    np.testing.assert_allclose(want_total, expected_leaves.sum())
    assert got_min == want_min == expected_leaves.min()


def test_replay_add_without_trees_is_a_multi_column_ring_insert(impl):
    rng = np.random.default_rng(3)
    src = _columns(rng, 5)
    dests = [np.zeros((4, 4), np.float32), np.zeros(4, np.int64), np.zeros(4, bool)]
    want = [d.copy() for d in dests]
    assert impl.replay_add(dests, src, 2) == 5
    for w, s in zip(want, src):
        impl.ring_insert(w, s, 2)
    for g, w in zip(dests, want):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("cap", [1, 7, 64, 1000])
def test_replay_add_sequence_keeps_every_tree_node_as_the_twin(impl, cap):
    # Adds of random sizes (some wrapping, some larger than the capacity) at random leaf values; the
    # trees' inner nodes are checked through range sums and minima and prefix searches.
    rng = np.random.default_rng(cap)
    trees = []
    for m in (impl, _reference):
        s, mn = _pair(m, cap)
        dests = [np.zeros((cap, 4), np.float32), np.zeros(cap, np.int64), np.zeros(cap, bool)]
        pos, draw = 0, np.random.default_rng(cap + 1)
        for _ in range(12):
            n = int(draw.integers(0, 2 * cap + 2))
            assert m.replay_add(dests, _columns(draw, n), pos, s, mn, float(draw.random() * 3)) == n
            pos = (pos + n) % cap
        trees.append((s, mn, dests))
    (s, mn, got), (ws, wmn, want) = trees
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(_leaves(s), _leaves(ws))
    np.testing.assert_array_equal(_leaves(mn), _leaves(wmn))
    # Inner nodes: equal to those of trees of the same implementation given the leaves in one update.
    fs, fmn = _pair(impl, cap)
    fs.update(np.arange(cap, dtype=np.int64), _leaves(s))
    fmn.update(np.arange(cap, dtype=np.int64), _leaves(mn))
    for a, b in rng.integers(0, cap + 1, (200, 2)):
        a, b = min(a, b), max(a, b)
        assert s.sum(a, b) == fs.sum(a, b) == pytest.approx(ws.sum(a, b), rel=1e-12, abs=1e-12)
        assert mn.min(a, b) == fmn.min(a, b) == wmn.min(a, b)
    p = np.linspace(0.0, s.sum(), 257)[:-1]
    np.testing.assert_array_equal(s.find_prefixsum_idx(p), fs.find_prefixsum_idx(p))


def test_replay_add_takes_equal_dtypes_of_other_buffer_formats_and_empty_rows(impl):
    # np.longlong and np.int64 are equal dtypes with different buffer formats ('q', 'l') on Linux.
    dests = [np.zeros(4, np.int64), np.zeros((4, 0), np.float32)]
    s, mn = _pair(impl, 4)
    src = [np.array([5, 6, 7], np.longlong), np.zeros((3, 0), np.float32)]
    assert impl.replay_add(dests, src, 3, s, mn, 2.0) == 3
    assert dests[0].tolist() == [6, 7, 0, 5]
    assert _leaves(s).tolist() == [2.0, 2.0, 0.0, 2.0] and s.sum() == 6.0 and mn.min() == 2.0


@pytest.mark.parametrize("bad_src", [
    lambda c: [c[0].astype(np.float64), c[1], c[2]],        # another dtype: the caller casts
    lambda c: [c[0][:, :2], c[1], c[2]],                    # another row shape
    lambda c: [c[0][::-1], c[1], c[2]],                     # not C-contiguous
    lambda c: [c[0], c[1][:4], c[2]],                       # unequal row counts
    lambda c: [c[0].tolist(), c[1], c[2]],                  # not an array
])
def test_replay_add_declines_what_does_not_fit_and_writes_nothing(impl, bad_src):
    rng = np.random.default_rng(4)
    src = bad_src(_columns(rng, 5))
    dests = [np.zeros((8, 4), np.float32), np.zeros(8, np.int64), np.zeros(8, bool)]
    s, mn = _pair(impl, 8)
    assert impl.replay_add(dests, src, 0, s, mn, 1.0) == -1
    assert all(not d.any() for d in dests)
    assert s.sum() == 0.0 and mn.min() == np.inf


@pytest.mark.parametrize("call,exc,match", [
    (lambda m: m.replay_add([np.zeros(4)], [np.ones(2)], 4), ValueError, "start"),
    (lambda m: m.replay_add([np.zeros(4)], [np.ones(2), np.ones(2)], 0), ValueError, "srcs"),
    (lambda m: m.replay_add([], [], 0), ValueError, "dests"),
    (lambda m: m.replay_add([np.zeros(4, object)], [np.ones(2)], 0), TypeError, "dests"),
    (lambda m: m.replay_add([np.zeros(4), np.zeros(3)], [np.ones(2), np.ones(2)], 0), ValueError, "dests"),
    (lambda m: m.replay_add([np.zeros(4)], [np.ones(2)], 0, *_pair(m, 5), 1.0), ValueError, "capacity"),
    (lambda m: m.replay_add([np.zeros(4)], [np.ones(2)], 0, *_pair(m, 4), np.nan), ValueError, "value"),
    (lambda m: m.replay_add([np.zeros(4)], [np.ones(2)], 0, m.SumSegmentTree(4), None, 1.0), TypeError, "min_tree"),
    (lambda m: m.replay_sample(m.SumSegmentTree(4), m.MinSegmentTree(4), np.array([0.5]), 0.4), ValueError, "mass"),
    (lambda m: m.replay_sample(*_pair(m, 4), np.array([1.0]), 0.4), ValueError, "uniforms"),
    (lambda m: m.replay_sample(*_pair(m, 4), np.array([0.5]), -1.0), ValueError, "beta"),
    (lambda m: m.replay_sample(m.SumSegmentTree(4), m.MinSegmentTree(5), np.array([0.5]), 0.4), ValueError, "capacity"),
    (lambda m: m.replay_update(*_pair(m, 4), np.array([0]), np.array([1.0]), -0.5, 0, 4), ValueError, "alpha"),
    (lambda m: m.replay_update(*_pair(m, 4), np.array([0]), np.array([1.0]), 0.5, 4, 4), ValueError, "first"),
])
def test_fused_replay_bad_input_raises(impl, call, exc, match):
    with pytest.raises(exc, match=match):
        call(impl)


@pytest.mark.parametrize("capacity,beta", [(1, 0.4), (9, 0.0), (1000, 0.4), (1000, 1.0)])
def test_replay_sample_parity_and_weights(impl, capacity, beta):
    rng = np.random.default_rng(capacity)
    leaves = rng.random(capacity) + 0.01
    out = []
    for m in (impl, _reference):
        s, mn = _pair(m, capacity)
        s.update(np.arange(capacity, dtype=np.int64), leaves)
        mn.update(np.arange(capacity, dtype=np.int64), leaves)
        u = np.random.default_rng(7).random(64)
        out.append(m.replay_sample(s, mn, u, beta))
        np.testing.assert_array_equal(out[-1][0], s.find_prefixsum_idx(u * s.sum()))
    (got_i, got_w), (want_i, want_w) = out
    np.testing.assert_array_equal(got_i, want_i)
    assert got_w.dtype == want_w.dtype == np.float32
    np.testing.assert_allclose(got_w, want_w, rtol=1e-6)
    # written out here: (N P(i))^-beta / max_j (N P(j))^-beta = (leaf_i / min leaf)^-beta
    np.testing.assert_allclose(got_w, (leaves[got_i] / leaves.min()) ** -beta, rtol=1e-6)
    assert (got_w > 0).all() and (got_w <= 1).all()


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_replay_update_parity_and_expected_leaves(impl, alpha):
    rng = np.random.default_rng(int(alpha * 10))
    cap = 50
    idxs = rng.integers(0, 30, 40).astype(np.int64)  # repeats: the last write wins
    prios = rng.random(40) * 3 + 1e-3
    out = []
    for m in (impl, _reference):
        s, mn = _pair(m, cap)
        top = m.replay_update(s, mn, idxs, prios, alpha, 0, 30)
        out.append((top, _leaves(s), _leaves(mn), mn.min()))
    want_leaves = np.zeros(cap)
    for i, p in zip(idxs, prios):
        want_leaves[i] = p ** alpha
    for top, s_leaves, m_leaves, mn_min in out:
        assert top == prios.max()
        np.testing.assert_allclose(s_leaves, want_leaves, rtol=1e-12)
        touched = np.unique(idxs)
        np.testing.assert_allclose(m_leaves[touched], want_leaves[touched], rtol=1e-12)
        np.testing.assert_allclose(mn_min, want_leaves[touched].min(), rtol=1e-12)
    assert out[0][0] == out[1][0]


@pytest.mark.parametrize("alpha", [0.6, 0.5, 1.7, 1.0, 0.0])
def test_replay_update_leaves_within_one_ulp_of_numpy_power(impl, alpha):
    # the native update raises 4 priorities at a time (libmvec's AVX2 pow where the build links it):
    # within 1 ulp of numpy's ``**`` (the twin), over priorities spanning 17 decades and every batch
    # length's last partial vector
    rng = np.random.default_rng(3)
    n = 20_000
    prios = np.exp(rng.uniform(-20, 20, n))
    s, mn = _pair(impl, n)
    done = 0
    for k in (1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33):
        idxs = np.arange(done, done + k, dtype=np.int64)
        impl.replay_update(s, mn, idxs, prios[idxs], alpha, 0, n)
        done += k
    impl.replay_update(s, mn, np.arange(done, n, dtype=np.int64), prios[done:], alpha, 0, n)
    np.testing.assert_array_max_ulp(_leaves(s), prios ** alpha, maxulp=1)
    np.testing.assert_array_max_ulp(_leaves(mn), prios ** alpha, maxulp=1)


def test_replay_cycles_sample_the_twins_indices_with_weights_within_2_ulps(impl):
    # update (vectorized pow) and sample (vectorized powf weights) cycles from the same RNG stream:
    # the leaves' last-ulp differences never move a sampled index; the weights stay within 2 float32
    # ulps of the twin's float64 power rounded once
    cap = 20_000
    data = np.random.default_rng(8)
    trees = [_pair(m, cap) for m in (impl, _reference)]
    gens = [np.random.default_rng(21), np.random.default_rng(21)]
    all_slots = np.arange(cap, dtype=np.int64)
    prios = data.uniform(0.01, 10, cap)
    for (s, mn), m in zip(trees, (impl, _reference)):
        m.replay_update(s, mn, all_slots, prios, 0.6, 0, cap)
    for _ in range(200):
        got = [m.replay_sample(s, mn, 32, 0.4, rng=g) for (s, mn), m, g in zip(trees, (impl, _reference), gens)]
        np.testing.assert_array_equal(got[0][0], got[1][0])
        np.testing.assert_array_max_ulp(got[0][1], got[1][1], maxulp=2)
        td = data.standard_normal(32)
        for (s, mn), m in zip(trees, (impl, _reference)):
            m.replay_update(s, mn, got[0][0], td, 0.6, 0, cap, 1e-6)
    np.testing.assert_array_max_ulp(_leaves(trees[0][0]), _leaves(trees[1][0]), maxulp=1)


@pytest.mark.parametrize("idxs,prios,first,num", [
    (np.array([0, 5]), np.array([1.0, 0.0]), 0, 10),           # priority 0
    (np.array([0, 5]), np.array([1.0, np.nan]), 0, 10),        # NaN
    (np.array([0, 5]), np.array([1.0, np.inf]), 0, 10),        # inf
    (np.array([0, 10]), np.array([1.0, 1.0]), 0, 10),          # not live (slot >= num)
    (np.array([0, 16]), np.array([1.0, 1.0]), 0, 16),          # out of capacity
    (np.array([-1, 0]), np.array([1.0, 1.0]), 0, 16),          # negative
    (np.array([2, 3]), np.array([1.0, 1.0]), 4, 14),           # live items are 4..15, 0, 1
    (np.array([0, 1], np.int32), np.array([1.0, 1.0]), 0, 16),  # not int64: the caller converts
    (np.array([0, 1]), np.array([1.0]), 0, 16),                # unequal lengths
])
def test_replay_update_declines_invalid_and_writes_nothing(impl, idxs, prios, first, num):
    s, mn = _pair(impl, 16)
    assert impl.replay_update(s, mn, idxs, prios, 0.6, first, num) == -1.0
    assert s.sum() == 0.0 and mn.min() == np.inf


def test_replay_update_live_window_wraps(impl):
    s, mn = _pair(impl, 16)
    top = impl.replay_update(s, mn, np.array([14, 15, 0, 1]), np.array([1.0, 2.0, 3.0, 4.0]), 1.0, 14, 4)
    assert top == 4.0
    assert s.get(np.array([14, 15, 0, 1])).tolist() == [1.0, 2.0, 3.0, 4.0]


def _filled_pair(m, leaves):
    """A sum and a min tree of ``m`` whose leaves are ``leaves``."""
    s, mn = _pair(m, len(leaves))
    s.update(np.arange(len(leaves), dtype=np.int64), leaves)
    mn.update(np.arange(len(leaves), dtype=np.int64), leaves)
    return s, mn


def _gather_columns(rng, cap):
    """Columns of every row size the gather copies specially (1, 4, 8, 16 bytes) and of others
    (12 bytes, 2-D rows of 6 bytes, an empty row shape)."""
    return [rng.random(cap) < 0.5, np.ones(cap, np.float32) * np.arange(cap, dtype=np.float32),
            rng.integers(0, 9, cap).astype(np.int64), rng.standard_normal((cap, 4)).astype(np.float32),
            rng.standard_normal((cap, 3)).astype(np.float32), rng.integers(0, 200, (cap, 2, 3)).astype(np.uint8),
            np.zeros((cap, 0), np.float64)]


@pytest.mark.parametrize("capacity,k", [(1, 1), (9, 5), (1000, 64), (1000, 0)])
def test_replay_sample_with_columns_parity_and_rows(impl, capacity, k):
    rng = np.random.default_rng(capacity + k)
    leaves = rng.random(capacity) + 0.01
    cols = _gather_columns(rng, capacity)
    out = []
    for m in (impl, _reference):
        s, mn = _filled_pair(m, leaves)
        u = np.random.default_rng(3).random(k)
        slots, weights, gathered = m.replay_sample(s, mn, u, 0.4, cols)
        plain = m.replay_sample(s, mn, u, 0.4)  # the columns change nothing else
        np.testing.assert_array_equal(slots, plain[0])
        np.testing.assert_array_equal(weights, plain[1])
        out.append((slots, weights, gathered))
    (got_i, got_w, got_c), (want_i, want_w, want_c) = out
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_w, want_w, rtol=1e-6)
    assert len(got_c) == len(want_c) == len(cols)
    for col, got, want in zip(cols, got_c, want_c):
        assert got.dtype == want.dtype == col.dtype and got.shape == want.shape == (k,) + col.shape[1:]
        np.testing.assert_array_equal(got, col[got_i])  # written out: the rows at the slots
        np.testing.assert_array_equal(want, col[got_i])
        assert got.flags.c_contiguous and got.flags.writeable and not np.shares_memory(got, col)


def test_replay_sample_with_no_columns_and_read_only_columns(impl):
    s, mn = _pair(impl, 4)
    s.update(np.arange(4, dtype=np.int64), np.ones(4))
    mn.update(np.arange(4, dtype=np.int64), np.ones(4))
    u = np.array([0.1, 0.9])
    assert impl.replay_sample(s, mn, u, 0.4, [])[2] == []
    ro = np.arange(4.0)
    ro.flags.writeable = False
    assert impl.replay_sample(s, mn, u, 0.4, [ro])[2][0].tolist() == [0.0, 3.0]


@pytest.mark.parametrize("columns,exc,match", [
    ([np.zeros(4), np.zeros(4, object)], TypeError, r"columns\[1\] must be a numeric"),
    ([[0.0, 1.0, 2.0, 3.0]], TypeError, r"columns\[0\] must be a numeric"),
    ([np.zeros(())], TypeError, r"columns\[0\] must be a numeric"),
    ([np.zeros(5)], ValueError, r"columns\[0\] has 5 rows, expected 4"),
    ([np.zeros((4, 2))[:, :1]], ValueError, r"columns\[0\] must be C-contiguous"),
])
def test_replay_sample_refuses_bad_columns(impl, columns, exc, match):
    s, mn = _pair(impl, 4)
    s.update(np.arange(4, dtype=np.int64), np.ones(4))
    mn.update(np.arange(4, dtype=np.int64), np.ones(4))
    with pytest.raises(exc, match=match):
        impl.replay_sample(s, mn, np.array([0.5]), 0.4, columns)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_replay_update_td_errors_parity_and_expected_leaves(impl, dtype):
    rng = np.random.default_rng(5)
    cap, eps, alpha = 40, 1e-3, 0.6
    idxs = rng.integers(0, 30, 50).astype(np.int64)  # repeats: the last write wins
    td = (rng.standard_normal(50) * 2).astype(dtype)
    td[3] = 0.0  # priority eps
    out = []
    for m in (impl, _reference):
        s, mn = _pair(m, cap)
        top = m.replay_update(s, mn, idxs, td, alpha, 0, 30, eps)
        out.append((top, _leaves(s), _leaves(mn)))
    prios = np.abs(td.astype(np.float64)) + eps  # written out: |td| + eps in float64
    want = np.zeros(cap)
    for i, p in zip(idxs, prios):
        want[i] = p ** alpha
    for top, s_leaves, m_leaves in out:
        assert top == prios.max()
        np.testing.assert_allclose(s_leaves, want, rtol=1e-12)
        np.testing.assert_allclose(m_leaves[np.unique(idxs)], want[np.unique(idxs)], rtol=1e-12)
    assert out[0][0] == out[1][0]


@pytest.mark.parametrize("idxs,td,num", [
    (np.array([0, 5]), np.array([1.0, np.nan]), 10),            # NaN
    (np.array([0, 5]), np.array([1.0, -np.inf]), 10),           # inf
    (np.array([0, 10]), np.array([1.0, 1.0]), 10),              # not live
    (np.array([0, 5]), np.array([1, 2], np.int64), 10),         # not float: the caller converts
    (np.array([0, 5]), np.array([[1.0], [2.0]]), 10),           # not 1-D
])
def test_replay_update_td_errors_declines_invalid_and_writes_nothing(impl, idxs, td, num):
    s, mn = _pair(impl, 16)
    assert impl.replay_update(s, mn, idxs, td, 0.6, 0, num, 1e-6) == -1.0
    assert s.sum() == 0.0 and mn.min() == np.inf


@pytest.mark.parametrize("eps", [0.0, -1.0, np.nan, np.inf])
def test_replay_update_refuses_bad_eps(impl, eps):
    with pytest.raises(ValueError, match="eps must be finite and > 0"):
        impl.replay_update(*_pair(impl, 4), np.array([0]), np.array([1.0]), 0.6, 0, 4, eps)


def test_replay_update_without_eps_still_declines_float32(impl):
    s, mn = _pair(impl, 4)
    assert impl.replay_update(s, mn, np.array([0]), np.array([1.0], np.float32), 0.6, 0, 4) == -1.0


# --- record storage (ReplayRecords) and uniforms drawn from a Generator ----------------------------


def _records_spec(cols):
    return [c.dtype for c in cols], [c.shape[1:] for c in cols]


def test_replay_records_layout_and_views(impl):
    cols = _gather_columns(np.random.default_rng(0), 5)  # bool, f32, i64, 4xf32, 3xf32, 2x3 u8, empty f64
    rec = impl.ReplayRecords(5, *_records_spec(cols))
    # by decreasing alignment: i64 0, f64 (0 bytes) 8, f32 8, 4xf32 12, 3xf32 28, bool 40, u8 41 -> 47 -> 48
    assert rec.offsets == (40, 8, 0, 12, 28, 41, 8) and rec.stride == 48 and rec.nbytes == 240
    assert rec.capacity == 5 and len(rec.columns) == len(cols)
    for view, col, off in zip(rec.columns, cols, rec.offsets):
        assert view.dtype == col.dtype and view.shape == col.shape and view.strides[0] == 48
        assert not view.any()  # zeroed
        assert view.ctypes.data % 64 == off  # the records start on a cache line
    rec.columns[3][2] = [1, 2, 3, 4]  # writable views of one block: the other fields are untouched
    assert rec.columns[3][2].tolist() == [1, 2, 3, 4] and not rec.columns[1].any() and not rec.columns[4].any()
    small = impl.ReplayRecords(3, [np.bool_], [()])
    assert small.stride == 1 and small.offsets == (0,)
    assert impl.ReplayRecords(2, [np.float32, np.int16], [(3,), ()]).stride == 16  # 12 + 2 -> 14 -> 16


@pytest.mark.parametrize("args,exc,match", [
    ((0, [np.float32], [()]), ValueError, r"capacity must be an int >= 1, got 0"),
    ((4, [], []), ValueError, r"dtypes and row_shapes must have the same length >= 1, got 0 and 0"),
    ((4, [np.float32], [(), ()]), ValueError, r"same length >= 1, got 1 and 2"),
    ((4, [np.float32, object], [(), ()]), TypeError, r"dtypes\[1\] must be a plain numeric dtype, got object"),
    ((4, ["U3"], [()]), TypeError, r"dtypes\[0\] must be a plain numeric dtype"),
    ((4, [np.float32], [(2, -1)]), ValueError, r"row_shapes\[0\] must be a tuple of ints >= 0, got \(2, -1\)"),
])
def test_replay_records_refuses_bad_specs(impl, args, exc, match):
    with pytest.raises(exc, match=match):
        impl.ReplayRecords(*args)


@pytest.mark.parametrize("cap,start,n", [(7, 0, 3), (7, 5, 4), (7, 2, 7), (7, 3, 12), (1, 0, 3)])
def test_replay_add_into_records_parity_with_columns(impl, cap, start, n):
    rng = np.random.default_rng(cap * 100 + start * 10 + n)
    srcs = _gather_columns(rng, n)
    rec = impl.ReplayRecords(cap, *_records_spec(srcs))
    plain = [np.zeros((cap,) + s.shape[1:], s.dtype) for s in srcs]
    trees = [_pair(m, cap) for m in (impl, _reference)]
    assert impl.replay_add(rec, srcs, start, *trees[0], 0.5) == n
    assert _reference.replay_add(plain, srcs, start, *trees[1], 0.5) == n
    for view, want in zip(rec.columns, plain):
        np.testing.assert_array_equal(view, want)
    for got, want in zip(trees[0], trees[1]):
        np.testing.assert_array_equal(_leaves(got), _leaves(want))
        assert got.reduce() == want.reduce()


@pytest.mark.parametrize("bad_src", [
    lambda s: [s[0].astype(np.int8)] + s[1:],  # another dtype
    lambda s: s[:3] + [s[3][:, :2]] + s[4:],  # another row shape
    lambda s: s[:2] + [s[2][::-1]] + s[3:],  # strided
    lambda s: s[:1] + [s[1][:-1]] + s[2:],  # unequal rows
    lambda s: s[:1] + [s[1].tolist()] + s[2:],  # not an array
    lambda s: s[:3] + [s[3].reshape(-1)] + s[4:],  # another ndim
])
def test_replay_add_into_records_declines_misfits_and_writes_nothing(impl, bad_src):
    srcs = _gather_columns(np.random.default_rng(1), 4)
    rec = impl.ReplayRecords(6, *_records_spec(srcs))
    s, mn = _pair(impl, 6)
    assert impl.replay_add(rec, bad_src(srcs), 2, s, mn, 1.0) == -1
    assert not any(v.any() for v in rec.columns) and s.reduce() == 0.0


@pytest.mark.parametrize("call,exc,match", [
    (lambda m, r, s, mn: m.replay_add(r, [np.zeros(2)], 0), ValueError, r"srcs has 1 columns, expected 2"),
    (lambda m, r, s, mn: m.replay_add(r, [np.zeros(2), np.zeros(2)], 4), ValueError, r"start must be an int in \[0, 4\)"),
    (lambda m, r, s, mn: m.replay_add(r, [np.zeros(2), np.zeros(2)], 0, s), TypeError, r"sum_tree and min_tree"),
    (lambda m, r, s, mn: m.replay_add(r, [np.zeros(2), np.zeros(2)], 0, *_pair(m, 5)), ValueError,
     r"the trees have capacity 5, expected 4"),
    (lambda m, r, s, mn: m.replay_add(r, [np.zeros(2), np.zeros(2)], 0, s, mn, -1.0), ValueError,
     r"value must be finite and >= 0"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, np.array([0.5]), 0.4, m.ReplayRecords(5, [np.float64], [()])),
     ValueError, r"columns has capacity 5, expected 4 \(the trees' capacity\)"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 3, 0.4, r, rng=np.random.RandomState(0)), TypeError,
     r"rng must be a numpy.random.Generator, got RandomState"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 0, 0.4, r, rng=np.random.default_rng(0)), ValueError,
     r"uniforms must be an int >= 1, got 0"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, np.array([0.5]), 0.4, r, rng=np.random.default_rng(0)), ValueError,
     r"uniforms must be an int >= 1"),
])
def test_replay_records_and_rng_bad_input_raises(impl, call, exc, match):
    rec = impl.ReplayRecords(4, [np.float64, np.int64], [(), ()])
    s, mn = _pair(impl, 4)
    s.update(np.arange(4, dtype=np.int64), np.ones(4))
    mn.update(np.arange(4, dtype=np.int64), np.ones(4))
    with pytest.raises(exc, match=match):
        call(impl, rec, s, mn)


def _sample_records_with_rng(m, leaves, cols, k):
    """``m``'s replay_sample of k rows from ReplayRecords holding ``cols``, uniforms drawn from a
    Generator; checked against the same draws given as uniforms and the plain columns' gather."""
    s, mn = _filled_pair(m, leaves)
    rec = m.ReplayRecords(len(leaves), *_records_spec(cols))
    assert m.replay_add(rec, cols, 0) == len(leaves)
    gen = np.random.default_rng(11)
    got = m.replay_sample(s, mn, k, 0.4, rec, rng=gen)
    want = m.replay_sample(s, mn, np.random.default_rng(11).random(k), 0.4, cols)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    for a, b, col in zip(got[2], want[2], cols):
        assert a.dtype == col.dtype and a.shape == (k,) + col.shape[1:] and a.flags.c_contiguous
        np.testing.assert_array_equal(a, b)
        assert not np.shares_memory(a, rec.columns[0])
    follow = np.random.default_rng(11)
    follow.random(k)
    assert gen.random() == follow.random()  # advanced as rng.random(k) advances it
    assert len(m.replay_sample(s, mn, k, 0.4, rng=gen)) == 2  # rng without columns
    return got


@pytest.mark.parametrize("capacity,k", [(1, 1), (9, 5), (1000, 64), (1000, 300)])
def test_replay_sample_from_records_with_rng_parity(impl, capacity, k):
    data = np.random.default_rng(capacity + k)
    leaves = data.random(capacity) + 0.01
    cols = _gather_columns(data, capacity)
    native, twin = (_sample_records_with_rng(m, leaves, cols, k) for m in (impl, _reference))
    np.testing.assert_array_equal(native[0], twin[0])
    np.testing.assert_allclose(native[1], twin[1], rtol=1e-6)
    for a, b in zip(native[2], twin[2]):
        np.testing.assert_array_equal(a, b)


def test_replay_sample_with_rng_draws_nothing_when_it_raises(impl):
    s, mn = _pair(impl, 4)  # no mass
    gen = np.random.default_rng(3)
    with pytest.raises(ValueError, match="no mass"):
        impl.replay_sample(s, mn, 2, 0.4, rng=gen)
    assert gen.random() == np.random.default_rng(3).random()


# --- records with names: a dict of sources by name, the sample set into a dict, ring slots ----------

_NAMES = ("flag", "x", "action", "obs", "pos", "img", "none")  # one per _gather_columns column


def test_replay_records_names(impl):
    cols = _gather_columns(np.random.default_rng(0), 3)
    assert impl.ReplayRecords(3, *_records_spec(cols)).names is None
    assert impl.ReplayRecords(3, *_records_spec(cols), list(_NAMES)).names == _NAMES
    for bad in (_NAMES[:-1], _NAMES[:-1] + ("x",), _NAMES[:-1] + (7,)):
        with pytest.raises(ValueError, match=r"names must be 7 distinct str \(one per field\)"):
            impl.ReplayRecords(3, *_records_spec(cols), bad)


class _LyingDict(dict):
    def __getitem__(self, key):  # the records read a dict's own entries, never this
        return np.zeros(1)


@pytest.mark.parametrize("make", [dict, _LyingDict])
@pytest.mark.parametrize("cap,start,n", [(7, 5, 4), (7, 3, 12)])
def test_replay_add_records_by_name_parity(impl, make, cap, start, n):
    srcs = _gather_columns(np.random.default_rng(cap + n), n)
    got, want = impl.ReplayRecords(cap, *_records_spec(srcs), _NAMES), _reference.ReplayRecords(cap, *_records_spec(srcs))
    trees = [_pair(m, cap) for m in (impl, _reference)]
    by_name = make(zip(reversed(_NAMES), reversed(srcs)))  # the dict's order does not matter
    assert impl.replay_add(got, by_name, start, *trees[0], 0.25) == n
    assert _reference.replay_add(want, srcs, start, *trees[1], 0.25) == n
    for a, b in zip(got.columns, want.columns):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_leaves(trees[0][0]), _leaves(trees[1][0]))
    assert trees[0][1].reduce() == trees[1][1].reduce() == 0.25


@pytest.mark.parametrize("change", [
    lambda d: d.pop("x"),  # a name missing
    lambda d: d.update(extra=np.zeros(4)),  # another key
    lambda d: (d.pop("x"), d.update(extra=np.zeros(4))),  # as many keys, one of them another
    lambda d: d.update(x=d["x"].astype(np.float64)),  # another dtype: the general path casts it
])
def test_replay_add_records_by_name_declines_misfits(impl, change):
    srcs = _gather_columns(np.random.default_rng(2), 4)
    rec = impl.ReplayRecords(6, *_records_spec(srcs), _NAMES)
    s, mn = _pair(impl, 6)
    by_name = dict(zip(_NAMES, srcs))
    change(by_name)
    assert impl.replay_add(rec, by_name, 1, s, mn, 1.0) == -1
    assert not any(v.any() for v in rec.columns) and s.reduce() == 0.0
    with pytest.raises(ValueError, match=r"start must be an int in \[0, 6\)"):  # checked before the keys
        impl.replay_add(rec, by_name, 6, s, mn, 1.0)


def _named_records(m, leaves, cols):
    """``m``'s trees holding ``leaves`` and ReplayRecords (with _NAMES) holding ``cols``."""
    rec = m.ReplayRecords(len(leaves), *_records_spec(cols), _NAMES)
    assert m.replay_add(rec, cols, 0) == len(leaves)
    return (*_filled_pair(m, leaves), rec)


@pytest.mark.parametrize("capacity,k", [(9, 5), (1000, 64), (3000, 1500)])  # k >= 1024: without the GIL
def test_replay_sample_into_out_parity(impl, capacity, k):
    data = np.random.default_rng(capacity + k)
    leaves, cols = data.random(capacity) + 0.01, _gather_columns(data, capacity)
    results = []
    for m in (impl, _reference):
        s, mn, rec = _named_records(m, leaves, cols)
        out = _LyingDict(stale=1)
        assert m.replay_sample(s, mn, k, 0.4, rec, np.random.default_rng(3), out) is out
        assert list(out) == ["stale", *_NAMES, "weights", "batch_indexes"]
        slots, weights, rows = m.replay_sample(s, mn, k, 0.4, rec, np.random.default_rng(3))
        np.testing.assert_array_equal(dict.__getitem__(out, "batch_indexes"), slots)
        np.testing.assert_array_equal(dict.__getitem__(out, "weights"), weights)
        for name, row, col in zip(_NAMES, rows, cols):
            got = dict.__getitem__(out, name)
            assert got.dtype == col.dtype and got.shape == (k,) + col.shape[1:] and got.flags.c_contiguous
            assert got.flags.writeable and not any(np.shares_memory(got, c) for c in rec.columns)
            np.testing.assert_array_equal(got, row)
            np.testing.assert_array_equal(got, col[slots])
        results.append(dict(out))
    for key in (*_NAMES, "batch_indexes"):
        np.testing.assert_array_equal(results[0][key], results[1][key])
    np.testing.assert_allclose(results[0]["weights"], results[1]["weights"], rtol=1e-6)


def test_replay_sample_and_ring_add_return_arrays_of_their_own(impl):
    # every column of a sampled batch, its weights and batch_indexes, and the slots of a ring add are
    # separate arrays owning their data, of numpy's own dtypes: none shares memory with another or
    # with the records, each resizes alone
    data = np.random.default_rng(5)
    leaves, cols = data.random(40) + 0.01, _gather_columns(data, 40)
    s, mn, rec = _named_records(impl, leaves, cols)
    out = impl.replay_sample(s, mn, 6, 0.4, rec, np.random.default_rng(1), dict)
    ring = impl.ReplayRing(40)
    ring.reset(0, 0, rec)
    arrays = [*out.values(), ring.add(cols, s, mn, 1.0)[1]]
    for a in arrays:
        assert a.flags.owndata and a.base is None and a.dtype is np.dtype(a.dtype.char)
        assert not any(np.shares_memory(a, c) for c in rec.columns)
        assert sum(np.shares_memory(a, b) for b in arrays) == (a.nbytes > 0)
    for a in arrays:
        before = a.copy()
        a.resize((a.shape[0] + 3,) + a.shape[1:], refcheck=False)
        np.testing.assert_array_equal(a[:len(before)], before)


def test_replay_sample_from_records_of_foreign_byte_order(impl):
    cols = [np.arange(6, dtype=">f4"), np.arange(12, dtype="<i8").reshape(6, 2)]
    rec = impl.ReplayRecords(6, *_records_spec(cols), ["a", "b"])
    assert impl.replay_add(rec, cols, 0) == 6
    s, mn = _filled_pair(impl, np.ones(6))
    out = impl.replay_sample(s, mn, 4, 0.4, rec, np.random.default_rng(0), {})
    assert out["a"].dtype == np.dtype(">f4") and out["b"].shape == (4, 2)
    np.testing.assert_array_equal(out["a"], cols[0][out["batch_indexes"]])
    np.testing.assert_array_equal(out["b"], cols[1][out["batch_indexes"]])


@pytest.mark.parametrize("call,exc,match", [
    (lambda m, r, s, mn: m.replay_sample(s, mn, 2, 0.4, r, np.random.default_rng(0), []), TypeError,
     r"out must be a dict or a subclass of dict, got \[\]"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 2, 0.4, r, np.random.default_rng(0), list), TypeError,
     r"out must be a dict or a subclass of dict, got <class 'list'>"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 2, 0.4, r, np.random.default_rng(0), {}, {}), ValueError,
     r"attrs needs out to be a subclass of dict"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 2, 0.4, r, np.random.default_rng(0), _Flagged, [1]), TypeError,
     r"attrs must be a dict, got list"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 2, 0.4, r, np.random.default_rng(0), dict, {"x": 1}),
     AttributeError, r"__dict__"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 2, 0.4, m.ReplayRecords(4, [np.float64], [()]),
                                         np.random.default_rng(0), {}), ValueError,
     r"out needs columns to be a ReplayRecords with names"),
    (lambda m, r, s, mn: m.replay_sample(s, mn, 2, 0.4, [np.zeros(4)], np.random.default_rng(0), {}), ValueError,
     r"out needs columns to be a ReplayRecords with names"),
])
def test_replay_sample_out_bad_input_raises_before_drawing(impl, call, exc, match):
    rec = impl.ReplayRecords(4, [np.float64, np.int64], [(), ()], ["a", "b"])
    s, mn = _filled_pair(impl, np.ones(4))
    with pytest.raises(exc, match=match):
        call(impl, rec, s, mn)


class _Flagged(dict):
    """A dict type with instance attributes and an __init__ (which replay_sample does not call)."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("__init__ called")


@pytest.mark.parametrize("attrs", [None, {"is_training": None, "zero_padded": False}])
def test_replay_sample_makes_a_new_out_of_a_dict_type(impl, attrs):
    # out a dict type: a new instance per call (type.__new__, no __init__), its __dict__ a copy of attrs,
    # filled as a given dict is
    data = np.random.default_rng(4)
    leaves, cols = data.random(50) + 0.01, _gather_columns(data, 50)
    s, mn, rec = _named_records(impl, leaves, cols)
    got = [impl.replay_sample(s, mn, 6, 0.4, rec, np.random.default_rng(5), _Flagged, attrs) for _ in range(2)]
    want = impl.replay_sample(s, mn, 6, 0.4, rec, np.random.default_rng(5), {})
    assert type(got[0]) is _Flagged and got[0] is not got[1]
    assert vars(got[0]) == (attrs or {}) and vars(got[0]) is not attrs and vars(got[0]) is not vars(got[1])
    vars(got[0])["x"] = 1
    assert "x" not in (attrs or {}) and "x" not in vars(got[1])
    for out in got:
        assert list(out) == list(want)
        for key in want:
            np.testing.assert_array_equal(dict.__getitem__(out, key), want[key])


@pytest.mark.parametrize("start,n,cap,want", [
    (2, 3, 8, [2, 3, 4]), (6, 3, 8, [6, 7, 0]), (1, 5, 3, [0, 1, 2]), (0, 0, 4, []), (3, 9, 4, [0, 1, 2, 3]),
    (np.int64(5), 2, 6, [5, 0]), (np.int64(1), np.int64(2), np.int64(4), [1, 2]), (5, 2**40, 7, list(range(7))),
])
def test_replay_slots(impl, start, n, cap, want):
    got = impl.replay_slots(start, n, cap)
    assert got.dtype == np.int64 and got.tolist() == want


@pytest.mark.parametrize("args,match", [
    ((0, 1, 0), r"capacity must be an int >= 1, got 0"), ((0, -1, 4), r"n must be an int >= 0, got -1"),
    ((4, 1, 4), r"start must be an int in \[0, 4\), got 4"), ((True, 1, 4), r"start must be an int in \[0, 4\)"),
    ((-1, 1, 4), r"start must be an int in \[0, 4\), got -1"), ((2**70, 1, 4), r"start must be an int in \[0, 4\)"),
    ((1.0, 1, 4), r"start must be an int in \[0, 4\), got 1.0"), ((0, True, 4), r"n must be an int >= 0, got True"),
    ((0, 1, True), r"capacity must be an int >= 1, got True"),
])
def test_replay_slots_refuses_bad_input(impl, args, match):
    with pytest.raises(ValueError, match=match):
        impl.replay_slots(*args)


def test_replay_update_large_batch_and_foreign_byte_order(impl):
    rng = np.random.default_rng(9)
    idxs = rng.integers(0, 3000, 2000).astype(np.int64)  # k >= 1024: without the GIL
    prios = rng.random(2000) + 0.1
    trees = [_pair(m, 3000) for m in (impl, _reference)]
    for m, (s, mn) in zip((impl, _reference), trees):
        assert m.replay_update(s, mn, idxs, prios, 0.6, 0, 3000) == prios.max()
    np.testing.assert_allclose(_leaves(trees[0][0]), _leaves(trees[1][0]), rtol=1e-13)  # pow and ** within an ulp
    np.testing.assert_allclose(_leaves(trees[0][1]), _leaves(trees[1][1]), rtol=1e-13)
    s, mn = _pair(impl, 8)
    assert impl.replay_update(s, mn, np.array([1], ">i8"), np.array([1.0]), 0.6, 0, 8) == -1.0
    assert impl.replay_update(s, mn, np.array([1]), np.array([1.0], ">f8"), 0.6, 0, 8) == -1.0
    assert s.sum() == 0.0


def _ring_with_records(m, cap, names=("a", "b", "c"), dict_types=(dict,)):
    ring = m.ReplayRing(cap, dict_types)
    ring.reset(0, 0, m.ReplayRecords(cap, [np.float32, np.int64, np.bool_], [(2,), (), ()], names))
    return ring


def _ring_batch(rng, n):
    return {"a": rng.standard_normal((n, 2)).astype(np.float32), "b": rng.integers(0, 9, n), "c": rng.random(n) < 0.5}


@pytest.mark.parametrize("cap", [1, 7, 64])
def test_replay_ring_add_writes_advances_and_returns_the_slots(impl, cap):
    # one call writes the rows from pos (by name or from a list), sets the kept rows' leaves, advances
    # pos/size and returns (n, slots); a misfit returns None and moves nothing; as the twin
    data = np.random.default_rng(cap)
    sizes = [3, 0, 5, cap + 2, 1, 2 * cap, 4]
    batches = [_ring_batch(data, n) for n in sizes]
    runs = []
    for m in (impl, _reference):
        ring, (s, mn) = _ring_with_records(m, cap), _pair(m, cap)
        seen = []
        for j, batch in enumerate(batches):
            pos, size = ring.pos, ring.size
            src = [batch[k] for k in "abc"] if j % 2 else batch
            n, slots = ring.add(src, s, mn, 0.5 + j)
            assert n == sizes[j] and slots.dtype == np.int64
            np.testing.assert_array_equal(slots, m.replay_slots(pos, n, cap))
            assert (ring.pos, ring.size) == ((pos + n) % cap, min(cap, size + n))
            for k, col in zip("abc", ring.records.columns):
                np.testing.assert_array_equal(col[slots], batch[k][n - len(slots):])
            np.testing.assert_array_equal(_leaves(s)[slots], np.full(len(slots), 0.5 + j))
            bad = dict(batch, b=batch["b"].astype(np.int32))  # another dtype: declined
            assert ring.add(bad, s, mn, 9.0) is None and (ring.pos, ring.size) == ((pos + n) % cap, min(cap, size + n))
            seen.append((ring.pos, ring.size, slots))
        runs.append((seen, [c.copy() for c in ring.records.columns], _leaves(s), _leaves(mn)))
    for (pos0, size0, slots0), (pos1, size1, slots1) in zip(runs[0][0], runs[1][0]):
        assert (pos0, size0) == (pos1, size1)
        np.testing.assert_array_equal(slots0, slots1)
    (_, cols0, sum0, min0), (_, cols1, sum1, min1) = runs
    for x, y in zip(cols0 + [sum0, min0], cols1 + [sum1, min1]):
        np.testing.assert_array_equal(x, y)


def test_replay_ring_declines_what_it_cannot_read_and_advances_by_hand(impl):
    data = np.random.default_rng(0)
    batch = _ring_batch(data, 3)

    class Plain(dict):
        pass

    class Other(dict):
        pass

    bare = impl.ReplayRing(5)
    assert bare.add(batch) is None and bare.records is None  # no records yet
    unnamed = _ring_with_records(impl, 5, names=None)
    assert unnamed.add(batch) is None  # records without names: no dict by name
    assert unnamed.add([batch[k] for k in "abc"])[0] == 3
    ring = _ring_with_records(impl, 5, dict_types=(Plain,))
    assert ring.dict_types == (Plain,)
    assert ring.add(Other(batch)) is None  # a dict type not listed
    assert ring.add(dict(batch, d=batch["b"])) is None  # another key
    assert (ring.pos, ring.size) == (0, 0)
    assert ring.add(Plain(batch))[0] == 3 and ring.add(batch)[0] == 3
    assert (ring.pos, ring.size) == (1, 5)
    assert ring.advance(3) == 1 and (ring.pos, ring.size) == (4, 5)
    assert ring.advance(0) == 4
    ring.reset(2, 3, ring.records)
    assert (ring.pos, ring.size) == (2, 3)


@pytest.mark.parametrize("call,exc,match", [
    (lambda m: m.ReplayRing(0), ValueError, "capacity must be an int >= 1"),
    (lambda m: m.ReplayRing(4, (list,)), TypeError, "dict_types must hold dict"),
    (lambda m: m.ReplayRing(4).reset(4, 0), ValueError, r"pos must be an int in \[0, 4\)"),
    (lambda m: m.ReplayRing(4).reset(-1, 0), ValueError, "pos must be an int >= 0"),
    (lambda m: m.ReplayRing(4).reset(0, 5), ValueError, r"size must be an int in \[0, 4\]"),
    (lambda m: m.ReplayRing(4).reset(0, 0, m.ReplayRecords(5, [np.int64], [()])), TypeError,
     "records must be None or a ReplayRecords of capacity 4"),
    (lambda m: m.ReplayRing(4).advance(-2), ValueError, "n must be an int >= 0"),
    (lambda m: _ring_with_records(m, 4).add([np.zeros((1, 2), np.float32)]), ValueError,
     "srcs has 1 columns, expected 3"),
    (lambda m: _ring_with_records(m, 4).add(_ring_batch(np.random.default_rng(0), 2), *_pair(m, 4), -1.0),
     ValueError, "value must be finite and >= 0"),
    (lambda m: _ring_with_records(m, 4).add(_ring_batch(np.random.default_rng(0), 2), *_pair(m, 5), 1.0),
     ValueError, "the trees have capacity 5, expected 4"),
])
def test_replay_ring_bad_input_raises(impl, call, exc, match):
    with pytest.raises(exc, match=match):
        call(impl)


def test_replay_update_records_max_priority_and_count_in_stats(impl):
    # the write's largest priority raises stats.max_priority (never lowers it) and its k counts, in the
    # same call; a declined or empty update records nothing; as the twin
    for m in (impl, _reference):
        s, mn = _pair(m, 8)
        stats = m.ReplayPriorityStats()
        assert (stats.max_priority, stats.num_updates) == (1.0, 0)
        assert m.replay_update(s, mn, np.array([1, 2]), np.array([0.5, 3.0]), 0.6, 0, 8, None, stats) == 3.0
        assert (stats.max_priority, stats.num_updates) == (3.0, 2)
        assert m.replay_update(s, mn, np.array([4]), np.array([-0.25]), 0.6, 0, 8, 0.25, stats) == 0.5
        assert (stats.max_priority, stats.num_updates) == (3.0, 3)
        assert m.replay_update(s, mn, np.array([4, 9]), np.array([1.0, 5.0]), 0.6, 0, 8, None, stats) == -1.0
        assert m.replay_update(s, mn, np.zeros(0, np.int64), np.zeros(0), 0.6, 0, 8, None, stats) == 0.0
        assert (stats.max_priority, stats.num_updates) == (3.0, 3)
        stats.record(7.0, 0)
        stats.record(2.0, 5)
        assert (stats.max_priority, stats.num_updates) == (7.0, 8)
        stats.reset(0.5, 1)
        assert (stats.max_priority, stats.num_updates) == (0.5, 1)


@pytest.mark.parametrize("call,exc,match", [
    (lambda m: m.ReplayPriorityStats(0.0), ValueError, "max_priority must be finite and > 0"),
    (lambda m: m.ReplayPriorityStats(np.inf), ValueError, "max_priority must be finite and > 0"),
    (lambda m: m.ReplayPriorityStats(1.0, -1), ValueError, "num_updates must be an int >= 0"),
    (lambda m: m.ReplayPriorityStats().record(np.nan, 1), ValueError, "priority must be finite and >= 0"),
    (lambda m: m.ReplayPriorityStats().record(1.0, -1), ValueError, "n must be an int >= 0"),
    (lambda m: m.replay_update(*_pair(m, 4), np.array([0]), np.array([1.0]), 0.6, 0, 4, None, {}), TypeError, "stats"),
])
def test_replay_priority_stats_bad_input_raises(impl, call, exc, match):
    with pytest.raises(exc, match=match):
        call(impl)


@pytest.mark.parametrize("cap", [9, 1000, 40_000])
def test_replay_update_sequence_keeps_every_tree_node_as_one_tree_update(impl, cap):
    # replay_update recomputes both trees' nodes in one pass (native: AVX2 sum and min of each node pair
    # where the CPU has it); the inner nodes must equal those of the one-tree update of the same leaves,
    # bit for bit (range sums, minima, prefix searches)
    rng = np.random.default_rng(cap)
    s, mn = _pair(impl, cap)
    everything = np.arange(cap, dtype=np.int64)
    impl.replay_update(s, mn, everything, rng.uniform(0.01, 5, cap), 0.6, 0, cap)
    for _ in range(40):
        k = int(rng.integers(1, 70))
        idxs = rng.integers(0, cap, k).astype(np.int64)
        impl.replay_update(s, mn, idxs, rng.standard_normal(k), 0.6, 0, cap, 1e-3)
    fs, fmn = _pair(impl, cap)
    fs.update(everything, _leaves(s))
    fmn.update(everything, _leaves(mn))
    for a, b in rng.integers(0, cap + 1, (300, 2)):
        a, b = min(a, b), max(a, b)
        assert s.sum(a, b) == fs.sum(a, b) and mn.min(a, b) == fmn.min(a, b)
    assert s.sum() == fs.sum() and mn.min() == fmn.min()
    p = np.linspace(0.0, s.sum(), 513)[:-1]
    np.testing.assert_array_equal(s.find_prefixsum_idx(p), fs.find_prefixsum_idx(p))


# --- PrioritizedReplayCore: a prioritized buffer's add / sample / update_td_errors in one call ------

class _CoreStorage:
    """What the core reads of a ColumnStorage: ``sample_records`` and (records without names) ``write_exact``."""

    def __init__(self, ring, sample_records):
        self.ring, self.sample_records, self.written = ring, sample_records, []

    def write_exact(self, batch, sum_tree, min_tree, leaf):
        self.written.append(leaf)
        return None


class _OutBatch(dict):
    pass


def _core_buffer(m, cap, *, items=False, names=("a", "b", "c"), sampled=True):
    class Buf(m.PrioritizedReplayCore):
        def _add_general(self, batch, unit_lens, priorities):
            self.general.append(("add", unit_lens, priorities))
            return "add"

        def _sample_general(self, n, beta):
            self.general.append(("sample", n, beta))
            return "sample"

        def _update_general(self, idxes, td_errors):
            self.general.append(("update", len(idxes)))

    buf = Buf()
    buf.general = []
    buf._ring = _ring_with_records(m, cap, names=names)
    buf._storage = _CoreStorage(buf._ring, buf._ring.records if sampled else None)
    buf._sum, buf._min = _pair(m, cap)
    buf._stats = m.ReplayPriorityStats()
    buf._rng = np.random.default_rng(cap)
    buf.alpha, buf.beta, buf.eps = 0.6, 0.4, 1e-6
    buf._items = items
    buf._added_count = buf._sampled_count = 0
    buf._batch_type, buf._batch_attrs = _OutBatch, {"flag": 1}
    return buf


@pytest.mark.parametrize("cap", [5, 64, 1000])
def test_prioritized_core_cycles_parity(impl, cap):
    # add (at max_priority ** alpha), sample (uniforms from the buffer's rng, rows, weights and slots in a
    # new batch of _batch_type with a copy of _batch_attrs) and update_td_errors (|td| + eps ** alpha,
    # recorded in _stats), each without the general path; the twin's indices exactly, its weights and
    # leaves within float rounding
    data = np.random.default_rng(cap + 1)
    batches = [_ring_batch(data, n) for n in (3, 1, 2 * cap, 32, 7)]
    tds = [data.standard_normal(8).astype(dt) for dt in (np.float64, np.float32, np.float64, np.float64, np.float32)]
    runs = []
    for m in (impl, _reference):
        buf, seen = _core_buffer(m, cap), []
        for j, (batch, td) in enumerate(zip(batches, tds)):
            slots = buf.add(batch)
            np.testing.assert_array_equal(slots, m.replay_slots((buf._ring.pos - len(batch["b"])) % cap,
                                                                len(batch["b"]), cap))
            out = buf.sample(8, None if j % 2 else 0.7)
            assert type(out) is _OutBatch and vars(out) == {"flag": 1} and vars(out) is not buf._batch_attrs
            assert sorted(out) == ["a", "b", "batch_indexes", "c", "weights"]
            idx = out["batch_indexes"]
            for k, col in zip("abc", buf._ring.records.columns):
                np.testing.assert_array_equal(out[k], col[idx])
            assert buf.update_td_errors(idx, td) is None
            leaves = _leaves(buf._sum)
            want = (np.abs(td.astype(np.float64)) + 1e-6) ** 0.6
            last = {int(i): w for i, w in zip(idx, want)}  # the last write of a slot wins
            np.testing.assert_allclose(leaves[list(last)], list(last.values()), rtol=1e-15)
            seen.append((slots, idx, out["weights"], leaves, buf._stats.max_priority, buf._stats.num_updates))
        assert buf.general == [] and buf._storage.written == []
        assert (buf._added_count, buf._sampled_count) == (sum(len(b["b"]) for b in batches), 8 * len(batches))
        assert buf._add_exact(batches[0]) == 3 and buf._added_count == sum(len(b["b"]) for b in batches) + 3
        runs.append(seen)
    for got, twin in zip(*runs):
        for x, y in zip(got[:2], twin[:2]):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_allclose(got[2], twin[2], rtol=3e-7)
        np.testing.assert_allclose(got[3], twin[3], rtol=3e-16)
        assert got[4:] == twin[4:]


def test_prioritized_core_hands_what_it_does_not_take_to_the_general_paths(impl):
    data = np.random.default_rng(0)
    batch = _ring_batch(data, 4)
    for m in (impl, _reference):
        buf = _core_buffer(m, 8)
        assert buf.sample(2) == "sample"  # empty
        assert buf.add(batch, priorities=[1.0] * 4) == "add" and buf.add(batch, unit_lens=[4]) == "add"
        assert buf.add(dict(batch, b=batch["b"].astype(np.int32))) == "add"  # a dtype to cast
        assert buf._add_exact(dict(batch, d=batch["b"])) == -1
        assert buf._ring.size == 0 and buf._added_count == 0
        buf.add(batch)
        for n, beta in [(np.int64(2), None), (0, None), (2.0, None), (2, 1), (2, -1.0), (2, float("inf"))]:
            assert buf.sample(n, beta) == "sample"
        buf.beta = 1  # not a float: converted by the general path
        assert buf.sample(2) == "sample"
        buf.beta = 0.4
        idx = np.array([0, 3])
        buf.update_td_errors(idx.tolist(), np.ones(2))  # a list
        buf.update_td_errors(idx, np.ones(2, np.int64))  # ints
        buf.update_td_errors(np.array([0, 5]), np.ones(2))  # slot 5 not held (4 rows)
        buf.update_td_errors(idx, np.array([1.0, np.nan]))
        assert buf._stats.num_updates == 0 and buf._sampled_count == 0
        assert buf.general == [
            ("sample", 2, None), ("add", None, [1.0] * 4), ("add", [4], None), ("add", None, None),
            ("sample", np.int64(2), None), ("sample", 0, None), ("sample", 2.0, None), ("sample", 2, 1),
            ("sample", 2, -1.0), ("sample", 2, float("inf")), ("sample", 2, None),
            ("update", 2), ("update", 2), ("update", 2), ("update", 2)]
        items = _core_buffer(m, 8, items=True)
        assert items.add(batch) == "add" and items.sample(1) == "sample"
        items.update_td_errors(idx, np.ones(2))
        assert items.general == [("add", None, None), ("sample", 1, None), ("update", 2)]
        unsampled = _core_buffer(m, 8, sampled=False)  # no sample_records (e.g. object columns)
        unsampled.add(batch)
        assert unsampled.sample(2) == "sample" and unsampled.general == [("sample", 2, None)]
        unnamed = _core_buffer(m, 8, names=None)  # write_exact is the storage's (not the ring's add)
        assert unnamed.add(batch) == "add" and unnamed._storage.written == [1.0]
        assert unnamed._add_exact(batch) == -1 and unnamed._storage.written == [1.0, 1.0]


def test_prioritized_core_unset_raises(impl):
    class Bare(impl.PrioritizedReplayCore):
        pass

    for call in (lambda b: b.add({}), lambda b: b._add_exact({}), lambda b: b.sample(1),
                 lambda b: b.update_td_errors(np.zeros(1, np.int64), np.ones(1))):
        with pytest.raises(TypeError, match="_ring and _stats must be set"):
            call(Bare())
