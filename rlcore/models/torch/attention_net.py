"""Attention nets (torch): GTrXL and the ``use_attention`` wrapper (RLlib 1.x ``models/torch/attention_net``).

``GTrXLNet`` is a gated Transformer-XL (Parisotto et al. 2019): a linear map of the inputs to
``attention_dim``, then ``num_transformer_units`` units of relative-position multi-head attention
over the unit's memory plus the current segment (causally masked) and a position-wise MLP, each
closed by a GRU gate in place of the residual sum. ``AttentionWrapper`` is what
``use_attention=True`` puts around a model: the wrapped model's features (plus the last
``attention_use_n_prev_actions`` actions one-hot and ``attention_use_n_prev_rewards`` rewards) go
through a ``GTrXLNet`` and then the logits and value heads. The memories are RNN state
``[memory, attention_dim]`` per unit (:mod:`rlcore.models.attention` explains the layout).

Examples:
    >>> import gymnasium as gym
    >>> net = GTrXLNet(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2), 2, {"max_seq_len": 4}, "gtrxl",
    ...                attention_dim=8, num_heads=2, head_dim=4, memory_inference=3, memory_training=3)
    >>> state = [torch.as_tensor(s[None]) for s in net.get_initial_state()]
    >>> out, new_state = net({"obs": torch.zeros(1, 3)}, state, torch.ones(1, dtype=torch.int32))
    >>> tuple(out.shape), [tuple(s.shape) for s in new_state], tuple(net.value_function().shape)
    ((1, 2), [(1, 3, 8)], (1,))
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn

from rlcore.models.attention import AttentionOptions, PrevInputs
from rlcore.models.modelv2 import flat_obs_shape
from rlcore.models.torch.recurrent_net import RecurrentNetwork, add_time_dimension, encode_prev_actions
from rlcore.models.torch.torch_modelv2 import SlimFC, TorchModelV2

__all__ = ["AttentionWrapper", "GRUGate", "GTrXLNet", "RelativeMultiHeadAttention", "SkipConnection",
           "relative_position_embedding"]


def relative_position_embedding(seq_length: int, out_dim: int, device: Any = None) -> torch.Tensor:
    """The sinusoid encoding of the relative positions ``seq_length - 1, ..., 0`` (``Phi`` in
    Transformer-XL): ``[seq_length, out_dim]``, sines then cosines.

    Examples:
        >>> phi = relative_position_embedding(3, 4)
        >>> tuple(phi.shape), phi[-1].tolist()  # position 0: sin 0 = 0, cos 0 = 1
        ((3, 4), [0.0, 0.0, 1.0, 1.0])
    """
    inverse_freq = 1.0 / (10000 ** (torch.arange(0, out_dim, 2.0, device=device) / out_dim))
    positions = torch.arange(seq_length - 1, -1, -1.0, device=device)
    angles = positions[:, None] * inverse_freq[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


def rel_shift(x: torch.Tensor) -> torch.Tensor:
    """Transformer-XL's shift: ``[B, T, S, H]`` scores against positions ``S-1..0`` become scores
    against each query's relative distance (valid where the causal mask lets a query look)."""
    b, t, s, h = x.shape
    x = nn.functional.pad(x, (0, 0, 1, 0))
    return x.reshape(b, s + 1, t, h)[:, 1:].reshape(b, t, s, h)


