"""ReservoirBuffer: Algorithm R keeps every row ever added with the same probability."""

import numpy as np
import pytest
from scipy import stats

from rlcore.data.replay_buffers import ReservoirBuffer
from rlcore.data.sample_batch import SampleBatch


def _rows(lo, hi):
    return SampleBatch({"x": np.arange(lo, hi), "infos": [{"i": i} for i in range(lo, hi)]})


@pytest.mark.parametrize("batch_sizes", [[100], [1] * 20 + [80], [7, 30, 3, 60], [10, 90]])
def test_inclusion_is_uniform_over_all_rows(batch_sizes):
    cap, total, trials = 10, sum(batch_sizes), 1500
    counts = np.zeros(total)
    for seed in range(trials):
        buf = ReservoirBuffer(cap, seed=seed)
        lo = 0
        for n in batch_sizes:
            buf.add(_rows(lo, lo + n))
            lo += n
        held = buf._storage.gather(np.arange(len(buf)))["x"]
        assert len(held) == cap and len(set(held.tolist())) == cap  # no duplicates
        counts[held] += 1
    # each row is held with probability cap / total
    assert stats.chisquare(counts).pvalue > 1e-3
    assert abs(counts.mean() / trials - cap / total) < 1e-9


def test_fills_first_then_replaces():
    buf = ReservoirBuffer(5, seed=0)
    assert buf.add(_rows(0, 3)).tolist() == [0, 1, 2]
    slots = buf.add(_rows(3, 20))
    assert slots[:2].tolist() == [3, 4] and len(buf) == 5
    held = buf._storage.gather(np.arange(5))
    assert [d["i"] for d in held["infos"]] == held["x"].tolist()
    st = buf.stats()
    assert st["added_count"] == 20 and st["num_entries"] == 5


def test_sampling_is_uniform_over_held_rows():
    buf = ReservoirBuffer(8, seed=1)
    buf.add(_rows(0, 8))
    counts = np.bincount(buf.sample(16000)["x"], minlength=8)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_errors():
    buf = ReservoirBuffer(4, seed=0)
    with pytest.raises(ValueError, match="cannot sample from ReservoirBuffer: it is empty"):
        buf.sample(1)
    buf.add(_rows(0, 4))
    with pytest.raises(ValueError, match="batch columns differ"):
        buf.add(SampleBatch({"y": np.arange(50)}))
    with pytest.raises(ValueError, match="unit_lens"):
        buf.add(_rows(0, 2), unit_lens=[2])
