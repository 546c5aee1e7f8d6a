"""FullyConnectedNetwork (torch): the default MLP policy/value network for flat observations.

Hidden layers ``fcnet_hiddens`` (+ ``post_fcnet_hiddens``) with ``fcnet_activation``, a linear
logits head of ``num_outputs`` (``no_final_linear`` makes the last hidden layer the output),
``free_log_std`` (the second half of the outputs is a learned, state-independent bias), and a
value head that shares the hidden layers (``vf_share_layers=True``) or has its own copy of them.
Same layout and initialisation as RLlib 1.x ``models/torch/fcnet.py``.

Examples:
    >>> import gymnasium as gym
    >>> m = FullyConnectedNetwork(gym.spaces.Box(-1, 1, (4,)), gym.spaces.Discrete(2), 2,
    ...                           {"fcnet_hiddens": [8, 8], "fcnet_activation": "relu"}, "fc")
    >>> out, _ = m({"obs": np.zeros((3, 4), np.float32)})
    >>> tuple(out.shape), tuple(m.value_function().shape)
    ((3, 2), (3,))
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np
import torch
import torch.nn as nn

from rlcore.models.modelv2 import ModelV2, flat_obs_shape
from rlcore.models.torch.torch_modelv2 import SlimFC, TorchModelV2, normc_initializer


class AppendBiasLayer(nn.Module):
    """Appends a learned bias vector (one value per output, shared by all rows) to the inputs.

    Examples:
        >>> tuple(AppendBiasLayer(2)(torch.zeros(3, 2)).shape)
        (3, 4)
    """

    def __init__(self, num_bias_vars: int):
        super().__init__()
        self.log_std = nn.Parameter(torch.zeros(num_bias_vars))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.log_std.unsqueeze(0).expand(x.shape[0], -1)], dim=1)


def _flat_in(input_dict: Dict[str, Any]) -> torch.Tensor:
    """The float ``[B, width]`` rows of ``obs_flat`` (no reshape op when they already are)."""
    obs = input_dict["obs_flat"].float()
    return obs if obs.dim() == 2 else obs.reshape(obs.shape[0], -1)


def _resolve_hiddens(model_config: Dict[str, Any]) -> tuple:
    hiddens = list(model_config.get("fcnet_hiddens", [])) + list(model_config.get("post_fcnet_hiddens", []))
    activation = model_config.get("fcnet_activation", "tanh")
    if not model_config.get("fcnet_hiddens", []):
        activation = model_config.get("post_fcnet_activation", "relu")
    return hiddens, activation


class FullyConnectedNetwork(TorchModelV2, nn.Module):
    """The default fully connected network (see the module docstring for the options).

    Args:
        obs_space, action_space, num_outputs, model_config, name: as ``ModelV2``.
            ``num_outputs=None`` (or 0) builds no logits head; ``num_outputs`` then becomes
            the width of the last hidden layer.
    """

    def __init__(self, obs_space: Any, action_space: Any, num_outputs: Optional[int], model_config: Dict[str, Any], name: str):
        TorchModelV2.__init__(self, obs_space, action_space, num_outputs, model_config, name)
        nn.Module.__init__(self)
        hiddens, activation = _resolve_hiddens(model_config)
        no_final_linear = model_config.get("no_final_linear", False)
        self.vf_share_layers = model_config.get("vf_share_layers", True)
        self.free_log_std = model_config.get("free_log_std", False)
        if self.free_log_std:
            if not num_outputs or num_outputs % 2 != 0:
                raise ValueError(f"free_log_std needs an even num_outputs (mean and log_std halves), got {num_outputs}")
            num_outputs = num_outputs // 2

        in_size = int(np.prod(flat_obs_shape(obs_space, model_config)))
        layers = []
        prev = in_size
        self._logits = None
        for size in hiddens[:-1]:
            layers.append(SlimFC(prev, size, initializer=normc_initializer(1.0), activation_fn=activation))
            prev = size
        if no_final_linear and num_outputs:
            layers.append(SlimFC(prev, num_outputs, initializer=normc_initializer(1.0), activation_fn=activation))
            prev = num_outputs
        else:
            if hiddens:
                layers.append(SlimFC(prev, hiddens[-1], initializer=normc_initializer(1.0), activation_fn=activation))
                prev = hiddens[-1]
            if num_outputs:
                self._logits = SlimFC(prev, num_outputs, initializer=normc_initializer(0.01), activation_fn=None)
            else:
                self.num_outputs = prev
        self._append_free_log_std = AppendBiasLayer(num_outputs) if self.free_log_std and self._logits else None
        self._hidden_layers = nn.Sequential(*layers)

        self._value_branch_separate = None
        prev_vf = prev
        if not self.vf_share_layers:
            vf_layers, prev_vf = [], in_size
            for size in hiddens:
                vf_layers.append(SlimFC(prev_vf, size, initializer=normc_initializer(1.0), activation_fn=activation))
                prev_vf = size
            self._value_branch_separate = nn.Sequential(*vf_layers)
        self._value_branch = SlimFC(prev_vf, 1, initializer=normc_initializer(0.01), activation_fn=None)
        self._features = None
        self._last_flat_in = None

    def forward(self, input_dict, state, seq_lens):
        flat_in = _flat_in(input_dict)
        features = self._hidden_layers(flat_in)
        # Plain attributes set through __dict__: nn.Module.__setattr__ is slow on this hot path.
        self.__dict__.update(_last_flat_in=flat_in, _features=features)
        logits = self._logits(features) if self._logits is not None else features
        if self._append_free_log_std is not None:
            logits = self._append_free_log_std(logits)
        return logits, state

    def value_only(self, input_dict, state=None, seq_lens=None):
        """The values ``self(input_dict, state, seq_lens)`` followed by ``value_function()`` gives,
        running only the layers the value head reads: the value branch, or with
        ``vf_share_layers`` the hidden layers (not the logits head). The same ops on the same
        inputs, so the same values to the bit, at about a third of the cost for a separate value
        branch (the value forward of a whole sample, or of a fragment's bootstrap observation).
        The model's ``last_output()`` and features stay those of its last full call.

        Returns None (the caller then runs the whole model) for a subclass with its own
        ``forward``, ``value_function`` or call protocol.

        Examples:
            >>> import gymnasium as gym
            >>> m = FullyConnectedNetwork(gym.spaces.Box(-1, 1, (4,)), gym.spaces.Discrete(2), 2,
            ...                           {"fcnet_hiddens": [8], "vf_share_layers": False}, "fc")
            >>> obs = np.ones((3, 4), np.float32)
            >>> _ = m({"obs": obs}); bool(torch.equal(m.value_only({"obs": obs}), m.value_function()))
            True
        """
        cls = type(self)
        if (cls.forward is not FullyConnectedNetwork.forward or cls.value_function is not FullyConnectedNetwork.value_function
                or cls.__call__ is not ModelV2.__call__ or cls._call_inputs is not ModelV2._call_inputs):
            return None
        inputs, _, _ = self._forward_inputs(input_dict, state, seq_lens)
        with self.context():
            flat_in = _flat_in(inputs)
            if self._value_branch_separate is not None:
                return self._value_branch(self._value_branch_separate(flat_in)).squeeze(1)
            return self._value_branch(self._hidden_layers(flat_in)).squeeze(1)

    def value_function(self):
        if self._features is None:
            raise ValueError("value_function() called before the model's first forward pass")
        if self._value_branch_separate is not None:
            return self._value_branch(self._value_branch_separate(self._last_flat_in)).squeeze(1)
        return self._value_branch(self._features).squeeze(1)


__all__ = ["AppendBiasLayer", "FullyConnectedNetwork"]
