"""ModelCatalog: distribution choice per space, custom models / distributions by name, errors."""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.models import MODEL_DEFAULTS, ActionDistribution, ModelCatalog, UnsupportedSpaceException

D, MD, BOX = gym.spaces.Discrete, gym.spaces.MultiDiscrete, gym.spaces.Box
TORCH_AND_TF_NAMES = {
    "torch": {"cat": "TorchCategorical", "mcat": "TorchMultiCategorical", "gauss": "TorchDiagGaussian",
              "det": "TorchDeterministic", "sq": "TorchSquashedGaussian", "beta": "TorchBeta", "multi": "TorchMultiActionDistribution"},
    "tf2": {"cat": "Categorical", "mcat": "MultiCategorical", "gauss": "DiagGaussian", "det": "Deterministic",
            "sq": "SquashedGaussian", "beta": "Beta", "multi": "MultiActionDistribution"},
}


@pytest.mark.parametrize(
    "space,dist_type,kind,num_outputs",
    [
        (D(5), None, "cat", 5),
        (MD([2, 3]), None, "mcat", 5),
        (gym.spaces.MultiBinary(3), None, "mcat", 6),
        (BOX(0, 4, (2,), np.int64), None, "mcat", 10),
        (BOX(-1, 1, (3,), np.float32), None, "gauss", 6),
        (BOX(-1, 1, (3,), np.float32), "deterministic", "det", 3),
        (BOX(-2, 2, (3,), np.float32), "squashed_gaussian", "sq", 6),
        (BOX(0, 1, (2,), np.float32), "beta", "beta", 4),
        (gym.spaces.Tuple([D(2), BOX(-1, 1, (2,))]), None, "multi", 6),
        (gym.spaces.Dict({"a": D(3), "b": MD([2, 2])}), None, "multi", 7),
    ],
)
def test_default_distribution_per_action_space(fw, space, dist_type, kind, num_outputs):
    cls, n = ModelCatalog.get_action_dist(space, MODEL_DEFAULTS, dist_type=dist_type, framework=fw)
    assert cls.__name__ == TORCH_AND_TF_NAMES[fw][kind]
    assert issubclass(cls, ActionDistribution)
    assert n == num_outputs
    dist = cls(np.zeros((2, n), np.float32))
    dist.sample()
    assert tuple(dist.sampled_action_logp().shape) == (2,)


def test_squashed_gaussian_gets_the_box_bounds():
    cls, _ = ModelCatalog.get_action_dist(BOX(-3, 5, (1,)), None, dist_type="squashed_gaussian")
    d = cls(np.zeros((1, 2), np.float32))
    assert (d.low, d.high) == (-3.0, 5.0)


@pytest.mark.parametrize(
    "space,match",
    [
        (BOX(-1, 1, (2, 2)), r"Box\(-1.0, 1.0, \(2, 2\), float32\) has 2 dimensions"),
        (gym.spaces.Text(4), "action space Text"),
        (gym.spaces.Sequence(D(2)), "action space Sequence"),
    ],
)
def test_unsupported_action_space_names_the_space(space, match):
    with pytest.raises(UnsupportedSpaceException, match=match):
        ModelCatalog.get_action_dist(space, None)


def test_unsupported_space_is_a_value_error():
    assert issubclass(UnsupportedSpaceException, ValueError)


def test_unknown_framework_and_dist_type_are_value_errors():
    with pytest.raises(ValueError, match="framework='jax'"):
        ModelCatalog.get_action_dist(D(2), None, framework="jax")
    with pytest.raises(ValueError, match="dist_type='gumbel'"):
        ModelCatalog.get_action_dist(D(2), None, dist_type="gumbel")


@pytest.fixture
def clean_registry():
    saved = (dict(ModelCatalog._custom_models), dict(ModelCatalog._custom_action_dists))
    yield
    ModelCatalog._custom_models.clear()
    ModelCatalog._custom_models.update(saved[0])
    ModelCatalog._custom_action_dists.clear()
    ModelCatalog._custom_action_dists.update(saved[1])


