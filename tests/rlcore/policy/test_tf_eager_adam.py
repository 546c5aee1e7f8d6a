"""apply_adam_eagerly against Keras' own Adam step: variables, slots and iterations bit for bit."""

import numpy as np
import pytest
import tensorflow as tf

from rlcore.policy.tf_eager_adam import apply_adam_eagerly, eager_adam_supported

SHAPES = [(4, 8), (8,), (8, 2), (2,)]


def make_vars(seed):
    rng = np.random.default_rng(seed)
    return [tf.keras.Variable(rng.normal(size=s).astype(np.float32), name=f"w{i}") for i, s in enumerate(SHAPES)]


def grads_for(step):
    rng = np.random.default_rng(100 + step)
    return [tf.constant(rng.normal(size=s).astype(np.float32) * 10 ** rng.uniform(-3, 1)) for s in SHAPES]


@pytest.mark.parametrize("kwargs", [
    {"learning_rate": 1e-3},
    {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-5},
    {"learning_rate": tf.keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)},
])
def test_eager_adam_equals_keras_bit_for_bit(kwargs):
    keras_vars, own_vars = make_vars(0), make_vars(0)
    keras_opt, own_opt = tf.keras.optimizers.Adam(**kwargs), tf.keras.optimizers.Adam(**kwargs)
    keras_opt.build(keras_vars)
    own_opt.build(own_vars)
    for step in range(6):
        grads = grads_for(step)
        keras_opt.apply_gradients(list(zip(grads, keras_vars)))
        assert apply_adam_eagerly(own_opt, list(zip(grads, own_vars)))
    for a, b in zip(keras_vars, own_vars):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(keras_opt.variables, own_opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(own_opt.iterations.numpy()) == 6


def test_a_subset_of_the_variables_updates_only_those():
    keras_vars, own_vars = make_vars(1), make_vars(1)
    keras_opt, own_opt = tf.keras.optimizers.Adam(0.01), tf.keras.optimizers.Adam(0.01)
    keras_opt.build(keras_vars)
    own_opt.build(own_vars)
    grads = grads_for(0)
    keras_opt.apply_gradients([(grads[1], keras_vars[1]), (grads[3], keras_vars[3])])
    assert apply_adam_eagerly(own_opt, [(grads[1], own_vars[1]), (grads[3], own_vars[3])])
    for a, b in zip(keras_vars + keras_opt.variables, own_vars + own_opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("make", [
    lambda: tf.keras.optimizers.Adam(0.01, amsgrad=True),
    lambda: tf.keras.optimizers.Adam(0.01, clipnorm=1.0),
    lambda: tf.keras.optimizers.Adam(0.01, global_clipnorm=1.0),
    lambda: tf.keras.optimizers.Adam(0.01, clipvalue=1.0),
    lambda: tf.keras.optimizers.Adam(0.01, weight_decay=0.1),
    lambda: tf.keras.optimizers.Adam(0.01, use_ema=True),
    lambda: tf.keras.optimizers.Adam(0.01, gradient_accumulation_steps=2),
    lambda: tf.keras.optimizers.AdamW(0.01),
    lambda: tf.keras.optimizers.SGD(0.01),
])
def test_other_optimizers_are_left_to_keras(make):
    variables = make_vars(2)
    opt = make()
    opt.build(variables)
    before = [v.numpy().copy() for v in variables]
    assert not eager_adam_supported(opt)
    assert not apply_adam_eagerly(opt, list(zip(grads_for(0), variables)))
    for b, v in zip(before, variables):
        np.testing.assert_array_equal(b, v.numpy())
    assert int(opt.iterations.numpy()) == 0


def test_unbuilt_optimizer_unknown_variable_and_traced_calls_are_left_to_keras():
    variables = make_vars(3)
    opt = tf.keras.optimizers.Adam(0.01)
    assert not apply_adam_eagerly(opt, list(zip(grads_for(0), variables)))  # not built
    opt.build(variables[:2])
    stranger = tf.keras.Variable(np.ones(2, np.float32))
    assert not apply_adam_eagerly(opt, [(tf.ones(2), stranger)])
    seen = []
    traced = tf.function(lambda g: seen.append(apply_adam_eagerly(opt, [(g, variables[1])])) or g)
    traced(grads_for(0)[1])
    assert seen == [False]
    assert int(opt.iterations.numpy()) == 0


def test_constrained_variable_is_left_to_keras():
    variables = make_vars(4)
    variables[0].constraint = lambda w: tf.clip_by_value(w, -0.1, 0.1)
    opt = tf.keras.optimizers.Adam(0.01)
    opt.build(variables)
    assert not apply_adam_eagerly(opt, list(zip(grads_for(0), variables)))
