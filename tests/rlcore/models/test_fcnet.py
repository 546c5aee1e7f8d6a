"""FullyConnectedNetwork (torch and TF2): options, shapes, value head, from_batch, tracing."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ModelCatalog

OBS = gym.spaces.Box(-1, 1, (4,), np.float32)
X = np.random.default_rng(0).uniform(-1, 1, (5, 4)).astype(np.float32)


def build(fw, num_outputs=2, action_space=gym.spaces.Discrete(2), obs_space=OBS, **cfg):
    return ModelCatalog.get_model_v2(obs_space, action_space, num_outputs, {"fcnet_hiddens": [8, 6], **cfg}, framework=fw)


def n_params(fw, m):
    return sum(int(np.prod(v.shape)) for v in m.trainable_variables())


@pytest.mark.parametrize(
    "cfg,expected_params",
    [
        ({}, 4 * 8 + 8 + 8 * 6 + 6 + 6 * 2 + 2 + 6 + 1),
        ({"vf_share_layers": False}, 4 * 8 + 8 + 8 * 6 + 6 + 6 * 2 + 2 + (4 * 8 + 8 + 8 * 6 + 6) + 6 + 1),
        ({"no_final_linear": True}, 4 * 8 + 8 + 8 * 2 + 2 + 2 + 1),
    ],
)
def test_layer_layout_matches_the_options(fw, cfg, expected_params):
    m = build(fw, **cfg)
    assert n_params(fw, m) == expected_params


def test_outputs_and_value_shapes(fw, to_np):
    m = build(fw, vf_share_layers=False)
    out, state = m({"obs": X})
    assert to_np(out).shape == (5, 2) and state == []
    assert to_np(m.value_function()).shape == (5,)
    np.testing.assert_allclose(to_np(m.last_output()), to_np(out))


def test_free_log_std_is_a_state_independent_second_half(fw, to_np):
    m = build(fw, num_outputs=4, action_space=gym.spaces.Box(-1, 1, (2,)), free_log_std=True)
    out = to_np(m({"obs": X})[0])
    assert out.shape == (5, 4)
    np.testing.assert_allclose(out[:, 2:], np.zeros((5, 2)))  # log_std starts at 0 for every row
    assert any("log_std" in name for name in m.trainable_variables(as_dict=True))


def test_free_log_std_needs_an_even_num_outputs(fw):
    with pytest.raises(ValueError, match="free_log_std"):
        build(fw, num_outputs=3, free_log_std=True)


def test_no_logits_head_exposes_the_last_hidden_layer(fw, to_np):
    m = build(fw, num_outputs=None)
    assert m.num_outputs == 6
    assert to_np(m({"obs": X})[0]).shape == (5, 6)


def test_no_final_linear_outputs_go_through_the_activation(fw, to_np):
    m = build(fw, no_final_linear=True, fcnet_activation="tanh")
    out = to_np(m({"obs": X * 100})[0])
    assert np.all(np.abs(out) <= 1.0)


def test_discrete_observations_are_one_hot_encoded_on_the_fly(fw, to_np):
    m = build(fw, obs_space=gym.spaces.Discrete(4))
    raw = to_np(m({"obs": np.array([0, 3])})[0])
    onehot = to_np(m({"obs": np.eye(4, dtype=np.float32)[[0, 3]]})[0])
    np.testing.assert_allclose(raw, onehot)


def test_from_batch_equals_calling_the_model(fw, to_np):
    m = build(fw)
    a = to_np(m({"obs": X})[0])
    b = to_np(m.from_batch({"obs": X, "actions": np.zeros(5)})[0])
    np.testing.assert_allclose(a, b)


def test_bad_activation_is_a_value_error(fw):
    with pytest.raises(ValueError, match="activation='gelu2'"):
        build(fw, fcnet_activation="gelu2")


def test_tf_model_gives_the_same_outputs_under_tf_function():
    import tensorflow as tf
    m = build("tf2")
    traces = []

    @tf.function
    def run(obs):
        traces.append(1)
        out, _ = m({"obs": obs})
        return out, m.value_function()

    eager_out = m({"obs": X})[0].numpy()
    eager_v = m.value_function().numpy()
    for _ in range(3):
        out, v = run(tf.constant(X))
    np.testing.assert_allclose(out.numpy(), eager_out, rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), eager_v, rtol=1e-6)
    assert len(traces) == 1


def test_tf_gradients_flow_to_every_trainable_variable():
    import tensorflow as tf
    m = build("tf2", vf_share_layers=False, num_outputs=4, action_space=gym.spaces.Box(-1, 1, (2,)), free_log_std=True)
    with tf.GradientTape() as tape:
        out, _ = m({"obs": X})
        loss = tf.reduce_sum(out) + tf.reduce_sum(m.value_function())
    grads = tape.gradient(loss, m.trainable_variables())
    assert all(g is not None for g in grads)


def test_torch_model_is_an_nn_module_with_named_variables():
    import torch
    m = build("torch")
    assert isinstance(m, torch.nn.Module)
    assert set(m.variables(as_dict=True)) == set(m.state_dict())


@pytest.mark.parametrize("activation", ["tanh", "relu", "swish", "elu", None])
def test_slimfc_direct_path_equals_its_modules(activation):
    """SlimFC's forward skips the nn.Sequential dispatch; the numbers are those of its modules."""
    import torch

    from rlcore.models.torch.torch_modelv2 import SlimFC

    torch.manual_seed(0)
    layer = SlimFC(5, 7, activation_fn=activation)
    x = torch.randn(9, 5, requires_grad=True)
    fast = layer(x)
    slow = layer._model(x)
    torch.testing.assert_close(fast, slow, rtol=0, atol=0)
    fast.sum().backward()
    g_fast, x.grad = x.grad.clone(), None
    slow.sum().backward()
    torch.testing.assert_close(g_fast, x.grad)


