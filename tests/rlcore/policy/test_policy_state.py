"""The msgpack policy-state codec: exact round trips, no pickle, clear errors."""

import numpy as np
import pytest

from rlcore.policy.policy_state import load_state, packb, save_state, unpackb


@pytest.mark.parametrize("value", [
    np.arange(6, dtype=np.float32).reshape(2, 3),
    np.array([1, 2], dtype=np.int64),
    np.array(3.5, dtype=np.float64),
    np.zeros((0, 4), dtype=np.float32),
    np.array([True, False]),
])
def test_ndarray_round_trip(value):
    back = unpackb(packb({"x": value}))["x"]
    assert back.dtype == value.dtype and back.shape == value.shape
    np.testing.assert_array_equal(back, value)
    assert back.flags.writeable


def test_nested_state_with_int_keys_and_scalars():
    state = {"opt": {"state": {0: {"step": np.float32(3)}}, "param_groups": [{"lr": 0.1, "betas": [0.9, 0.99]}]}}
    back = unpackb(packb(state))
    assert back["opt"]["state"][0]["step"] == 3.0 and back["opt"]["param_groups"][0]["betas"] == [0.9, 0.99]


def test_object_arrays_are_refused():
    with pytest.raises(TypeError, match="object-dtype"):
        packb({"x": np.array([{}], dtype=object)})


def test_save_and_load(tmp_path):
    path = save_state({"w": np.ones(2)}, str(tmp_path / "d"))
    assert load_state(path)["w"].tolist() == [1.0, 1.0]
    assert load_state(str(tmp_path / "d"))["w"].tolist() == [1.0, 1.0]


def test_corrupt_file(tmp_path):
    p = tmp_path / "bad.msgpack"
    p.write_bytes(b"\xc1\xc1\xc1")
    with pytest.raises(ValueError, match="not a msgpack policy state"):
        load_state(str(p))
