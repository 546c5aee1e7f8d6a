"""Attention nets (TF2 / Keras 3): GTrXL and the ``use_attention`` wrapper (RLlib 1.x ``models/tf/attention_net``).

Same model and options as :mod:`rlcore.models.torch.attention_net` (see there and
:mod:`rlcore.models.attention` for the memory layout). Layers are built in ``__init__`` so
``variables()`` is complete before the first call; everything runs eagerly or inside
``tf.function`` (the segment length may be dynamic).

Examples:
    >>> import gymnasium as gym
    >>> net = GTrXLNet(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), 2, {"max_seq_len": 4}, "gtrxl",
    ...                attention_dim=8, num_heads=2, head_dim=4, memory_inference=3, memory_training=3)
    >>> state = [s[None] for s in net.get_initial_state()]
    >>> out, new_state = net({"obs": np.zeros((1, 3), np.float32)}, state, np.ones(1, np.int32))
    >>> tuple(out.shape), [tuple(s.shape) for s in new_state], tuple(net.value_function().shape)
    ((1, 2), [(1, 3, 8)], (1,))
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from rlcore.models.attention import AttentionOptions, PrevInputs
from rlcore.models.modelv2 import flat_obs_shape
from rlcore.models.tf.recurrent_net import RecurrentNetwork, add_time_dimension, encode_prev_actions
from rlcore.models.tf.tf_modelv2 import TFModelV2, keras, tf

__all__ = ["AttentionWrapper", "GRUGate", "GTrXLNet", "PositionwiseFeedforward", "RelativeMultiHeadAttention",
           "SkipConnection", "relative_position_embedding"]


def relative_position_embedding(seq_length: Any, out_dim: int) -> Any:
    """The sinusoid encoding of the relative positions ``seq_length - 1, ..., 0`` (``Phi`` in
    Transformer-XL): ``[seq_length, out_dim]``, sines then cosines.

    Examples:
        >>> phi = relative_position_embedding(3, 4)
        >>> tuple(phi.shape), phi[-1].numpy().tolist()  # position 0: sin 0 = 0, cos 0 = 1
        ((3, 4), [0.0, 0.0, 1.0, 1.0])
    """
    inverse_freq = 1.0 / (10000 ** (tf.range(0, out_dim, 2.0) / out_dim))
    positions = tf.range(tf.cast(seq_length, tf.float32) - 1.0, -1.0, -1.0)
    angles = positions[:, None] * inverse_freq[None, :]
    return tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)


def rel_shift(x: Any) -> Any:
    """Transformer-XL's shift: ``[B, T, S, H]`` scores against positions ``S-1..0`` become scores
    against each query's relative distance (valid where the causal mask lets a query look)."""
    shape = tf.shape(x)
    x = tf.pad(x, [[0, 0], [0, 0], [1, 0], [0, 0]])
    x = tf.reshape(x, [shape[0], shape[2] + 1, shape[1], shape[3]])[:, 1:]
    return tf.reshape(x, shape)