def test_slimfc_honours_hooks_on_its_linear():
    """torch.nn.utils.prune puts a forward pre-hook on the Linear: the masked weight is used."""
    import torch
    from torch.nn.utils import prune

    from rlcore.models.torch.torch_modelv2 import SlimFC

    layer = SlimFC(4, 3, activation_fn=None)
    prune.custom_from_mask(layer._model[0], "weight", torch.zeros(3, 4))
    out = layer(torch.ones(2, 4))
    torch.testing.assert_close(out, layer._model[0].bias.detach().expand(2, 3))


@pytest.mark.parametrize("cfg", [{}, {"vf_share_layers": False}, {"no_final_linear": True},
                                 {"vf_share_layers": False, "free_log_std": True, "fcnet_hiddens": [5]}])
def test_torch_value_only_equals_the_value_of_a_full_call(cfg):
    import torch

    m = build("torch", num_outputs=4 if cfg.get("free_log_std") else 2, **cfg)
    m({"obs": np.zeros((2, 4), np.float32)})  # an earlier call on other inputs
    before = m.last_output()
    values = m.value_only({"obs": X})
    assert values.shape == (5,) and m.last_output() is before  # the model's last call is not replaced
    m({"obs": X})
    assert torch.equal(values, m.value_function())  # the same ops on the same inputs: equal to the bit


def test_torch_value_only_defers_to_a_subclass_with_its_own_forward():
    from rlcore.models.torch.fcnet import FullyConnectedNetwork

    class Doubled(FullyConnectedNetwork):
        def forward(self, input_dict, state, seq_lens):
            out, state = super().forward(input_dict, state, seq_lens)
            self.__dict__["_features"] = self._features * 2
            return out, state

    m = Doubled(OBS, gym.spaces.Discrete(2), 2, {"fcnet_hiddens": [8]}, "doubled")
    assert m.value_only({"obs": X}) is None


def test_torch_value_batch_of_a_policy_equals_its_model_call():
    import torch

    from rlcore.algorithms.ppo import PPOTorchPolicy

    policy = PPOTorchPolicy(OBS, gym.spaces.Discrete(2), {"model": {"fcnet_hiddens": [8, 6], "vf_share_layers": False}})
    with torch.no_grad():
        policy.model({"obs": X})
        expected = policy.model.value_function().numpy()
    assert np.array_equal(policy.value_batch(X), expected)
