"""The TF2 FullyConnectedNetwork's eager forward (its own layer plan) against Keras' call of base_model."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

from rlcore.models import ModelCatalog
from rlcore.models.tf.fcnet import FullyConnectedNetwork

OBS = gym.spaces.Box(-1, 1, (4,), np.float32)
X = np.random.default_rng(1).uniform(-1, 1, (7, 4)).astype(np.float32)


def build(action_space=gym.spaces.Discrete(3), num_outputs=3, **cfg):
    return ModelCatalog.get_model_v2(OBS, action_space, num_outputs, {"fcnet_hiddens": [8, 6], **cfg}, framework="tf2")


def keras_forward(m, x):
    """Outputs and gradients through Keras' own call of the functional model."""
    with tf.GradientTape() as tape:
        out, value = m.base_model(x)
        loss = tf.reduce_sum(tf.sin(out)) + tf.reduce_sum(tf.square(value))
    return out.numpy(), tf.reshape(value, [-1]).numpy(), [g.numpy() for g in tape.gradient(loss, m.trainable_variables())]


def eager_forward(m, x):
    with tf.GradientTape() as tape:
        out, _ = m({"obs": x})
        value = m.value_function()
        loss = tf.reduce_sum(tf.sin(out)) + tf.reduce_sum(tf.square(value))
    return out.numpy(), value.numpy(), [g.numpy() for g in tape.gradient(loss, m.trainable_variables())]


@pytest.mark.parametrize("cfg", [
    {},
    {"vf_share_layers": False},
    {"no_final_linear": True},
    {"fcnet_activation": "relu", "vf_share_layers": False},
    {"fcnet_activation": "linear"},
    {"fcnet_hiddens": []},
    {"post_fcnet_hiddens": [5], "post_fcnet_activation": "elu"},
])
def test_eager_plan_gives_keras_outputs_and_gradients_bit_for_bit(cfg):
    m = build(**cfg)
    k_out, k_v, k_grads = keras_forward(m, tf.constant(X))
    e_out, e_v, e_grads = eager_forward(m, X)
    assert m._eager_plan, "the eager plan should be used for plain Dense layers"
    np.testing.assert_array_equal(e_out, k_out)
    np.testing.assert_array_equal(e_v, k_v)
    assert len(e_grads) == len(k_grads) == len(m.trainable_variables())
    for e, k in zip(e_grads, k_grads):
        np.testing.assert_array_equal(e, k)


def test_free_log_std_runs_its_layer_in_the_plan():
    m = build(action_space=gym.spaces.Box(-1, 1, (2,)), num_outputs=4, free_log_std=True, vf_share_layers=False)
    m.base_model.get_layer("append_log_std").log_std.assign([0.5, -0.25])
    k_out, k_v, k_grads = keras_forward(m, tf.constant(X))
    e_out, e_v, e_grads = eager_forward(m, X)
    np.testing.assert_array_equal(e_out, k_out)
    np.testing.assert_array_equal(e_out[:, 2:], np.tile([[0.5, -0.25]], (7, 1)).astype(np.float32))
    for e, k in zip(e_grads, k_grads):
        np.testing.assert_array_equal(e, k)


def test_variables_are_not_doubled_by_the_plan():
    m = build(vf_share_layers=False)
    before = [v.path for v in m.variables()]
    m({"obs": X})
    assert m._eager_plan
    assert [v.path for v in m.variables()] == before and len(before) == 12


def test_new_weights_reach_the_eager_forward():
    m = build()
    m({"obs": X})
    for v in m.variables():
        v.assign(np.full(v.shape, 0.1, np.float32))
    e_out, _, _ = eager_forward(m, X)
    k_out, _, _ = keras_forward(m, tf.constant(X))
    np.testing.assert_array_equal(e_out, k_out)


def test_a_replaced_base_model_is_called_through_keras():
    m = build()
    inp = tf.keras.layers.Input((4,))
    m.base_model = tf.keras.Model(inp, [tf.keras.layers.Dense(3, name="other")(inp), tf.keras.layers.Dense(1)(inp)])
    out, _ = m({"obs": X})
    assert m._eager_plan is False
    np.testing.assert_array_equal(out.numpy(), m.base_model(tf.constant(X))[0].numpy())


def test_a_layer_outside_the_plan_falls_back_to_keras():
    m = build()
    dense = m.base_model.get_layer("fc_1")
    dense.enable_lora(2)
    out, _ = m({"obs": X})
    assert m._eager_plan is False
    np.testing.assert_array_equal(out.numpy(), m.base_model(tf.constant(X))[0].numpy())


def test_float64_obs_flat_goes_through_keras():
    m = build()
    x64 = tf.constant(X.astype(np.float64))
    out, _ = m.forward({"obs_flat": x64}, [], None)
    np.testing.assert_allclose(out.numpy(), m.base_model(tf.constant(X))[0].numpy(), rtol=1e-6)


def test_traced_forward_still_uses_keras_and_matches():
    m = build(vf_share_layers=False)
    run = tf.function(lambda x: m({"obs": x})[0])
    np.testing.assert_allclose(run(tf.constant(X)).numpy(), m({"obs": X})[0].numpy(), rtol=1e-6)
    assert isinstance(m, FullyConnectedNetwork)
