"""JSON line parsing (``json_line_arrays``): native vs numpy twin, and both vs ``json.loads``."""

import json
import math
import struct

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlcore import _backend, _reference
from rlcore._checks import JSON_MAX_DEPTH, json_numbers

if _backend.NATIVE:
    from rlcore import _core


def _loads(text):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _same(a, b):
    """Equal values, arrays equal in dtype, shape and bits (NaN equal to NaN, -0.0 apart from 0.0)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and a.tobytes() == b.tobytes())
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def _expected(data, depth=0):
    """What both must return for a parsed object: lists through json_numbers, objects within the
    depth limit recursively."""
    return {k: json_numbers(v) if isinstance(v, list)
            else _expected(v, depth + 1) if isinstance(v, dict) and depth + 1 < JSON_MAX_DEPTH else v
            for k, v in data.items()}


def test_a_batch_line_gives_arrays_and_leaves_the_rest_to_loads(impl):
    line = (b' {"type": "SampleBatch", "obs": [[0.1, -2.5e-3], [3, 4]], "actions": [1, 2], "dones": [true, false],'
            b' "empty": [], "infos": [{}, {"x": [1]}], "s": "abc", "count": 5, "odd": [NaN, -Infinity, 1e400],'
            b' "mixed": [true, 2], "ragged": [[1], [2, 3]], "none": [null], "pb": {"p0": {"x": [[1.5]]}},'
            b' "deep_empty": [[[]]], "k\\u00e9": [-0.0, -0]}\n')
    got = impl.json_line_arrays(line, _loads)
    assert list(got) == ["type", "obs", "actions", "dones", "empty", "infos", "s", "count", "odd", "mixed", "ragged",
                         "none", "pb", "deep_empty", "k\u00e9"]
    assert got["obs"].dtype == np.float64 and got["obs"].tolist() == [[0.1, -0.0025], [3.0, 4.0]]
    assert got["actions"].dtype == np.int64 and got["dones"].dtype == np.bool_
    assert got["empty"].dtype == np.float64 and got["empty"].shape == (0,)
    assert got["infos"] == [{}, {"x": [1]}] and got["s"] == "abc" and got["count"] == 5
    assert np.isnan(got["odd"][0]) and got["odd"][1:].tolist() == [-math.inf, math.inf]
    assert got["mixed"].dtype == np.int64 and got["mixed"].tolist() == [1, 2]
    assert got["ragged"] == [[1], [2, 3]] and got["none"] == [None]
    assert got["pb"]["p0"]["x"].shape == (1, 1) and got["deep_empty"].shape == (1, 1, 0)
    assert np.signbit(got["k\u00e9"][0]) and got["k\u00e9"][1] == 0.0 and not np.signbit(got["k\u00e9"][1])


@pytest.mark.parametrize("line", [
    b"", b"   ", b"[1, 2]", b"5", b'"x"', b"{", b'{"a": [1, 2}', b'{"a": [1,]}', b'{"a": 01}', b'{"a": [01]}',
    b'{"a": [1.]}', b'{"a": [1e]}', b'{"a": [-]}', b'{"a": [tru]}', b'{"a": 1,}', b'{"a" 1}', b'{a: 1}',
    b'{"a": 1} x', b'{"a": [1] [2]}', b'{"a": "\x01"}', b'{"\x01": 1}', b'{"a": [1, 2]', b'{"a": [\xff]}',
    b'{"\xff": 1}', b'\xef\xbb\xbf{"a": 1}', b'{"a": [Infinity1]}', b'{"a": [1, -Infinit]}',
])
def test_what_is_not_one_json_object_gives_none(impl, line):
    assert impl.json_line_arrays(line, _loads) is None


def test_the_line_must_be_bytes(impl):
    with pytest.raises(TypeError, match="line must be bytes, got str"):
        impl.json_line_arrays('{"a": 1}', _loads)


def test_lists_deeper_than_the_limit_stay_lists(impl):
    def nested(depth):
        v = [1.5]
        for _ in range(depth - 1):
            v = [v]
        return v

    at_limit = impl.json_line_arrays(json.dumps({"a": nested(JSON_MAX_DEPTH)}).encode(), _loads)["a"]
    assert isinstance(at_limit, np.ndarray) and at_limit.ndim == JSON_MAX_DEPTH
    assert impl.json_line_arrays(json.dumps({"a": nested(JSON_MAX_DEPTH + 1)}).encode(), _loads)["a"] == \
        nested(JSON_MAX_DEPTH + 1)


def test_objects_deeper_than_the_limit_come_from_loads(impl):
    obj = {"x": [1, 2]}
    for _ in range(JSON_MAX_DEPTH):
        obj = {"o": obj}
    got = impl.json_line_arrays(json.dumps(obj).encode(), _loads)
    assert _same(got, _expected(obj))
    for _ in range(JSON_MAX_DEPTH - 1):
        got = got["o"]
    assert got["o"] == {"x": [1, 2]} and type(got["o"]["x"]) is list
    obj = {"x": [1, 2]}
    for _ in range(JSON_MAX_DEPTH - 1):
        obj = {"o": obj}
    got = impl.json_line_arrays(json.dumps(obj).encode(), _loads)
    for _ in range(JSON_MAX_DEPTH - 1):
        got = got["o"]
    assert isinstance(got["x"], np.ndarray)


@pytest.mark.parametrize("token", [
    "0", "-0", "999999999999999999", "-999999999999999999", "1000000000000000000", "123456789012345678901",
    "0.1", "-0.0", "1e22", "1e23", "9007199254740993.0", "9007199254740992", "1.7976931348623157e308", "1e309",
    "-1e309", "5e-324", "1e-400", "0.30000000000000004", "123456789012345678901234567890e-10", "1E+2", "1e-0",
    "0.000000000000000000000000000001", "4.9406564584124654e-324", "2.2250738585072011e-308",
])
def test_each_number_reads_as_json_loads_reads_it(impl, token):
    line = f'{{"a": [{token}], "b": [[{token}, 1.5]]}}'.encode()
    assert _same(impl.json_line_arrays(line, json.loads), _expected(json.loads(line)))


_floats = st.floats(allow_nan=True, allow_infinity=True)
_leaf = st.one_of(st.booleans(), st.integers(-10**20, 10**20), _floats,
                  st.floats(width=32, allow_nan=False, allow_infinity=False))


@st.composite
def _rectangular(draw):
    shape = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    leaf = draw(st.sampled_from(["bool", "int", "float", "f32", "any"]))
    strategy = {"bool": st.booleans(), "int": st.integers(-10**19, 10**19), "float": _floats,
                "f32": st.floats(width=32, allow_nan=False, allow_infinity=False), "any": _leaf}[leaf]

    def build(dims):
        return [draw(strategy) if len(dims) == 1 else build(dims[1:]) for _ in range(dims[0])]

    return build(shape)


_value = st.recursive(
    st.one_of(st.none(), _leaf, st.text(max_size=5), _rectangular()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=60)
@given(data=st.dictionaries(st.text(max_size=6), _value, max_size=6), compact=st.booleans())
def test_parity_with_the_twin_and_json_loads_on_random_lines(data, compact):
    line = json.dumps(data, separators=(",", ":") if compact else (", ", ": ")).encode()
    want = _expected(json.loads(line))
    for impl in _impls():
        assert _same(impl.json_line_arrays(line, json.loads), want), impl.__name__


@settings(max_examples=60)
@given(data=st.dictionaries(st.text(max_size=6), _value, max_size=6), cut=st.integers(0, 10_000),
       junk=st.binary(max_size=3))
def test_damaged_lines_agree_with_the_twin(data, cut, junk):
    text = json.dumps(data).encode()
    line = text[:cut % (len(text) + 1)] + junk
    got = [impl.json_line_arrays(line, json.loads) for impl in _impls()]
    assert all(_same(g, got[0]) if got[0] is not None else g is None for g in got)


@settings(max_examples=50)
@given(values=st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), min_size=1, max_size=50))
def test_float32_columns_written_by_orjson_read_back_exactly(values):
    col = np.asarray(values, np.float32)
    line = orjson.dumps({"c": col}, option=orjson.OPT_SERIALIZE_NUMPY)
    for impl in _impls():
        assert impl.json_line_arrays(line, _loads)["c"].astype(np.float32).tobytes() == col.tobytes()


def _impls():
    return [_reference, _core] if _backend.NATIVE else [_reference]
