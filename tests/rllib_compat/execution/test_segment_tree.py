"""rllib_compat.execution.segment_tree: RLlib's SegmentTree surface over rlcore's native trees.

Checked against a plain-Python transcription of RLlib 1.x's semantics: ``reduce`` over
``[start, end)``, ``end=None`` meaning capacity and a negative ``end`` counting from capacity.
"""

import operator

import numpy as np
import pytest

from rllib_compat.execution.segment_tree import MinSegmentTree, SegmentTree, SumSegmentTree


class _ListTree:
    """What RLlib 1.x computes, written as plain loops over a list of leaves."""

    def __init__(self, capacity, op, neutral):
        self.leaves, self.op, self.neutral = [neutral] * capacity, op, neutral

    def reduce(self, start=0, end=None):
        n = len(self.leaves)
        end = n if end is None else (end + n if end < 0 else end)
        out = self.neutral
        for v in self.leaves[start:end]:
            out = self.op(out, v)
        return out

    def find_prefixsum_idx(self, p):
        acc = 0.0
        for i, v in enumerate(self.leaves):
            if acc + v > p and v > 0:
                return i
            acc += v
        return max(i for i, v in enumerate(self.leaves) if v > 0)


@pytest.mark.parametrize(
    "cls, op, neutral",
    [
        (SumSegmentTree, operator.add, 0.0),
        (MinSegmentTree, min, float("inf")),
        (lambda c: SegmentTree(c, max), max, float("-inf")),
    ],
)
@pytest.mark.parametrize("capacity", [1, 4, 13])
def test_matches_rllib_semantics(cls, op, neutral, capacity):
    rng = np.random.default_rng(capacity)
    tree, ref = cls(capacity), _ListTree(capacity, op, neutral)
    for _ in range(60):
        i, v = int(rng.integers(capacity)), float(rng.choice([0.0, rng.random() * 10]))
        tree[i] = v
        ref.leaves[i] = v
        assert tree[i] == v
        start = int(rng.integers(0, capacity + 1))
        end = int(rng.integers(-capacity, capacity + 1))
        assert tree.reduce(start, end) == pytest.approx(ref.reduce(start, end))
        assert tree.reduce() == pytest.approx(ref.reduce())
        assert tree.reduce(start) == pytest.approx(ref.reduce(start))


def test_sum_min_and_find_prefixsum_idx():
    rng = np.random.default_rng(0)
    t, ref = SumSegmentTree(16), _ListTree(16, operator.add, 0.0)
    for i in range(16):
        v = float(rng.choice([0.0, rng.random()]))
        t[i] = ref.leaves[i] = v
    total = t.sum()
    for p in rng.random(200) * total:
        assert t.find_prefixsum_idx(p) == ref.find_prefixsum_idx(p)
    ps = rng.random(50) * total
    assert t.find_prefixsum_idx(ps).tolist() == [ref.find_prefixsum_idx(p) for p in ps]
    assert t.sum(2, 7) == pytest.approx(sum(ref.leaves[2:7]))
    m = MinSegmentTree(8)
    m[3], m[5] = 2.0, 1.0
    assert (m.min(), m.min(0, 4), m.min(4, 5), m.min(5, -2)) == (1.0, 2.0, float("inf"), 1.0)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: SumSegmentTree(0), ValueError, "capacity must be an int >= 1"),
        (lambda: SegmentTree(4, operator.mul), ValueError, "operation must be operator.add, min or max"),
        (lambda: SegmentTree(4, operator.add, neutral_element=1.0), ValueError, "neutral_element"),
        (lambda: SumSegmentTree(4).__setitem__(4, 1.0), IndexError, "idx 4 out of range"),
        (lambda: SumSegmentTree(4).__getitem__(-1), IndexError, "idx -1 out of range"),
        (lambda: SumSegmentTree(4).__setitem__(1.5, 1.0), TypeError, "idx must be an int"),
        (lambda: SumSegmentTree(4).find_prefixsum_idx(1.0), ValueError, "prefixsum must be in"),
        (lambda: SumSegmentTree(4).find_prefixsum_idx(-0.5), ValueError, "prefixsum must be in"),
        (lambda: SumSegmentTree(4).reduce(0, 9), ValueError, "not within"),
        (lambda: SumSegmentTree(4).__setitem__(0, -1.0), ValueError, ">= 0"),
    ],
)
def test_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_prefixsum_tolerance_and_capacity_attr():
    t = SumSegmentTree(4)
    t[0], t[2] = 1.0, 2.0
    assert t.capacity == 4 and t.neutral_element == 0.0
    assert t.find_prefixsum_idx(3.0 + 1e-6) == 2  # within RLlib's 1e-5 slack: last leaf with mass
