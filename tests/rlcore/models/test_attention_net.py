"""Issue #19 item 3: attention nets (GTrXL, ``use_attention``) in torch and TF2, and ``use_lstm``
around a torch model that is not an ``nn.Module``.

The memory of each transformer unit is RNN state ``[memory, attention_dim]``
(rlcore.models.attention): it must slide one row per step, a training segment must be causal and
padding must change nothing, and the relative attention must equal its definition written as loops.
"""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ModelCatalog

OBS = gym.spaces.Box(-1, 1, (3,), np.float32)
ACT = gym.spaces.Discrete(2)
CFG = {"use_attention": True, "attention_dim": 8, "attention_num_heads": 2, "attention_head_dim": 4,
       "attention_memory_inference": 5, "attention_memory_training": 5, "attention_position_wise_mlp_dim": 6,
       "attention_num_transformer_units": 2, "fcnet_hiddens": [6], "max_seq_len": 4}


def build(fw, **extra):
    return ModelCatalog.get_model_v2(OBS, ACT, 2, {**CFG, **extra}, framework=fw)


def seq(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 3)).astype(np.float32)


def test_wrapper_state_shapes_and_view_requirements(fw):
    m = build(fw)
    assert type(m).__name__ == "FullyConnectedNetwork_as_AttentionWrapper"
    assert [s.shape for s in m.get_initial_state()] == [(5, 8), (5, 8)]
    vr = m.view_requirements["state_in_1"]
    assert (vr.data_col, vr.shift, vr.batch_repeat_value, vr.space.shape) == ("state_out_1", -1, 4, (5, 8))
    assert m.num_outputs == 2 and len(m.variables()) > 0


def test_memory_slides_one_row_per_step_and_the_segment_is_causal(fw, to_np):
    """Step by step, each unit's memory drops its oldest row and appends the unit's input (unit 0:
    the projected features); a segment's step i sees the memory and steps <= i only, and its first
    step equals a single-step call on the same memory (GTrXL's segment semantics, as in 1.x)."""
    m = build(fw)
    x = seq(7)
    state = [s[None] for s in m.get_initial_state()]
    outs = []
    for t in range(3):
        out, new_state = m({"obs": x[t:t + 1]}, state, np.array([1]))
        outs.append(to_np(out)[0])
        for before, after in zip(state, new_state):
            np.testing.assert_allclose(to_np(after)[:, :-1], to_np(before)[:, 1:], rtol=1e-6)
            assert np.abs(to_np(after)[:, -1]).sum() > 0
        state = new_state
    start = [to_np(s) for s in state]
    whole, whole_state = m({"obs": x[3:], "is_training": True}, start, np.array([4]))
    first, _ = m({"obs": x[3:4]}, start, np.array([1]))
    np.testing.assert_allclose(to_np(whole)[0], to_np(first)[0], rtol=1e-4, atol=1e-5)
    # The final memory of unit 0 holds the projected features of the last 5 steps, as stepping gives.
    stepped = start
    for t in range(3, 7):
        _, stepped = m({"obs": x[t:t + 1]}, stepped, np.array([1]))
    np.testing.assert_allclose(to_np(whole_state[0]), to_np(stepped[0]), rtol=1e-4, atol=1e-5)
    # Causal: changing the last step changes no earlier output.
    changed = x[3:].copy()
    changed[3] += 0.5
    other, _ = m({"obs": changed, "is_training": True}, start, np.array([4]))
    np.testing.assert_allclose(to_np(other)[:3], to_np(whole)[:3], rtol=1e-5, atol=1e-6)
    assert not np.allclose(to_np(other)[3], to_np(whole)[3])
    # The memory changes the outputs.
    fresh, _ = m({"obs": x[3:4]}, [s[None] for s in m.get_initial_state()], np.array([1]))
    assert not np.allclose(to_np(fresh)[0], to_np(first)[0])


def test_padding_does_not_change_outputs_or_final_state(fw, to_np):
    m = build(fw)
    a, b = seq(4, 1), seq(2, 2)
    padded = np.concatenate([a, b, np.zeros((2, 3), np.float32)])
    state0 = [np.zeros((2, 5, 8), np.float32)] * 2
    out, state = m({"obs": padded, "is_training": True}, state0, np.array([4, 2]))
    out_b, state_b = m({"obs": b, "is_training": True}, [np.zeros((1, 5, 8), np.float32)] * 2, np.array([2]))
    np.testing.assert_allclose(to_np(out)[4:6], to_np(out_b), rtol=1e-5, atol=1e-6)
    for s, sb in zip(state, state_b):
        np.testing.assert_allclose(to_np(s)[1], to_np(sb)[0], rtol=1e-5, atol=1e-6)


