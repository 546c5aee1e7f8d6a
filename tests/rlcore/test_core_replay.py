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
    np.testing.assert_array_equal(got_p, want_p)
    np.testing.assert_array_equal(got_i, trees[0].find_prefixsum_idx(u * trees[0].sum()))
    np.testing.assert_allclose(got_p, masses[got_i] / masses.sum())
    with pytest.raises(ValueError, match="uniforms"):
        trees[0].sample(np.array([1.0]))