def _custom_model_class(fw):
    if fw == "torch":
        import torch

        from rlcore.models.torch.torch_modelv2 import TorchModelV2

        class Custom(TorchModelV2, torch.nn.Module):
            def __init__(self, obs_space, action_space, num_outputs, model_config, name, scale=1.0):
                TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
                torch.nn.Module.__init__(self)
                self.num_outputs = num_outputs or 4  # None when wrapped by the LSTM (RLlib contract)
                self.scale = scale
                self.bias = torch.nn.Parameter(torch.zeros(self.num_outputs))

            def forward(self, input_dict, state, seq_lens):
                return self.bias.expand(input_dict["obs"].shape[0], -1) * self.scale + self.scale, state

            def value_function(self):
                return torch.zeros(1)

        return Custom
    from rlcore.models.tf.tf_modelv2 import TFModelV2, tf

    class CustomTF(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name, scale=1.0):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.num_outputs = num_outputs or 4  # None when wrapped by the LSTM (RLlib contract)
            self.scale = scale
            self.bias = tf.Variable(tf.zeros(self.num_outputs))

        def forward(self, input_dict, state, seq_lens):
            return tf.zeros([tf.shape(input_dict["obs"])[0], 1]) + self.bias + self.scale, state

        def value_function(self):
            return tf.zeros(1)

    return CustomTF


def test_custom_model_registered_by_name_is_used_with_its_config(fw, to_np, clean_registry):
    cls = _custom_model_class(fw)
    ModelCatalog.register_custom_model("my_model", cls)
    m = ModelCatalog.get_model_v2(
        BOX(-1, 1, (3,)), D(2), 2, {"custom_model": "my_model", "custom_model_config": {"scale": 7.0}}, framework=fw
    )
    assert isinstance(m, cls) and m.scale == 7.0
    np.testing.assert_allclose(to_np(m({"obs": np.zeros((2, 3), np.float32)})[0]), np.full((2, 2), 7.0))
    assert len(m.trainable_variables()) == 1


def test_custom_model_can_be_wrapped_in_an_lstm(fw, clean_registry):
    ModelCatalog.register_custom_model("my_model", _custom_model_class(fw))
    m = ModelCatalog.get_model_v2(BOX(-1, 1, (3,)), D(2), 2, {"custom_model": "my_model", "use_lstm": True, "lstm_cell_size": 4}, framework=fw)
    assert type(m).__name__.endswith("_as_LSTMWrapper") and len(m.get_initial_state()) == 2
    state = [np.zeros((2, 4), np.float32)] * 2
    out, state_out = m({"obs": np.zeros((2, 3), np.float32)}, state, np.array([1, 1]))
    assert tuple(out.shape) == (2, 2) and len(state_out) == 2


def test_custom_model_of_the_wrong_framework_is_a_type_error(clean_registry):
    ModelCatalog.register_custom_model("torch_model", _custom_model_class("torch"))
    with pytest.raises(TypeError, match="must subclass TFModelV2"):
        ModelCatalog.get_model_v2(BOX(-1, 1, (3,)), D(2), 2, {"custom_model": "torch_model"}, framework="tf2")


def test_unknown_custom_model_lists_registered_names(clean_registry):
    ModelCatalog.register_custom_model("alpha", type("A", (), {}))
    ModelCatalog.register_custom_model("beta", type("B", (), {}))
    with pytest.raises(ValueError, match=r"custom_model='gamma' is not registered; registered names: \[.*'alpha', 'beta'.*\]"):
        ModelCatalog.get_model_v2(BOX(-1, 1, (3,)), D(2), 2, {"custom_model": "gamma"})


class Loaded(ActionDistribution):
    """A test distribution: always the same action, logp 0."""

    @staticmethod
    def required_model_output_shape(action_space, model_config):
        return 7

    def sample(self):
        return np.zeros(len(self.inputs), np.int64)


def test_custom_action_dist_registered_by_name_is_used(clean_registry):
    ModelCatalog.register_custom_action_dist("loaded", Loaded)
    cls, n = ModelCatalog.get_action_dist(D(2), {"custom_action_dist": "loaded"})
    assert cls is Loaded and n == 7


