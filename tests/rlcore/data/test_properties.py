"""Property tests (Hypothesis, bounded example counts): SampleBatch invariants (concat/slice,
timeslices, split_by_episode, shuffle), MultiAgentBatch invariants (concat per policy, timeslices,
copy independence), the wire codec on random dtypes and shapes (and clean errors on random bytes),
and the prioritized replay buffer's sampling distribution (issue #18; the uniform and reservoir
buffers' distributions are in test_replay_distribution_properties.py)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from rlcore.data import MultiAgentBatch, SampleBatch
from rlcore.data.codec import from_bytes, to_bytes
from rlcore.data.concat import concat_samples
from rlcore.data.replay_buffers.prioritized import PrioritizedReplayBuffer

BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DTYPES = st.sampled_from([np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint16, np.float16, np.float32,
                          np.float64, np.complex64, ">f4", "<i8", "S3", "U2"])


@st.composite
def batches(draw, min_rows=0, max_rows=12):
    """A SampleBatch of 1-4 numeric columns with random dtypes and trailing shapes, and an eps_id column."""
    n = draw(st.integers(min_rows, max_rows))
    cols = {}
    for name in draw(st.lists(st.sampled_from(["obs", "actions", "rewards", "x", "y"]), min_size=1, max_size=4,
                              unique=True)):
        dtype = np.dtype(draw(DTYPES))
        shape = (n,) + tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        cols[name] = draw(hnp.arrays(dtype, shape))
    cols["eps_id"] = np.sort(draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 3))))
    return SampleBatch(cols)


def _same(a: SampleBatch, b: SampleBatch, exact_byteorder: bool = False) -> None:
    """Equal columns. Concatenation gives native byte order (numpy's ``concatenate`` does), so
    dtypes are compared up to byte order unless ``exact_byteorder`` (the codec keeps it)."""
    assert set(a) == set(b)
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if exact_byteorder:
            assert x.dtype == y.dtype, k
        else:
            assert x.dtype.newbyteorder("=") == y.dtype.newbyteorder("="), k
        assert x.shape == y.shape, k
        assert np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"), k


@BOUNDED
@given(batches(), batches())
def test_concat_then_slice_gives_back_the_parts(a, b):
    b = SampleBatch({k: b[k] for k in b if k in a and np.asarray(b[k]).shape[1:] == np.asarray(a[k]).shape[1:]
                     and np.asarray(b[k]).dtype == np.asarray(a[k]).dtype} or {"eps_id": b["eps_id"]})
    if set(b) != set(a):
        b = a.copy()
    both = concat_samples([a, b])
    assert both.count == a.count + b.count
    _same(both.slice(0, a.count), a)
    _same(both.slice(a.count, both.count), b)


@BOUNDED
@given(batches(min_rows=1), st.integers(1, 5))
def test_timeslices_partition_the_rows(batch, k):
    parts = batch.timeslices(k)
    assert [p.count for p in parts][:-1] == [k] * (len(parts) - 1) and 0 < parts[-1].count <= k
    _same(concat_samples(parts), batch)


@BOUNDED
@given(batches(min_rows=1))
def test_split_by_episode_makes_runs_of_one_episode_each(batch):
    parts = batch.split_by_episode()
    assert all(len(np.unique(p["eps_id"])) == 1 for p in parts)
    assert all(a["eps_id"][-1] != b["eps_id"][0] for a, b in zip(parts, parts[1:]))
    _same(concat_samples(parts), batch)


@BOUNDED
@given(batches(min_rows=1), st.integers(0, 2**32 - 1))
def test_shuffle_permutes_whole_rows(batch, seed):
    batch["row"] = np.arange(batch.count)
    shuffled = batch.copy().shuffle(np.random.default_rng(seed))
    order = np.asarray(shuffled["row"])
    assert sorted(order.tolist()) == list(range(batch.count))
    for k in batch:
        assert np.array_equal(np.asarray(shuffled[k]), np.asarray(batch[k])[order],
                              equal_nan=np.asarray(batch[k]).dtype.kind in "fc"), k


@BOUNDED
@given(batches(), st.integers(0, 20))
def test_codec_round_trips_any_numeric_columns(batch, env_steps):
    _same(from_bytes(to_bytes(batch)), batch, exact_byteorder=True)
    ma = MultiAgentBatch({"p0": batch, "p1": batch.copy()}, env_steps)
    back = from_bytes(to_bytes(ma))
    assert isinstance(back, MultiAgentBatch) and back.env_steps() == env_steps
    for pid in ("p0", "p1"):
        _same(back.policy_batches[pid], batch, exact_byteorder=True)


@BOUNDED
@given(st.binary(max_size=200))
def test_codec_refuses_random_bytes_cleanly(data):
    with pytest.raises(ValueError, match="not an rlcore batch"):
        from_bytes(data)


@BOUNDED
@given(batches(min_rows=1), st.data())
def test_codec_refuses_truncated_or_damaged_messages_cleanly(batch, data):
    wire = bytearray(to_bytes(batch))
    cut = data.draw(st.integers(0, len(wire) - 1))
    with pytest.raises(ValueError, match="not an rlcore batch"):
        from_bytes(bytes(wire[:cut]))
    i = data.draw(st.integers(0, min(len(wire), 64) - 1))  # flip a byte of the prefix or header
    wire[i] ^= data.draw(st.integers(1, 255))
    try:
        from_bytes(bytes(wire))
    except ValueError as err:  # damage is either detected cleanly or lands in a value that still decodes
        assert "not an rlcore batch" in str(err)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.floats(0.05, 10.0), min_size=2, max_size=6), st.sampled_from([0.0, 0.5, 1.0]),
       st.integers(0, 1000))
def test_prioritized_sampling_follows_priority_to_the_alpha(priorities, alpha, seed):
    n = len(priorities)
    buf = PrioritizedReplayBuffer(capacity=16, alpha=alpha, beta=0.4, seed=seed)
    slots = buf.add(SampleBatch({"obs": np.arange(float(n))}))
    buf.update_priorities(slots, np.asarray(priorities))
    draws = 4000
    counts = np.bincount(np.asarray(buf.sample(draws)["obs"], np.int64), minlength=n)
    expected = np.asarray(priorities) ** alpha
    expected = draws * expected / expected.sum()
    # chi-square against the exact distribution, far beyond chance only if the sampling is wrong
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 40.0, (counts.tolist(), expected.round(1).tolist())


# --- MultiAgentBatch ------------------------------------------------------------------------------

POLICIES = ["p0", "p1", "p2"]


@st.composite
def multi_agent_batches(draw, max_steps=8):
    """A MultiAgentBatch over 1-3 policies (some may be absent) whose agents act at some of the env
    steps of a few episodes: every policy batch has eps_id, t, agent_index and a float column."""
    n_steps = draw(st.integers(1, max_steps))
    eps = np.sort(draw(hnp.arrays(np.int64, (n_steps,), elements=st.integers(0, 2))))
    t = np.concatenate([np.arange(np.count_nonzero(eps == e)) for e in np.unique(eps)]).astype(np.int64)
    batches = {}
    for pid in draw(st.lists(st.sampled_from(POLICIES), min_size=1, max_size=3, unique=True)):
        rows, agents = [], []
        for agent in range(draw(st.integers(1, 2))):
            acts = draw(hnp.arrays(np.bool_, (n_steps,)))
            rows.append(np.flatnonzero(acts))
            agents.append(np.full(int(acts.sum()), agent, np.int64))
        r, a = np.concatenate(rows), np.concatenate(agents)
        order = np.lexsort((a, t[r], eps[r]))
        r, a = r[order], a[order]
        batches[pid] = SampleBatch({"eps_id": eps[r], "t": t[r], "agent_index": a,
                                    "obs": draw(hnp.arrays(np.float32, (len(r), 2),
                                                           elements=st.floats(-9, 9, width=32)))})
    return MultiAgentBatch(batches, n_steps)


def _steps_of(ma: MultiAgentBatch) -> set:
    """The distinct (eps_id, t) env steps at which some agent of ``ma`` acted."""
    return {(int(e), int(s)) for b in ma.policy_batches.values() for e, s in zip(b["eps_id"], b["t"])}


def _rows_of(ma: MultiAgentBatch, pid) -> list:
    """The rows of policy ``pid`` as sorted (eps_id, t, agent_index, obs) tuples."""
    b = ma.policy_batches.get(pid)
    if b is None:
        return []
    return sorted((int(e), int(s), int(a), tuple(o.tolist())) for e, s, a, o in
                  zip(b["eps_id"], b["t"], b["agent_index"], b["obs"]))


@BOUNDED
@given(st.lists(multi_agent_batches(), min_size=1, max_size=4), st.booleans())
def test_multi_agent_concat_adds_counts_and_concatenates_per_policy(parts, through_module_function):
    both = concat_samples(parts) if through_module_function else MultiAgentBatch.concat_samples(parts)
    assert isinstance(both, MultiAgentBatch)
    assert both.env_steps() == sum(p.env_steps() for p in parts)
    assert both.agent_steps() == sum(p.agent_steps() for p in parts)
    assert set(both.policy_batches) == {pid for p in parts for pid in p.policy_batches}
    for pid, batch in both.policy_batches.items():
        having = [p.policy_batches[pid] for p in parts if pid in p.policy_batches]
        _same(batch, concat_samples(having))  # the parts' rows, in order


@BOUNDED
@given(multi_agent_batches(), st.integers(1, 4))
def test_multi_agent_timeslices_partition_the_env_steps(ma, k):
    parts = ma.timeslices(k)
    steps = sorted(_steps_of(ma))
    assert sum(p.env_steps() for p in parts) == len(steps)
    assert sum(p.agent_steps() for p in parts) == ma.agent_steps()
    seen = []
    for p in parts:
        own = sorted(_steps_of(p))
        assert p.env_steps() == len(own) and 0 < len(own) <= k
        seen.extend(own)
    assert seen == steps  # consecutive env steps, each in exactly one slice, in order
    assert all(p.env_steps() == k for p in parts[:-1])
    for pid in ma.policy_batches:
        assert sorted(r for p in parts for r in _rows_of(p, pid)) == _rows_of(ma, pid)


@BOUNDED
@given(multi_agent_batches())
def test_multi_agent_copy_is_independent(ma):
    dup = ma.copy()
    assert dup.env_steps() == ma.env_steps() and set(dup.policy_batches) == set(ma.policy_batches)
    before = {pid: b.copy() for pid, b in ma.policy_batches.items()}
    for pid, b in dup.policy_batches.items():
        _same(b, before[pid])
        b["obs"][...] = 1e6  # write through the copy's arrays in place
        b["extra"] = np.zeros(b.count)
    for pid, b in ma.policy_batches.items():
        _same(b, before[pid])  # the original is untouched
    dup.policy_batches.pop(next(iter(dup.policy_batches)))
    assert set(ma.policy_batches) == set(before)


@BOUNDED
@given(st.lists(multi_agent_batches(), min_size=2, max_size=3))
def test_multi_agent_concat_survives_the_codec(parts):
    both = concat_samples(parts)
    back = from_bytes(to_bytes(both))
    assert isinstance(back, MultiAgentBatch) and back.env_steps() == both.env_steps()
    assert set(back.policy_batches) == set(both.policy_batches)
    for pid in both.policy_batches:
        _same(back.policy_batches[pid], both.policy_batches[pid], exact_byteorder=True)
