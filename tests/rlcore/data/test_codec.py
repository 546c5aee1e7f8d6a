"""Tests of rlcore.data.codec: exact round trips, zero-copy decoding, clear errors."""

import struct

import numpy as np
import pytest

from rlcore.data import codec
from rlcore.data.codec import from_bytes, to_bytes
from rlcore.data.multi_agent_batch import MultiAgentBatch
from rlcore.data.sample_batch import SampleBatch

rng = np.random.default_rng(0)

ARRAYS = {
    "bool": rng.random(7) > 0.5,
    "uint8_img": rng.integers(0, 255, (3, 4, 4, 3), dtype=np.uint8),
    "int8": np.arange(-3, 4, dtype=np.int8),
    "int16_be": np.arange(5, dtype=">i2"),
    "int32": np.arange(6, dtype=np.int32),
    "int64": np.array([2**62, -(2**62), 0], dtype=np.int64),
    "uint64": np.array([2**64 - 1], dtype=np.uint64),
    "float16": rng.standard_normal(4).astype(np.float16),
    "float32_2d": rng.standard_normal((5, 3)).astype(np.float32),
    "float32_be": rng.standard_normal(4).astype(">f4"),
    "float64_le": rng.standard_normal(4).astype("<f8"),
    "float64_be": rng.standard_normal((2, 2)).astype(">f8"),
    "complex64": (rng.standard_normal(3) + 1j).astype(np.complex64),
    "unicode": np.array(["a", "bcd", "é漢"]),
    "bytes": np.array([b"x", b"yz"]),
    "datetime": np.array(["2021-01-01", "2021-06-30"], dtype="datetime64[D]"),
    "timedelta": np.array([1, 2], dtype="timedelta64[ms]"),
    "zero_rows": np.zeros((0, 4), np.float32),
    "zero_rows_1d": np.zeros(0, np.int64),
    "zero_d": np.array(3.5),
    "zero_d_int": np.array(7, dtype=np.int32),
    "nan_inf": np.array([np.nan, np.inf, -np.inf, -0.0]),
    "non_contiguous": np.arange(12.0).reshape(3, 4).T,
    "fortran": np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
    "strided": np.arange(20)[::3],
}


def assert_exact(a, b):
    assert a.dtype == b.dtype and a.dtype.str == b.dtype.str, (a.dtype, b.dtype)
    assert a.shape == b.shape
    np.testing.assert_array_equal(a, b)  # NaNs compare equal here
    if a.dtype.kind == "f":
        assert (np.signbit(a) == np.signbit(b)).all()


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_round_trip_numeric_column_exactly(name):
    arr = ARRAYS[name]
    cols = {name: arr} if arr.ndim == 0 else {name: arr, "idx": np.arange(arr.shape[0])}
    out = from_bytes(to_bytes(SampleBatch(cols)))
    assert isinstance(out, SampleBatch) and list(out.keys()) == list(cols)
    for k in cols:
        assert_exact(cols[k], out[k])


INFOS = [
    {"a": 1, "b": 2.5, "c": "s", "d": None, "e": True, "f": b"raw"},
    {"nested": {"list": [1, [2, 3]], "tuple": (1, (2, "x")), 5: "int key"}},
    {"np_scalar": np.float32(1.5), "np_int": np.int64(-3), "np_bool": np.bool_(True)},
    {"arr": np.arange(4, dtype=np.int16).reshape(2, 2), "set": {1, 2}},
    {},
]


def test_round_trip_object_infos():
    b = SampleBatch({"obs": np.zeros((5, 2)), "infos": INFOS})
    out = from_bytes(to_bytes(b))
    assert out["infos"].dtype == object and out["infos"].shape == (5,)
    got = out["infos"].tolist()
    assert got[0] == INFOS[0] and got[1] == INFOS[1] and got[4] == {}
    assert isinstance(got[1]["nested"]["tuple"], tuple) and isinstance(got[1]["nested"]["tuple"][1], tuple)
    for k, v in INFOS[2].items():
        assert type(got[2][k]) is type(v) and got[2][k] == v
    assert_exact(got[3]["arr"], INFOS[3]["arr"])
    assert got[3]["set"] == {1, 2}


def test_round_trip_object_column_with_shape_and_none():
    col = np.empty((2, 2), dtype=object)
    col[0, 0], col[0, 1], col[1, 0], col[1, 1] = None, [1], "x", {"k": (1,)}
    out = from_bytes(to_bytes(SampleBatch({"o": col})))["o"]
    assert out.shape == (2, 2) and out.tolist() == col.tolist()


def test_round_trip_rnn_flags_and_seq_lens():
    b = SampleBatch({"a": np.arange(5.0), "state_in_0": np.ones((2, 3), np.float32)}, seq_lens=[3, 2])
    b.right_zero_pad(4)
    out = from_bytes(to_bytes(b))
    assert out.zero_padded and out.max_seq_len == 4 and out.count == 5
    assert_exact(b["seq_lens"], out["seq_lens"])
    assert_exact(b["a"], out["a"])
    t = from_bytes(to_bytes(SampleBatch({"a": [1]}, _time_major=True, _is_training=False)))
    assert t.time_major is True and t.is_training is False


def test_round_trip_empty_batch():
    out = from_bytes(to_bytes(SampleBatch()))
    assert isinstance(out, SampleBatch) and out.count == 0 and not list(out.keys())


