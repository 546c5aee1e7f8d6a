"""rllib_compat.utils.numpy: the numpy NN pieces (checked against torch where torch has the same op)."""

import numpy as np
import pytest

from rllib_compat.utils.numpy import (
    LARGE_INTEGER,
    MAX_LOG_NN_OUTPUT,
    MIN_LOG_NN_OUTPUT,
    SMALL_NUMBER,
    convert_to_numpy,
    fc,
    lstm,
    one_hot,
    relu,
    sigmoid,
    softmax,
)


def test_constants_and_elementwise_functions():
    assert (SMALL_NUMBER, LARGE_INTEGER, MIN_LOG_NN_OUTPUT, MAX_LOG_NN_OUTPUT) == (1e-6, 100000000, -5, 2)
    np.testing.assert_allclose(sigmoid(np.array([-1.0, 1.0])), [0.26894142, 0.73105858])
    np.testing.assert_allclose(softmax(np.array([[1.0, 1.0], [0.0, 1000.0]])), [[0.5, 0.5], [1e-6, 1.0]], atol=1e-6)
    assert relu(np.array([-1.0, 2.0])).tolist() == [0.0, 2.0]


def test_one_hot_depth_values_and_errors():
    assert one_hot(np.array([[1], [0]]), depth=3, on_value=5.0, off_value=-1.0).tolist() == \
        [[[-1.0, 5.0, -1.0]], [[5.0, -1.0, -1.0]]]
    with pytest.raises(ValueError, match="outside \\[0, depth=2\\)"):
        one_hot(np.array([2]), depth=2)


def test_fc_and_lstm_match_torch():
    import torch
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    w, b = rng.normal(size=(4, 5)), rng.normal(size=5)
    np.testing.assert_allclose(fc(torch.as_tensor(x), w, b), x @ w + b)

    units = 3
    kernel = rng.normal(size=(4 + units, 4 * units)) * 0.5
    bias = rng.normal(size=4 * units) * 0.1
    out, (c, h) = lstm(x, kernel, bias, forget_bias=0.0)
    # torch.nn.LSTM: gates i, f, g, o; weight_ih [4u, in], weight_hh [4u, u]; TF order is i, j(g), f, o.
    i, j, f, o = np.split(kernel, 4, axis=1)
    bi, bj, bf, bo = np.split(bias, 4)
    ref = torch.nn.LSTM(4, units, batch_first=True).double()
    with torch.no_grad():
        ref.weight_ih_l0.copy_(torch.as_tensor(np.concatenate([i, f, j, o], axis=1)[:4].T))
        ref.weight_hh_l0.copy_(torch.as_tensor(np.concatenate([i, f, j, o], axis=1)[4:].T))
        ref.bias_ih_l0.copy_(torch.as_tensor(np.concatenate([bi, bf, bj, bo])))
        ref.bias_hh_l0.zero_()
        ref_out, (ref_h, ref_c) = ref(torch.as_tensor(x))
    np.testing.assert_allclose(out, ref_out.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, ref_h[0].numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c, ref_c[0].numpy(), rtol=1e-10, atol=1e-12)
    out_tm, _ = lstm(np.transpose(x, (1, 0, 2)), kernel, bias, forget_bias=0.0, time_major=True)
    np.testing.assert_allclose(np.transpose(out_tm, (1, 0, 2)), out)
    shifted, _ = lstm(x, kernel, bias)  # the default forget_bias=1.0 changes the result
    assert not np.allclose(shifted, out)


def test_convert_to_numpy_tensors_and_reduce_floats():
    import torch
    out = convert_to_numpy({"a": torch.ones(2, dtype=torch.float64), "b": (3, np.zeros(1))}, reduce_floats=True)
    assert out["a"].dtype == np.float32 and out["b"][0] == 3 and out["b"][1].dtype == np.float32
