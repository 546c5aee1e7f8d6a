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
from rlcore.models.tf.tf_modelv2 import FLAT_SHAPE, TFModelV2, get_activation_fn, keras, normc_initializer, tf


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


def _eager_layer(layer: Any) -> Any:
    """``(kernel, bias, activation)`` tf.Variables of a plain float32 Dense layer, the layer itself for
    an :class:`AppendBiasLayer`, ``None`` for any other layer (LoRA, quantized, mixed precision, ...)."""
    if isinstance(layer, AppendBiasLayer):
        return layer
    if type(layer) is not keras.layers.Dense or layer.lora_enabled or layer.quantization_mode is not None:
        return None
    if layer.dtype_policy.name != "float32" or not layer.built:
        return None
    kernel, bias = layer.kernel.value, None if layer.bias is None else layer.bias.value
    if not isinstance(kernel, tf.Variable) or (bias is not None and not isinstance(bias, tf.Variable)):
        return None
    activation = None if layer.activation is keras.activations.linear else layer.activation
    return kernel, bias, activation


def _run_eager_plan(plan: Any, obs_flat: Any) -> tuple:
    """Runs the layers eagerly with the ops Keras' Dense.call issues (MatMul, BiasAdd, activation)
    but without Keras' per-call layer and functional-graph machinery: the same values and
    gradients, each op still an eager op (Python breakpoints in a model's code keep working)."""
    steps, model_out = plan
    t = {"in": obs_flat, "last": obs_flat}
    for out, fn, inp in steps:
        x = t[inp]
        if isinstance(fn, tuple):
            kernel, bias, activation = fn
            x = tf.linalg.matmul(x, kernel)
            if bias is not None:
                x = tf.nn.bias_add(x, bias)
            t[out] = x if activation is None else activation(x)
        else:
            t[out] = fn.call(x)
    return t[model_out], t["value"]


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
        # The layers in call order, as (output name, layer, input name): the eager forward runs them
        # itself (see _eager_forward). Names: "in" (obs_flat), "last", "logits", "vf".
        steps = []

        def add(out: str, layer: Any, inp: str, tensors: Dict[str, Any]) -> Any:
            steps.append((out, layer, inp))
            tensors[out] = layer(tensors[inp])
            return tensors[out]

        t: Dict[str, Any] = {"in": inputs, "last": inputs}
        logits_out = None
        i = 1
        for size in hiddens[:-1]:
            add("last", keras.layers.Dense(size, name=f"fc_{i}", activation=activation, kernel_initializer=normc_initializer(1.0)), "last", t)
            i += 1
        if no_final_linear and num_outputs:
            logits_out = add("logits", keras.layers.Dense(num_outputs, name="fc_out", activation=activation,
                                                          kernel_initializer=normc_initializer(1.0)), "last", t)
        else:
            if hiddens:
                add("last", keras.layers.Dense(hiddens[-1], name=f"fc_{i}", activation=activation,
                                               kernel_initializer=normc_initializer(1.0)), "last", t)
            if num_outputs:
                logits_out = add("logits", keras.layers.Dense(num_outputs, name="fc_out", activation=None,
                                                              kernel_initializer=normc_initializer(0.01)), "last", t)
            else:
                self.num_outputs = ([in_size] + hiddens[-1:])[-1]
        if free_log_std and logits_out is not None and not no_final_linear:
            logits_out = add("logits", AppendBiasLayer(num_outputs, name="append_log_std"), "logits", t)

        value_from = "last"
        if not vf_share_layers:
            value_from = "in"
            for j, size in enumerate(hiddens, start=1):
                value_from = "vf"
                add("vf", keras.layers.Dense(size, name=f"fc_value_{j}", activation=activation,
                                             kernel_initializer=normc_initializer(1.0)), "vf" if j > 1 else "in", t)
        elif no_final_linear and logits_out is not None:
            value_from = "logits"
        value_out = add("value", keras.layers.Dense(1, name="value_out", activation=None,
                                                    kernel_initializer=normc_initializer(0.01)), value_from, t)
        model_out = "logits" if logits_out is not None else "last"
        self.base_model = keras.Model(inputs, [t[model_out], value_out], name=f"{self.name}_fc")
        self._value_out = None
        # The eager plan: None until the first eager forward, False where it cannot be used.
        self.__dict__["_eager_steps"] = (self.base_model, steps, model_out)
        self.__dict__["_eager_plan"] = None

    def forward(self, input_dict, state, seq_lens):
        obs_flat = input_dict["obs_flat"]
        if tf.executing_eagerly():
            plan = self._eager_plan if self._eager_plan is not None else self._make_eager_plan()
            if plan and getattr(obs_flat, "dtype", None) == tf.float32:
                model_out, self._value_out = _run_eager_plan(plan, obs_flat)
                return model_out, state
        model_out, self._value_out = self.base_model(obs_flat)
        return model_out, state

    def _make_eager_plan(self) -> Any:
        """The eager forward's plan: ``(steps, model output name)`` with each Dense layer as its
        variables and activation; ``False`` (the Keras call is used) when ``base_model`` is no
        longer the one built here or a layer is not a plain float32 Dense / :class:`AppendBiasLayer`."""
        model, steps, model_out = self.__dict__["_eager_steps"]
        plan: Any = False
        if self.base_model is model:
            compiled = [(out, _eager_layer(layer), inp) for out, layer, inp in steps]
            if all(fn is not None for _, fn, _ in compiled):
                plan = (compiled, model_out)
        self.__dict__["_eager_plan"] = plan
        return plan

    def value_function(self):
        if self._value_out is None:
            raise ValueError("value_function() called before the model's first forward pass")
        return tf.reshape(self._value_out, FLAT_SHAPE)


__all__ = ["AppendBiasLayer", "FullyConnectedNetwork"]
