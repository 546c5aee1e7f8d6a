"""ModelCatalog hands every model ``num_outputs`` as a Python int (Keras 3 refuses numpy integers)."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import ActionDistribution, ModelCatalog

OBS = gym.spaces.Box(-1, 1, (3,), np.float32)
ACT = gym.spaces.Discrete(np.int64(2))


@pytest.fixture
def clean_registry():
    saved = (dict(ModelCatalog._custom_models), dict(ModelCatalog._custom_action_dists))
    yield
    for registry, old in zip((ModelCatalog._custom_models, ModelCatalog._custom_action_dists), saved):
        registry.clear()
        registry.update(old)


def _keras_dense_model():
    import tensorflow as tf
    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class DenseModel(TFModelV2):
        """A 1.x-style custom model: a Keras Dense layer sized by num_outputs."""

        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.got = num_outputs
            self.layer = tf.keras.layers.Dense(num_outputs, name=f"{name}_dense")
            self.layer.build((None, 3))

        def forward(self, input_dict, state, seq_lens):
            return self.layer(input_dict["obs"]), state

        def value_function(self):
            return tf.zeros(1)

    return DenseModel


def test_keras_custom_model_gets_a_python_int_for_a_numpy_num_outputs(clean_registry):
    ModelCatalog.register_custom_model("num_outputs_model", _keras_dense_model())
    model = ModelCatalog.get_model_v2(OBS, ACT, ACT.n, {"custom_model": "num_outputs_model"}, framework="tf2")
    assert type(model.got) is int and model.got == 2 and type(model.num_outputs) is int
    out, _ = model({"obs": np.zeros((4, 3), np.float32)}, [], None)
    assert tuple(out.shape) == (4, 2)


def test_builtin_model_gets_a_python_int(fw):
    model = ModelCatalog.get_model_v2(OBS, ACT, np.int64(2), {"fcnet_hiddens": [4]}, framework=fw)
    assert type(model.num_outputs) is int
    assert tuple(model({"obs": np.zeros((1, 3), np.float32)}, [], None)[0].shape) == (1, 2)


class NumpySized(ActionDistribution):
    """A custom distribution whose required output size is a numpy integer (as ``space.n`` is)."""

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return action_space.n


def test_custom_distribution_size_is_a_python_int(clean_registry):
    ModelCatalog.register_custom_action_dist("numpy_sized", NumpySized)
    _, n = ModelCatalog.get_action_dist(ACT, {"custom_action_dist": "numpy_sized"})
    _, n_by_type = ModelCatalog.get_action_dist(ACT, None, dist_type=NumpySized)
    assert (type(n), type(n_by_type), n) == (int, int, 2)
