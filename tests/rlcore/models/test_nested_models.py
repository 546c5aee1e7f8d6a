"""Issue #19 item 2: a model that holds another ModelV2 trains (RLlib 1.x's canonical custom model).

1.x's ``TFModelV2.variables()`` found the variables of nested ModelV2s, Keras models and layers,
``tf.Module``s and ``tf.Variable``s held in attributes, lists and dicts; so a ``TFModelV2`` that
delegates to a ``FullyConnectedNetwork`` has its weights trained, synced and saved. Torch models
get the same from ``nn.Module``; the learning test runs in both frameworks.
"""

import gymnasium as gym
import numpy as np
import pytest

from rlcore.data.sample_batch import SampleBatch
from rlcore.models import ModelCatalog

OBS = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
ACT = gym.spaces.Discrete(2)


def _wrapping_model(fw):
    """1.x's custom-model pattern: a model class that builds a FullyConnectedNetwork and delegates."""
    if fw == "torch":
        import torch.nn as nn

        from rlcore.models.torch.fcnet import FullyConnectedNetwork
        from rlcore.models.torch.torch_modelv2 import TorchModelV2

        class TorchWrapping(TorchModelV2, nn.Module):
            def __init__(self, obs_space, action_space, num_outputs, model_config, name):
                TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
                nn.Module.__init__(self)
                self.fcnet = FullyConnectedNetwork(obs_space, action_space, num_outputs, model_config, name + "_fc")

            def forward(self, input_dict, state, seq_lens):
                return self.fcnet(input_dict, state, seq_lens)

            def value_function(self):
                return self.fcnet.value_function()

        return TorchWrapping
    from rlcore.models.tf.fcnet import FullyConnectedNetwork
    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class TFWrapping(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            self.fcnet = FullyConnectedNetwork(obs_space, action_space, num_outputs, model_config, name + "_fc")

        def forward(self, input_dict, state, seq_lens):
            return self.fcnet(input_dict, state, seq_lens)

        def value_function(self):
            return self.fcnet.value_function()

    return TFWrapping


def _batch(n=128, seed=0):
    """A contextual bandit: action 1 pays when obs[0] > 0, action 0 otherwise."""
    rng = np.random.default_rng(seed)
    obs = rng.uniform(-1, 1, (n, 4)).astype(np.float32)
    actions = rng.integers(0, 2, n)
    advantages = np.where((obs[:, 0] > 0) == (actions == 1), 1.0, -1.0).astype(np.float32)
    return SampleBatch({"obs": obs, "actions": actions, "rewards": advantages, "advantages": advantages})


@pytest.mark.parametrize("fw", ["torch", "tf2"])
def test_a_model_wrapping_a_fully_connected_network_trains(fw):
    from rlcore.algorithms.pg import PGTFPolicy, PGTorchPolicy

    name = f"wrapping_fcnet_{fw}"
    ModelCatalog.register_custom_model(name, _wrapping_model(fw))
    config = {"lr": 0.01, "eager_tracing": fw == "tf2", "seed": 0,
              "model": {"custom_model": name, "fcnet_hiddens": [16]}}
    cls = PGTorchPolicy if fw == "torch" else PGTFPolicy
    policy = cls(OBS, ACT, config)
    inner = policy.model.fcnet
    assert len(policy.model.trainable_variables()) == len(inner.trainable_variables()) == 6  # 3 dense layers
    before = {k: v.copy() for k, v in policy.get_weights().items()}
    batch = _batch()
    losses = [policy.learn_on_batch(batch)["learner_stats"]["policy_loss"] for _ in range(40)]
    assert losses[-1] < losses[0] - 0.3, losses
    after = policy.get_weights()
    assert set(after) == set(before) and any(not np.array_equal(after[k], before[k]) for k in after)
    # The learned weights sync into a fresh policy: it acts the same.
    other = cls(OBS, ACT, config)
    other.set_weights(after)
    obs = batch["obs"][:8]
    np.testing.assert_allclose(other.compute_actions(obs, explore=False)[2]["action_dist_inputs"],
                               policy.compute_actions(obs, explore=False)[2]["action_dist_inputs"], rtol=1e-5, atol=1e-6)


def test_tf_variables_are_found_in_attributes_lists_dicts_modules_and_nested_models():
    import tensorflow as tf
    from rlcore.models.tf.fcnet import FullyConnectedNetwork
    from rlcore.models.tf.tf_modelv2 import TFModelV2

    class Holder(TFModelV2):
        def __init__(self, obs_space, action_space, num_outputs, model_config, name):
            super().__init__(obs_space, action_space, num_outputs, model_config, name)
            dense = [tf.keras.layers.Dense(3), tf.keras.layers.Dense(2)]
            for layer in dense:
                layer.build((None, 4))
            self.layers_list = dense
            self.by_name = {"scale": tf.Variable(1.0), "frozen": tf.Variable(2.0, trainable=False)}
            self.nested = [{"net": FullyConnectedNetwork(obs_space, action_space, 2, {"fcnet_hiddens": [5]}, "inner")}]
            self.module = tf.Module()
            self.module.w = tf.Variable(tf.zeros([2]))
            self.myself = self  # cycles are fine
            self.nested[0]["net"].parent = self

        def forward(self, input_dict, state, seq_lens):
            return self.layers_list[1](input_dict["obs_flat"]), state

    model = Holder(OBS, ACT, 2, {}, "holder")
    # 2 + 2 dense variables, 2 tf.Variables, 4 of the inner fcnet (hidden + logits) + 2 value head, 1 in the tf.Module.
    assert len(model.variables()) == 4 + 2 + 6 + 1
    assert len(model.trainable_variables()) == 4 + 1 + 6 + 1
    assert len(set(map(id, model.variables()))) == len(model.variables())  # each once
    names = model.variables(as_dict=True)
    assert len(names) == len(model.variables()) and all(v is model.variables()[i] for i, v in enumerate(names.values()))
