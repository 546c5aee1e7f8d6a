"""LSTM wrapper (torch and TF2): state carried across calls, padding, prev action/reward inputs."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ModelCatalog

OBS = gym.spaces.Box(-1, 1, (3,), np.float32)
ACT = gym.spaces.Discrete(2)
CFG = {"use_lstm": True, "lstm_cell_size": 5, "fcnet_hiddens": [6], "max_seq_len": 4}


def build(fw, **extra):
    return ModelCatalog.get_model_v2(OBS, ACT, 2, {**CFG, **extra}, framework=fw)


def seq(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 3)).astype(np.float32)


def test_wrapper_name_state_and_view_requirements(fw):
    m = build(fw)
    assert type(m).__name__ == "FullyConnectedNetwork_as_LSTMWrapper"
    assert [s.shape for s in m.get_initial_state()] == [(5,), (5,)]
    vr = m.view_requirements["state_in_0"]
    assert (vr.data_col, vr.shift, vr.batch_repeat_value) == ("state_out_0", -1, 4)


def test_one_call_over_a_sequence_equals_step_by_step_calls(fw, to_np):
    m = build(fw)
    x = seq(4)
    state0 = [s[None] for s in m.get_initial_state()]
    whole, whole_state = m({"obs": x}, state0, np.array([4]))
    whole_v = to_np(m.value_function())
    state, steps, values = state0, [], []
    for t in range(4):
        out, state = m({"obs": x[t : t + 1]}, state, np.array([1]))
        steps.append(to_np(out)[0])
        values.append(to_np(m.value_function())[0])
    np.testing.assert_allclose(to_np(whole), np.stack(steps), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(whole_v, np.array(values), rtol=1e-5, atol=1e-6)
    for a, b in zip(whole_state, state):
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-5, atol=1e-6)


def test_padding_does_not_change_outputs_or_final_state(fw, to_np):
    m = build(fw)
    a, b = seq(4, 1), seq(2, 2)
    padded = np.concatenate([a, b, np.zeros((2, 3), np.float32)])
    state0 = [np.zeros((2, 5), np.float32)] * 2
    out, state = m({"obs": padded}, state0, np.array([4, 2]))
    out_b, state_b = m({"obs": b}, [np.zeros((1, 5), np.float32)] * 2, np.array([2]))
    np.testing.assert_allclose(to_np(out)[4:6], to_np(out_b), rtol=1e-5, atol=1e-6)
    for s, sb in zip(state, state_b):
        np.testing.assert_allclose(to_np(s)[1], to_np(sb)[0], rtol=1e-5, atol=1e-6)


def test_state_changes_the_output(fw, to_np):
    m = build(fw)
    x = seq(1)
    zero = [np.zeros((1, 5), np.float32)] * 2
    other = [np.full((1, 5), 0.9, np.float32)] * 2
    assert not np.allclose(to_np(m({"obs": x}, zero, np.array([1]))[0]), to_np(m({"obs": x}, other, np.array([1]))[0]))


def test_prev_actions_and_rewards_are_inputs(fw, to_np):
    m = build(fw, lstm_use_prev_action=True, lstm_use_prev_reward=True)
    assert m.view_requirements["prev_actions"].data_col == "actions"
    x, state = seq(2), [np.zeros((2, 5), np.float32)] * 2
    base = {"obs": x, "prev_rewards": np.zeros(2, np.float32)}
    a = to_np(m({**base, "prev_actions": np.array([0, 0])}, state, np.array([1, 1]))[0])
    b = to_np(m({**base, "prev_actions": np.array([1, 1])}, state, np.array([1, 1]))[0])
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="prev_actions"):
        m({"obs": x, "prev_rewards": np.zeros(2)}, state, np.array([1, 1]))


def test_from_batch_reads_state_in_and_seq_lens(fw, to_np):
    m = build(fw)
    x = seq(8)
    batch = {"obs": x, "state_in_0": np.zeros((2, 5), np.float32), "state_in_1": np.zeros((2, 5), np.float32), "seq_lens": np.array([4, 3])}
    out, state = m.from_batch(batch)
    assert to_np(out).shape == (8, 2) and len(state) == 2


def test_tf_lstm_gives_the_same_outputs_under_tf_function():
    import tensorflow as tf
    m = build("tf2")
    x = seq(8)
    state0 = [np.zeros((2, 5), np.float32)] * 2
    eager = m({"obs": x}, state0, np.array([4, 3]))[0].numpy()
    traced = tf.function(lambda o, h, c, s: m({"obs": o}, [h, c], s)[0])
    out = traced(tf.constant(x), tf.constant(state0[0]), tf.constant(state0[1]), tf.constant([4, 3], tf.int32))
    np.testing.assert_allclose(out.numpy(), eager, rtol=1e-5, atol=1e-6)
