"""gather_step_rows (the sampler's infos column: each popped row's entry of its step's per-env
list): native vs numpy twin on random pops, against a plain loop, and misuse named."""

import numpy as np
import pytest

from rlcore import _reference


def _pop(rng, n, steps_held):
    """Per-step lists of (step, env) pairs, each env's start step, and a pop of env-major rows."""
    steps = [[(s, e) for e in range(n)] for s in range(steps_held)]
    offsets = rng.integers(0, min(3, steps_held), n).astype(np.int64)
    rows = [rng.integers(0, steps_held - int(offsets[e]) + 1) for e in range(n)]  # rows each env pops
    order = rng.permutation(n) if rng.random() < 0.5 else np.arange(n)
    env_ids = np.concatenate([np.full(rows[e], e, np.int64) for e in order] + [np.zeros(0, np.int64)])
    return steps, env_ids, offsets, rows


@pytest.mark.parametrize("seed", range(30))
def test_gather_step_rows_parity(impl, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 8, 64]))
    steps, env_ids, offsets, rows = _pop(rng, n, int(rng.integers(1, 12)))
    if rng.random() < 0.3:  # any sequences, not only lists
        steps = tuple(tuple(s) for s in steps)
    got, counts = impl.gather_step_rows(steps, env_ids, offsets)
    want, want_counts = _reference.gather_step_rows(steps, env_ids, offsets)
    seen = {e: 0 for e in range(n)}
    loop = []
    for e in env_ids.tolist():  # the plain rule: the k-th row of env e is step offsets[e] + k
        loop.append((int(offsets[e]) + seen[e], e))
        seen[e] += 1
    assert got.dtype == object and got.shape == (len(env_ids),)
    assert list(got) == list(want) == loop
    assert counts.dtype == np.int64 and counts.tolist() == want_counts.tolist() == [seen[e] for e in range(n)]


def test_entries_are_the_objects_themselves_and_outlive_the_lists(impl):
    info = {"x": 1}
    steps = [[info, {}], [{}, {}]]
    out, _ = impl.gather_step_rows(steps, np.array([0, 0, 1], np.int64), np.zeros(2, np.int64))
    del steps
    assert out[0] is info and out.tolist() == [{"x": 1}, {}, {}]


def test_a_deque_of_steps_is_read_like_a_list(impl):
    from collections import deque

    out, counts = impl.gather_step_rows(deque([["a0", "a1"], ["b0", "b1"]]), np.array([1, 1, 0], np.int64),
                                        np.array([1, 0], np.int64))
    assert out.tolist() == ["a1", "b1", "b0"] and counts.tolist() == [1, 2]


@pytest.mark.parametrize("env_ids,offsets,steps,error,match", [
    (np.array([2], np.int64), np.zeros(2, np.int64), [[0, 1]], IndexError, r"env_ids\[0\] = 2: expected an env index in \[0, 2\)"),
    (np.array([0, 0], np.int64), np.zeros(1, np.int64), [[0]], IndexError, r"row 1 \(env 0\) is step 1 of the 1 steps given"),
    (np.array([1], np.int64), np.zeros(2, np.int64), [[0]], IndexError, r"row 0: step 0's entries have none for env 1"),
    (np.array([0], np.int32), np.zeros(1, np.int64), [[0]], TypeError, "env_ids must have dtype int64"),
    ([0], np.zeros(1, np.int64), [[0]], TypeError, "env_ids must be a numpy array"),
    (np.array([0], np.int64), np.zeros((1, 1), np.int64), [[0]], ValueError, "offsets must be 1-dimensional"),
])
def test_misuse_is_named(impl, env_ids, offsets, steps, error, match):
    with pytest.raises(error, match=match):
        impl.gather_step_rows(steps, env_ids, offsets)