def test_training_attends_to_memory_training_rows(fw, to_np):
    """memory_training < memory_inference: training sees only the newest memory_training rows."""
    m = build(fw, attention_memory_inference=5, attention_memory_training=2)
    assert [s.shape for s in m.get_initial_state()] == [(5, 8), (5, 8)]
    rng = np.random.default_rng(3)
    memory = [rng.normal(size=(1, 5, 8)).astype(np.float32) for _ in range(2)]
    older_changed = [mem.copy() for mem in memory]
    for mem in older_changed:
        mem[:, :3] = rng.normal(size=(1, 3, 8))  # rows a training pass does not see
    x = seq(1, 4)
    train_a, _ = m({"obs": x, "is_training": True}, memory, np.array([1]))
    train_b, _ = m({"obs": x, "is_training": True}, older_changed, np.array([1]))
    infer_a, _ = m({"obs": x}, memory, np.array([1]))
    infer_b, _ = m({"obs": x}, older_changed, np.array([1]))
    np.testing.assert_allclose(to_np(train_a), to_np(train_b), rtol=1e-6)
    assert not np.allclose(to_np(infer_a), to_np(infer_b))


def test_gtrxl_as_a_custom_model_with_custom_model_config(fw, to_np):
    if fw == "torch":
        from rlcore.models.torch.attention_net import GTrXLNet
    else:
        from rlcore.models.tf.attention_net import GTrXLNet
    m = ModelCatalog.get_model_v2(OBS, ACT, 2, {"custom_model": GTrXLNet, "max_seq_len": 3, "custom_model_config": {
        "num_transformer_units": 1, "attention_dim": 4, "num_heads": 1, "head_dim": 4, "memory_inference": 2,
        "memory_training": 2, "position_wise_mlp_dim": 4, "init_gru_gate_bias": 1.0}}, framework=fw)
    assert [s.shape for s in m.get_initial_state()] == [(2, 4)]
    out, state = m({"obs": seq(6), "is_training": True}, [np.zeros((2, 2, 4), np.float32)], np.array([3, 3]))
    assert tuple(out.shape) == (6, 2) and tuple(state[0].shape) == (2, 2, 4) and tuple(m.value_function().shape) == (6,)


def test_bad_attention_options_name_the_key():
    with pytest.raises(ValueError, match=r"model_config\['attention_num_heads'\]=0: expected an int >= 1"):
        build("torch", attention_num_heads=0)
    with pytest.raises(ValueError, match=r"model_config\['attention_dim'\]=7"):
        build("torch", attention_dim=7)


def _naive_attention(np_inputs, np_memory, qkv, pos_proj, u, v, out_fn, heads, head_dim, phi):
    """Relative multi-head attention written as loops over queries, keys and heads (numpy)."""
    x = np.concatenate([np_memory, np_inputs], axis=1)
    b, s, _ = x.shape
    t, tau = np_inputs.shape[1], np_memory.shape[1]
    q, k, vals = np.split(qkv(x), 3, axis=-1)
    q = q[:, -t:].reshape(b, t, heads, head_dim)
    k, vals = k.reshape(b, s, heads, head_dim), vals.reshape(b, s, heads, head_dim)
    rel = pos_proj(phi).reshape(s, heads, head_dim)
    out = np.zeros((b, t, heads, head_dim))
    for bi in range(b):
        for i in range(t):
            for h in range(heads):
                scores = np.array([((q[bi, i, h] + u[h]) @ k[bi, j, h] + (q[bi, i, h] + v[h]) @ rel[s - 1 - (tau + i - j), h])
                                   for j in range(tau + i + 1)]) / np.sqrt(head_dim)
                w = np.exp(scores - scores.max())
                out[bi, i, h] = (w / w.sum()) @ vals[bi, :tau + i + 1, h]
    return out_fn(out.reshape(b, t, heads * head_dim).astype(np.float32))


