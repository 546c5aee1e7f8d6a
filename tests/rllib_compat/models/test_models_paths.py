"""rllib_compat.models / utils.framework: every old path re-exports the rlcore object itself."""

import importlib
import subprocess
import sys
import warnings

import pytest

PATHS = [
    ("rllib_compat.models", ["ModelCatalog", "ModelV2", "MODEL_DEFAULTS", "ActionDistribution", "Preprocessor"], "rlcore.models"),
    ("rllib_compat.models.modelv2", ["ModelV2", "restore_original_dimensions"], "rlcore.models.modelv2"),
    ("rllib_compat.models.catalog", ["ModelCatalog", "MODEL_DEFAULTS", "UnsupportedSpaceException"], "rlcore.models.catalog"),
    ("rllib_compat.models.preprocessors", ["Preprocessor", "OneHotPreprocessor", "get_preprocessor", "GenericPixelPreprocessor"], "rlcore.models.preprocessors"),
    ("rllib_compat.models.action_dist", ["ActionDistribution"], "rlcore.models.action_dist"),
    ("rllib_compat.utils.framework", ["get_activation_fn"], "rlcore.framework"),
]
TORCH_PATHS = [
    ("rllib_compat.models.torch.torch_modelv2", ["TorchModelV2"], "rlcore.models.torch.torch_modelv2"),
    ("rllib_compat.models.torch.fcnet", ["FullyConnectedNetwork"], "rlcore.models.torch.fcnet"),
    ("rllib_compat.models.torch.visionnet", ["VisionNetwork"], "rlcore.models.torch.visionnet"),
    ("rllib_compat.models.torch.recurrent_net", ["RecurrentNetwork", "LSTMWrapper"], "rlcore.models.torch.recurrent_net"),
    ("rllib_compat.models.torch.misc", ["SlimFC", "normc_initializer"], "rlcore.models.torch.torch_modelv2"),
    ("rllib_compat.models.torch.attention_net", ["GTrXLNet", "AttentionWrapper"], "rlcore.models.torch.attention_net"),
    ("rllib_compat.models.torch.modules", ["GRUGate", "RelativeMultiHeadAttention", "SkipConnection"],
     "rlcore.models.torch.attention_net"),
    ("rllib_compat.models.torch.torch_action_dist",
     ["TorchCategorical", "TorchMultiCategorical", "TorchDiagGaussian", "TorchSquashedGaussian", "TorchDeterministic",
      "TorchDirichlet", "TorchBeta", "TorchMultiActionDistribution", "TorchDistributionWrapper"], "rlcore.models.torch.torch_action_dist"),
]
TF_PATHS = [
    ("rllib_compat.models.tf.tf_modelv2", ["TFModelV2"], "rlcore.models.tf.tf_modelv2"),
    ("rllib_compat.models.tf.fcnet", ["FullyConnectedNetwork"], "rlcore.models.tf.fcnet"),
    ("rllib_compat.models.tf.visionnet", ["VisionNetwork"], "rlcore.models.tf.visionnet"),
    ("rllib_compat.models.tf.recurrent_net", ["RecurrentNetwork", "LSTMWrapper"], "rlcore.models.tf.recurrent_net"),
    ("rllib_compat.models.tf.misc", ["normc_initializer"], "rlcore.models.tf.tf_modelv2"),
    ("rllib_compat.models.tf.attention_net", ["GTrXLNet", "AttentionWrapper", "PositionwiseFeedforward",
                                              "relative_position_embedding"], "rlcore.models.tf.attention_net"),
    ("rllib_compat.models.tf.layers", ["GRUGate", "RelativeMultiHeadAttention", "SkipConnection"],
     "rlcore.models.tf.attention_net"),
    ("rllib_compat.models.tf.tf_action_dist",
     ["Categorical", "MultiCategorical", "DiagGaussian", "SquashedGaussian", "Deterministic", "Dirichlet", "Beta",
      "MultiActionDistribution", "TFActionDistribution"], "rlcore.models.tf.tf_action_dist"),
    ("rllib_compat.models", ["FullyConnectedNetwork", "VisionNetwork"], None),
]


def _check(old, names, new):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        old_mod = importlib.import_module(old)
    for name in names:
        if new is None:  # the lazy TF names of rllib_compat.models
            module = {"FullyConnectedNetwork": "rlcore.models.tf.fcnet", "VisionNetwork": "rlcore.models.tf.visionnet"}[name]
            assert getattr(old_mod, name) is getattr(importlib.import_module(module), name)
        else:
            assert getattr(old_mod, name) is getattr(importlib.import_module(new), name), f"{old}.{name}"
        assert name in old_mod.__all__ or new is None


@pytest.mark.parametrize("old,names,new", PATHS, ids=[p[0] for p in PATHS])
def test_paths(old, names, new):
    _check(old, names, new)


@pytest.mark.parametrize("old,names,new", TORCH_PATHS, ids=[p[0] for p in TORCH_PATHS])
def test_torch_paths(old, names, new):
    _check(old, names, new)


@pytest.mark.parametrize("old,names,new", TF_PATHS, ids=[p[0] + "/tf" for p in TF_PATHS])
def test_tf_paths(old, names, new):
    _check(old, names, new)


def test_unknown_lazy_name_is_an_attribute_error():
    import rllib_compat.models as m

    with pytest.raises(AttributeError, match="Nope"):
        m.Nope


def test_old_style_custom_model_code_runs_with_only_the_import_changed():
    import torch
    import gymnasium as gym
    import numpy as np

    from rllib_compat.models import ModelCatalog
    from rllib_compat.models.torch.misc import SlimFC, normc_initializer
    from rllib_compat.models.torch.torch_modelv2 import TorchModelV2

    class MyModel(TorchModelV2, torch.nn.Module):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
            torch.nn.Module.__init__(self)
            self.fc = SlimFC(int(np.prod(obs_space.shape)), num_outputs, initializer=normc_initializer(0.01))
            self.vf = SlimFC(int(np.prod(obs_space.shape)), 1)
            self._obs = None

        def forward(self, input_dict, state, seq_lens):
            self._obs = input_dict["obs_flat"]
            return self.fc(self._obs), state

        def value_function(self):
            return self.vf(self._obs).squeeze(1)

    ModelCatalog.register_custom_model("compat_model", MyModel)
    try:
        dist_cls, n = ModelCatalog.get_action_dist(gym.spaces.Discrete(2), {}, framework="torch")
        model = ModelCatalog.get_model_v2(gym.spaces.Box(-1, 1, (4,)), gym.spaces.Discrete(2), n,
                                          {"custom_model": "compat_model"}, framework="torch")
        out, _ = model({"obs": np.zeros((3, 4), np.float32)})
        assert isinstance(model, MyModel) and tuple(dist_cls(out, model).sample().shape) == (3,)
    finally:
        ModelCatalog._custom_models.pop("compat_model")


def test_importing_compat_models_imports_no_framework():
    code = "import sys, rllib_compat.models, rllib_compat.utils.framework; print(sorted({'torch','tensorflow','ray'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
