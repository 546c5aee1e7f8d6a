"""Tests of rlcore.data.sample_batch: construction, views, RNN sequences, concat, copies."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import DEFAULT_POLICY_ID, SampleBatch, concat_samples


def rnn_batch():
    """Five steps in sequences [3, 2] with one state row per sequence."""
    return SampleBatch(
        {"a": np.arange(5), "state_in_0": np.array([[10.0], [20.0]])},
        seq_lens=[3, 2],
    )


# ------------------------------------------------------------------------------ construction
def test_lists_become_arrays():
    b = SampleBatch({"obs": [[1.0, 2.0], [3.0, 4.0]], "actions": (0, 1), "infos": [{"x": 1}, {}]})
    assert isinstance(b["obs"], np.ndarray) and b["obs"].shape == (2, 2)
    assert b["actions"].tolist() == [0, 1]
    assert b["infos"].dtype == object and b["infos"][0] == {"x": 1}
    assert b.count == 2 and len(b) == 2


def test_ragged_list_becomes_object_column():
    b = SampleBatch({"x": [[1], [1, 2]]})
    assert b["x"].dtype == object and b["x"].shape == (2,) and b["x"][1] == [1, 2]


@pytest.mark.parametrize(
    "data,kwargs,match",
    [
        ({"a": [1, 2], "b": [1]}, {}, "column 'b' has 1 rows but column 'a' has 2 rows"),
        ({"a": [1, 2, 3]}, {"seq_lens": [1, 1]}, r"column 'a' has 3 rows but sum\(seq_lens\) is 2"),
        ({"a": [1, 2], "state_in_0": [0, 0, 0]}, {"seq_lens": [1, 1]}, "'state_in_0' has 3 rows but there are 2 sequences"),
        ({"a": [1]}, {"seq_lens": [[1]]}, "'seq_lens' must be a 1-D integer array"),
        ({"a": [1]}, {"seq_lens": [-1, 2]}, "negative length"),
        ({"a": [1]}, {"_zero_padded": True}, "needs a seq_lens column"),
    ],
)
def test_constructor_errors(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SampleBatch(data, **kwargs)


def test_dont_check_lens_skips_the_check():
    b = SampleBatch({"a": [1, 2], "b": [1]}, _dont_check_lens=True)
    assert b.count == 2


@pytest.mark.parametrize("args,kwargs", [(({1: [1]},), {}), ((), {"_bogus": 1})])
def test_constructor_type_errors(args, kwargs):
    with pytest.raises(TypeError):
        SampleBatch(*args, **kwargs)


def test_empty_batch_is_allowed():
    b = SampleBatch()
    assert b.count == 0 and len(b) == 0 and list(b.keys()) == []
    assert b.max_seq_len is None and b.seq_lens is None


def test_zero_d_extras_do_not_count_as_rows():
    b = SampleBatch({"a": [1, 2, 3], "gamma": np.array(0.99), "tag": "run-1", "flag": False})
    assert b.count == 3
    s = b[1:]
    assert s["gamma"] == np.array(0.99) and s["tag"] == "run-1" and s["flag"] is False
    assert SampleBatch({"tag": "abcdef"}).count == 0


@pytest.mark.parametrize(
    "kwargs,count,max_seq_len,time_major",
    [
        ({}, 5, None, None),
        ({"seq_lens": [3, 2]}, 5, 3, None),
        ({"_seq_lens": np.array([4, 1])}, 5, 4, None),
        ({"seq_lens": [3, 2], "_max_seq_len": 8}, 5, 8, None),
        ({"_time_major": True}, 5, None, True),
    ],
)
def test_count_seq_lens_flags(kwargs, count, max_seq_len, time_major):
    b = SampleBatch({"a": np.arange(5)}, **kwargs)
    assert (b.count, b.max_seq_len, b.time_major) == (count, max_seq_len, time_major)
    if "seq_lens" in kwargs or "_seq_lens" in kwargs:
        assert b.seq_lens is b["seq_lens"]


def test_column_constants_and_dict_behaviour():
    b = SampleBatch({SampleBatch.OBS: [1], SampleBatch.REWARDS: [0.5]})
    assert "obs" in b and b.get("nope") is None and sorted(b.keys()) == ["obs", "rewards"]
    b["new"] = np.array([3])
    assert b["new"].tolist() == [3]
    assert repr(b) == "SampleBatch(1: ['obs', 'rewards', 'new'])"
    assert isinstance(b, dict)


# ------------------------------------------------------------------------------------ views
@pytest.mark.parametrize(
    "start,end,expected",
    [(0, 5, [0, 1, 2, 3, 4]), (1, 3, [1, 2]), (3, 3, []), (4, 99, [4]), (7, 9, [])],
)
def test_slice_rows(start, end, expected):
    b = SampleBatch({"a": np.arange(5), "b": np.arange(5) * 10})
    s = b.slice(start, end)
    assert s["a"].tolist() == expected and s["b"].tolist() == [10 * x for x in expected]
    assert s.count == len(expected)


def test_slice_is_a_view():
    b = SampleBatch({"a": np.arange(5)})
    s = b.slice(1, 3)
    s["a"][0] = 99
    assert b["a"][1] == 99


@pytest.mark.parametrize(
    "key,expected",
    [(slice(1, 3), [1, 2]), (slice(None, 2), [0, 1]), (slice(-2, None), [3, 4]), (slice(3, 1), [])],
)
def test_getitem_slice(key, expected):
    s = SampleBatch({"a": np.arange(5)})[key]
    assert isinstance(s, SampleBatch) and s["a"].tolist() == expected


@pytest.mark.parametrize(
    "call,exc",
    [
        (lambda b: b[::2], ValueError),
        (lambda b: b.slice(-1, 2), ValueError),
        (lambda b: b.slice(0.5, 2), TypeError),
        (lambda b: SampleBatch({"a": [1]}, _time_major=True).slice(0, 1), ValueError),
    ],
)
def test_slice_errors(call, exc):
    with pytest.raises(exc):
        call(SampleBatch({"a": np.arange(5)}))


@pytest.mark.parametrize(
    "start,end,rows,seq_lens,states",
    [
        (0, 5, [0, 1, 2, 3, 4], [3, 2], [10, 20]),
        (0, 3, [0, 1, 2], [3], [10]),
        (1, 3, [1, 2], [2], [10]),
        (2, 4, [2, 3], [1, 1], [10, 20]),
        (3, 5, [3, 4], [2], [20]),
        (4, 5, [4], [1], [20]),
        (2, 2, [], [], []),
    ],
)
def test_slice_with_seq_lens(start, end, rows, seq_lens, states):
    s = rnn_batch().slice(start, end)
    assert s["a"].tolist() == rows
    assert s["seq_lens"].tolist() == seq_lens
    assert s["state_in_0"][:, 0].tolist() == states
    assert s.count == len(rows)


def test_slice_zero_padded_on_sequence_boundaries():
    b = rnn_batch().right_zero_pad(3)
    s = b.slice(3, 6)
    assert s.zero_padded and s.max_seq_len == 3
    assert s["a"].tolist() == [3, 4, 0] and s["seq_lens"].tolist() == [2] and s["state_in_0"].tolist() == [[20.0]]
    with pytest.raises(ValueError, match="multiples of max_seq_len=3"):
        b.slice(1, 3)


@pytest.mark.parametrize(
    "n,k,sizes",
    [(5, 2, [2, 2, 1]), (4, 2, [2, 2]), (3, 5, [3]), (0, 3, []), (1, 1, [1])],
)
def test_timeslices(n, k, sizes):
    b = SampleBatch({"a": np.arange(n)})
    slices = b.timeslices(k)
    assert [s.count for s in slices] == sizes
    assert np.concatenate([s["a"] for s in slices] or [np.zeros(0, int)]).tolist() == list(range(n))


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_timeslices_bad_k(k):
    with pytest.raises(ValueError, match="k must be a positive int"):
        SampleBatch({"a": [1]}).timeslices(k)


@pytest.mark.parametrize(
    "eps,expected",
    [
        ([1, 1, 1], [[0, 1, 2]]),
        ([1, 2, 3], [[0], [1], [2]]),
        ([5, 5, 2, 2, 5], [[0, 1], [2, 3], [4]]),
        ([], []),
    ],
)
def test_split_by_episode(eps, expected):
    b = SampleBatch({"eps_id": np.array(eps, dtype=np.int64), "x": np.arange(len(eps))})
    assert [s["x"].tolist() for s in b.split_by_episode()] == expected


def test_split_by_episode_needs_eps_id():
    with pytest.raises(ValueError, match="needs an 'eps_id' column"):
        SampleBatch({"x": [1]}).split_by_episode()


def test_rows_and_columns():
    b = SampleBatch({"a": [1, 2], "b": [[0.0], [1.0]], "extra": np.array(7)})
    rows = list(b.rows())
    assert [r["a"] for r in rows] == [1, 2] and rows[1]["b"].tolist() == [1.0]
    assert set(rows[0]) == {"a", "b"}
    a, bb = b.columns(["a", "b"])
    assert a is b["a"] and bb is b["b"]
    with pytest.raises(KeyError, match="no column 'zz'"):
        b.columns(["zz"])


def test_rows_of_rnn_batch_leave_out_sequence_columns():
    assert set(next(rnn_batch().rows())) == {"a"}


# ---------------------------------------------------------------------------------- mutation
def test_shuffle_keeps_rows_aligned_and_is_seeded():
    b1 = SampleBatch({"a": np.arange(20), "b": np.arange(20) * 2, "k": np.array(1.0)})
    b2 = b1.copy()
    assert b1.shuffle(np.random.default_rng(3)) is b1
    b2.shuffle(np.random.default_rng(3))
    assert (b1["b"] == 2 * b1["a"]).all() and sorted(b1["a"].tolist()) == list(range(20))
    assert b1["a"].tolist() == b2["a"].tolist() and b1["a"].tolist() != list(range(20))


@pytest.mark.parametrize("batch,rng,exc", [(rnn_batch, None, ValueError), (lambda: SampleBatch({"a": [1]}), 3, TypeError)])
def test_shuffle_errors(batch, rng, exc):
    with pytest.raises(exc):
        batch().shuffle(rng)


def test_right_zero_pad_rllib_examples():
    b = SampleBatch({"a": [1, 2, 3], "seq_lens": [1, 2]})
    assert b.right_zero_pad(max_seq_len=4)["a"].tolist() == [1, 0, 0, 0, 2, 3, 0, 0]
    assert b.zero_padded and b.max_seq_len == 4 and b.count == 3
    b = SampleBatch({"a": [1, 2, 3], "state_in_0": [1.0, 3.0], "seq_lens": [1, 2]})
    b.right_zero_pad(max_seq_len=5)
    assert b["a"].tolist() == [1, 0, 0, 0, 0, 2, 3, 0, 0, 0] and b["state_in_0"].tolist() == [1.0, 3.0]


def test_right_zero_pad_keeps_dtypes_and_pads_objects_with_none():
    b = SampleBatch(
        {"f": np.ones((3, 2), np.float32), "s": np.array(["x", "y", "z"]), "infos": [{}, {"a": 1}, {}]},
        seq_lens=[2, 1],
    )
    b.right_zero_pad(2)
    assert b["f"].dtype == np.float32 and b["f"].shape == (4, 2) and b["f"][3].tolist() == [0.0, 0.0]
    assert b["s"].tolist() == ["x", "y", "z", ""]
    assert b["infos"].tolist() == [{}, {"a": 1}, {}, None]


def test_right_zero_pad_states_too():
    b = SampleBatch({"a": [1, 2, 3], "state_in_0": [5, 6, 7]}, seq_lens=[1, 2], _dont_check_lens=True)
    b.right_zero_pad(2, exclude_states=False)
    assert b["state_in_0"].tolist() == [5, 0, 6, 7]


@pytest.mark.parametrize(
    "batch,m,match",
    [
        (lambda: SampleBatch({"a": [1]}), 2, "needs a 'seq_lens' column"),
        (lambda: SampleBatch({"a": [1, 2, 3]}, seq_lens=[3]), 2, "shorter than the longest sequence"),
        (lambda: SampleBatch({"a": [1]}, seq_lens=[1]), 0, "positive int"),
        (lambda: SampleBatch({"a": [1]}, seq_lens=[1]).right_zero_pad(2), 2, "already zero-padded"),
    ],
)
def test_right_zero_pad_errors(batch, m, match):
    with pytest.raises(ValueError, match=match):
        batch().right_zero_pad(m)


# ------------------------------------------------------------------------------------ copies
def test_copy_deep_and_shallow():
    b = SampleBatch({"a": [1, 2], "infos": [{"x": [1]}, {}]}, seq_lens=[2], _is_training=True)
    deep = b.copy()
    deep["a"][0] = 9
    deep["infos"][0]["x"].append(2)
    assert b["a"][0] == 1 and b["infos"][0] == {"x": [1]}
    assert deep.max_seq_len == 2 and deep.is_training is True and deep.seq_lens.tolist() == [2]
    shallow = b.copy(shallow=True)
    assert shallow["a"] is b["a"] and shallow is not b


def test_size_bytes():
    b = SampleBatch({"a": np.zeros((10, 4), np.float32), "b": np.zeros(10, np.int8)})
    assert b.size_bytes() == 170
    obj = SampleBatch({"infos": [{"k": "v" * 100}] * 3})
    assert obj.size_bytes() > obj["infos"].nbytes + 300


def test_pickle_keeps_columns_and_flags():
    b = rnn_batch().right_zero_pad(3)
    c = pickle.loads(pickle.dumps(b))
    assert c.zero_padded and c.max_seq_len == 3 and c.count == 5 and c["a"].tolist() == b["a"].tolist()


def test_as_multi_agent():
    b = SampleBatch({"a": [1, 2, 3]})
    ma = b.as_multi_agent()
    assert isinstance(ma, MultiAgentBatch) and ma.policy_batches[DEFAULT_POLICY_ID] is b and ma.count == 3
    assert b.env_steps() == b.agent_steps() == 3


# ------------------------------------------------------------------------------------ concat
@pytest.mark.parametrize(
    "batches,expected",
    [
        ([SampleBatch(), SampleBatch({"a": [1, 2]})], [1, 2]),
        ([SampleBatch({"a": [1, 2]}), SampleBatch()], [1, 2]),
        ([SampleBatch({"a": [1]}), SampleBatch({"b": np.zeros(0)}), SampleBatch({"a": [2]})], [1, 2]),
        ([SampleBatch({"a": np.zeros(0, int)}), SampleBatch({"a": [3]})], [3]),
    ],
)
def test_concat_with_empty_batches(batches, expected):
    out = concat_samples(batches)
    assert out["a"].tolist() == expected and list(out.keys()) == ["a"]


@pytest.mark.parametrize(
    "batches,keys",
    [([], []), ([SampleBatch(), SampleBatch()], []), ([SampleBatch(), SampleBatch({"a": np.zeros(0)})], ["a"])],
)
def test_concat_of_only_empty_batches(batches, keys):
    out = concat_samples(batches)
    assert isinstance(out, SampleBatch) and out.count == 0 and list(out.keys()) == keys


def test_concat_method_and_static():
    a, b = SampleBatch({"x": [1], "y": [[0.5]]}), SampleBatch({"x": [2, 3], "y": [[1.5], [2.5]]})
    c = a.concat(b)
    assert c["x"].tolist() == [1, 2, 3] and c["y"].shape == (3, 1)
    assert SampleBatch.concat_samples([a, b])["x"].tolist() == [1, 2, 3]
    assert c["x"] is not a["x"]


def test_concat_promotes_numeric_dtypes():
    out = concat_samples([SampleBatch({"a": np.array([1], np.int32)}), SampleBatch({"a": np.array([2], np.int64)})])
    assert out["a"].dtype == np.int64


def test_concat_rnn_batches_merges_sequences():
    a = SampleBatch({"a": [1, 2, 3], "state_in_0": [[0], [1]]}, seq_lens=[1, 2])
    b = SampleBatch({"a": [4, 5, 6, 7], "state_in_0": [[2]]}, seq_lens=[4])
    c = concat_samples([a, b])
    assert c["seq_lens"].tolist() == [1, 2, 4] and c["state_in_0"].tolist() == [[0], [1], [2]]
    assert c.max_seq_len == 4 and c.count == 7


@pytest.mark.parametrize(
    "batches,exc,match",
    [
        (
            [SampleBatch({"a": [1], "b": [1]}), SampleBatch({"a": [1]})],
            ValueError,
            r"batch 1 has columns \['a'\] but batch 0 has \['a', 'b'\] \(missing \['b'\], extra \[\]\)",
        ),
        (
            [SampleBatch({"a": [1]}), SampleBatch(), SampleBatch({"c": [1]})],
            ValueError,
            r"batch 2 has columns \['c'\] but batch 0",
        ),
        (
            [SampleBatch({"o": np.zeros((1, 3))}), SampleBatch({"o": np.zeros((1, 4))})],
            ValueError,
            r"column 'o' has row shape \(4,\) in batch 1 but \(3,\) in batch 0",
        ),
        (
            [SampleBatch({"o": np.zeros((1, 3))}), SampleBatch({"o": np.zeros(1)})],
            ValueError,
            "column 'o' has row shape",
        ),
        (
            [SampleBatch({"o": np.zeros(1)}), SampleBatch({"o": np.array(["x"])})],
            ValueError,
            "column 'o' has dtype <U1 in batch 1 but float64 in batch 0",
        ),
        (
            [SampleBatch({"o": np.zeros(1)}), SampleBatch({"o": [{}]})],
            ValueError,
            "column 'o' has dtype object in batch 1",
        ),
        (
            [SampleBatch({"a": [1]}, _time_major=True), SampleBatch({"a": [2]})],
            ValueError,
            "batch 0 is time-major",
        ),
        (
            [SampleBatch({"a": [1]}, seq_lens=[1]).right_zero_pad(2), SampleBatch({"a": [2]}, seq_lens=[1])],
            ValueError,
            "batch 1 has zero_padded=False",
        ),
        (
            [SampleBatch({"a": [1], "k": np.array(1)}), SampleBatch({"a": [2], "k": np.array(2)})],
            ValueError,
            "0-d column 'k' differs",
        ),
        (
            [SampleBatch({"a": [1]}), SampleBatch({"a": [2]}).as_multi_agent()],
            ValueError,
            "batch 1 is a MultiAgentBatch",
        ),
        ([SampleBatch({"a": [1]}), {"a": [2]}], TypeError, "batch 1 must be a SampleBatch, got dict"),
    ],
)
def test_concat_errors(batches, exc, match):
    with pytest.raises(exc, match=match):
        concat_samples(batches)


def test_concat_keeps_equal_zero_d_extras():
    out = concat_samples([SampleBatch({"a": [1], "k": np.array(1)}), SampleBatch({"a": [2], "k": np.array(1)})])
    assert out["k"] == 1 and out.count == 2


def test_concat_dispatches_to_multi_agent():
    ma = SampleBatch({"a": [1]}).as_multi_agent()
    out = SampleBatch.concat_samples([ma, ma])
    assert isinstance(out, MultiAgentBatch) and out.count == 2


def test_import_pulls_no_framework():
    code = "import sys, rlcore.data, rlcore.data.codec; print(sorted(m for m in ('torch','tensorflow','ray') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_constructing_from_a_batch_keeps_its_flags():
    padded = SampleBatch({"a": [1, 2, 3]}, seq_lens=[1, 2], _is_training=True).right_zero_pad(2)
    again = SampleBatch(padded)
    assert again.zero_padded and again.max_seq_len == 2 and again.is_training is True
    assert again["a"] is padded["a"] and again.count == 3
    assert SampleBatch(padded, _is_training=False).is_training is False


@pytest.mark.ray
def test_travels_through_ray_with_flags(ray_session):
    ray = ray_session
    b = SampleBatch({"a": np.arange(6.0), "infos": [{}] * 6}, seq_lens=[4, 2], _is_training=True)
    got = ray.get(ray.put(b), timeout=60)
    assert isinstance(got, SampleBatch) and got.count == 6 and got.max_seq_len == 4 and got.is_training is True
    assert not got["a"].flags.writeable  # Ray hands back read-only arrays; methods must not write in place
    got.right_zero_pad(5)
    assert got["a"].tolist() == [0, 1, 2, 3, 0, 4, 5, 0, 0, 0]
    flat = ray.get(ray.put(SampleBatch({"a": np.arange(4)})), timeout=60)
    assert sorted(flat.shuffle(np.random.default_rng(1))["a"].tolist()) == [0, 1, 2, 3]
    assert SampleBatch.from_bytes(ray.get(ray.put(b.to_bytes()), timeout=60))["a"].tolist() == b["a"].tolist()
