"""TF2 Categorical / DiagGaussian draws when eager under a global seed (stateless ops keyed by the seed sequence)."""

import numpy as np
import tensorflow as tf

from rlcore.models.tf.tf_action_dist import Categorical, DiagGaussian

PROBS = np.array([0.1, 0.6, 0.3])


def draws(n_calls, seed):
    tf.random.set_seed(seed)
    d = Categorical(tf.constant(np.log(np.tile(PROBS, (50, 1))), tf.float32))
    return np.concatenate([d.sample().numpy() for _ in range(n_calls)])


def test_categorical_draws_are_reproducible_per_global_seed_and_differ_per_call():
    a, b, c = draws(4, 7), draws(4, 7), draws(4, 8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a[:50], a[50:100])  # each call a new seed of the sequence


def test_categorical_draw_frequencies_follow_the_probabilities():
    counts = np.bincount(draws(80, 1), minlength=3) / 4000.0
    np.testing.assert_allclose(counts, PROBS, atol=0.03)


def test_categorical_low_shifts_draws_and_logp_matches_sampled_logp():
    tf.random.set_seed(2)
    d = Categorical(tf.constant([[0.0, 1.0, -1.0]] * 20), low=3)
    x = d.sample()
    assert set(x.numpy().tolist()) <= {3, 4, 5}
    np.testing.assert_array_equal(d.sampled_action_logp().numpy(), d.logp(x).numpy())
    d.deterministic_sample()
    np.testing.assert_array_equal(d.sampled_action_logp().numpy(), np.full(20, d.log_probs.numpy()[0, 1]))


def test_traced_categorical_draws_keep_the_stateful_op():
    tf.random.set_seed(3)
    f = tf.function(lambda logits: Categorical(logits).sample())
    logits = tf.constant(np.log(np.tile(PROBS, (2000, 1))), tf.float32)
    ops = {op.type for op in f.get_concrete_function(logits).graph.get_operations()}
    assert "Multinomial" in ops and "StatelessMultinomial" not in ops
    np.testing.assert_allclose(np.bincount(f(logits).numpy(), minlength=3) / 2000.0, PROBS, atol=0.04)


def test_gaussian_draws_are_reproducible_and_have_the_given_moments():
    def run(seed):
        tf.random.set_seed(seed)
        d = DiagGaussian(tf.constant([[1.0, -2.0, np.log(0.5), 0.0]] * 2000))
        return d.sample().numpy()

    a, b = run(5), run(5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.mean(axis=0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(a.std(axis=0), [0.5, 1.0], atol=0.05)
