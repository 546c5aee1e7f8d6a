"""Torch and TF2 default models are the same networks: with the same weights, the same outputs."""

import re

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ModelCatalog

import torch
import tensorflow as tf

OBS, ACT = gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(-1, 1, (2,))

# torch parameter name pattern -> TF variable path template ({0} = first group + 1)
FC_NAMES = [
    (r"_hidden_layers\.(\d+)\._model\.0\.(weight|bias)", "fc_{0}/{1}"),
    (r"_logits\._model\.0\.(weight|bias)", "fc_out/{0}"),
    (r"_append_free_log_std\.log_std", "append_log_std/log_std"),
    (r"_value_branch_separate\.(\d+)\._model\.0\.(weight|bias)", "fc_value_{0}/{1}"),
    (r"_value_branch\._model\.0\.(weight|bias)", "value_out/{0}"),
    (r"_logits_branch\._model\.0\.(weight|bias)", "logits/{0}"),
    (r"_lstm_value_branch\._model\.0\.(weight|bias)", "values/{0}"),
]


def copy_torch_to_tf(tm, fm):
    tf_vars = fm.variables(as_dict=True)
    params = dict(tm.named_parameters())
    done = set()
    if "lstm.weight_ih_l0" in params:  # gate order i, f, g(c), o is the same in both
        tf_vars["lstm/lstm_cell/kernel"].assign(params.pop("lstm.weight_ih_l0").detach().numpy().T)
        tf_vars["lstm/lstm_cell/recurrent_kernel"].assign(params.pop("lstm.weight_hh_l0").detach().numpy().T)
        bias = params.pop("lstm.bias_ih_l0") + params.pop("lstm.bias_hh_l0")
        tf_vars["lstm/lstm_cell/bias"].assign(bias.detach().numpy())
        done |= {"lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias"}
    for name, value in params.items():
        for pattern, template in FC_NAMES:
            match = re.fullmatch(pattern, name)
            if match:
                groups = [str(int(g) + 1) if g.isdigit() else {"weight": "kernel"}.get(g, g) for g in match.groups()]
                path = template.format(*groups)
                break
        else:
            raise AssertionError(f"no TF twin for {name}")
        if path not in tf_vars and re.fullmatch(r"fc_\d+/\w+", path):  # no_final_linear: the last layer is fc_out
            path = "fc_out/" + path.split("/")[1]
        array = value.detach().numpy()
        tf_vars[path].assign(array.T if path.endswith("kernel") else array)
        done.add(path)
    trainable = {k for k, v in fm.trainable_variables(as_dict=True).items()}
    assert trainable == done, trainable ^ done


@pytest.mark.parametrize(
    "cfg",
    [
        {"fcnet_hiddens": [5, 4]},
        {"fcnet_hiddens": [5, 4], "vf_share_layers": False, "free_log_std": True, "fcnet_activation": "relu"},
        {"fcnet_hiddens": [5, 4], "no_final_linear": True},
    ],
)
def test_fc_models_agree(cfg):
    tm = ModelCatalog.get_model_v2(OBS, ACT, 4, cfg, framework="torch")
    fm = ModelCatalog.get_model_v2(OBS, ACT, 4, cfg, framework="tf2")
    copy_torch_to_tf(tm, fm)
    x = np.random.default_rng(0).uniform(-1, 1, (6, 3)).astype(np.float32)
    t_out = tm({"obs": x})[0].detach().numpy()
    f_out = fm({"obs": x})[0].numpy()
    np.testing.assert_allclose(t_out, f_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tm.value_function().detach().numpy(), fm.value_function().numpy(), rtol=1e-5, atol=1e-6)


def test_lstm_models_agree_on_padded_sequences():
    cfg = {"fcnet_hiddens": [5], "use_lstm": True, "lstm_cell_size": 3, "lstm_use_prev_reward": True}
    tm = ModelCatalog.get_model_v2(OBS, ACT, 4, cfg, framework="torch")
    fm = ModelCatalog.get_model_v2(OBS, ACT, 4, cfg, framework="tf2")
    copy_torch_to_tf(tm, fm)
    rng = np.random.default_rng(1)
    batch = {"obs": rng.uniform(-1, 1, (8, 3)).astype(np.float32), "prev_rewards": rng.normal(size=8).astype(np.float32)}
    state = [rng.normal(size=(2, 3)).astype(np.float32) for _ in range(2)]
    t_out, t_state = tm(batch, state, np.array([4, 2]))
    f_out, f_state = fm(batch, state, np.array([4, 2]))
    valid = [0, 1, 2, 3, 4, 5]  # padded steps are not compared
    np.testing.assert_allclose(t_out.detach().numpy()[valid], f_out.numpy()[valid], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tm.value_function().detach().numpy()[valid], fm.value_function().numpy()[valid], rtol=1e-5, atol=1e-6)
    for a, b in zip(t_state, f_state):
        np.testing.assert_allclose(a.detach().numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("vf_share_layers", [True, False])
def test_vision_models_agree(vf_share_layers):
    space = gym.spaces.Box(0, 1, (10, 10, 2), np.float32)
    cfg = {"vf_share_layers": vf_share_layers}
    tm = ModelCatalog.get_model_v2(space, gym.spaces.Discrete(3), 3, cfg, framework="torch")
    fm = ModelCatalog.get_model_v2(space, gym.spaces.Discrete(3), 3, cfg, framework="tf2")
    tf_vars = fm.variables(as_dict=True)
    for name, value in tm.named_parameters():
        array = value.detach().numpy()
        conv = re.fullmatch(r"_(value_)?convs\.(\d+)\.conv\.(weight|bias)", name)
        if conv:
            path = f"conv{'_value_' if conv.group(1) else ''}{int(conv.group(2)) + 1}/{'kernel' if conv.group(3) == 'weight' else 'bias'}"
            tf_vars[path].assign(array.transpose(2, 3, 1, 0) if path.endswith("kernel") else array)
            continue
        layer = "conv_out" if name.startswith("_head") else "value_out"
        kind = "kernel" if name.endswith("weight") else "bias"
        tf_vars[f"{layer}/{kind}"].assign(array.T if kind == "kernel" else array)
    x = np.random.default_rng(2).random((4, 10, 10, 2), dtype=np.float32)
    np.testing.assert_allclose(tm({"obs": x})[0].detach().numpy(), fm({"obs": x})[0].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tm.value_function().detach().numpy(), fm.value_function().numpy(), rtol=1e-5, atol=1e-6)
