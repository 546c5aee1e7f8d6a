"""rllib_compat.utils.framework (tf1 where it still works, 1.x return shapes) and the torch/tf op helpers."""

import gymnasium as gym
import numpy as np
import pytest

import rllib_compat.utils.framework as framework
from rllib_compat._absent import AbsentFeatureError
from rllib_compat.utils.framework import TF1_ABSENT, try_import_tf, try_import_tfp, try_import_torch


def test_tf1_passes_through_what_works_in_tensorflow_2():
    import tensorflow as tf
    tf1, tf_mod, tfv = try_import_tf()
    assert tf_mod is tf and tfv == 2
    tf1.enable_eager_execution()  # a no-op in TF2, as 1.x scripts call it
    assert tf1.executing_eagerly() and tf1.float32 is tf.float32
    assert float(tf1.losses.mean_squared_error(tf.constant([1.0]), tf.constant([3.0]))) == 4.0
    assert tf1.train.AdamOptimizer is tf.compat.v1.train.AdamOptimizer
    assert try_import_tf()[0] is tf1  # one proxy per process


@pytest.mark.parametrize("name", sorted(TF1_ABSENT))
def test_tf1_graph_mode_names_raise_a_clear_error(name):
    tf1 = try_import_tf()[0]
    with pytest.raises(AbsentFeatureError, match=f"tf1.{name} \\(RLlib 1.x\\) does not exist in rllib_compat") as err:
        getattr(tf1, name)
    assert "; instead, " in str(err.value)
    assert name not in dir(tf1)
    import tensorflow as tf

    assert tf.executing_eagerly()  # nothing switched TensorFlow to graph mode


def test_error_true_raises_when_a_framework_is_missing(monkeypatch):
    monkeypatch.setattr(framework, "_rlcore_try_import_tf", lambda: (None, None, None))
    monkeypatch.setattr(framework, "_rlcore_try_import_torch", lambda: (None, None))
    assert try_import_tf() == (None, None, None) and try_import_torch() == (None, None)
    with pytest.raises(ImportError, match="TensorFlow is not installed"):
        try_import_tf(error=True)
    with pytest.raises(ImportError, match="torch is not installed"):
        try_import_torch(error=True)


def test_try_import_tfp_returns_the_module_or_none():
    tfp = try_import_tfp()
    try:
        import tensorflow_probability as expected
    except ImportError:
        expected = None
    assert tfp is expected


def test_torch_ops_gradient_helpers():
    import torch
    from rllib_compat.utils.torch_ops import apply_grad_clipping, global_norm, l2_loss, minimize_and_clip

    lin = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    (lin(torch.ones(2, 3)).sum() * 50).backward()

    class P:
        config = {"grad_clip": 2.0}

    before = float(global_norm([p.grad for p in lin.parameters()]))
    info = apply_grad_clipping(P(), opt, None)
    assert abs(float(info["grad_gnorm"]) - before) < 1e-3
    assert abs(float(global_norm([p.grad for p in lin.parameters()])) - 2.0) < 1e-4
    P.config = {"grad_clip": None}
    assert apply_grad_clipping(P(), opt, None) == {}
    minimize_and_clip(opt, clip_val=0.5)
    assert all(float(p.grad.norm()) <= 0.5 + 1e-6 for p in lin.parameters())
    assert float(l2_loss(torch.tensor([3.0, 4.0]))) == 12.5


def test_torch_ops_convert_keeps_repeated_values_and_object_arrays():
    import torch
    from rllib_compat.models.repeated_values import RepeatedValues
    from rllib_compat.utils.torch_ops import atanh, convert_to_torch_tensor, one_hot

    infos = np.array([{"a": 1}], dtype=object)
    readonly = np.zeros(3)
    readonly.setflags(write=False)
    out = convert_to_torch_tensor({"rv": RepeatedValues(np.zeros((1, 2, 3)), np.array([1.0]), 2), "infos": infos,
                                   "ro": readonly})
    assert isinstance(out["rv"], RepeatedValues) and out["rv"].values.dtype == torch.float32
    assert out["infos"] is infos and out["ro"].dtype == torch.float32
    assert torch.isfinite(atanh(torch.tensor([1.0, -1.0]))).all()
    with pytest.raises(ValueError, match="Unsupported space for `one_hot`: Box"):
        one_hot(torch.zeros(1), gym.spaces.Box(0, 1, (1,)))


def test_tf_ops_minimize_and_clip_with_a_tf_policy_optimizer():
    import tensorflow as tf
    from rlcore.policy.tf_policy import OptimizerWrapper
    from rllib_compat.utils.tf_ops import minimize_and_clip

    v, unused = tf.Variable([3.0, 4.0]), tf.Variable([1.0])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(v * v)
    pairs = minimize_and_clip(OptimizerWrapper(tf.keras.optimizers.SGD(0.1), tape), loss, [v, unused], clip_val=5.0)
    assert len(pairs) == 1 and pairs[0][1] is v  # no gradient for `unused`: left out
    np.testing.assert_allclose(pairs[0][0].numpy(), [3.0, 4.0], rtol=1e-6)  # [6, 8] clipped to norm 5
    with pytest.raises(ValueError, match="clip_val=0 must be > 0"):
        minimize_and_clip(None, loss, [v], clip_val=0)