class GRUGate(nn.Module):
    """The GTrXL gate joining a residual stream ``h`` and a layer's output ``x``:
    ``r = sig(x Wr + h Ur)``, ``z = sig(x Wz + h Uz - bias)``, ``h' = tanh(x Wh + (r h) Uh)``,
    output ``(1 - z) h + z h'``. A positive ``init_bias`` starts it near the identity on ``h``.

    Examples:
        >>> gate = GRUGate(4, init_bias=2.0)
        >>> tuple(gate((torch.zeros(2, 4), torch.ones(2, 4))).shape)
        (2, 4)
    """

    def __init__(self, dim: int, init_bias: float = 0.0):
        super().__init__()
        self._w = nn.ParameterDict({k: nn.Parameter(nn.init.xavier_uniform_(torch.empty(dim, dim)))
                                    for k in ("w_r", "w_z", "w_h", "u_r", "u_z", "u_h")})
        self._bias_z = nn.Parameter(torch.full((dim,), float(init_bias)))

    def forward(self, inputs: tuple) -> torch.Tensor:
        h, x = inputs
        w = self._w
        r = torch.sigmoid(x @ w["w_r"] + h @ w["u_r"])
        z = torch.sigmoid(x @ w["w_z"] + h @ w["u_z"] - self._bias_z)
        candidate = torch.tanh(x @ w["w_h"] + (r * h) @ w["u_h"])
        return (1 - z) * h + z * candidate


