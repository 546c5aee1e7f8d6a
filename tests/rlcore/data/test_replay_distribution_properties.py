"""Property tests (Hypothesis, bounded example counts): the sampling distribution of the uniform
replay buffer (timesteps and items) and of the reservoir buffer (issue #18).

Each test counts how often every stored unit comes out of many seeded draws and compares the
counts with the uniform distribution by a chi-square test at a 1e-6 false-alarm level; the last
tests show that the same checks refuse a biased uniform buffer (newest rows drawn 10% more often
than the oldest) and a biased reservoir, so a pass means something.
"""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from rlcore.data import SampleBatch
from rlcore.data.replay_buffers.reservoir import ReservoirBuffer
from rlcore.data.replay_buffers.uniform import ReplayBuffer

BOUNDED = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALPHA = 1e-6  # chance that an unbiased buffer fails one example
PER_UNIT = 1000  # expected draws of each held unit: a 10% bias on a third of the units shows


def _uniform_p_value(counts: np.ndarray) -> float:
    """The chi-square p-value of ``counts`` under the uniform distribution over its cells."""
    counts = np.asarray(counts, np.float64)
    if len(counts) < 2:
        return 1.0  # one cell: trivially uniform
    expected = counts.sum() / len(counts)
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(chi2, len(counts) - 1))


def _row_counts(buf: ReplayBuffer, n_rows: int, draws: int, batch: int = 1000) -> np.ndarray:
    """How often each row id (column ``row``) came out of ``draws`` sampled rows."""
    counts = np.zeros(n_rows, np.int64)
    left = draws
    while left:
        take = min(batch, left)
        counts += np.bincount(np.asarray(buf.sample(take)["row"], np.int64), minlength=n_rows)
        left -= take
    return counts


@BOUNDED
@given(capacity=st.integers(2, 40), added=st.integers(2, 100), chunk=st.integers(1, 17), seed=st.integers(0, 2**31))
def test_uniform_buffer_samples_every_held_row_equally_often(capacity, added, chunk, seed):
    buf = ReplayBuffer(capacity=capacity, seed=seed)
    for start in range(0, added, chunk):
        buf.add(SampleBatch({"row": np.arange(start, min(start + chunk, added))}))
    held = min(capacity, added)
    assert len(buf) == held
    counts = _row_counts(buf, added, PER_UNIT * held)
    assert counts[: added - held].sum() == 0  # evicted rows (the oldest) never come back
    live = counts[added - held:]
    assert (live > 0).all() and _uniform_p_value(live) > ALPHA, live.tolist()


@BOUNDED
@given(lens=st.lists(st.integers(1, 6), min_size=2, max_size=12), capacity=st.integers(6, 24),
       seed=st.integers(0, 2**31))
def test_uniform_item_buffer_samples_every_held_item_equally_often(lens, capacity, seed):
    """storage_unit='items': a unit is an added batch (of any length), each held one equally likely;
    ``capacity`` counts rows, so the newest items that fit are held."""
    buf = ReplayBuffer(capacity=capacity, storage_unit="items", seed=seed)
    for i, n in enumerate(lens):
        buf.add(SampleBatch({"item": np.full(n, i), "pos": np.arange(n)}))
    held = len(buf)
    assert 0 < held <= capacity
    counts = np.zeros(len(lens), np.int64)
    for _ in range(10):
        out = buf.sample(PER_UNIT // 10 * held)
        item, pos = np.asarray(out["item"]), np.asarray(out["pos"])
        firsts = item[pos == 0]
        assert len(firsts) == PER_UNIT // 10 * held  # whole items: every sampled item starts at its row 0
        counts += np.bincount(firsts, minlength=len(lens))
    live = np.flatnonzero(counts)
    assert len(live) == held and live.tolist() == list(range(len(lens) - held, len(lens)))  # the newest items
    assert _uniform_p_value(counts[live]) > ALPHA, counts.tolist()


@BOUNDED
@given(capacity=st.integers(2, 30), added=st.integers(31, 200), seed=st.integers(0, 2**31))
def test_reservoir_buffer_samples_every_held_row_equally_often(capacity, added, seed):
    buf = ReservoirBuffer(capacity=capacity, seed=seed)
    buf.add(SampleBatch({"row": np.arange(added)}))
    counts = _row_counts(buf, added, PER_UNIT * capacity)
    live = counts[counts > 0]
    assert len(live) == capacity  # exactly the held rows come out
    assert _uniform_p_value(live) > ALPHA, live.tolist()


@settings(max_examples=6, deadline=None)
@given(capacity=st.integers(2, 6), chunks=st.lists(st.integers(1, 9), min_size=2, max_size=5),
       seed=st.integers(0, 2**31))
def test_reservoir_keeps_every_row_ever_added_with_the_same_chance(capacity, chunks, seed):
    """Algorithm R over batches of any sizes: each of the N rows added is held with chance capacity / N."""
    total = sum(chunks)
    kept = np.zeros(total, np.int64)
    runs = 1500
    for run in range(runs):
        buf = ReservoirBuffer(capacity=capacity, seed=seed + run)
        start = 0
        for n in chunks:
            buf.add(SampleBatch({"row": np.arange(start, start + n)}))
            start += n
        held = np.unique(np.asarray(buf.sample(64 * capacity)["row"], np.int64))
        kept[held] += 1
    if total <= capacity:
        assert (kept == runs).all()
        return
    assert kept.sum() <= runs * capacity
    assert _uniform_p_value(kept) > ALPHA, (kept / runs).round(3).tolist()


class _NewestFavoured(ReplayBuffer):
    """A uniform buffer with a small bias: one draw in ``every`` is redrawn from the newest half, so
    those rows come out ~10% more often than the oldest half (1.05 vs 0.95 of uniform)."""

    every = 10

    def sample(self, n):
        out = super().sample(n)
        rows = np.asarray(out["row"]).copy()
        n_held = len(self)
        newest = np.asarray(sorted(set(rows.tolist())))[n_held // 2:] if n_held > 1 else rows
        redraw = np.arange(len(rows)) % self.every == 0
        rows[redraw] = self._rng.choice(newest, int(redraw.sum()))
        return SampleBatch({"row": rows})


def test_the_uniform_check_refuses_a_buffer_biased_by_ten_percent():
    buf = _NewestFavoured(capacity=30, seed=3)
    buf.add(SampleBatch({"row": np.arange(30)}))
    counts = _row_counts(buf, 30, PER_UNIT * 30)
    assert _uniform_p_value(counts) < ALPHA, counts.tolist()


def test_the_reservoir_check_refuses_keeping_the_first_rows_too_often():
    """A reservoir that keeps each later row with chance 0.9 * capacity / (t + 1) favours the first rows."""
    total, capacity, runs = 20, 4, 1500
    kept = np.zeros(total, np.int64)
    rng = np.random.default_rng(0)
    for _ in range(runs):
        held = list(range(capacity))
        for t in range(capacity, total):
            j = rng.integers(0, t + 1)
            if j < capacity and rng.random() < 0.9:
                held[j] = t
        kept[held] += 1
    assert _uniform_p_value(kept) < ALPHA, (kept / runs).round(3).tolist()
