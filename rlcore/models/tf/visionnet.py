"""VisionNetwork (TF2 / Keras 3): the default conv net for ``[H, W, C]`` image observations.

Same options and layout as the torch version (``rlcore.models.torch.visionnet``): conv layers
from ``conv_filters`` (RLlib's defaults for 84x84, 42x42, 10x10), "same" padding except for the
last layer, flatten, ``post_fcnet_hiddens``, a linear logits head, and a value head that shares
the conv stack or not (``vf_share_layers``). One functional Keras model, outputs ``[logits, value]``.

Examples:
    >>> import gymnasium as gym
    >>> m = VisionNetwork(gym.spaces.Box(0, 1, (10, 10, 1)), gym.spaces.Discrete(4), 4, {}, "cnn")
    >>> out, _ = m({"obs": np.zeros((2, 10, 10, 1), np.float32)})
    >>> tuple(out.shape), tuple(m.value_function().shape)
    ((2, 4), (2,))
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np  # noqa: F401  (used by the doctest)

from rlcore.models.tf.tf_modelv2 import TFModelV2, get_activation_fn, keras, normc_initializer, tf
from rlcore.models.conv_filters import check_filters, get_filter_config


def _conv_stack(inputs: Any, filters: list, activation: Any, prefix: str) -> Any:
    last = inputs
    for i, (out, kernel, stride) in enumerate(filters, start=1):
        padding = "valid" if i == len(filters) else "same"
        last = keras.layers.Conv2D(out, kernel, strides=stride, activation=activation, padding=padding, name=f"{prefix}{i}")(last)
    return keras.layers.Flatten(name=f"{prefix}flatten")(last)


class VisionNetwork(TFModelV2):
    """The default conv network (see the module docstring for the options).

    Args:
        obs_space: A ``Box`` of shape ``[H, W, C]``.
        action_space, num_outputs, model_config, name: as ``ModelV2``.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str):
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        shape = tuple(int(d) for d in obs_space.shape)
        if len(shape) != 3:
            raise ValueError(f"VisionNetwork needs [H, W, C] observations, got space {obs_space}")
        filters = check_filters(model_config.get("conv_filters") or get_filter_config(shape))
        activation = get_activation_fn(model_config.get("conv_activation", "relu"))
        post_activation = get_activation_fn(model_config.get("post_fcnet_activation", "relu"))
        vf_share_layers = model_config.get("vf_share_layers", True)

        inputs = keras.layers.Input(shape=shape, name="observations")
        features = _conv_stack(inputs, filters, activation, "conv")
        last = features
        for i, size in enumerate(model_config.get("post_fcnet_hiddens", []), start=1):
            last = keras.layers.Dense(size, activation=post_activation, name=f"post_fc_{i}", kernel_initializer=normc_initializer(1.0))(last)
        if num_outputs:
            last = keras.layers.Dense(num_outputs, activation=None, name="conv_out", kernel_initializer=normc_initializer(0.01))(last)
        else:
            self.num_outputs = int(last.shape[-1])
        value_features = features if vf_share_layers else _conv_stack(inputs, filters, activation, "conv_value_")
        value_out = keras.layers.Dense(1, activation=None, name="value_out", kernel_initializer=normc_initializer(0.01))(value_features)
        self.base_model = keras.Model(inputs, [last, value_out], name=f"{self.name}_cnn")
        self._value_out = None

    def forward(self, input_dict, state, seq_lens):
        model_out, self._value_out = self.base_model(tf.cast(input_dict["obs"], tf.float32))
        return model_out, state

    def value_function(self):
        if self._value_out is None:
            raise ValueError("value_function() called before the model's first forward pass")
        return tf.reshape(self._value_out, [-1])


__all__ = ["VisionNetwork", "get_filter_config"]