class SkipConnection(nn.Module):
    """``layer(x)`` joined with ``x``: summed, or through ``fan_in_layer((x, layer(x)))``."""

    def __init__(self, layer: nn.Module, fan_in_layer: Optional[nn.Module] = None):
        super().__init__()
        self._layer = layer
        self._fan_in_layer = fan_in_layer

    def forward(self, inputs: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        outputs = self._layer(inputs, **kwargs)
        return outputs + inputs if self._fan_in_layer is None else self._fan_in_layer((inputs, outputs))


class RelativeMultiHeadAttention(nn.Module):
    """Multi-head attention of a segment ``[B, T, in_dim]`` over ``memory`` (``[B, Tau, in_dim]``,
    no gradient) and itself, with Transformer-XL's relative position terms and a causal mask:
    step ``i`` of the segment sees the whole memory and steps ``<= i``.

    Args:
        in_dim, out_dim: Input and output widths.
        num_heads, head_dim: The heads and the width of each.
        input_layernorm: Layer-normalize memory and inputs first (GTrXL's pre-norm).
        output_activation: An activation module class for the output (``nn.ReLU`` in GTrXL).
    """

    def __init__(self, in_dim: int, out_dim: int, num_heads: int, head_dim: int, input_layernorm: bool = False,
                 output_activation: Any = None):
        super().__init__()
        self._num_heads, self._head_dim = num_heads, head_dim
        self._qkv_layer = nn.Linear(in_dim, 3 * num_heads * head_dim, bias=False)
        out = nn.Linear(num_heads * head_dim, out_dim, bias=False)
        self._linear_layer = nn.Sequential(out, output_activation()) if output_activation else out
        self._uvar = nn.Parameter(nn.init.xavier_uniform_(torch.empty(num_heads, head_dim)))
        self._vvar = nn.Parameter(nn.init.xavier_uniform_(torch.empty(num_heads, head_dim)))
        self._pos_proj = nn.Linear(in_dim, num_heads * head_dim, bias=False)
        self._input_layernorm = nn.LayerNorm(in_dim) if input_layernorm else None
        self._in_dim = in_dim

    def forward(self, inputs: torch.Tensor, memory: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, t = inputs.shape[0], inputs.shape[1]
        h, d = self._num_heads, self._head_dim
        tau = 0 if memory is None else memory.shape[1]
        if memory is not None:
            inputs = torch.cat([memory.detach(), inputs], dim=1)
        if self._input_layernorm is not None:
            inputs = self._input_layernorm(inputs)
        queries, keys, values = torch.chunk(self._qkv_layer(inputs), 3, dim=-1)
        queries = queries[:, -t:].reshape(b, t, h, d)
        keys = keys.reshape(b, t + tau, h, d)
        values = values.reshape(b, t + tau, h, d)
        rel = self._pos_proj(relative_position_embedding(t + tau, self._in_dim, inputs.device)).reshape(t + tau, h, d)
        score = torch.einsum("bihd,bjhd->bijh", queries + self._uvar, keys)
        pos_score = torch.einsum("bihd,jhd->bijh", queries + self._vvar, rel)
        score = (score + rel_shift(pos_score)) / d**0.5
        visible = torch.arange(t + tau, device=inputs.device)[None, :] <= (torch.arange(t, device=inputs.device)[:, None] + tau)
        score = score.masked_fill(~visible[None, :, :, None], torch.finfo(score.dtype).min)
        weights = torch.softmax(score, dim=2)
        out = torch.einsum("bijh,bjhd->bihd", weights, values).reshape(b, t, h * d)
        return self._linear_layer(out)


class GTrXLNet(RecurrentNetwork, nn.Module):
    """A GTrXL model (RLlib 1.x ``GTrXLNet``); usable as a ``custom_model`` with the keyword
    arguments below in ``custom_model_config``, or through ``use_attention``.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``
            (``num_outputs=None``: no heads, the outputs are the last unit's ``attention_dim``
            features). ``model_config["max_seq_len"]`` is the training sequence length.
        num_transformer_units, attention_dim, num_heads, head_dim, memory_inference,
        memory_training, position_wise_mlp_dim, init_gru_gate_bias: see
            :class:`~rlcore.models.attention.AttentionOptions` (default: the model config's
            ``attention_*`` values).

    The state is one memory ``[memory, attention_dim]`` per unit; inputs are padded
    ``[B*T, F]`` rows with ``seq_lens`` (``None``: one step per row); outputs ``[B*T, ...]``.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, **attention: Any):
        nn.Module.__init__(self)
        super().__init__(obs_space, action_space, num_outputs, model_config, name)
        self.options = opts = AttentionOptions.from_config(model_config, **attention)
        dim = opts.attention_dim
        self.max_seq_len = opts.max_seq_len
        self.obs_dim = int(np.prod(flat_obs_shape(obs_space, model_config)))
        self.linear_layer = SlimFC(self.obs_dim, dim)
        attention_units, mlp_units = [], []
        for _ in range(opts.num_transformer_units):
            attention_units.append(SkipConnection(
                RelativeMultiHeadAttention(dim, dim, opts.num_heads, opts.head_dim, input_layernorm=True,
                                           output_activation=nn.ReLU),
                fan_in_layer=GRUGate(dim, opts.init_gru_gate_bias)))
            mlp_units.append(SkipConnection(
                nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, opts.position_wise_mlp_dim, bias=False), nn.ReLU(),
                              nn.Linear(opts.position_wise_mlp_dim, dim, bias=False), nn.ReLU()),
                fan_in_layer=GRUGate(dim, opts.init_gru_gate_bias)))
        self.attention_units = nn.ModuleList(attention_units)
        self.mlp_units = nn.ModuleList(mlp_units)
        self._logits = self._values_out = None
        if num_outputs:
            self._logits = SlimFC(dim, num_outputs)
            self._values_out = SlimFC(dim, 1)
        else:
            self.num_outputs = dim
        self._value_out = None
        self.view_requirements.update(opts.view_requirements())

    def forward(self, input_dict, state, seq_lens):
        opts = self.options
        opts.check_state(state)
        obs = input_dict["obs_flat"].float()
        if seq_lens is None:
            seq_lens = torch.ones(obs.shape[0], dtype=torch.int64, device=obs.device)
        x = add_time_dimension(obs, seq_lens)
        tau = opts.memory_for(bool(input_dict.get("is_training", False)))
        memories = [s.float() for s in state]
        e = self.linear_layer(x)
        unit_inputs = [e]
        for attend, mlp, memory in zip(self.attention_units, self.mlp_units, memories):
            e = mlp(attend(e, memory=memory[:, opts.memory - tau:]))
            unit_inputs.append(e)
        features = e.reshape(-1, opts.attention_dim)
        new_state = [self._advance(m, u, seq_lens) for m, u in zip(memories, unit_inputs)]
        if self._logits is None:
            return features, new_state
        self.__dict__["_value_out"] = self._values_out(features)
        return self._logits(features), new_state

    @staticmethod
    def _advance(memory: torch.Tensor, inputs: torch.Tensor, seq_lens: torch.Tensor) -> torch.Tensor:
        """The memory after each sequence's last valid step: the newest ``memory`` rows of
        ``memory`` followed by the sequence's inputs (``[B, M, D]``)."""
        rows = torch.cat([memory, inputs.detach()], dim=1)
        idx = seq_lens.long().to(rows.device)[:, None] + torch.arange(memory.shape[1], device=rows.device)[None, :]
        return torch.gather(rows, 1, idx[:, :, None].expand(-1, -1, rows.shape[2]))

    def value_function(self):
        if self._value_out is None:
            raise ValueError("value_function() needs a forward pass first (and a GTrXLNet built with num_outputs)")
        return self._value_out.reshape(-1)

    def get_initial_state(self) -> List[np.ndarray]:
        return self.options.initial_state()


class AttentionWrapper(TorchModelV2, nn.Module):
    """The ``use_attention`` wrapper: ``ModelCatalog`` builds ``class X(AttentionWrapper, WrappedModel)``.

    An ``nn.Module`` itself, so the wrapped model may be a ``TorchModelV2`` that is not one.

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``; reads the
            ``attention_*`` keys and ``max_seq_len``.
        **kwargs: Passed to the wrapped model's constructor.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any],
                 name: str, **kwargs: Any):
        nn.Module.__init__(self)  # before the wrapped model's constructor, which may not call it
        super().__init__(obs_space, action_space, None, model_config, name, **kwargs)
        prev = PrevInputs.from_config(model_config, action_space)
        self.use_n_prev_actions, self.use_n_prev_rewards = prev.n_actions, prev.n_rewards
        self.gtrxl = GTrXLNet(prev.input_space(self.num_outputs), action_space, None, model_config, "gtrxl")
        dim = self.gtrxl.options.attention_dim
        self.num_outputs = num_outputs if num_outputs else dim
        self._logits_branch = SlimFC(dim, num_outputs, initializer=nn.init.xavier_uniform_) if num_outputs else None
        self._value_branch = SlimFC(dim, 1, initializer=nn.init.xavier_uniform_)
        self._features = None
        self.view_requirements.update(self.gtrxl.view_requirements)
        self.view_requirements.update(prev.view_requirements(action_space))

    def forward(self, input_dict, state, seq_lens):
        wrapped_out, _ = self._wrapped_forward(input_dict, [], None)
        parts = [wrapped_out.float()]
        rows = parts[0].shape[0]
        if self.use_n_prev_actions:
            if "prev_actions" not in input_dict:
                raise ValueError("attention_use_n_prev_actions > 0 but input_dict has no 'prev_actions'")
            prev = input_dict["prev_actions"]
            if self.use_n_prev_actions > 1:  # [B, n, ...]: encode each of the n actions
                prev = prev.reshape((rows * self.use_n_prev_actions,) + tuple(prev.shape[2:]))
            parts.append(encode_prev_actions(prev, self.action_space).reshape(rows, -1))
        if self.use_n_prev_rewards:
            if "prev_rewards" not in input_dict:
                raise ValueError("attention_use_n_prev_rewards > 0 but input_dict has no 'prev_rewards'")
            parts.append(input_dict["prev_rewards"].float().reshape(rows, self.use_n_prev_rewards))
        gtrxl_input = {"obs": torch.cat(parts, dim=1), "is_training": input_dict.get("is_training", False)}
        features, memory_outs = self.gtrxl(gtrxl_input, state, seq_lens)
        self.__dict__["_features"] = features
        return (self._logits_branch(features) if self._logits_branch is not None else features), memory_outs

    def value_function(self):
        if self._features is None:
            raise ValueError("value_function() called before the model's first forward pass")
        return self._value_branch(self._features).reshape(-1)

    def get_initial_state(self) -> List[np.ndarray]:
        return self.gtrxl.get_initial_state()