class GRUGate(keras.layers.Layer):
    """The GTrXL gate joining a residual stream ``h`` and a layer's output ``x`` (see the torch
    ``GRUGate``): ``(1 - z) h + z tanh(x Wh + (r h) Uh)``.

    Examples:
        >>> tuple(GRUGate(4, init_bias=2.0)((tf.zeros([2, 4]), tf.ones([2, 4]))).shape)
        (2, 4)
    """

    def __init__(self, dim: int, init_bias: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self._w = {k: self.add_weight(shape=(dim, dim), initializer="glorot_uniform", name=k)
                   for k in ("w_r", "w_z", "w_h", "u_r", "u_z", "u_h")}
        self._bias_z = self.add_weight(shape=(dim,), initializer=keras.initializers.Constant(float(init_bias)),
                                       name="bias_z")
        self.built = True  # all weights exist

    def call(self, inputs):
        h, x = inputs
        w = self._w
        r = tf.sigmoid(tf.tensordot(x, w["w_r"], 1) + tf.tensordot(h, w["u_r"], 1))
        z = tf.sigmoid(tf.tensordot(x, w["w_z"], 1) + tf.tensordot(h, w["u_z"], 1) - self._bias_z)
        candidate = tf.tanh(tf.tensordot(x, w["w_h"], 1) + tf.tensordot(r * h, w["u_h"], 1))
        return (1 - z) * h + z * candidate


class SkipConnection(keras.layers.Layer):
    """``layer(x)`` joined with ``x``: summed, or through ``fan_in_layer((x, layer(x)))``."""

    def __init__(self, layer: Any, fan_in_layer: Optional[Any] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._layer = layer
        self._fan_in_layer = fan_in_layer
        self.built = True  # the layers it holds are built

    def call(self, inputs, memory=None):
        outputs = self._layer(inputs) if memory is None else self._layer(inputs, memory=memory)
        return outputs + inputs if self._fan_in_layer is None else self._fan_in_layer((inputs, outputs))


class PositionwiseFeedforward(keras.layers.Layer):
    """GTrXL's position-wise MLP: LayerNorm, then two bias-free ReLU layers (``hidden_dim``, ``out_dim``)."""

    def __init__(self, in_dim: int, out_dim: int, hidden_dim: int, **kwargs: Any):
        super().__init__(**kwargs)
        self._norm = keras.layers.LayerNormalization(axis=-1)
        self._hidden = keras.layers.Dense(hidden_dim, activation="relu", use_bias=False)
        self._out = keras.layers.Dense(out_dim, activation="relu", use_bias=False)
        self._norm.build((None, in_dim))
        self._hidden.build((None, in_dim))
        self._out.build((None, hidden_dim))
        self.built = True

    def call(self, inputs):
        return self._out(self._hidden(self._norm(inputs)))


class RelativeMultiHeadAttention(keras.layers.Layer):
    """Multi-head attention of a segment ``[B, T, in_dim]`` over ``memory`` (``[B, Tau, in_dim]``,
    no gradient) and itself, with Transformer-XL's relative position terms and a causal mask
    (see the torch ``RelativeMultiHeadAttention``)."""

    def __init__(self, in_dim: int, out_dim: int, num_heads: int, head_dim: int, input_layernorm: bool = False,
                 output_activation: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._num_heads, self._head_dim, self._in_dim = num_heads, head_dim, in_dim
        self._qkv_layer = keras.layers.Dense(3 * num_heads * head_dim, use_bias=False)
        self._linear_layer = keras.layers.Dense(out_dim, use_bias=False, activation=output_activation)
        self._pos_proj = keras.layers.Dense(num_heads * head_dim, use_bias=False)
        self._uvar = self.add_weight(shape=(num_heads, head_dim), initializer="glorot_uniform", name="u")
        self._vvar = self.add_weight(shape=(num_heads, head_dim), initializer="glorot_uniform", name="v")
        self._input_layernorm = keras.layers.LayerNormalization(axis=-1) if input_layernorm else None
        for layer, width in ((self._qkv_layer, in_dim), (self._pos_proj, in_dim), (self._input_layernorm, in_dim),
                             (self._linear_layer, num_heads * head_dim)):
            if layer is not None:
                layer.build((None, width))
        self.built = True

    def call(self, inputs, memory=None):
        h, d = self._num_heads, self._head_dim
        b, t = tf.shape(inputs)[0], tf.shape(inputs)[1]
        tau = 0 if memory is None else tf.shape(memory)[1]
        if memory is not None:
            inputs = tf.concat([tf.stop_gradient(memory), inputs], axis=1)
        if self._input_layernorm is not None:
            inputs = self._input_layernorm(inputs)
        queries, keys, values = tf.split(self._qkv_layer(inputs), 3, axis=-1)
        queries = tf.reshape(queries[:, -t:], [b, t, h, d])
        keys = tf.reshape(keys, [b, t + tau, h, d])
        values = tf.reshape(values, [b, t + tau, h, d])
        rel = tf.reshape(self._pos_proj(relative_position_embedding(t + tau, self._in_dim)), [t + tau, h, d])
        score = tf.einsum("bihd,bjhd->bijh", queries + self._uvar, keys)
        pos_score = tf.einsum("bihd,jhd->bijh", queries + self._vvar, rel)
        score = (score + rel_shift(pos_score)) / d**0.5
        visible = tf.sequence_mask(tf.range(tau + 1, tau + t + 1), t + tau)  # step i sees keys <= tau + i
        score = tf.where(visible[None, :, :, None], score, tf.float32.min)
        weights = tf.nn.softmax(score, axis=2)
        out = tf.reshape(tf.einsum("bijh,bjhd->bihd", weights, values), [b, t, h * d])
        return self._linear_layer(out)


class GTrXLNet(RecurrentNetwork):
    """A GTrXL model (RLlib 1.x ``GTrXLNet``); see the torch ``GTrXLNet`` for the arguments."""

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, **attention: Any):
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        self.options = opts = AttentionOptions.from_config(model_config, **attention)
        dim = opts.attention_dim
        self.max_seq_len = opts.max_seq_len
        self.obs_dim = int(np.prod(flat_obs_shape(obs_space, model_config)))
        self.linear_layer = keras.layers.Dense(dim, name=f"{self.name}_linear")
        self.linear_layer.build((None, self.obs_dim))
        self.attention_units, self.mlp_units = [], []
        for i in range(opts.num_transformer_units):
            self.attention_units.append(SkipConnection(
                RelativeMultiHeadAttention(dim, dim, opts.num_heads, opts.head_dim, input_layernorm=True,
                                           output_activation="relu"),
                fan_in_layer=GRUGate(dim, opts.init_gru_gate_bias), name=f"{self.name}_mha_{i + 1}"))
            self.mlp_units.append(SkipConnection(
                PositionwiseFeedforward(dim, dim, opts.position_wise_mlp_dim),
                fan_in_layer=GRUGate(dim, opts.init_gru_gate_bias), name=f"{self.name}_pos_wise_mlp_{i + 1}"))
        self._logits = self._values_out = None
        if num_outputs:
            self._logits = keras.layers.Dense(num_outputs, name=f"{self.name}_logits")
            self._values_out = keras.layers.Dense(1, name=f"{self.name}_values")
            self._logits.build((None, dim))
            self._values_out.build((None, dim))
        else:
            self.num_outputs = dim
        self._value_out = None
        self.view_requirements.update(opts.view_requirements())

    def forward(self, input_dict, state, seq_lens):
        opts = self.options
        opts.check_state(state)
        obs = tf.cast(input_dict["obs_flat"], tf.float32)
        if seq_lens is None:
            seq_lens = tf.ones(tf.shape(obs)[:1], dtype=tf.int32)
        x = add_time_dimension(obs, seq_lens)
        tau = opts.memory_for(bool(input_dict.get("is_training", False)))
        memories = [tf.cast(s, tf.float32) for s in state]
        e = self.linear_layer(x)
        unit_inputs = [e]
        for attend, mlp, memory in zip(self.attention_units, self.mlp_units, memories):
            e = mlp(attend(e, memory=memory[:, opts.memory - tau:]))
            unit_inputs.append(e)
        features = tf.reshape(e, [-1, opts.attention_dim])
        new_state = [self._advance(m, u, seq_lens) for m, u in zip(memories, unit_inputs)]
        if self._logits is None:
            return features, new_state
        self._value_out = self._values_out(features)
        return self._logits(features), new_state

    @staticmethod
    def _advance(memory: Any, inputs: Any, seq_lens: Any) -> Any:
        """The memory after each sequence's last valid step (``[B, M, D]``)."""
        rows = tf.concat([memory, tf.stop_gradient(inputs)], axis=1)
        size = memory.shape[1]
        idx = tf.cast(seq_lens, tf.int32)[:, None] + tf.range(size)[None, :]
        return tf.gather(rows, idx, batch_dims=1)

    def value_function(self):
        if self._value_out is None:
            raise ValueError("value_function() needs a forward pass first (and a GTrXLNet built with num_outputs)")
        return tf.reshape(self._value_out, [-1])

    def get_initial_state(self) -> List[np.ndarray]:
        return self.options.initial_state()


class AttentionWrapper(TFModelV2):
    """The ``use_attention`` wrapper: ``ModelCatalog`` builds ``class X(AttentionWrapper, WrappedModel)``.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``; reads the
            ``attention_*`` keys and ``max_seq_len``.
        **kwargs: Passed to the wrapped model's constructor.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, **kwargs: Any):
        super().__init__(obs_space, action_space, None, model_config, name, **kwargs)
        prev = PrevInputs.from_config(model_config, action_space)
        self.use_n_prev_actions, self.use_n_prev_rewards = prev.n_actions, prev.n_rewards
        self.gtrxl = GTrXLNet(prev.input_space(self.num_outputs), action_space, None, model_config, "gtrxl")
        dim = self.gtrxl.options.attention_dim
        self.num_outputs = num_outputs if num_outputs else dim
        self._logits_branch = None
        if num_outputs:
            self._logits_branch = keras.layers.Dense(num_outputs, name="logits")
            self._logits_branch.build((None, dim))
        self._value_branch = keras.layers.Dense(1, name="values")
        self._value_branch.build((None, dim))
        self._features = None
        self.view_requirements.update(self.gtrxl.view_requirements)
        self.view_requirements.update(prev.view_requirements(action_space))

    def forward(self, input_dict, state, seq_lens):
        wrapped_out, _ = self._wrapped_forward(input_dict, [], None)
        parts = [tf.cast(wrapped_out, tf.float32)]
        rows = tf.shape(parts[0])[0]
        if self.use_n_prev_actions:
            if "prev_actions" not in input_dict:
                raise ValueError("attention_use_n_prev_actions > 0 but input_dict has no 'prev_actions'")
            prev = input_dict["prev_actions"]
            if self.use_n_prev_actions > 1:  # [B, n, ...]: encode each of the n actions
                prev = tf.reshape(prev, tf.concat([[-1], tf.shape(prev)[2:]], 0))
            parts.append(tf.reshape(encode_prev_actions(prev, self.action_space), [rows, -1]))
        if self.use_n_prev_rewards:
            if "prev_rewards" not in input_dict:
                raise ValueError("attention_use_n_prev_rewards > 0 but input_dict has no 'prev_rewards'")
            parts.append(tf.reshape(tf.cast(input_dict["prev_rewards"], tf.float32), [rows, self.use_n_prev_rewards]))
        gtrxl_input = {"obs": tf.concat(parts, axis=1), "is_training": input_dict.get("is_training", False)}
        self._features, memory_outs = self.gtrxl(gtrxl_input, state, seq_lens)
        return (self._logits_branch(self._features) if self._logits_branch is not None else self._features), memory_outs

    def value_function(self):
        if self._features is None:
            raise ValueError("value_function() called before the model's first forward pass")
        return tf.reshape(self._value_branch(self._features), [-1])

    def get_initial_state(self) -> List[np.ndarray]:
        return self.gtrxl.get_initial_state()