def test_round_trip_multi_agent_batch():
    ma = MultiAgentBatch(
        {"p0": SampleBatch({"x": np.arange(3, dtype=np.float32)}), ("team", 1): SampleBatch({"x": [1.0]}), "e": SampleBatch()},
        env_steps=3,
    )
    out = from_bytes(ma.to_bytes())
    assert isinstance(out, MultiAgentBatch) and out.count == 3 and list(out.policy_batches) == list(ma.policy_batches)
    for pid, b in ma.policy_batches.items():
        assert list(out.policy_batches[pid].keys()) == list(b.keys())
        for k in b:
            assert_exact(b[k], out.policy_batches[pid][k])
    assert MultiAgentBatch.from_bytes(ma.to_bytes()).agent_steps() == 4


def test_decoding_is_zero_copy_and_read_only():
    b = SampleBatch({"obs": np.arange(1000, dtype=np.float32), "a": np.arange(1000, dtype=np.int64)})
    data = to_bytes(b)
    out = from_bytes(data)
    whole = np.frombuffer(data, dtype=np.uint8)
    for k in b:
        assert np.shares_memory(out[k], whole), k
        assert not out[k].flags.writeable and out[k].flags.aligned
    with pytest.raises(ValueError):
        out["obs"][0] = 1.0


def test_bytearray_and_memoryview_inputs():
    b = SampleBatch({"x": np.arange(4, dtype=np.int32)})
    buf = bytearray(to_bytes(b))
    out = from_bytes(buf)
    assert out["x"].flags.writeable and out["x"].tolist() == [0, 1, 2, 3]
    assert from_bytes(memoryview(bytes(buf)))["x"].tolist() == [0, 1, 2, 3]


def test_sample_batch_methods_match_module_functions():
    b = SampleBatch({"x": [1, 2]})
    assert b.to_bytes() == to_bytes(b)
    assert SampleBatch.from_bytes(b.to_bytes())["x"].tolist() == [1, 2]


def good_bytes():
    return to_bytes(SampleBatch({"x": np.arange(4, dtype=np.int64), "infos": [{}, {}, {}, {}]}))


def tampered_header(**changes):
    """Re-encodes a good message with its header changed."""
    data = good_bytes()
    _, version, hlen = struct.unpack_from("<4sBI", data)
    header = codec._unpack(data[9 : 9 + hlen])
    spec = header["batch"]["columns"][0][1]
    spec.update(changes)
    head = codec._pack(header)
    body = data[codec._align(9 + hlen) :]
    pre = struct.pack("<4sBI", b"RLCB", version, len(head))
    return pre + head + bytes(codec._align(9 + len(head)) - 9 - len(head)) + body


MALFORMED = {
    "empty": b"",
    "short": b"RLCB",
    "magic": b"XXXX" + good_bytes()[4:],
    "version": good_bytes()[:4] + b"\x07" + good_bytes()[5:],
    "header_past_end": struct.pack("<4sBI", b"RLCB", 1, 10_000) + b"\x00" * 10,
    "garbage_header": struct.pack("<4sBI", b"RLCB", 1, 4) + b"\xc1\xc1\xc1\xc1",
    "header_not_map": struct.pack("<4sBI", b"RLCB", 1, 1) + b"\x01",
    "truncated_body": good_bytes()[:-8],
    "bad_dtype": tampered_header(dtype="not-a-dtype"),
    "object_dtype_raw": tampered_header(dtype="|O8"),
    "bad_nbytes": tampered_header(nbytes=9),
    "offset_past_end": tampered_header(offset=1 << 30),
    "bad_shape": tampered_header(shape=[-1]),
    "inconsistent_rows": tampered_header(shape=[2], nbytes=16),
    "msgpack_only": codec._pack({"kind": "SampleBatch"}),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_raises_value_error(name):
    with pytest.raises(ValueError, match="^not an rlcore batch: "):
        from_bytes(MALFORMED[name])


@pytest.mark.parametrize("data", ["text", 12, None, [1, 2]])
def test_non_bytes_input_is_a_type_error(data):
    with pytest.raises(TypeError, match="expected bytes, bytearray or memoryview"):
        from_bytes(data)


class Opaque:
    pass


@pytest.mark.parametrize(
    "batch,match",
    [
        (lambda: SampleBatch({"x": [1], "infos": [{"o": Opaque()}]}), "cannot encode an object of type Opaque"),
        (lambda: SampleBatch({"s": np.zeros(2, dtype=[("a", "i4"), ("b", "f4")])}), "column 's' has dtype"),
        (lambda: SampleBatch({"x": {"nested": 1}}), "column 'x' is a dict"),
        (lambda: SampleBatch({"x": [1], "infos": [{"big": 2**70}]}), "object column cannot be encoded"),
        (lambda: {"x": [1]}, "expected a SampleBatch or MultiAgentBatch"),
    ],
)
def test_unencodable_values_raise_type_error(batch, match):
    with pytest.raises(TypeError, match=match):
        to_bytes(batch())


def test_large_batch_round_trip_is_exact():
    b = SampleBatch(
        {
            "obs": rng.standard_normal((4000, 84)).astype(np.float32),
            "actions": rng.integers(0, 6, 4000),
            "dones": rng.random(4000) < 0.01,
            "infos": [{"i": i} for i in range(4000)],
        }
    )
    out = from_bytes(to_bytes(b))
    for k in ("obs", "actions", "dones"):
        assert_exact(b[k], out[k])
    assert out["infos"][3999] == {"i": 3999}