def test_relative_attention_equals_its_definition(fw, to_np):
    rng = np.random.default_rng(0)
    inputs, memory = rng.normal(size=(2, 4, 6)).astype(np.float32), rng.normal(size=(2, 3, 6)).astype(np.float32)
    if fw == "torch":
        import torch

        from rlcore.models.torch.attention_net import RelativeMultiHeadAttention, relative_position_embedding

        m = RelativeMultiHeadAttention(6, 6, 2, 3)
        got = m(torch.as_tensor(inputs), memory=torch.as_tensor(memory))
        with torch.no_grad():
            def lin(layer):
                return lambda a: layer(torch.as_tensor(np.asarray(a, np.float32))).numpy()
            expected = _naive_attention(inputs, memory, lin(m._qkv_layer), lin(m._pos_proj), m._uvar.detach().numpy(),
                                        m._vvar.detach().numpy(), lin(m._linear_layer), 2, 3,
                                        relative_position_embedding(7, 6).numpy())
    else:
        from rlcore.models.tf.attention_net import RelativeMultiHeadAttention, relative_position_embedding

        m = RelativeMultiHeadAttention(6, 6, 2, 3)
        got = m(inputs, memory=memory)

        def lin(layer):
            return lambda a: layer(np.asarray(a, np.float32)).numpy()
        expected = _naive_attention(inputs, memory, lin(m._qkv_layer), lin(m._pos_proj), m._uvar.numpy(),
                                    m._vvar.numpy(), lin(m._linear_layer), 2, 3, relative_position_embedding(7, 6).numpy())
    np.testing.assert_allclose(to_np(got), expected, rtol=1e-4, atol=1e-5)


def test_tf_attention_gives_the_same_outputs_under_tf_function():
    import tensorflow as tf
    m = build("tf2")
    x, state = seq(8), [np.zeros((2, 5, 8), np.float32)] * 2
    eager, eager_state = m({"obs": x, "is_training": True}, state, np.array([4, 3]))
    traced = tf.function(lambda obs, s, lens: m({"obs": obs, "is_training": True}, s, lens))
    out, out_state = traced(tf.constant(x), [tf.constant(s) for s in state], tf.constant([4, 3]))
    np.testing.assert_allclose(out.numpy(), eager.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out_state[1].numpy(), eager_state[1].numpy(), rtol=1e-5, atol=1e-6)


def test_use_lstm_wraps_a_torch_model_that_is_not_an_nn_module():
    """1.x's torch LSTM wrapper is an nn.Module: a plain TorchModelV2 (its layers included) trains under it."""
    import torch
    from rlcore.models.torch.torch_modelv2 import TorchModelV2

    class Doubler(TorchModelV2):  # not an nn.Module, as in RLlib 1.x's use_lstm examples
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.num_outputs = 3
            self.scale = torch.nn.Linear(3, 3)

        def forward(self, input_dict, state, seq_lens):
            return self.scale(input_dict["obs_flat"] * 2.0), []

    for wrapper in ({"use_lstm": True, "lstm_cell_size": 4}, {"use_attention": True, "attention_dim": 4,
                                                              "attention_head_dim": 2, "attention_memory_inference": 2,
                                                              "attention_memory_training": 2}):
        m = ModelCatalog.get_model_v2(OBS, ACT, 2, {"custom_model": Doubler, "max_seq_len": 3, **wrapper}, framework="torch")
        assert isinstance(m, torch.nn.Module) and any(p is m.scale.weight for p in m.parameters())
        out, _ = m({"obs": seq(3)}, [torch.as_tensor(s[None]).repeat(3, *([1] * s.ndim)) for s in m.get_initial_state()])
        out.sum().backward()
        assert m.scale.weight.grad is not None and tuple(out.shape) == (3, 2)


def test_previous_actions_and_rewards_are_inputs(fw, to_np):
    m = build(fw, attention_use_n_prev_actions=2, attention_use_n_prev_rewards=1)
    assert m.view_requirements["prev_actions"].shift == "-2:-1" and m.view_requirements["prev_rewards"].shift == -1
    state = [np.zeros((2, 5, 8), np.float32)] * 2
    x = seq(2)
    base = {"obs": x, "prev_actions": np.array([[0, 1], [1, 1]]), "prev_rewards": np.array([0.5, 1.0], np.float32)}
    out, _ = m(base, state, np.array([1, 1]))
    other, _ = m({**base, "prev_actions": np.array([[0, 1], [0, 0]])}, state, np.array([1, 1]))
    np.testing.assert_allclose(to_np(other)[0], to_np(out)[0], rtol=1e-6)
    assert not np.allclose(to_np(other)[1], to_np(out)[1])
    with pytest.raises(ValueError, match="attention_use_n_prev_actions > 0 but input_dict has no 'prev_actions'"):
        m({"obs": x}, state, np.array([1, 1]))