def test_unknown_custom_action_dist_lists_registered_names(clean_registry):
    ModelCatalog.register_custom_action_dist("loaded", Loaded)
    with pytest.raises(ValueError, match=r"custom_action_dist='nope' is not registered; registered names: \[.*'loaded'.*\]"):
        ModelCatalog.get_action_dist(D(2), {"custom_action_dist": "nope"})


@pytest.mark.parametrize("name,cls", [("", Loaded), (3, Loaded), ("x", "not a class")])
def test_bad_registrations_are_type_errors(name, cls):
    with pytest.raises(TypeError):
        ModelCatalog.register_custom_action_dist(name, cls)


def test_lstm_and_attention_together_are_rejected_clearly():
    with pytest.raises(ValueError, match="both use_lstm=True and use_attention=True"):
        ModelCatalog.get_model_v2(BOX(-1, 1, (3,)), D(2), 2, {"use_lstm": True, "use_attention": True})


def test_unsupported_observation_space_names_the_space(fw):
    with pytest.raises(ValueError, match="observation space Text"):
        ModelCatalog.get_model_v2(gym.spaces.Text(3), D(2), 2, {}, framework=fw)


def test_model_interface_is_mixed_in(fw):
    class Interface:
        def q_values(self):
            return "q"

    m = ModelCatalog.get_model_v2(BOX(-1, 1, (3,)), D(2), 2, {"fcnet_hiddens": [4]}, framework=fw, model_interface=Interface)
    assert m.q_values() == "q" and type(m).__name__ == "FullyConnectedNetwork_as_Interface"


def test_dict_observations_get_a_flattened_fc_model(fw, to_np):
    obs = gym.spaces.Dict({"pos": BOX(-1, 1, (2,)), "id": D(3)})
    m = ModelCatalog.get_model_v2(obs, D(2), 2, {"fcnet_hiddens": [4]}, framework=fw)
    raw = [obs.sample() for _ in range(3)]
    out, _ = m({"obs": np.array(raw, dtype=object)})
    assert to_np(out).shape == (3, 2)


def test_get_action_shape():
    assert ModelCatalog.get_action_shape(MD([2, 3])) == (np.dtype(np.int64), (None, 2))
    assert ModelCatalog.get_action_shape(BOX(-1, 1, (3,))) == (np.dtype(np.float32), (None, 3))


def test_model_defaults_carry_rllib_keys():
    for key, value in {"fcnet_hiddens": [256, 256], "fcnet_activation": "tanh", "vf_share_layers": True,
                       "max_seq_len": 20, "lstm_cell_size": 256, "dim": 84, "zero_mean": True, "custom_model_config": {}}.items():
        assert MODEL_DEFAULTS[key] == value


def test_integer_box_actions_respect_the_lower_bound(fw, to_np):
    space = BOX(-2, 1, (3,), np.int64)
    cls, n = ModelCatalog.get_action_dist(space, None, framework=fw)
    assert n == 12
    logits = np.full((50, 12), -20.0, np.float32)
    logits[:, 0::4] = 20.0  # the first class of each component: action value -2
    d = cls(logits)
    a = to_np(d.sample())
    assert a.shape == (50, 3) and np.all(a == -2) and all(space.contains(row) for row in a)
    np.testing.assert_allclose(to_np(d.logp(a)), 0.0, atol=1e-5)


@pytest.mark.parametrize("space", [D(3, start=5), MD([2, 3], start=[-1, 4])])
def test_discrete_start_offsets_are_respected(fw, to_np, space):
    cls, n = ModelCatalog.get_action_dist(space, None, framework=fw)
    d = cls(np.random.default_rng(0).normal(size=(40, n)).astype(np.float32))
    a = to_np(d.sample())
    assert all(space.contains(np.asarray(row, dtype=space.dtype)) for row in a)
    np.testing.assert_allclose(to_np(d.logp(a)), to_np(d.sampled_action_logp()), rtol=1e-6)
    assert space.contains(np.asarray(to_np(d.deterministic_sample())[0], dtype=space.dtype))
