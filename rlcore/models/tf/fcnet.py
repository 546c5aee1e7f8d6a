"""FullyConnectedNetwork (TF2 / Keras 3): the default MLP policy/value network for flat observations.

Same options and layout as the torch version (``rlcore.models.torch.fcnet``): hidden layers
``fcnet_hiddens`` (+ ``post_fcnet_hiddens``) with ``fcnet_activation``, a logits head
(``no_final_linear`` makes the last hidden layer the output), ``free_log_std``, and a value head
sharing the hidden layers or not (``vf_share_layers``). Built as one functional Keras model
``base_model`` with outputs ``[logits, value]``, as RLlib 1.x ``models/tf/fcnet.py``.

Examples:
    >>> import gymnasium as gym
    >>> m = FullyConnectedNetwork(gym.spaces.Box(-1, 1, (4,)), gym.spaces.Discrete(2), 2,
    ...                           {"fcnet_hiddens": [8, 8], "vf_share_layers": False}, "fc")
    >>> out, _ = m({"obs": np.zeros((3, 4), np.float32)})
    >>> tuple(out.shape), tuple(m.value_function().shape)
    ((3, 2), (3,))
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from rlcore.models.modelv2 import flat_obs_shape
from rlcore.models.tf.tf_modelv2 import TFModelV2, get_activation_fn, keras, normc_initializer, tf


class AppendBiasLayer(keras.layers.Layer):
    """Appends a learned bias vector (shared by all rows) to the inputs: ``[x, log_std]``.

    Examples:
        >>> tuple(AppendBiasLayer(2)(tf.zeros((3, 2))).shape)
        (3, 4)
    """

    def __init__(self, num_bias_vars: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_bias_vars = int(num_bias_vars)
        self.log_std = self.add_weight(shape=(self.num_bias_vars,), initializer="zeros", name="log_std", trainable=True)

    def call(self, x):
        return tf.concat([x, tf.tile(tf.expand_dims(tf.convert_to_tensor(self.log_std), 0), [tf.shape(x)[0], 1])], axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] + self.num_bias_vars)


def _resolve_hiddens(model_config: Dict[str, Any]) -> tuple:
    hiddens = list(model_config.get("fcnet_hiddens", [])) + list(model_config.get("post_fcnet_hiddens", []))
    activation = model_config.get("fcnet_activation", "tanh")
    if not model_config.get("fcnet_hiddens", []):
        activation = model_config.get("post_fcnet_activation", "relu")
    return hiddens, get_activation_fn(activation)


class FullyConnectedNetwork(TFModelV2):
    """The default fully connected network (see the module docstring for the options).

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``.
            ``num_outputs=None`` (or 0) builds no logits head; ``num_outputs`` then becomes
            the width of the last hidden layer.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str):
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        hiddens, activation = _resolve_hiddens(model_config)
        no_final_linear = model_config.get("no_final_linear", False)
        vf_share_layers = model_config.get("vf_share_layers", True)
        free_log_std = model_config.get("free_log_std", False)
        if free_log_std:
            if not num_outputs or num_outputs % 2 != 0:
                raise ValueError(f"free_log_std needs an even num_outputs (mean and log_std halves), got {num_outputs}")
            num_outputs = num_outputs // 2

        in_size = int(np.prod(flat_obs_shape(obs_space, model_config)))
        inputs = keras.layers.Input(shape=(in_size,), name="observations")
        last = inputs
        logits_out = None
        i = 1
        for size in hiddens[:-1]:
            last = keras.layers.Dense(size, name=f"fc_{i}", activation=activation, kernel_initializer=normc_initializer(1.0))(last)
            i += 1
        if no_final_linear and num_outputs:
            logits_out = keras.layers.Dense(num_outputs, name="fc_out", activation=activation, kernel_initializer=normc_initializer(1.0))(last)
        else:
            if hiddens:
                last = keras.layers.Dense(hiddens[-1], name=f"fc_{i}", activation=activation, kernel_initializer=normc_initializer(1.0))(last)
            if num_outputs:
                logits_out = keras.layers.Dense(num_outputs, name="fc_out", activation=None, kernel_initializer=normc_initializer(0.01))(last)
            else:
                self.num_outputs = ([in_size] + hiddens[-1:])[-1]
        if free_log_std and logits_out is not None and not no_final_linear:
            logits_out = AppendBiasLayer(num_outputs, name="append_log_std")(logits_out)

        last_vf = None
        if not vf_share_layers:
            last_vf = inputs
            for j, size in enumerate(hiddens, start=1):
                last_vf = keras.layers.Dense(size, name=f"fc_value_{j}", activation=activation, kernel_initializer=normc_initializer(1.0))(last_vf)
        value_in = last_vf if last_vf is not None else (logits_out if (no_final_linear and logits_out is not None) else last)
        value_out = keras.layers.Dense(1, name="value_out", activation=None, kernel_initializer=normc_initializer(0.01))(value_in)
        self.base_model = keras.Model(inputs, [logits_out if logits_out is not None else last, value_out], name=f"{self.name}_fc")
        self._value_out = None

    def forward(self, input_dict, state, seq_lens):
        model_out, self._value_out = self.base_model(input_dict["obs_flat"])
        return model_out, state

    def value_function(self):
        if self._value_out is None:
            raise ValueError("value_function() called before the model's first forward pass")
        return tf.reshape(self._value_out, [-1])


__all__ = ["AppendBiasLayer", "FullyConnectedNetwork"]
